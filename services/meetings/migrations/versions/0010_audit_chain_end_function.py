"""meetings: the chain's lock and end read in one round trip (audit_chain_end(), shared.audit), the one
way record_act links an act (A20, A26); documents has had it since its 0012

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 13:00:00
"""

from alembic import op

from shared.audit import CHAIN_END_FUNCTION_STATEMENTS, DROP_CHAIN_END_FUNCTION_STATEMENTS

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in CHAIN_END_FUNCTION_STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_CHAIN_END_FUNCTION_STATEMENTS:
        op.execute(statement)
