"""Where the portal keeps what its replicas share: sessions, logins in progress, rate limits, receipts.

Why PostgreSQL and not signed cookies: a logged-in citizen's access, refresh and ID tokens are
several kilobytes together (over a cookie's 4 KB) and the refresh token must not travel to the
browser at all; and a rate limit kept in a cookie is one the abuser simply drops. So the cookie
stays an id (security.py) and the state is rows every replica reads (models.py), the tokens
encrypted at rest with a key derived from the session secret (which all replicas share).

Two implementations of one async interface:
- `PgSessions` / `PgRateLimiter` / `PgReceipts`: with ZGOV_DATABASE_URL (every deployment, chart default);
- `MemorySessions` / `MemoryRateLimiter` / `MemoryReceipts`: in-process ones, for a single process
  without a database (development and the page tests).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import secrets
import time
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.portal import models
from services.portal.auth import LOGIN_TIMEOUT, CitizenSession, PendingLogin, Sessions
from services.portal.security import RateLimiter

# One statement takes a token from the (address, kind) bucket: refilled for the time since its last
# use, capped at the burst; no row back means the bucket is empty (the write is refused). Atomic
# under concurrent replicas (the row lock of ON CONFLICT DO UPDATE).
_TAKE_TOKEN = text("""
INSERT INTO portal_rate_buckets AS b (address, kind, tokens, updated)
VALUES (:address, :kind, :burst - 1, now())
ON CONFLICT (address, kind) DO UPDATE
   SET tokens = least(:burst, b.tokens + extract(epoch FROM now() - b.updated) * :per_minute / 60) - 1,
       updated = now()
 WHERE least(:burst, b.tokens + extract(epoch FROM now() - b.updated) * :per_minute / 60) >= 1
RETURNING tokens
""")


class Sealer:
    """Encrypts what the rows hold (Fernet: AES-CBC + HMAC), keyed from the session secret."""

    def __init__(self, signing_key: bytes):
        digest = hashlib.sha256(b"zgov-portal-state:" + signing_key).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, value: object) -> bytes:
        return self._fernet.encrypt(json.dumps(dataclasses.asdict(value)).encode())

    def open(self, sealed: bytes) -> dict | None:
        try:
            return json.loads(self._fernet.decrypt(bytes(sealed)))
        except InvalidToken:  # sealed under another secret (rotated): as if absent
            return None


def _now() -> datetime:
    return datetime.now(UTC)


class PgSessions:
    """Logged-in citizens and logins in progress as rows of the portal's database."""

    def __init__(self, engine: AsyncEngine, sealer: Sealer, idle_seconds: float):
        self.engine = engine
        self.sealer = sealer
        self.idle = timedelta(seconds=idle_seconds)

    async def citizen(self, sid: str | None) -> CitizenSession | None:
        if not sid:
            return None
        table = models.sessions
        async with self.engine.begin() as connection:
            # touched and read in one statement; an idle session is not found
            row = (
                await connection.execute(
                    table.update()
                    .where(table.c.sid == sid, table.c.last_seen > _now() - self.idle)
                    .values(last_seen=_now())
                    .returning(table.c.sealed)
                )
            ).first()
        values = self.sealer.open(row.sealed) if row else None
        return CitizenSession(**values) if values else None

    async def keep(self, sid: str, session: CitizenSession) -> None:
        table = models.sessions
        row = {"sid": sid, "sealed": self.sealer.seal(session), "last_seen": _now()}
        async with self.engine.begin() as connection:
            await connection.execute(
                insert(table)
                .values(row)
                .on_conflict_do_update(
                    index_elements=["sid"], set_={"sealed": row["sealed"], "last_seen": row["last_seen"]}
                )
            )

    async def end(self, sid: str | None) -> CitizenSession | None:
        if not sid:
            return None
        table = models.sessions
        async with self.engine.begin() as connection:
            row = (
                await connection.execute(delete(table).where(table.c.sid == sid).returning(table.c.sealed))
            ).first()
        values = self.sealer.open(row.sealed) if row else None
        return CitizenSession(**values) if values else None

    async def start_login(self, sid: str, login: PendingLogin) -> None:
        table = models.pending_logins
        row = {"sid": sid, "sealed": self.sealer.seal(login), "started": _now()}
        async with self.engine.begin() as connection:
            await connection.execute(
                insert(table)
                .values(row)
                .on_conflict_do_update(
                    index_elements=["sid"], set_={"sealed": row["sealed"], "started": row["started"]}
                )
            )

    async def finish_login(self, sid: str | None) -> PendingLogin | None:
        """The login started under `sid`, taken (once: a replayed callback finds nothing)."""
        if not sid:
            return None
        table = models.pending_logins
        async with self.engine.begin() as connection:
            row = (
                await connection.execute(
                    delete(table).where(table.c.sid == sid).returning(table.c.sealed, table.c.started)
                )
            ).first()
        if row is None or _now() - row.started > timedelta(seconds=LOGIN_TIMEOUT):
            return None
        values = self.sealer.open(row.sealed)
        return PendingLogin(**values) if values else None

    async def forget_expired(self) -> int:
        """Delete idle sessions, stale logins and refilled buckets (the portal's cleanup sweep)."""
        now = _now()
        async with self.engine.begin() as connection:
            gone = (
                await connection.execute(
                    delete(models.sessions).where(models.sessions.c.last_seen < now - self.idle)
                )
            ).rowcount
            gone += (
                await connection.execute(
                    delete(models.pending_logins).where(
                        models.pending_logins.c.started < now - timedelta(seconds=LOGIN_TIMEOUT)
                    )
                )
            ).rowcount
            # a bucket untouched for an hour is full again: the same as no row
            gone += (
                await connection.execute(
                    delete(models.rate_buckets).where(
                        models.rate_buckets.c.updated < now - timedelta(hours=1)
                    )
                )
            ).rowcount
        return gone


class PgRateLimiter:
    """Token buckets per (address, kind) shared by every replica: `burst` writes, refilled at `per_minute`."""

    def __init__(self, engine: AsyncEngine, burst: int, per_minute: float):
        self.engine = engine
        self.burst = burst
        self.per_minute = per_minute

    async def allow(self, address: str, kind: str) -> bool:
        async with self.engine.begin() as connection:
            taken = (
                await connection.execute(
                    _TAKE_TOKEN,
                    {
                        "address": address[:64],
                        "kind": kind,
                        "burst": float(self.burst),
                        "per_minute": self.per_minute,
                    },
                )
            ).first()
        return taken is not None

    def retry_after(self) -> int:
        return max(1, int(60 / self.per_minute + 0.999))


class MemorySessions:
    """auth.Sessions behind the async interface: one process only."""

    def __init__(self, idle_seconds: float):
        self._inner = Sessions(idle_seconds)

    async def citizen(self, sid: str | None) -> CitizenSession | None:
        return self._inner.citizen(sid)

    async def keep(self, sid: str, session: CitizenSession) -> None:
        self._inner.keep(sid, session)

    async def end(self, sid: str | None) -> CitizenSession | None:
        return self._inner.end(sid)

    async def start_login(self, sid: str, login: PendingLogin) -> None:
        self._inner.start_login(sid, login)

    async def finish_login(self, sid: str | None) -> PendingLogin | None:
        return self._inner.finish_login(sid)

    async def forget_expired(self) -> int:
        return 0


class MemoryRateLimiter:
    """security.RateLimiter behind the async interface: one process only."""

    def __init__(self, burst: int, per_minute: float):
        self._inner = RateLimiter(burst, per_minute, clock=time.monotonic)

    async def allow(self, address: str, kind: str) -> bool:
        return self._inner.allow(address, kind)

    def retry_after(self) -> int:
        return self._inner.retry_after()


@dataclasses.dataclass
class Receipt:
    """回执: what the page after a filing shows (Post/Redirect/Get, receipt_pages.py).

    `kind` petition | application | complaint; `facts` the few fields the receipt shows; `query_code`
    empty when the filing was a replay (the code is shown only for the first). `owner` the visitor id
    that filed, `citizen` the user id when logged in: they see it; anyone else must give the code."""

    kind: str
    number: str
    query_code: str
    replayed: bool
    facts: dict
    owner: str
    citizen: str = ""


def new_receipt_token() -> str:
    # 192 random bits: the receipt's address cannot be guessed (and it carries no query code)
    return secrets.token_urlsafe(24)


class PgReceipts:
    """Receipts as sealed rows, kept `keep_days` (then the follow-up pages by query code remain)."""

    def __init__(self, engine: AsyncEngine, sealer: Sealer, keep_days: float):
        self.engine = engine
        self.sealer = sealer
        self.keep = timedelta(days=keep_days)

    async def put(self, receipt: Receipt) -> str:
        token = new_receipt_token()
        row = {"token": token, "sealed": self.sealer.seal(receipt), "created": _now()}
        async with self.engine.begin() as connection:
            await connection.execute(models.receipts.insert().values(row))
        return token

    async def get(self, token: str) -> Receipt | None:
        table = models.receipts
        async with self.engine.begin() as connection:
            row = (
                await connection.execute(
                    table.select().where(table.c.token == token[:64], table.c.created > _now() - self.keep)
                )
            ).first()
        values = self.sealer.open(row.sealed) if row else None
        return Receipt(**values) if values else None

    async def forget_expired(self) -> int:
        async with self.engine.begin() as connection:
            return (
                await connection.execute(
                    delete(models.receipts).where(models.receipts.c.created < _now() - self.keep)
                )
            ).rowcount


class MemoryReceipts:
    """Receipts in this process (one replica): bounded, the oldest dropped first."""

    def __init__(self, keep_days: float, most: int = 10_000):
        self.keep_seconds = keep_days * 86_400
        self.most = most
        self._receipts: dict[str, tuple[float, Receipt]] = {}

    async def put(self, receipt: Receipt) -> str:
        if len(self._receipts) >= self.most:
            del self._receipts[next(iter(self._receipts))]
        token = new_receipt_token()
        self._receipts[token] = (time.monotonic(), receipt)
        return token

    async def get(self, token: str) -> Receipt | None:
        kept = self._receipts.get(token)
        if kept is None or time.monotonic() - kept[0] > self.keep_seconds:
            return None
        return kept[1]

    async def forget_expired(self) -> int:
        return 0
