"""Sending what is due (投递): claim due deliveries, send each through its channel, record the outcome.

At least once: a row is marked sent only after its channel took the message; a failure is retried
with exponential backoff (domain/retries.py) until given up; a crash between sending and marking
sends it again after the lease. Never twice for one event, person and channel otherwise: the row
is unique (models.py). Rows that go together on one channel go as one message: a person's digest
rows, and a citizen's waiting messages of one case (a night's changes held by the quiet hours, or one
being retried when the next change comes) — as the latest state, naming the earlier ones.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notify.channels import Message, SendFailed, Sender
from services.notify.domain import consent as citizens
from services.notify.domain.notices import Channel
from services.notify.domain.retries import RetryPolicy
from services.notify.models import Delivery
from services.notify.store import deliveries as store
from shared.db import transaction

log = structlog.get_logger(__name__)


def goes_together(row: Delivery) -> bool:
    """A digest row, or a citizen's: sent with the recipient's other such rows on its channel."""
    return row.digest or citizens.is_citizen(row.recipient_user_id)


@dataclass
class Batch:
    """Rows that go as one message: one row, a person's digest on one channel, or a citizen's
    waiting messages of one case on one channel."""

    rows: list[Delivery]

    @property
    def ids(self) -> list[uuid.UUID]:
        return [r.id for r in self.rows]

    def message(self) -> Message:
        if citizens.is_citizen(self.rows[0].recipient_user_id):
            return self._citizens()
        if len(self.rows) == 1 and not self.rows[0].digest:
            row = self.rows[0]
            return Message(row.title, row.text, row.link)
        lines = [f"· {r.title}：{r.link or r.text}" for r in sorted(self.rows, key=lambda r: r.created_at)]
        return Message(f"每日汇总：{len(self.rows)} 项通知", "\n".join(lines), "")

    def _citizens(self) -> Message:
        """The latest state (by when the events happened), the earlier ones named after it."""
        happened = sorted(self.rows, key=lambda r: (r.occurred_at or r.created_at, r.created_at))
        latest = happened[-1]
        title, text = citizens.held_together(
            latest.title, latest.text, [r.event_subject for r in happened[:-1]]
        )
        return Message(title, text, latest.link)


def batches(rows: list[Delivery]) -> list[Batch]:
    single = [Batch([r]) for r in rows if not goes_together(r)]
    together: dict[tuple[str, str], list[Delivery]] = {}
    for r in rows:
        if goes_together(r):
            together.setdefault((r.recipient_user_id, r.channel), []).append(r)
    return single + [Batch(group) for group in together.values()]


@dataclass
class Dispatcher:
    sessions: async_sessionmaker[AsyncSession]
    senders: dict[Channel, Sender]
    policy: RetryPolicy
    now: Callable[[], datetime]
    batch: int = 200
    lease: timedelta = timedelta(seconds=120)
    concurrency: int = 16

    async def _claim(self) -> list[Delivery]:
        now = self.now()
        async with transaction(self.sessions) as session:
            rows = await store.claim_due(session, now, self.batch, self.lease)
            claimed = [r.id for r in rows]
            for user_id, channel in {(r.recipient_user_id, r.channel) for r in rows if goes_together(r)}:
                # a person's digest rows only; all of a citizen's (one case's) waiting rows
                rows += await store.claim_companions(
                    session, user_id, channel, now, self.lease, claimed, citizens.is_citizen(user_id)
                )
            session.expunge_all()
        return rows

    async def _send(self, batch: Batch, gate: asyncio.Semaphore) -> str:
        """'' when sent, else why not."""
        first = batch.rows[0]
        sender = self.senders.get(Channel(first.channel))
        if sender is None:
            return f"channel {first.channel} is not configured"
        async with gate:
            try:
                await sender.send(first.address, batch.message())
            except SendFailed as exc:
                return str(exc)
            except Exception as exc:  # a bug or an unexpected answer: retried like a refusal, logged
                log.warning("sending failed unexpectedly", channel=first.channel, error=repr(exc))
                return f"{exc.__class__.__name__}: {exc}"
        return ""

    async def _record(self, outcomes: list[tuple[Batch, str]]) -> None:
        """The round's outcomes in one transaction: every row sent by one statement (a round of 200
        took 200 statements), each failed batch with its own error and next attempt."""
        now = self.now()
        sent = [row_id for batch, error in outcomes if not error for row_id in batch.ids]
        async with transaction(self.sessions) as session:
            if sent:
                await store.mark_sent(session, sent, now)
            for batch, error in outcomes:
                if error:
                    attempts = max(r.attempts for r in batch.rows) + 1
                    await store.mark_failed(
                        session, batch.ids, error, self.policy.next_attempt(attempts, now)
                    )

    async def round(self) -> int:
        """One round: how many deliveries were attempted."""
        rows = await self._claim()
        if not rows:
            return 0
        gate = asyncio.Semaphore(self.concurrency)
        groups = batches(rows)
        errors = await asyncio.gather(*(self._send(b, gate) for b in groups))
        await self._record(list(zip(groups, errors, strict=True)))
        failed = sum(1 for e in errors if e)
        if failed:
            log.warning("deliveries failed, will retry", failed=failed, attempted=len(groups))
        return len(rows)
