"""`make up` / `make down` on free ports in a temporary state folder: everything starts, a second
`up` changes nothing, `down` stops everything and keeps the state. The default ports are held
meanwhile, as a `make up` of the same machine holds them: the test stack uses none of them."""

import json
import socket
from contextlib import ExitStack

import pytest

from deploy.local.servers import PrerequisiteError, free_port, pid_alive
from deploy.local.stack import FEED_PORTS, GRPC_PORTS, HTTP_PORTS, PORTS, Stack, existing_services


def port_variables() -> list[str]:
    return [
        "ZGOV_PG_PORT",
        "ZGOV_NATS_PORT",
        "ZGOV_KEYCLOAK_PORT",
        "ZGOV_KEYCLOAK_MANAGEMENT_PORT",
        *(f"ZGOV_{name.upper()}_GRPC_PORT" for name in existing_services()),
        *(f"ZGOV_{name.upper()}_HTTP_PORT" for name in HTTP_PORTS),
        *(f"ZGOV_{name.upper()}_FEED_PORT" for name in FEED_PORTS),
    ]


def default_ports() -> set[int]:
    return (
        {p for _, p in PORTS.values()}
        | set(GRPC_PORTS.values())
        | set(HTTP_PORTS.values())
        | set(FEED_PORTS.values())
    )


@pytest.fixture
def default_ports_held():
    """Listen on every default port that is free, as a running `make up` would."""
    with ExitStack() as held:
        for number in sorted(default_ports()):
            sock = held.enter_context(socket.socket())
            try:
                sock.bind(("127.0.0.1", number))
                sock.listen()
            except OSError:
                pass  # already taken: by a real `make up`, which is the case this test stands for
        yield


@pytest.fixture
def stack(tmp_path, monkeypatch, default_ports_held, built_keycloak_application):
    """A `make up` stack on free ports. Its Keycloak is one of its own (it imports the realm and creates
    its demo users itself) but starts from the application the run's shared Keycloak re-built
    (`built_keycloak_application`), as a second `make up` on a machine does."""
    for variable in port_variables():
        monkeypatch.setenv(variable, str(free_port()))
    stack = Stack(run_dir=tmp_path / "run")
    # the same cache, or waiting for the shared Keycloak bought nothing
    assert stack.keycloak.cache_dir == built_keycloak_application.parent
    yield stack
    stack.down()


@pytest.mark.integration
def test_a_taken_feed_port_stops_the_start_at_once_naming_the_variable(
    tmp_path, monkeypatch, default_ports_held
):
    """The meetings calendar feed port (8052) was the one port the test stack did not move: beside a
    running `make up` the meetings service of the test stack failed to start."""
    for variable in port_variables():
        monkeypatch.setenv(variable, str(free_port()))
    monkeypatch.setenv("ZGOV_MEETINGS_FEED_PORT", str(FEED_PORTS["meetings"]))
    service = Stack(run_dir=tmp_path / "run").service("meetings")
    with pytest.raises(PrerequisiteError, match="ZGOV_MEETINGS_FEED_PORT"):
        service.start({})


def running_pids(stack: Stack) -> dict[str, int | None]:
    return {name: pid for name, _, _, pid in stack.status()}


@pytest.mark.integration
# Its setup waits for the run's shared Keycloak (up to 420 s on a loaded machine, see `stack`) before its
# own `make up` boots a second one: on a machine at load 30 the two together passed the suite's 600 s.
@pytest.mark.timeout(1200)
@pytest.mark.long
def test_up_is_idempotent_and_down_stops_everything_it_started(stack):
    endpoints = stack.up()

    written = json.loads(stack.endpoints_file.read_text())
    assert written == endpoints
    assert set(written["services"]) == set(existing_services())
    assert set(written["postgres"]) >= {
        "org",
        "meetings",
        "documents",
        "supervision",
        "disclosure",
        "petitions",
    }
    assert written["keycloak"]["realm"] == "zgov"
    assert written["nats"]["url"].startswith("nats://127.0.0.1:")
    assert all(up for _, _, up, _ in stack.status())
    assert json.loads(stack.keycloak.demo_users_file.read_text())["mayor"]["position"] == "mayor"

    before = running_pids(stack)
    assert stack.up() == endpoints
    assert running_pids(stack) == before  # nothing restarted

    stack.down()
    assert not any(up for _, _, up, _ in stack.status())
    assert not any(pid_alive(pid) for pid in before.values() if pid)
    assert (stack.run_dir / "postgres" / "PG_VERSION").exists()  # state stays
    assert stack.keycloak.secrets_file.exists()
