"""audit_record refuses TRUNCATE too (A20, A26): row triggers do not fire on it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 22:00:00
"""

from alembic import op

from shared.audit import DROP_NO_TRUNCATE_STATEMENTS, NO_TRUNCATE_STATEMENTS

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in NO_TRUNCATE_STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_NO_TRUNCATE_STATEMENTS:
        op.execute(statement)
