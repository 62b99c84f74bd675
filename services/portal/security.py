"""Safety on the open internet: the visitor cookie, CSRF tokens, rate limits, security headers.

- Every visitor gets a cookie `zgov_sid` holding a random id and its HMAC (HttpOnly, SameSite=Lax,
  Secure behind TLS). It carries nothing else; a logged-in visitor's tokens stay on the server
  (store.py) under that id.
- CSRF: a form carries HMAC(secret, "csrf:" + id); a POST whose token does not match the
  visitor's cookie is refused (403). SameSite=Lax already keeps other sites' POSTs cookie-less;
  the token also protects the anonymous forms and older browsers.
- Rate limits: a token bucket per visitor address and kind of write, shared by the replicas in
  PostgreSQL (store.PgRateLimiter); `RateLimiter` here is the in-process form without a database.
- Headers: a Content-Security-Policy with no script at all (the portal needs no JavaScript),
  nosniff, no referrer to other sites, no framing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

COOKIE = "zgov_sid"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Signer:
    def __init__(self, key: bytes):
        self._key = key

    def mac(self, purpose: str, value: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).digest())

    def new_visitor(self) -> tuple[str, str]:
        """(visitor id, cookie value)."""
        sid = _b64(secrets.token_bytes(24))
        return sid, f"{sid}.{self.mac('sid', sid)}"

    def visitor_of(self, cookie: str | None) -> str | None:
        """The visitor id of a cookie value, or None when forged or malformed."""
        if not cookie or cookie.count(".") != 1 or len(cookie) > 200:
            return None
        sid, mac = cookie.split(".")
        return sid if sid and hmac.compare_digest(mac, self.mac("sid", sid)) else None

    def csrf_token(self, sid: str) -> str:
        return self.mac("csrf", sid)

    def csrf_ok(self, sid: str | None, token: str | None) -> bool:
        return bool(sid and token) and hmac.compare_digest(token, self.csrf_token(sid))


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """Token buckets per (address, kind): `burst` writes at once, refilled at `per_minute`."""

    burst: int
    per_minute: float
    max_keys: int = 100_000
    clock: object = time.monotonic
    _buckets: dict[tuple[str, str], Bucket] = field(default_factory=dict)

    def allow(self, address: str, kind: str) -> bool:
        now = self.clock()
        key = (address, kind)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_minute / 60)
        bucket.updated = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def retry_after(self) -> int:
        return max(1, int(60 / self.per_minute + 0.999))

    def _forget_full(self, now: float) -> None:
        # Buckets that have refilled are the same as new ones: forget them (bounded memory).
        full_after = self.burst * 60 / self.per_minute
        for key in [k for k, b in self._buckets.items() if now - b.updated >= full_after]:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:  # still full: drop the oldest half
            for key in sorted(self._buckets, key=lambda k: self._buckets[k].updated)[: self.max_keys // 2]:
                del self._buckets[key]


def security_headers(keycloak_url: str) -> dict[str, str]:
    # form-action names Keycloak: Chromium applies it to the redirect after the logout form.
    csp = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'none'; "
        f"form-action 'self' {keycloak_url}; frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
