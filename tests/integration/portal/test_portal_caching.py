"""HTTP caching of the portal (services/portal/caching.py) against the real portal app and backends:
public reads carry ETag, Last-Modified and a CDN-cacheable Cache-Control (shared by every anonymous
visitor: no `Vary: Cookie`) and answer conditional requests with 304; the portal keeps a public page
a few seconds, then shows what disclosure published meanwhile; a display mode's page is the
visitor's own (`private`, still revalidated with 304); a signed-in visitor's pages are
`private, no-store`; forms stay uncached. While a backend fails: the last whole page stands in
(stale-if-error) and the portal backs off the failing method (no answer in time) or service (down)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from services.portal import caching
from services.portal import models as portal_models
from services.portal.app import create_app
from services.portal.security import COOKIE
from tests.integration.portal.conftest import PUBLIC_URL, log_in, portal_settings
from tests.integration.portal.test_portal_disclosure import TODAY, d, seed
from tests.integration.portal.test_portal_disclosure_lists import seed_lists
from zgov.disclosure.v1 import publications_pb2 as pb

pytestmark = pytest.mark.integration


def stale_if_error(response, fresh_for: int) -> int:
    """The seconds of `stale-if-error` of a shared answer a CDN may keep `fresh_for` seconds."""
    control = response.headers["cache-control"]
    prefix = f"public, max-age=0, s-maxage={fresh_for}, stale-if-error="
    assert control.startswith(prefix), control
    return int(control.removeprefix(prefix))


def assert_public(response) -> None:
    assert response.status_code == 200
    # a CDN keeps it MAX_AGE seconds; a browser revalidates each time (a sign-in or a display mode
    # changes the page at the same address, and nothing in the answer varies by cookie); on the
    # portal's errors the CDN may answer with it while it is within the portal's own stale bound
    assert 0 < stale_if_error(response, caching.MAX_AGE) <= caching.STALE - caching.MAX_AGE
    assert response.headers["etag"].startswith('"') and response.headers["last-modified"].endswith("GMT")
    assert "set-cookie" not in response.headers  # a cookie would make the answer one visitor's
    assert "cookie" not in response.headers.get("vary", "").lower()  # or no CDN would share it


# The portal's deadline for a backend call in the tests of a stalled disclosure (10 s by default),
# and how long it stops calling a service that did not answer (3 s by default).
BACKEND_TIMEOUT = 2.0
BACKOFF = 1.0
# A back-off long enough for the requests a test makes within it on a loaded machine.
LONG_BACKOFF = 5.0


@asynccontextmanager
async def impatient(keycloak, backends, **overrides):
    """The portal of the `portal` fixture, waiting BACKEND_TIMEOUT seconds for a backend and backing
    off BACKOFF seconds after one did not answer."""
    settings = {"backend_timeout": BACKEND_TIMEOUT, "backend_backoff_seconds": BACKOFF, **overrides}
    app = create_app(portal_settings(keycloak, backends, **settings))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            yield client


@pytest.fixture
async def impatient_portal(keycloak, backends):
    async with impatient(keycloak, backends) as client:
        yield client


async def calls_waiting_on(database_url: str, table: str = "publication", *, cut_off: bool = False) -> int:
    """Disclosure's statements waiting for the lock `disclosure_stalled` holds on `table`: one per call
    of the portal's that reached disclosure and has not given up yet. `cut_off`: their database
    sessions are ended too, so each call loses its connection mid-statement (as when disclosure's
    PostgreSQL goes away) and disclosure answers UNAVAILABLE."""
    waiting = f"FROM pg_locks WHERE relation = '{table}'::regclass AND NOT granted"
    query = f"SELECT count(pg_terminate_backend(pid)) {waiting}" if cut_off else f"SELECT count(*) {waiting}"
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(query))).scalar_one()
    finally:
        await engine.dispose()


async def calls_waiting_on_publications(database_url: str) -> int:
    return await calls_waiting_on(database_url, "publication")


@asynccontextmanager
async def disclosure_stalled(database_url: str, table: str = "publication"):
    """Disclosure's `table` (its publications) locked by another transaction: its reads of it wait
    behind it, so the portal's call runs out of time — a real disclosure that does not answer in time,
    as under load. Its other tables are read as ever (`public_concern`: only a concern response's
    GetPublication reads it)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            await connection.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            try:
                yield
            finally:
                await transaction.rollback()
    finally:
        await engine.dispose()


async def publish_one(backends, title: str) -> str:
    """A statistics release created and published by the disclosure officer; its id."""
    metadata = backends.as_user("disclosure-officer")
    stub = backends.publication_service
    content = pb.PublicationContent(
        kind=pb.PUBLICATION_KIND_POLICY,
        category=pb.CATEGORY_STATISTICS,
        title=title,
        body="全市城市供水量同比增长。",
        issuer_code="general-office",
        issuer_name="资阳市统计局",
        made_on=d(TODAY),
    )
    made = await stub.CreatePublication(pb.CreatePublicationRequest(content=content), metadata=metadata)
    await stub.PublishPublication(pb.PublishPublicationRequest(publication_id=made.id), metadata=metadata)
    return made.id


async def test_public_pages_and_api_reads_are_cacheable_and_revalidate_with_304(portal, keycloak, backends):
    ids = await seed(backends)
    for path in (
        "/",
        f"/publications/{ids['policy']}",
        "/search?q=民营经济",
        "/api/publications/latest",
        f"/api/publications/{ids['policy']}",
    ):
        first = await portal.get(path)
        assert_public(first)
        again = await portal.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b"", path
        assert again.headers["etag"] == first.headers["etag"]
        since = await portal.get(path, headers={"If-Modified-Since": first.headers["last-modified"]})
        assert since.status_code == 304, path
        other = await portal.get(path, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200 and other.content == first.content
    # the security headers are on kept answers too
    assert "default-src 'none'" in (await portal.get("/")).headers["content-security-policy"]
    # an error is never kept nor marked public
    missing = await portal.get("/publications/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and "public" not in missing.headers.get("cache-control", "")


async def test_a_page_is_kept_then_shows_what_was_published_after_it_expires(
    portal, keycloak, backends, monkeypatch
):
    monkeypatch.setattr(caching, "KEEP", 600.0)  # read when the app serves its first request
    before = await portal.get("/")
    ids = await seed(backends)
    kept = await portal.get("/")
    assert kept.headers["etag"] == before.headers["etag"]  # kept: the same answer, the portal asked nobody
    assert f"/publications/{ids['stats']}" not in kept.text
    with_no_cache = await portal.get("/?fresh=1")  # another address: made now
    assert f"/publications/{ids['stats']}" in with_no_cache.text


async def test_a_kept_page_expires_after_keep_seconds(portal, keycloak, backends, monkeypatch):
    monkeypatch.setattr(caching, "KEEP", 0.5)
    before = await portal.get("/")
    ids = await seed(backends)
    await asyncio.sleep(1)
    after = await portal.get("/")
    assert f"/publications/{ids['stats']}" in after.text and after.headers["etag"] != before.headers["etag"]


async def test_an_unchanged_page_keeps_its_validators_across_refreshes_and_a_publication_changes_them(
    portal, keycloak, backends, monkeypatch
):
    """The ETag is the body's hash and the body holds nothing of the request: the portal's copy
    expiring and the page being made again from disclosure's same answer gives the same ETag and
    Last-Modified, so a poller's or a CDN's revalidation still gets 304; a publication changes them."""
    monkeypatch.setattr(caching, "KEEP", 0.5)
    await seed(backends)
    first = await portal.get("/")
    assert_public(first)
    for _ in range(2):
        await asyncio.sleep(1)  # the portal's copy has expired: the page is made again
        again = await portal.get("/")
        assert_public(again)
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
        assert again.headers["last-modified"] == first.headers["last-modified"]
    await asyncio.sleep(1)
    assert (await portal.get("/", headers={"If-None-Match": first.headers["etag"]})).status_code == 304
    await asyncio.sleep(1)
    since = await portal.get("/", headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    published = await publish_one(backends, "2026年11月资阳市城市供水情况")
    await asyncio.sleep(1)
    changed = await portal.get("/", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and f"/publications/{published}" in changed.text
    assert changed.headers["etag"] != first.headers["etag"]


async def test_the_public_pages_hold_nothing_of_the_visitor_or_the_request(
    portal, keycloak, backends, monkeypatch
):
    """Each public page made twice (nothing kept), for a visitor without a cookie and for one with a
    visitor cookie and a form's CSRF token: the same bytes, no CSRF token, so one ETag for all. The
    Content-Security-Policy has no nonce (no script at all: script-src 'none'), so a shared copy
    needs none."""
    monkeypatch.setattr(caching, "KEEP", 0.0)
    ids = await seed(backends)
    paths = [
        "/",
        "/publications",
        f"/publications/{ids['policy']}",
        "/search?q=民营经济",
        "/drafts",
        "/issuers",
    ]
    bare = {path: await portal.get(path) for path in paths}
    await portal.get("/applications/new")  # the visitor cookie its CSRF token needs
    assert portal.cookies.get("zgov_sid")
    for path, first in bare.items():
        assert_public(first)
        again = await portal.get(path)
        assert_public(again)
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"], path
        assert 'name="csrf"' not in again.text, path
        assert "nonce" not in again.headers["content-security-policy"] and "nonce=" not in again.text, path


async def test_a_page_made_without_disclosures_answer_is_neither_kept_nor_validated(
    impatient_portal, keycloak, backends, backend_databases, monkeypatch
):
    """Disclosure does not answer in time: the home page comes without its latest publications and
    says so, `no-store`, no ETag or Last-Modified (a 304 must never confirm it), no visitor cookie;
    the portal does not keep it, so the first request after disclosure recovers gets the whole page."""
    monkeypatch.setattr(caching, "KEEP", 600.0)  # a page kept would be answered for the rest of the test
    ids = await seed(backends)
    async with disclosure_stalled(backend_databases["disclosure"]):
        partial = await impatient_portal.get("/")
        assert partial.status_code == 200
        assert partial.headers["cache-control"] == "no-store"
        assert "etag" not in partial.headers and "last-modified" not in partial.headers
        assert "set-cookie" not in partial.headers
        assert "default-src 'none'" in partial.headers["content-security-policy"]
        assert "最新公开信息暂时无法显示" in partial.text and "暂无公开信息" not in partial.text
        assert f"/publications/{ids['stats']}" not in partial.text
    await asyncio.sleep(BACKOFF)  # the portal calls disclosure again once its back-off is over
    whole = await impatient_portal.get("/")
    assert_public(whole)
    assert f"/publications/{ids['stats']}" in whole.text and "暂时无法显示" not in whole.text
    again = await impatient_portal.get("/", headers={"If-None-Match": whole.headers["etag"]})
    assert again.status_code == 304  # now kept, and validated


def assert_stale(response, whole) -> None:
    """The last whole answer, served in place of one disclosure's failure left incomplete."""
    assert response.status_code == 200 and response.content == whole.content
    assert response.headers["etag"] == whole.headers["etag"]
    assert response.headers["last-modified"] == whole.headers["last-modified"]
    assert 0 < stale_if_error(response, caching.STALE_MAX_AGE) <= caching.STALE - caching.STALE_MAX_AGE
    assert "set-cookie" not in response.headers
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_the_last_whole_page_stands_in_while_disclosure_fails_then_the_fresh_one_returns(
    keycloak, backends, backend_databases, monkeypatch
):
    """stale-if-error: the home page (made incomplete) and a publication's page (503) while disclosure
    does not answer are the last whole ones, ETag and all (a 304 confirms them); within the back-off
    of each method that timed out the portal does not call it at all (an answer before the deadline,
    while every call waits for the lock, proves it); a signed-in citizen never gets the shared copy;
    once disclosure answers again, the page is made fresh (what was published meanwhile shows)."""
    monkeypatch.setattr(caching, "KEEP", 0.0)  # every request makes the page again
    ids = await seed(backends)
    async with impatient(keycloak, backends, backend_backoff_seconds=LONG_BACKOFF) as portal:
        home = await portal.get("/")
        policy = await portal.get(f"/publications/{ids['policy']}")
        assert_public(home)
        assert_public(policy)
        async with disclosure_stalled(backend_databases["disclosure"]):
            # each page's method called: no answer in time
            assert_stale(await portal.get("/"), home)
            assert_stale(await portal.get(f"/publications/{ids['policy']}"), policy)
            started = asyncio.get_running_loop().time()
            assert_stale(await portal.get("/"), home)
            assert_stale(await portal.get(f"/publications/{ids['policy']}"), policy)
            assert asyncio.get_running_loop().time() - started < BACKEND_TIMEOUT  # backing off: no call
            confirmed = await portal.get("/", headers={"If-None-Match": home.headers["etag"]})
            assert confirmed.status_code == 304 and confirmed.headers["etag"] == home.headers["etag"]
            await log_in(portal, keycloak, "citizen")
            mine = await portal.get("/")
            assert mine.headers["cache-control"] == "private, no-store" and "etag" not in mine.headers
            assert mine.content != home.content and "最新公开信息暂时无法显示" in mine.text
        portal.cookies.clear()  # an anonymous visitor again
        published = await publish_one(backends, "2026年11月资阳市城市供水情况")
        await asyncio.sleep(LONG_BACKOFF)
        fresh = await portal.get("/")
        assert_public(fresh)
        assert f"/publications/{published}" in fresh.text and fresh.headers["etag"] != home.headers["etag"]


async def test_a_method_without_an_answer_in_time_backs_off_alone_the_rest_of_its_service_is_called(
    keycloak, backends, backend_databases, monkeypatch
):
    """DEADLINE_EXCEEDED: a concern response's page (GetPublication, waiting on disclosure's locked
    concerns) gets no answer in time; within the back-off another publication's page, which disclosure
    would answer at once, fails without a call (503), while the home page's ListLatest — the same
    PublicationService — is called and whole: one slow method does not stop the service's others.
    After the back-off the method is called again."""
    monkeypatch.setattr(caching, "KEEP", 0.0)
    database = backend_databases["disclosure"]
    ids = await seed_lists(backends, database)
    async with impatient(keycloak, backends, backend_backoff_seconds=LONG_BACKOFF) as portal:
        async with disclosure_stalled(database, "public_concern"):
            slow = await portal.get(f"/publications/{ids['response']}")
            assert slow.status_code == 503 and "服务暂时不可用" in slow.text
        # disclosure answers every call again: what fails now fails by the portal's back-off
        policy = await portal.get(f"/publications/{ids['policy']}")
        assert policy.status_code == 503 and "服务暂时不可用" in policy.text
        home = await portal.get("/")
        assert_public(home)
        assert f"/publications/{ids['stats']}" in home.text and "暂时无法显示" not in home.text
        await asyncio.sleep(LONG_BACKOFF)
        assert_public(await portal.get(f"/publications/{ids['policy']}"))


async def test_a_service_found_down_backs_off_whole_the_other_services_of_its_server_are_called(
    keycloak, backends, backend_databases, monkeypatch
):
    """UNAVAILABLE: a concern response's page (GetPublication) loses disclosure's database connection
    mid-statement, and disclosure answers UNAVAILABLE (its database unreachable: the service is down).
    Within the back-off every method of PublicationService fails without a call — the home page comes
    without its latest publications although disclosure would answer ListLatest now — while the yearly
    reports page (ApplicationService, the same server) is called and answered. After the back-off the
    home page is whole."""
    monkeypatch.setattr(caching, "KEEP", 0.0)
    database = backend_databases["disclosure"]
    ids = await seed_lists(backends, database)
    # a deadline the cut-off comes well within: the call must end UNAVAILABLE, not DEADLINE_EXCEEDED
    async with impatient(
        keycloak, backends, backend_timeout=10.0, backend_backoff_seconds=LONG_BACKOFF
    ) as portal:
        async with disclosure_stalled(database, "public_concern"):
            asked = asyncio.create_task(portal.get(f"/publications/{ids['response']}"))
            while await calls_waiting_on(database, "public_concern") < 1 and not asked.done():
                await asyncio.sleep(0.05)
            assert await calls_waiting_on(database, "public_concern", cut_off=True) == 1
            cut = await asked
        assert cut.status_code == 503 and "服务暂时不可用" in cut.text
        home = await portal.get("/")
        assert home.headers["cache-control"] == "no-store" and "最新公开信息暂时无法显示" in home.text
        reports = await portal.get("/reports")
        assert reports.status_code == 200 and "服务暂时不可用" not in reports.text
        await asyncio.sleep(LONG_BACKOFF)
        whole = await portal.get("/")
        assert_public(whole)
        assert f"/publications/{ids['stats']}" in whole.text


@asynccontextmanager
async def database_away(database_url: str):
    """The database of `database_url` refuses connections and its sessions are ended, then is back."""
    name = make_url(database_url).database
    admin = create_async_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            await connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": name},
            )
        yield
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        await admin.dispose()


async def test_a_render_that_raises_is_answered_with_the_last_whole_page_or_else_a_500(
    keycloak, backends, database, monkeypatch
):
    """The portal's own database away: finding a returning visitor's session raises (the caching
    middleware's signed-in check answers "not signed in" and logs it), no handler makes an answer
    of it and Starlette's outermost middleware (outside the caching one) would send a bare 500. A page
    the portal holds whole is answered stale instead; one it does not hold is that 500; with the
    database back, the page is made whole again."""
    monkeypatch.setattr(caching, "KEEP", 0.0)
    ids = await seed(backends)
    app = create_app(portal_settings(keycloak, backends, database_url=database))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # as a server answers: a 500
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as portal:
            home = await portal.get("/")
            assert_public(home)
            # a visitor from an earlier visit: a first visit looks no session up (the test below)
            _, cookie = app.state.portal.signer.new_visitor()
            portal.cookies.set(COOKIE, cookie)
            async with database_away(database):
                assert_stale(await portal.get("/"), home)
                never_whole = await portal.get(f"/publications/{ids['policy']}")
                assert never_whole.status_code == 500
                assert "public" not in never_whole.headers.get("cache-control", "")
            again = await portal.get("/")
            assert_public(again)
            assert again.content == home.content


async def test_a_whole_page_stands_in_at_a_cdn_only_within_the_portals_stale_bound(keycloak, backends):
    """stale-if-error on a whole page: what is left of ZGOV_PORTAL_STALE_SECONDS after the CDN's own
    MAX_AGE of freshness; none when that leaves nothing (the bound shorter, or 0: never stale)."""
    async with impatient(keycloak, backends, portal_stale_seconds=100.0) as portal:
        left = stale_if_error(await portal.get("/"), caching.MAX_AGE)
        assert 100 - caching.MAX_AGE - caching.KEEP <= left <= 100 - caching.MAX_AGE
    for bound in (0.0, float(caching.MAX_AGE)):
        async with impatient(keycloak, backends, portal_stale_seconds=bound) as portal:
            page = await portal.get("/")
            assert page.headers["cache-control"] == f"public, max-age=0, s-maxage={caching.MAX_AGE}"


async def test_past_the_stale_bound_the_page_made_without_disclosure_is_sent_no_store(
    keycloak, backends, backend_databases, monkeypatch
):
    monkeypatch.setattr(caching, "KEEP", 0.0)
    await seed(backends)
    async with impatient(keycloak, backends, portal_stale_seconds=1.0) as portal:
        whole = await portal.get("/")
        # a bound shorter than a CDN's freshness leaves it no stale-if-error
        assert whole.headers["cache-control"] == f"public, max-age=0, s-maxage={caching.MAX_AGE}"
        await asyncio.sleep(1.5)  # the whole page is now older than the bound
        async with disclosure_stalled(backend_databases["disclosure"]):
            partial = await portal.get("/")
            assert partial.headers["cache-control"] == "no-store" and "etag" not in partial.headers
            assert "最新公开信息暂时无法显示" in partial.text


async def test_requests_arriving_while_a_page_is_made_wait_for_that_one_render(
    impatient_portal, keycloak, backends, backend_databases, monkeypatch
):
    """Single-flight: six visitors asking for the home page and three for another address of it while
    disclosure does not answer make two calls to disclosure (one per page), not nine; all get the page
    their render made (incomplete: nothing whole is held yet)."""
    monkeypatch.setattr(caching, "KEEP", 0.0)
    await seed(backends)
    database = backend_databases["disclosure"]
    async with disclosure_stalled(database):
        asked = [asyncio.create_task(impatient_portal.get(p)) for p in ["/"] * 6 + ["/?from=banner"] * 3]
        while await calls_waiting_on_publications(database) < 2 and not any(a.done() for a in asked):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # time for any further call to reach disclosure
        assert await calls_waiting_on_publications(database) == 2
        answers = await asyncio.gather(*asked)
    assert {a.status_code for a in answers} == {200}
    assert {a.headers["cache-control"] for a in answers} == {"no-store"}
    assert all("最新公开信息暂时无法显示" in a.text for a in answers)
    assert len({a.content for a in answers[:6]}) == 1


async def test_signed_in_pages_are_private_and_never_kept(portal, keycloak, backends):
    anonymous = await portal.get("/")
    assert_public(anonymous)
    await log_in(portal, keycloak, "citizen")
    for path in ("/", "/publications", "/api/publications/latest"):
        mine = await portal.get(path)
        assert mine.headers["cache-control"] == "private, no-store", path
    home = await portal.get("/")
    assert "etag" not in home.headers and home.text != anonymous.text  # the citizen's name and logout form
    assert "cookie" not in home.headers.get("vary", "").lower()  # no-store: no cache keeps it at all


async def test_anonymous_visitors_get_the_same_public_page_whatever_cookies_they_carry(
    portal, keycloak, backends, monkeypatch
):
    """What makes dropping `Vary: Cookie` safe: the shared answer does not depend on the visitor's
    cookies (the visitor cookie of a form, anything else), so a CDN may hand it to every anonymous
    visitor. Made anew for each request here (KEEP 0), so the portal's own copy proves nothing."""
    monkeypatch.setattr(caching, "KEEP", 0.0)
    await seed(backends)
    first = await portal.get("/")
    assert_public(first)
    form = await portal.get("/applications/new")  # the visitor cookie its CSRF token needs
    assert "zgov_sid" in form.headers.get("set-cookie", "") and portal.cookies.get("zgov_sid")
    portal.cookies.set("_analytics", "visitor-42")
    with_cookies = await portal.get("/")
    assert_public(with_cookies)
    assert with_cookies.content == first.content and with_cookies.headers["etag"] == first.headers["etag"]
    again = await portal.get("/", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304  # the CDN's or the browser's copy is still good for this visitor


async def test_a_display_modes_page_is_the_visitors_own_and_still_revalidates(portal, keycloak, backends):
    """长辈版 changes the page at the same address: `private` (a CDN never stores it, so never hands
    it to a visitor who did not choose it), ETag and 304 for the browser, no Vary: Cookie."""
    standard = await portal.get("/")
    assert_public(standard)
    switched = await portal.get("/display?mode=large&next=/")
    assert switched.status_code == 303 and "zgov_display=large" in switched.headers["set-cookie"]
    large = await portal.get("/")
    assert large.status_code == 200 and '<html lang="zh-CN" class="large">' in large.text
    assert large.headers["cache-control"] == "private, max-age=0"
    assert "cookie" not in large.headers.get("vary", "").lower()
    assert large.headers["etag"] != standard.headers["etag"]  # the browser's standard copy is not reused
    assert (await portal.get("/", headers={"If-None-Match": standard.headers["etag"]})).status_code == 200
    again = await portal.get("/", headers={"If-None-Match": large.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "private, max-age=0"
    await portal.get("/display?mode=standard&next=/")
    back = await portal.get("/")
    assert_public(back)
    assert back.headers["etag"] == standard.headers["etag"]


async def test_forms_and_follow_ups_are_not_cacheable(portal):
    form = await portal.get("/applications/new")
    assert form.status_code == 200 and "public" not in form.headers["cache-control"]
    assert "etag" not in form.headers
    assert "zgov_sid" in form.headers.get("set-cookie", "")  # the visitor cookie its CSRF token needs


def test_public_paths_are_the_reads_of_published_information():
    public = [
        "/",
        "/publications",
        "/publications/abc",
        "/search",
        "/normative",
        "/drafts",
        "/issuers",
        "/reports",
        "/reports/2025",
        "/api/categories",
        "/api/publications",
        "/api/publications/latest",
        "/api/publications/abc",
        "/api/search",
        "/api/drafts",
        "/api/drafts/abc/feedback",
        "/api/normative-catalogue/2026",
        "/api/reports",
        "/api/reports/2025",
        "/api/petitions/categories",
        "/api/issuers",
    ]
    private = [
        "/applications/new",
        "/applications/follow",
        "/applications/mine",
        "/petitions/new",
        "/petitions/mine",
        "/drafts/abc/comment",
        "/login",
        "/auth/callback",
        "/api/petitions/follow",
        "/healthz",
        "/publications/abc/extra",
    ]
    assert [p for p in public if not caching.is_public(p)] == []
    assert [p for p in private if caching.is_public(p)] == []


async def test_a_first_visit_without_a_cookie_costs_the_portals_database_nothing(
    keycloak, backends, database, monkeypatch
):
    """A visitor id minted by the request itself can hold no session: the page is made without
    looking one up (the sessions store's look-up is an UPDATE, a write round trip per anonymous
    render). A visitor id from an earlier visit is looked up once: it could be signed in by now (the
    caching middleware's look-up serves the page too)."""
    monkeypatch.setattr(caching, "KEEP", 0.0)  # each request renders: the look-up would be made
    app = create_app(portal_settings(keycloak, backends, database_url=database))
    asked: list[str] = []

    def on_statement(connection, cursor, statement, *rest) -> None:
        if statement.startswith(f"UPDATE {portal_models.sessions.name} "):  # the look-up; not the sweep
            asked.append(statement)

    async with app.router.lifespan_context(app):
        engine = app.state.portal.sessions.engine.sync_engine
        sa_event.listen(engine, "before_cursor_execute", on_statement)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL
            ) as portal:
                first = await portal.get("/")
                assert_public(first)
                assert asked == []
                _, cookie = app.state.portal.signer.new_visitor()  # a visitor id from an earlier visit
                again = await portal.get("/", cookies={COOKIE: cookie})
                assert again.status_code == 200 and len(asked) == 1  # once, not again by the page
        finally:
            sa_event.remove(engine, "before_cursor_execute", on_statement)
