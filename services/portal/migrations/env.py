from services.portal.models import metadata
from shared.db import alembic_env

alembic_env(metadata)
