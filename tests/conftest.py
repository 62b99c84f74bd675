# Fixture modules: real servers started by the tests themselves.
pytest_plugins = [
    "tests.fixtures.servers",
    "tests.fixtures.keycloak",
    "tests.fixtures.events",
    "tests.fixtures.local_issuer",
    "tests.fixtures.org",
    "tests.fixtures.bus_auth",
    "tests.fixtures.platform",
    "tests.fixtures.kube",
]


def pytest_sessionfinish(session):
    """The Keycloak the run launched is stopped once: by the controller of a pytest-xdist run (its
    workers shared it), by the session itself without xdist."""
    if hasattr(session.config, "workerinput"):
        return
    from tests.fixtures.keycloak import stop_shared_keycloak

    stop_shared_keycloak(session.config._tmp_path_factory.getbasetemp())
