"""documents: the chain's lock and end read in one round trip (audit_chain_end(), shared.audit):
every act of the filing-to-issued path links its recorded act with it (issue 17)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:30:00
"""

from alembic import op

from shared.audit import CHAIN_END_FUNCTION_STATEMENTS, DROP_CHAIN_END_FUNCTION_STATEMENTS

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in CHAIN_END_FUNCTION_STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_CHAIN_END_FUNCTION_STATEMENTS:
        op.execute(statement)
