"""audit_record refuses TRUNCATE too (A20, A26): row triggers do not fire on it, as in the other services

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 04:30:00
"""

from alembic import op

from shared.audit import DROP_NO_TRUNCATE_STATEMENTS, NO_TRUNCATE_STATEMENTS

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in NO_TRUNCATE_STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_NO_TRUNCATE_STATEMENTS:
        op.execute(statement)
