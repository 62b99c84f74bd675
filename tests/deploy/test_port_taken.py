"""A service whose port is taken stops at once, with one line that names the port and the variable to
change (issue 16): it takes its ports before it migrates or connects to anything, so the databases,
NATS and Keycloak given here (none of which answer) are never reached."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def taken_port():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield holder.getsockname()[1]
    holder.close()


def start(service: str, **ports: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZGOV_")}
    env.update(
        {
            "ZGOV_GRPC_HOST": "127.0.0.1",
            "ZGOV_GRPC_PORT": "0",
            "ZGOV_HTTP_PORT": "0",
            "ZGOV_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/nothing",
            "ZGOV_NATS_URL": "nats://127.0.0.1:1",
            "ZGOV_KEYCLOAK_URL": "http://127.0.0.1:1",
            "ZGOV_CLIENT_ID": service,
            "ZGOV_CLIENT_SECRET": "unused",
        }
    )
    env.update(ports)
    # the timeout only stops a hang from blocking the suite; the assertion is on what the service says
    return subprocess.run(
        [sys.executable, "-m", f"services.{service}"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_taken_grpc_port_stops_the_service_at_once_naming_the_variable(taken_port):
    stopped = start("org", ZGOV_GRPC_PORT=str(taken_port))
    assert stopped.returncode == 1
    last_line = stopped.stderr.strip().splitlines()[-1]
    assert last_line == (
        f"org: cannot listen on 127.0.0.1:{taken_port}: the port is taken;"
        " stop what uses it or set ZGOV_GRPC_PORT to a free port"
    )
    assert "Traceback" not in stopped.stderr


def test_a_taken_feed_port_stops_the_service_at_once_naming_the_variable(taken_port):
    stopped = start("meetings", ZGOV_HTTP_PORT=str(taken_port))
    assert stopped.returncode == 1
    last_line = stopped.stderr.strip().splitlines()[-1]
    assert last_line == (
        f"meetings: calendar feeds cannot listen on 127.0.0.1:{taken_port}: the port is taken;"
        " stop what uses it or set ZGOV_HTTP_PORT to a free port"
    )
    assert "Traceback" not in stopped.stderr
