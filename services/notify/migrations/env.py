from services.notify.models import metadata
from shared.migrations import alembic_env

alembic_env(metadata)
