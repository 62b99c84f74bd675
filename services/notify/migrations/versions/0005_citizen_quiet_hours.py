"""notify: a citizen's consent keeps quiet hours unless told at any hour; a delivery's event time

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 08:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # consents given before: quiet hours kept, as for a consent given now without the choice
    op.add_column(
        "citizen_consent",
        sa.Column("at_any_hour", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("delivery", sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("delivery", "occurred_at")
    op.drop_column("citizen_consent", "at_any_hour")
