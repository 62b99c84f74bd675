"""HTTP caching of the portal's public reads (缓存): ETag, Last-Modified, Cache-Control, 304.

An ASGI middleware, outermost (app.py adds it last), deciding per request:

- Public reads — the pages and JSON reads of published information, the same for every visitor who
  is not signed in (`PUBLIC`: home, catalogue, a publication, search, normative catalogue, drafts,
  issuers, annual reports, and their /api twins) — answered by an anonymous visitor:
  `Cache-Control: public, max-age=0, s-maxage=MAX_AGE, stale-if-error=N` (a CDN may keep them that
  long and share them among visitors, then answer with its copy N seconds more while the portal fails
  or cannot be reached: RFC 5861, N being what is left of the `stale` bound below after the CDN's own
  freshness; a browser asks again each time, see below), a strong `ETag` (SHA-256 of the body)
  and `Last-Modified` (when the body was made), and no `Vary: Cookie`: visitors' cookies differ
  (analytics, the visitor cookie of a form they opened), so a CDN that honoured it would keep one copy
  per visitor or none at all (many refuse to cache such an answer), and the page would not be shared.
  `If-None-Match` (or, without it, `If-Modified-Since`) that still matches → 304 with no body. The
  portal keeps each such answer `KEEP` seconds itself (at most `ENTRIES` of them), so a burst of
  citizens on a policy-release day costs one render and one disclosure call per page per `KEEP`
  seconds, not one per visitor. What
  the portal keeps is only what disclosure changes by its own acts (publish, withdraw, amend): a
  change shows after `KEEP` seconds here and `MAX_AGE` at most behind a CDN. No visitor cookie is
  set on such an answer (it would make it private); forms and sign-in pages set it as before.
- An anonymous visitor who chose a display mode (长辈版, high contrast: the `zgov_display` cookie
  changes the page at the same address): the same, but `Cache-Control: private, max-age=0` — kept
  by the browser and revalidated (ETag, 304), never by a shared cache, so a CDN never hands the
  large-text page to a visitor who did not ask for it.
- A signed-in visitor (his or her name and logout form are on every page): every answer is
  `Cache-Control: private, no-store`, never kept here nor by any cache.
- A public read made without data it needed (disclosure failed or timed out; the route sets
  `INCOMPLETE`, i.e. `no-store`, and the page says what is missing), or failing with a server error
  (500, 502, 503, 504: a publication page whose disclosure call failed): stale-if-error (RFC 5861).
  When the portal holds the last whole answer of the same address and display mode, made at most
  `stale` seconds ago (ZGOV_PORTAL_STALE_SECONDS, 600), it answers that instead, with its ETag and
  Last-Modified, `public, max-age=0, s-maxage=STALE_MAX_AGE, stale-if-error=<what is left of the
  bound>` (a display mode's: `private, max-age=0` as always), counted (`zgov.portal.stale_served`)
  and logged once per page when it starts and when the page is whole again. Otherwise an incomplete
  page is sent as `no-store` with no ETag, Last-Modified nor visitor cookie, and not kept, so neither
  this portal nor a CDN shows it after disclosure recovers and no 304 ever confirms it; an error
  passes unchanged. A render that raises (no handler made an answer of it: Starlette's outermost
  middleware, outside this one, would send a bare 500 — e.g. the portal's own database is away) is
  such a 500: the stale copy when held (the exception logged here), else the exception goes on.
- Anything else (forms, follow-ups by query code, downloads, errors) passes unchanged: those
  routes set their own `no-store` (or the app's default `no-cache`).
- /static/: StaticFiles gives ETag and Last-Modified; this adds `public, max-age` of an hour.

One render at a time per page (single-flight): requests for a public page (address and display
mode) arriving while it is being made wait for that render and get its answer (whole, stale or
incomplete), so a slow or failing disclosure gets one call per page at a time, not one per visitor.
What is shared holds nothing of the request (below); an answer of another kind (an error with no
stale copy, a redirect) is not shared: each waiting request then makes its own. While disclosure
keeps failing, backends.py stops calling it for a few seconds after each failure
(ZGOV_BACKEND_BACKOFF_SECONDS: the method that timed out, or the whole service found down), so those
renders are quick and come out stale or incomplete at once.

The ETag depends on the body only, and a public body holds nothing of the request (no CSRF token,
no CSP nonce — the portal has no script —, no time): made again unchanged, a page keeps its ETag and
its Last-Modified, and revalidations across the portal's refreshes still get 304.

Without `Vary: Cookie` no cache can tell from the answer that the same address differs by cookie, so:
- browsers: `max-age=0` on the shared answer makes the browser revalidate every time, so a visitor who
  has just signed in or switched a display mode never sees the page his browser kept from before
  (the ETag of the page he gets now differs: 200 with the new page); unchanged, it costs a 304;
- a CDN in front must bypass its cache for requests carrying the `zgov_sid` cookie (signed in, or a
  visitor who opened a form) or `zgov_display` (a display mode): otherwise it would answer them with
  the shared anonymous page — nothing private leaks that way (a shared cache stores only the
  anonymous standard page: signed-in answers are `no-store`, display modes' `private`), but the
  citizen would not see his name or his display mode. services/portal/README.md has the rule for nginx.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.portal.site import display_of
from shared.logging import get_logger
from shared.metrics import meter

log = get_logger(__name__)

MAX_AGE = 60  # seconds a CDN may reuse a public answer (s-maxage; browsers revalidate, max-age=0)
KEEP = 5.0  # seconds the portal reuses one itself
ENTRIES = 1024
# The last whole answer of a page stands in for one made without its data for at most this long
# (ZGOV_PORTAL_STALE_SECONDS): ten minutes of a disclosure outage, after which an empty list saying
# why is better than a list of publications that may have been withdrawn since.
STALE = 600.0
# A stale answer may be shared by a CDN this long: short, so the whole page shows within seconds of
# disclosure recovering, yet long enough that a CDN does not bring every visitor's request here.
STALE_MAX_AGE = 5
# Statuses of a failure that a stale copy may hide (RFC 5861 section 4); never 4xx (a withdrawn
# publication's 404 must show at once).
SERVER_ERRORS = frozenset({500, 502, 503, 504})
STATIC_MAX_AGE = 3600
PUBLIC = re.compile(
    r"^/(?:"
    r"|publications(?:/[^/]+)?|search|normative|drafts|issuers|reports(?:/\d{4})?"
    r"|api/(?:categories|publications(?:/latest|/[^/]+)?|search|drafts(?:/[^/]+/feedback)?"
    r"|normative-catalogue/\d{4}|reports(?:/\d{4})?|petitions/categories|issuers)"
    r")$"
)
PRIVATE = (b"cache-control", b"private, no-store")
# A display mode's page: the browser keeps and revalidates it; no shared cache may store it.
ONE_VISITORS = b"private, max-age=0"
# What a public read's route sets on a page it made without data it needed (disclosure failed or timed
# out: the home page without its latest publications): this visitor gets it, nobody keeps it.
INCOMPLETE_VALUE = b"no-store"
INCOMPLETE = {"Cache-Control": INCOMPLETE_VALUE.decode()}
# Headers of the answer that never go into what is kept or shared.
DROPPED = {b"set-cookie", b"cache-control", b"etag", b"last-modified", b"content-length"}

SignedIn = Callable[[Request], "bool | Awaitable[bool]"]


@dataclass(frozen=True)
class Kept:
    """A public answer as kept: status 200, its headers (without the dropped ones) and body."""

    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    last_modified: float
    made: float  # time.monotonic() when kept


@dataclass(frozen=True)
class Stale:
    """The last whole answer of a page, served in place of a render that failed (`reason`)."""

    kept: Kept
    reason: str  # "incomplete", or the failed render's status


@dataclass(frozen=True)
class Partial:
    """A page made without data it needed, with no whole one to stand in: no-store, no validators."""

    headers: list[tuple[bytes, bytes]]
    body: bytes


# What one render gives every request that waited for it; None: answered by the render itself.
Outcome = Kept | Stale | Partial


def is_public(path: str) -> bool:
    return PUBLIC.match(path) is not None


def entity_tag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(request_headers: dict[str, str], etag: str, last_modified: float) -> bool:
    """RFC 9110 13.1: If-None-Match wins over If-Modified-Since when both are sent."""
    match = request_headers.get("if-none-match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in tags or etag in tags
    since = request_headers.get("if-modified-since")
    if since:
        try:
            return int(last_modified) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


class HttpCaching:
    """The middleware (see the module docstring). `signed_in(request)` says whether the request comes
    from a signed-in citizen (sync or async); `stale`: seconds a whole answer may stand in for a failed
    render (None: `STALE`)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        signed_in: SignedIn,
        keep: float | None = None,
        max_age: int = MAX_AGE,
        entries: int = ENTRIES,
        stale: float | None = None,
    ) -> None:
        self.app = app
        self.signed_in = signed_in
        self.keep = KEEP if keep is None else keep  # read when the app first serves (tests change it)
        self.max_age = max_age
        self.entries = entries
        self.stale = STALE if stale is None else stale
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        self._rendering: dict[str, asyncio.Future[Outcome | None]] = {}
        self._failing: set[str] = set()  # pages answered stale since their last whole render
        self._stale_served = meter().create_counter(
            "zgov.portal.stale_served", description="public answers served stale because a render failed"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith("/static/"):
            await self.app(
                scope,
                receive,
                _with_header(send, b"cache-control", f"public, max-age={STATIC_MAX_AGE}".encode()),
            )
            return
        request = Request(scope)
        if await self._is_signed_in(request):
            await self.app(scope, receive, _with_header(send, *PRIVATE))
            return
        if not is_public(path) or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        # Pages differ by the display modes a visitor chose (长辈版, high contrast: a cookie, site.py).
        modes = ".".join(sorted(display_of(request)))
        key = f"{path}?{scope.get('query_string', b'').decode('latin-1')}#{modes}"
        outcome = self._fresh(key) or await self._render_once(key, scope, receive, send)
        if isinstance(outcome, Kept):
            shared = self._shared_control(outcome, self.max_age)
            await self._answer(outcome, request, send, ONE_VISITORS if modes else shared)
        elif isinstance(outcome, Stale):
            self._stale_served.add(1, {"reason": outcome.reason})
            shared = self._shared_control(outcome.kept, STALE_MAX_AGE)
            await self._answer(outcome.kept, request, send, ONE_VISITORS if modes else shared)
        elif isinstance(outcome, Partial):
            length = (b"content-length", str(len(outcome.body)).encode())
            headers = [*outcome.headers, (b"cache-control", INCOMPLETE_VALUE), length]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": outcome.body})

    async def _is_signed_in(self, request: Request) -> bool:
        if not request.cookies:  # no visitor cookie at all: nobody is signed in
            return False
        try:
            answer = self.signed_in(request)
            return bool(await answer) if inspect.isawaitable(answer) else bool(answer)
        except Exception:  # noqa: BLE001 - the sessions store failing (its database away)
            # Nobody can be served as signed in now; a public page holds nothing of its visitor, so it
            # is answered as to anyone (whole, or stale if its render fails too) rather than a bare 500.
            log.warning("signed-in check failed: answered as a visitor not signed in", exc_info=True)
            return False

    def _fresh(self, key: str) -> Kept | None:
        return self._younger_than(key, self.keep)

    def _younger_than(self, key: str, seconds: float) -> Kept | None:
        kept = self._kept.get(key)
        if kept is None or time.monotonic() - kept.made > seconds:
            return None
        self._kept.move_to_end(key)
        return kept

    def _shared_control(self, kept: Kept, fresh_for: int) -> bytes:
        """A CDN may share `kept` `fresh_for` seconds, then answer with it when the portal fails only
        while it is within the bound here (RFC 5861 stale-if-error counts from the end of that
        freshness, so the freshness comes off what is left); none once nothing is left."""
        control = f"public, max-age=0, s-maxage={fresh_for}"
        left = int(self.stale - (time.monotonic() - kept.made)) - fresh_for
        return (f"{control}, stale-if-error={left}" if left > 0 else control).encode()

    async def _render_once(self, key: str, scope: Scope, receive: Receive, send: Send) -> Outcome | None:
        """Single-flight: the first request for a page makes it; those arriving meanwhile await that
        render's outcome (and make their own only when it had none to share)."""
        pending = self._rendering.get(key)
        if pending is not None:
            outcome = await asyncio.shield(pending)
            return outcome if outcome is not None else await self._make(key, scope, receive, send)
        future: asyncio.Future[Outcome | None] = asyncio.get_running_loop().create_future()
        self._rendering[key] = future
        outcome = None
        try:
            outcome = await self._make(key, scope, receive, send)
            return outcome
        finally:  # also when this request was cancelled: those waiting then make their own
            del self._rendering[key]
            future.set_result(outcome)

    async def _make(self, key: str, scope: Scope, receive: Receive, send: Send) -> Outcome | None:
        """Run the route. A whole 200 is kept and returned; an incomplete one or a server error gets the
        stale copy when one is held, an incomplete one else a `Partial`; anything else is answered here
        (None)."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, capture)
        except Exception:
            # No handler made an answer of it: outside this middleware it becomes a bare 500.
            stale = self._stale_for(key, "500")
            if stale is None:
                raise
            log.exception("public page failed: answered stale", page=_logged(key))
            return stale
        if start is None:
            return None
        body = b"".join(chunks)
        status = start["status"]
        headers = [(name, value) for name, value in start.get("headers", []) if name.lower() not in DROPPED]
        if status == 200 and not incomplete(start):
            return self._keep(key, headers, body)
        if status == 200 or status in SERVER_ERRORS:
            stale = self._stale_for(key, "incomplete" if status == 200 else str(status))
            if stale is not None:
                return stale
        if status == 200:
            # Made without data it needed: no validators, never kept (its visitor cookie dropped).
            return Partial(headers, body)
        await send(start)
        await send({"type": "http.response.body", "body": body})
        return None

    def _keep(self, key: str, headers: list[tuple[bytes, bytes]], body: bytes) -> Kept:
        etag = entity_tag(body)
        before = self._kept.get(key)
        # The same bytes made again: the same validators (Last-Modified too), so a revalidation still matches.
        made_at = before.last_modified if before is not None and before.etag == etag else time.time()
        kept = Kept(headers, body, etag, made_at, time.monotonic())
        self._kept[key] = kept
        self._kept.move_to_end(key)
        while len(self._kept) > self.entries:
            evicted, _ = self._kept.popitem(last=False)
            self._failing.discard(evicted)
        if key in self._failing:
            self._failing.discard(key)
            log.info("public page whole again", page=_logged(key))
        return kept

    def _stale_for(self, key: str, reason: str) -> Stale | None:
        kept = self._younger_than(key, self.stale)
        if kept is None:
            return None
        if key not in self._failing:
            self._failing.add(key)
            age = round(time.monotonic() - kept.made)
            log.warning("public page served stale", page=_logged(key), reason=reason, age_seconds=age)
        return Stale(kept, reason)

    async def _answer(self, kept: Kept, request: Request, send: Send, cache_control: bytes) -> None:
        validators = [
            (b"cache-control", cache_control),  # no Vary: Cookie (the module docstring says why)
            (b"etag", kept.etag.encode()),
            (b"last-modified", formatdate(kept.last_modified, usegmt=True).encode()),
        ]
        if not_modified(dict(request.headers), kept.etag, kept.last_modified):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [h for h in kept.headers if h[0].lower() != b"content-type"] + validators,
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        length = (b"content-length", str(len(kept.body)).encode())
        await send(
            {"type": "http.response.start", "status": 200, "headers": kept.headers + validators + [length]}
        )
        await send({"type": "http.response.body", "body": kept.body})


def incomplete(start: Message) -> bool:
    """Whether the route marked its answer as made without data it needed (`INCOMPLETE`)."""
    return any(
        name.lower() == b"cache-control" and INCOMPLETE_VALUE in value.lower()
        for name, value in start.get("headers", [])
    )


def _with_header(send: Send, name: bytes, value: bytes) -> Send:
    """`send` with one header set on the answer (replacing the route's own)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(n, v) for n, v in message.get("headers", []) if n.lower() != name]
            message = {**message, "headers": [*headers, (name, value)]}
        await send(message)

    return sending


def _logged(key: str) -> str:
    """A page's key as logged: its path only (a search's words may be a visitor's own)."""
    return key.partition("?")[0]
