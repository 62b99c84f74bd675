"""The notify service in-process with the org service it asks, against the tests' real PostgreSQL, NATS
and Keycloak, and with real far ends started here: an SMTP server (aiosmtpd) and one local HTTP
receiver standing for the SMS gateway, the 企业微信 robot and API, and the 钉钉 robot.

Events are published onto the producing services' streams as those services' relays publish them
(an EventEnvelope with its event id as Nats-Msg-Id), on this test's own NATS, which has authorization
as in production: notify and org connect as their own NKEY users (`notify.nats.seeds[...]`), the
test's publications are the `admin` user's.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import grpc
import pytest
from aiosmtpd.controller import Controller

from deploy.local.servers import free_port
from services.notify.__main__ import build
from services.notify.config import NotifySettings
from shared.db import create_engine, session_factory
from shared.outbox import MSG_ID_HEADER, build_envelope
from shared.streams import ensure_stream
from tests.fixtures.bus_auth import ADMIN, AuthenticatedBus
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.org import serving, stop
from zgov.notify.v1 import notify_pb2_grpc

DINGTALK_SECRET = "SECtest-secret"


# ---- the far ends ---------------------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: every message the SMTP server accepted (recipients, subject, body)."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(
            {
                "peer": session.peer,  # the connection it came on
                "to": list(envelope.rcpt_tos),
                "subject": str(mail["Subject"]),
                "body": mail.get_body(("plain",)).get_content(),
            }
        )
        return "250 OK"

    def to(self, address: str) -> list[dict]:
        return [m for m in self.messages if address in m["to"]]


@dataclass
class Receiver:
    """One HTTP server for the SMS gateway (/sms), the 企业微信 robot (/wecom/robot) and API
    (/cgi-bin/…), and the 钉钉 robot (/dingtalk/robot). `fail` answers that many POSTs with 500."""

    requests: list[dict] = field(default_factory=list)
    fail: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def on(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            parts = urlsplit(self.path)
            receiver.requests.append({"method": "GET", "path": parts.path, "query": parse_qs(parts.query)})
            self._answer(
                200, {"errcode": 0, "errmsg": "ok", "access_token": "wecom-token", "expires_in": 7200}
            )

        def do_POST(self):
            parts = urlsplit(self.path)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if receiver.fail > 0:
                receiver.fail -= 1
                receiver.requests.append(
                    {
                        "method": "POST",
                        "path": parts.path,
                        "failed": True,
                        "body": body,
                        "query": parse_qs(parts.query),
                    }
                )
                self._answer(500, {"error": "gateway down"})
                return
            receiver.requests.append(
                {
                    "method": "POST",
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "body": body,
                    "authorization": self.headers.get("Authorization", ""),
                }
            )
            self._answer(200, {"errcode": 0, "errmsg": "ok"})

    return Handler


@contextmanager
def smtp_server(handler):
    """A real SMTP server (aiosmtpd) on a free port, answering with the handler (its `port` set)."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def mailbox():
    with smtp_server(Mailbox()) as box:
        yield box


@pytest.fixture
def receiver():
    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


# ---- the service ----------------------------------------------------------------------------------


class Clock:
    """The service's clock, set by a test (quiet hours, the digest)."""

    def __init__(self) -> None:
        self.fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed or datetime.now(UTC)


@dataclass
class NotifyUnderTest(CallsAsPeople):
    stub: notify_pb2_grpc.NotifyServiceStub = None
    org: object = None
    js: object = None
    clock: Clock = None
    sessions: object = None
    server: object = None
    database: str = ""
    nats: AuthenticatedBus | None = None
    org_address: str = ""

    async def publish(
        self,
        subject: str,
        payload,
        *,
        event_id: uuid.UUID | None = None,
        message_id: str = "",
        occurred_at: datetime | None = None,
    ) -> str:
        """As the producing service's relay publishes an event (that happened at `occurred_at`, else
        now); returns its event id."""
        envelope = build_envelope(
            subject, payload, "test/1", event_id=event_id or uuid.uuid4(), occurred_at=occurred_at
        )
        await self.js.publish(
            subject, envelope.SerializeToString(), headers={MSG_ID_HEADER: message_id or envelope.event_id}
        )
        return envelope.event_id

    async def dispatch(self) -> int:
        return await self.server.notify_state["dispatcher"].round()


@pytest.fixture
def start_notify(keycloak, production_nats, service_database, in_process_org, mailbox, receiver):
    bus = production_nats("notify")

    @asynccontextmanager
    async def start(database: str = "", **overrides) -> AsyncIterator[NotifyUnderTest]:
        """`database`: that of an earlier start (a restart); else a new one."""
        database = database or await service_database("notify")
        client = await bus.connect(ADMIN)  # the other services' relays, as the test plays them
        js = client.jetstream(timeout=5)
        for service in ("org", "meetings", "documents", "supervision", "petitions", "disclosure"):
            await ensure_stream(js, service)
        clock = Clock()
        async with in_process_org(bus.url, acting_clock_seconds=5, nats_nkey_seed=bus.seeds["org"]) as org:
            settings = NotifySettings(
                **{
                    "database_url": database,
                    "nats_url": bus.url,
                    "nats_nkey_seed": bus.seeds["notify"],
                    "keycloak_url": keycloak.url,
                    "client_id": "notify",
                    "client_secret": keycloak.client_secrets["notify"],
                    "grpc_port": 0,
                    "org_address": org.address,
                    "smtp_host": "127.0.0.1",
                    "smtp_port": mailbox.port,
                    "sms_url": f"{receiver.url}/sms",
                    "sms_token": "gateway-token",
                    "sms_template": '{"mobile": "{phone}", "content": "【资阳】{text}"}',
                    "wecom_robot_url": f"{receiver.url}/wecom/robot?key=robot-key",
                    "wecom_api_base": receiver.url,
                    "wecom_corp_id": "corp",
                    "wecom_secret": "corp-secret",
                    "wecom_agent_id": 1000002,
                    "dingtalk_robot_url": f"{receiver.url}/dingtalk/robot?access_token=dt",
                    "dingtalk_secret": DINGTALK_SECRET,
                    "retry_base_seconds": 0.2,
                    "retry_cap_seconds": 1,
                    "dispatch_seconds": 0.2,
                    **overrides,
                }
            )
            server = build(settings, now=clock)
            engine = create_engine(database)
            try:
                async with serving(server):
                    channel = grpc.aio.insecure_channel(server.address)
                    try:
                        yield NotifyUnderTest(
                            keycloak=keycloak,
                            stub=notify_pb2_grpc.NotifyServiceStub(channel),
                            org=org.stub,
                            js=js,
                            clock=clock,
                            sessions=session_factory(engine),
                            server=server,
                            database=database,
                            nats=bus,
                            org_address=org.address,
                        )
                    finally:
                        await channel.close()
            finally:
                await engine.dispose()
                await client.close()

    return start


@pytest.fixture
async def notify(start_notify):
    async with start_notify() as s:
        yield s


__all__ = ["stop", "DINGTALK_SECRET"]
