"""audit_record: the hash chain of recorded acts (A20, A26), existing acts linked in order

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 01:00:00
"""

from alembic import op

from shared.audit_chain import ADD_CHAIN_COLUMNS, DROP_CHAIN_COLUMNS, rechain

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in ADD_CHAIN_COLUMNS:
        op.execute(statement)
    rechain(op.get_bind())


def downgrade() -> None:
    for statement in DROP_CHAIN_COLUMNS:
        op.execute(statement)
