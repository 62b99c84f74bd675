# Fixture modules: real servers started by the tests themselves.
pytest_plugins = [
    "tests.fixtures.servers",
    "tests.fixtures.keycloak",
    "tests.fixtures.events",
    "tests.fixtures.local_issuer",
    "tests.fixtures.org",
]
