"""Every service's migrations build exactly its models, from an empty database: one test over the
services that own a database (it was six copies, one per service)."""

import importlib

import pytest

from shared.migrations import pending_autogenerate_changes

pytestmark = pytest.mark.integration

SERVICES = ["org", "meetings", "documents", "disclosure", "petitions", "supervision"]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_on_an_empty_database_leave_nothing_for_autogenerate(database, service):
    migrations = importlib.import_module(f"services.{service}.__main__").MIGRATIONS
    metadata = importlib.import_module(f"services.{service}.models").metadata
    assert await pending_autogenerate_changes(database, migrations, metadata) == []
