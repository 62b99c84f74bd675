"""HTTP caching of the portal's public reads (缓存): ETag, Last-Modified, Cache-Control, 304.

An ASGI middleware, outermost (app.py adds it last), deciding per request:

- Public reads — the pages and JSON reads of published information, the same for every visitor who
  is not signed in (`PUBLIC`: home, catalogue, a publication, search, normative catalogue, drafts,
  issuers, annual reports, and their /api twins) — answered by an anonymous visitor:
  `Cache-Control: public, max-age=0, s-maxage=MAX_AGE` (a CDN may keep them that long and share them
  among visitors; a browser asks again each time, see below), a strong `ETag` (SHA-256 of the body)
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
  `INCOMPLETE`, i.e. `no-store`, and the page says what is missing): sent as `no-store` with no
  ETag, Last-Modified nor visitor cookie, and not kept, so neither this portal nor a CDN shows it
  after disclosure recovers and no 304 ever confirms it.
- Anything else (forms, follow-ups by query code, downloads, errors) passes unchanged: those
  routes set their own `no-store` (or the app's default `no-cache`).
- /static/: StaticFiles gives ETag and Last-Modified; this adds `public, max-age` of an hour.

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

MAX_AGE = 60  # seconds a CDN may reuse a public answer (s-maxage; browsers revalidate, max-age=0)
KEEP = 5.0  # seconds the portal reuses one itself
ENTRIES = 1024
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
    from a signed-in citizen (sync or async)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        signed_in: SignedIn,
        keep: float | None = None,
        max_age: int = MAX_AGE,
        entries: int = ENTRIES,
    ) -> None:
        self.app = app
        self.signed_in = signed_in
        self.keep = KEEP if keep is None else keep  # read when the app first serves (tests change it)
        self.max_age = max_age
        self.entries = entries
        self._kept: OrderedDict[str, Kept] = OrderedDict()

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
        kept = self._fresh(key) or await self._make(key, scope, receive, send)
        if kept is not None:
            shared = f"public, max-age=0, s-maxage={self.max_age}".encode()
            await self._answer(kept, request, send, ONE_VISITORS if modes else shared)

    async def _is_signed_in(self, request: Request) -> bool:
        if not request.cookies:  # no visitor cookie at all: nobody is signed in
            return False
        answer = self.signed_in(request)
        return bool(await answer) if inspect.isawaitable(answer) else bool(answer)

    def _fresh(self, key: str) -> Kept | None:
        kept = self._kept.get(key)
        if kept is None or time.monotonic() - kept.made > self.keep:
            return None
        self._kept.move_to_end(key)
        return kept

    async def _make(self, key: str, scope: Scope, receive: Receive, send: Send) -> Kept | None:
        """Run the route; keep a 200 (returned, the caller answers it), pass anything else through."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if start is None:
            return None
        body = b"".join(chunks)
        if start["status"] != 200:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return None
        headers = [(name, value) for name, value in start.get("headers", []) if name.lower() not in DROPPED]
        if incomplete(start):
            # Made without data it needed: sent to this visitor only, never kept, no validators.
            length = (b"content-length", str(len(body)).encode())
            await send({**start, "headers": [*headers, (b"cache-control", INCOMPLETE_VALUE), length]})
            await send({"type": "http.response.body", "body": body})
            return None
        etag = entity_tag(body)
        before = self._kept.get(key)
        # The same bytes made again: the same validators (Last-Modified too), so a revalidation still matches.
        made_at = before.last_modified if before is not None and before.etag == etag else time.time()
        kept = Kept(headers, body, etag, made_at, time.monotonic())
        self._kept[key] = kept
        self._kept.move_to_end(key)
        while len(self._kept) > self.entries:
            self._kept.popitem(last=False)
        return kept

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
