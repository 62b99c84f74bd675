"""org: the outbox relay claims rows in the order of the database's sequence, not a pod's clock

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 01:10:00
"""

from alembic import op

from shared.outbox import OUTBOX_SEQUENCE_DOWNGRADE, OUTBOX_SEQUENCE_UPGRADE

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in OUTBOX_SEQUENCE_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in OUTBOX_SEQUENCE_DOWNGRADE:
        op.execute(statement)
