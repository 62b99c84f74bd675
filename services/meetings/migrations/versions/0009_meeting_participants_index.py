"""meetings: everyone with a part in a meeting as a generated column with a GIN index (calendars, feeds)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:30:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# the same words as services.meetings.models.PARTICIPANTS_SQL (a migration does not import the models)
PARTICIPANTS = "ARRAY[convener_user_id, chair_user_id] || member_user_ids || invitee_user_ids"


def upgrade() -> None:
    # expand only: the release before never names the column, PostgreSQL fills it on every write
    op.add_column(
        "meeting",
        sa.Column(
            "participant_user_ids",
            sa.ARRAY(sa.String(length=64)),
            sa.Computed(PARTICIPANTS, persisted=True),
            nullable=True,
        ),
    )
    op.create_index(
        "ix_meeting_participants", "meeting", ["participant_user_ids"], unique=False, postgresql_using="gin"
    )


def downgrade() -> None:
    op.drop_index("ix_meeting_participants", table_name="meeting", postgresql_using="gin")
    op.drop_column("meeting", "participant_user_ids")
