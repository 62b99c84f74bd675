"""Two portal processes (two replicas, `python -m services.portal`) sharing one PostgreSQL: a sign-in
started on one finishes on the other, a session kept by one is seen by the other, and the rate
limit is one budget across both rather than one per replica (services/portal/store.py).

No Keycloak and no backends are needed for what is proven here: the callback's token exchange
fails either way, but differently when the pending login was found ("未能完成登录") from when it
was not ("登录已超时"); a follow-by-code is refused with 429 before any backend is asked.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from deploy.local.servers import free_port, stop_pid
from services.portal.auth import CitizenSession
from services.portal.security import COOKIE, Signer
from services.portal.store import PgSessions, Sealer
from services.portal.app import MIGRATIONS
from services.portal.models import metadata
from shared.db import create_engine
from shared.migrations import pending_autogenerate_changes

pytestmark = pytest.mark.integration
SECRET = "two-replicas-share-this-secret"
CODE = {"query_code": "ABCD-EFGH-JKLM-NPQR"}


def start_portal(database: str, port: int) -> subprocess.Popen:
    closed = free_port()  # nothing listens there: Keycloak and the backends are away
    env = {
        **os.environ,
        "ZGOV_DATABASE_URL": database,
        "ZGOV_HTTP_PORT": str(port),
        "ZGOV_KEYCLOAK_URL": f"http://127.0.0.1:{closed}",
        "ZGOV_SESSION_SECRET": SECRET,
        "ZGOV_PUBLIC_URL": "http://127.0.0.1:8000",
        "ZGOV_WRITE_BURST": "3",
        "ZGOV_WRITES_PER_MINUTE": "1",
        "ZGOV_PETITIONS_ADDRESS": f"127.0.0.1:{closed}",
        "ZGOV_BACKEND_TIMEOUT": "2",
        "ZGOV_CLIENT_SECRET": "unused",
        "ZGOV_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.portal"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_healthy(process: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()[-3000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError("portal not healthy")


@pytest.fixture
def two_portals(database):
    ports = [free_port(), free_port()]
    first = start_portal(database, ports[0])
    wait_healthy(first, ports[0])  # the first migrates the database, then the second starts
    second = start_portal(database, ports[1])
    wait_healthy(second, ports[1])
    yield [f"http://127.0.0.1:{p}" for p in ports]
    for process in (first, second):
        stop_pid(process.pid)
        process.wait(timeout=10)


def cookie_for(sid: str) -> dict[str, str]:
    return {COOKIE: f"{sid}.{Signer(SECRET.encode()).mac('sid', sid)}"}


async def test_a_sign_in_started_on_one_replica_finishes_on_the_other(two_portals):
    a, b = two_portals
    async with httpx.AsyncClient() as http:
        started = await http.get(f"{a}/login", params={"next": "/petitions"})
        assert started.status_code == 303
        state = parse_qs(urlparse(started.headers["location"]).query)["state"][0]
    # the visitor's cookie, as the browser sends it to whichever replica the balancer picks
    async with httpx.AsyncClient(cookies={COOKIE: started.cookies[COOKIE]}) as http:
        finished = await http.get(f"{b}/auth/callback", params={"code": "c", "state": state})
        # found on b: the exchange with the (absent) Keycloak is what failed, not the lookup
        assert finished.status_code == 400 and "未能完成登录" in finished.text
        replayed = await http.get(f"{a}/auth/callback", params={"code": "c", "state": state})
        assert "登录已超时" in replayed.text, "a pending login is taken once, whichever replica took it"


async def test_a_session_kept_by_one_replica_is_seen_by_the_other(two_portals, database):
    engine = create_engine(database)
    try:
        sessions = PgSessions(engine, Sealer(SECRET.encode()), 1800)
        citizen = CitizenSession("u-1", "张三", "access", time.time() + 300, "refresh", "id-token")
        await sessions.keep("sid-of-zhang", citizen)  # as replica a does at the end of a sign-in
        a, b = two_portals
        csrf = Signer(SECRET.encode()).csrf_token("sid-of-zhang")
        async with httpx.AsyncClient(cookies=cookie_for("sid-of-zhang")) as http:
            out = await http.post(f"{b}/logout", data={"csrf": csrf})
        assert out.status_code == 303 and "/protocol/openid-connect/logout" in out.headers["location"]
        assert await sessions.citizen("sid-of-zhang") is None, "ended for every replica"
    finally:
        await engine.dispose()


async def test_the_rate_limit_is_one_budget_across_replicas(two_portals):
    a, b = two_portals
    async with httpx.AsyncClient(timeout=10) as http:
        answers = []
        for base in (a, b, a, b):  # a burst of 3 for the address, shared
            answers.append((await http.post(f"{base}/api/petitions/follow", json=CODE)).status_code)
    assert answers[:3].count(429) == 0 and answers[3] == 429, answers


async def test_concurrent_writes_of_two_replicas_take_exactly_the_burst(two_portals):
    a, b = two_portals
    async with httpx.AsyncClient(timeout=10) as http:
        answers = await asyncio.gather(
            *(http.post(f"{base}/api/petitions/follow", json=CODE) for base in (a, b) * 4)
        )
    assert sum(r.status_code != 429 for r in answers) == 3


async def test_the_portal_migrations_match_its_models(database):
    assert await pending_autogenerate_changes(database, MIGRATIONS, metadata) == []
