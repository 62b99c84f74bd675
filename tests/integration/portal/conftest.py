"""The portal wired to real backends: petitions, disclosure and org in-process (as in their own
tests) against the real PostgreSQL, NATS and Keycloak of the test session; NATS with authorization as
in production, each backend connecting as its own NKEY user (`portal_nats.seeds[...]`). `portal` is the
app behind an httpx client (ASGI, no socket); `portal_server` runs the same app under uvicorn on a free
port for the browser tests (`serving_portal`, with other settings); `notify_address` is the real notify
service for the consent pages. A test sets up or checks what the portal shows through `backends`: its
stubs (`backends.publication_service`, ...) called as a demo user (`metadata=backends.as_user(...)`).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import grpc
import httpx
import fasteners
import pytest
import uvicorn

from deploy.local.keycloak import admin_client
from deploy.local.servers import free_port
from services.disclosure.__main__ import build as build_disclosure
from services.disclosure.config import DisclosureSettings
from services.notify.__main__ import build as build_notify
from services.notify.config import NotifySettings
from services.org.__main__ import build as build_org
from services.petitions.__main__ import build as build_petitions
from services.petitions.config import PetitionsSettings
from services.portal.app import create_app
from services.portal.config import PortalSettings
from tests.fixtures.bus_auth import AuthenticatedBus
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.org import org_settings, serving, stop
from zgov.disclosure.v1 import applications_pb2_grpc, complaints_pb2_grpc, publications_pb2_grpc
from zgov.petitions.v1 import petitions_pb2_grpc, reconsiderations_pb2_grpc

# The address the realm's `portal` client accepts as a redirect (the ASGI client never opens it).
PUBLIC_URL = "http://127.0.0.1:8000"


@pytest.fixture
def portal_nats(production_nats) -> AuthenticatedBus:
    """The backends' NATS, of this test's own; a right a backend lacks fails the test."""
    return production_nats("portal")


@pytest.fixture
async def backend_databases(service_database):
    return {s: await service_database(s) for s in ("org", "petitions", "disclosure")}


@dataclass
class Backends(CallsAsPeople):
    """The backends' addresses (for the portal's settings), and their gRPC services as a test calls
    them to set up or check what the portal shows: as a demo user (`as_user`) or a service
    (`as_service`). The channels are opened when first asked for and closed with the backends."""

    org: str
    petitions: str
    disclosure: str
    channels: dict[str, grpc.aio.Channel] = field(default_factory=dict)

    def stub(self, stub_class, address: str):
        """`stub_class` over the one channel of this test to `address` (a backend's, or notify's)."""
        if address not in self.channels:
            self.channels[address] = grpc.aio.insecure_channel(address)
        return stub_class(self.channels[address])

    @property
    def publication_service(self) -> publications_pb2_grpc.PublicationServiceStub:
        return self.stub(publications_pb2_grpc.PublicationServiceStub, self.disclosure)

    @property
    def application_service(self) -> applications_pb2_grpc.ApplicationServiceStub:
        return self.stub(applications_pb2_grpc.ApplicationServiceStub, self.disclosure)

    @property
    def complaint_service(self) -> complaints_pb2_grpc.ComplaintServiceStub:
        return self.stub(complaints_pb2_grpc.ComplaintServiceStub, self.disclosure)

    @property
    def petitions_service(self) -> petitions_pb2_grpc.PetitionsServiceStub:
        return self.stub(petitions_pb2_grpc.PetitionsServiceStub, self.petitions)

    @property
    def reconsideration_service(self) -> reconsiderations_pb2_grpc.ReconsiderationServiceStub:
        return self.stub(reconsiderations_pb2_grpc.ReconsiderationServiceStub, self.petitions)

    async def close_channels(self) -> None:
        for channel in self.channels.values():
            await channel.close()


@pytest.fixture
async def backends(keycloak, portal_nats, backend_databases, org_directory):
    org = build_org(
        org_settings(
            keycloak, backend_databases["org"], portal_nats.url, nats_nkey_seed=portal_nats.seeds["org"]
        ),
        org_directory,
    )
    await org.start()
    petitions = build_petitions(
        PetitionsSettings(
            database_url=backend_databases["petitions"],
            nats_url=portal_nats.url,
            nats_nkey_seed=portal_nats.seeds["petitions"],
            keycloak_url=keycloak.url,
            client_id="petitions",
            client_secret=keycloak.client_secrets["petitions"],
            grpc_port=0,
            org_address=org.address,
            org_cache_seconds=0,
        )
    )
    await petitions.start()
    disclosure = build_disclosure(
        DisclosureSettings(
            database_url=backend_databases["disclosure"],
            nats_url=portal_nats.url,
            nats_nkey_seed=portal_nats.seeds["disclosure"],
            keycloak_url=keycloak.url,
            client_id="disclosure",
            client_secret=keycloak.client_secrets["disclosure"],
            grpc_port=0,
            consume_documents=False,
        )
    )
    await disclosure.start()
    backends = Backends(
        keycloak=keycloak, org=org.address, petitions=petitions.address, disclosure=disclosure.address
    )
    try:
        yield backends
    finally:
        await backends.close_channels()
        await stop(disclosure)
        await stop(petitions)
        await stop(org)


def portal_settings(keycloak, backends: Backends, **overrides) -> PortalSettings:
    return PortalSettings(
        **{
            "keycloak_url": keycloak.url,
            "client_id": "portal",
            "client_secret": keycloak.client_secrets["portal"],
            "petitions_address": backends.petitions,
            "org_address": backends.org,
            "disclosure_address": backends.disclosure,
            "public_url": PUBLIC_URL,
            **overrides,
        }
    )


@pytest.fixture
async def portal(keycloak, backends):
    app = create_app(portal_settings(keycloak, backends))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            yield client


@asynccontextmanager
async def serving_portal(keycloak, backends: Backends, **overrides):
    """The portal under uvicorn on a free port (for a real browser); yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(portal_settings(keycloak, backends, public_url=url, http_port=port, **overrides))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@pytest.fixture
async def portal_server(keycloak, backends):
    async with serving_portal(keycloak, backends) as url:
        yield url


@pytest.fixture
async def notify_address(keycloak, portal_nats, service_database, backends):
    """The real notify service beside the backends (its consumers off: the consent pages only)."""
    settings = NotifySettings(
        database_url=await service_database("notify"),
        nats_url=portal_nats.url,
        nats_nkey_seed=portal_nats.seeds["notify"],
        keycloak_url=keycloak.url,
        client_id="notify",
        client_secret=keycloak.client_secrets["notify"],
        grpc_port=0,
        org_address=backends.org,
        consume_events=False,
    )
    async with serving(build_notify(settings)) as server:
        yield server.address


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


async def post_form(client: httpx.AsyncClient, page: str, action: str, data: dict) -> httpx.Response:
    """Open `page`, then post `data` to `action` with the page's CSRF token (as a browser would); a
    filing's 303 to its receipt is followed (receipt_pages.py), as the browser does."""
    shown = await client.get(page)
    return await receipt_of(client, await client.post(action, data={"csrf": csrf_of(shown.text), **data}))


async def receipt_of(client: httpx.AsyncClient, answer: httpx.Response) -> httpx.Response:
    """The receipt page a filing's 303 leads to (the answer itself when it is no such redirect)."""
    if answer.status_code == 303 and answer.headers["location"].startswith("/receipts/"):
        return await client.get(answer.headers["location"])
    return answer


async def log_in(client: httpx.AsyncClient, keycloak, username: str, next_path: str = "/") -> None:
    """The code flow as a browser does it: /login → Keycloak's form → /auth/callback."""
    start = await client.get(f"/login?next={next_path}")
    assert start.status_code == 303
    # Keycloak's first login page is slow to render on a busy machine: a generous timeout.
    async with httpx.AsyncClient(follow_redirects=False, timeout=60) as browser_at_keycloak:
        form_page = await browser_at_keycloak.get(start.headers["location"])
        action = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', form_page.text) or re.search(
            r'action="([^"]+)"[^>]*id="kc-form-login"', form_page.text
        )
        # Keycloak marks its cookies Secure; a browser sends them to http://127.0.0.1 (a secure
        # context), httpx's jar does not: pass them on by hand.
        cookies = "; ".join(f"{c.name}={c.value}" for c in browser_at_keycloak.cookies.jar)
        answer = await browser_at_keycloak.post(
            action.group(1).replace("&amp;", "&"),
            headers={"cookie": cookies},
            data={"username": username, "password": keycloak.password_of(username)},
        )
        if answer.status_code == 200 and 'name="otp"' in answer.text:
            # An officer: the realm's browser flow asks the TOTP code (demo officers are enrolled).
            answer = await browser_at_keycloak.post(
                re.search(r'action="([^"]+)"', answer.text).group(1).replace("&amp;", "&"),
                headers={"cookie": cookies},
                data={"otp": keycloak.totp_code(username)},
            )
    assert answer.status_code == 302, answer.text[:500]
    callback = answer.headers["location"]
    assert callback.startswith(f"{PUBLIC_URL}/auth/callback?")
    done = await client.get(callback.removeprefix(PUBLIC_URL))
    assert done.status_code == 303, done.text[:500]


# ---------------------------------------------------------------- signing in through Keycloak in Chromium

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def chromium():
    """A browser with scripts on (Keycloak's enrolment and security key pages use them)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass(frozen=True)
class NewOfficer:
    username: str
    password: str
    id: str  # Keycloak's user id


@pytest.fixture
def new_officer(keycloak):
    """A clerk of the general office, just onboarded: password set, no second factor yet."""
    admin = admin_client(keycloak.server)
    username, password = f"clerk-{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex}Aa1"
    user_id = admin.create_user(
        {
            "username": username,
            "enabled": True,
            "firstName": "新",
            "lastName": "科员",
            "email": f"{username}@ziyang.example",
            "emailVerified": True,
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    admin.assign_realm_roles(user_id, [admin.get_realm_role("office-staff")])
    yield NewOfficer(username, password, user_id)
    admin.delete_user(user_id)


@pytest.fixture
def portal_at_keycloak(keycloak, portal_server):
    """The realm's portal client accepts redirects to port 8000 only: this test's portal (a free port)
    is added for the test's duration, as an operator registers a portal's public address."""
    admin = admin_client(keycloak.server)
    client_id = admin.get_client_id("portal")
    ours = f"{portal_server}/*"

    def redirects(change) -> None:
        # the run's Keycloak is shared by the xdist workers: each adds and removes only its own
        # address, read and written under one lock so that no worker's change is lost
        with fasteners.InterProcessLock(str(keycloak.server.state_dir / "portal-client.lock")):
            client = admin.get_client(client_id)
            admin.update_client(client_id, {**client, "redirectUris": change(client["redirectUris"])})

    redirects(lambda uris: [*uris, ours])
    yield portal_server
    redirects(lambda uris: [uri for uri in uris if uri != ours])


async def enter_password(page, portal_url: str, username: str, password: str) -> None:
    """The portal's sign-in: to Keycloak's form, username and password sent."""
    await page.goto(f"{portal_url}/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#kc-login")
