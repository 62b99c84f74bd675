from services.notify.models import metadata
from shared.db import alembic_env

alembic_env(metadata)
