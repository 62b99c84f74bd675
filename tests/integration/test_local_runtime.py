"""`make up` / `make down` on free ports in a temporary state folder: everything starts, a second
`up` changes nothing, `down` stops everything and keeps the state."""

import json

import pytest

from deploy.local.servers import free_port, pid_alive
from deploy.local.stack import HTTP_PORTS, Stack, existing_services


@pytest.fixture
def stack(tmp_path, monkeypatch):
    for variable in ("ZGOV_PG_PORT", "ZGOV_NATS_PORT", "ZGOV_KEYCLOAK_PORT", "ZGOV_KEYCLOAK_MANAGEMENT_PORT",
                     *(f"ZGOV_{name.upper()}_GRPC_PORT" for name in existing_services()),
                     *(f"ZGOV_{name.upper()}_HTTP_PORT" for name in HTTP_PORTS)):
        monkeypatch.setenv(variable, str(free_port()))
    stack = Stack(run_dir=tmp_path / "run")
    yield stack
    stack.down()


def running_pids(stack: Stack) -> dict[str, int | None]:
    return {name: pid for name, _, _, pid in stack.status()}


@pytest.mark.integration
def test_up_is_idempotent_and_down_stops_everything_it_started(stack):
    endpoints = stack.up()

    written = json.loads(stack.endpoints_file.read_text())
    assert written == endpoints
    assert set(written["services"]) == set(existing_services())
    assert set(written["postgres"]) >= {"org", "meetings", "documents", "supervision", "disclosure", "petitions"}
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
