"""The documents service's migrations build exactly its models, from an empty database."""

import pytest

from services.documents.__main__ import MIGRATIONS
from services.documents.models import metadata
from shared.db import pending_autogenerate_changes

pytestmark = pytest.mark.integration


async def test_migrations_on_an_empty_database_leave_nothing_for_autogenerate(database):
    assert await pending_autogenerate_changes(database, MIGRATIONS, metadata) == []
