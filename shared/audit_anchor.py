"""The head of the hash chain of recorded acts, anchored outside the database (审计哈希链锚定).

The chain (shared/audit_chain.py) shows an act altered, deleted or slipped in, but not a superuser who
alters an act and then rewrites every link after it, nor one who deletes the last acts: the chain
that is left is whole. So each service publishes, every ZGOV_AUDIT_ANCHOR_SECONDS (60 s) while its
chain grows (nothing while it is idle), the chain's head — the last act's place, hash and algorithm —
as an `AuditChainAnchored` event on `audit.<service>.anchored` into the stream `AUDIT_<SERVICE>`,
which keeps it for ten years and refuses to delete or purge it (`deny_delete`, `deny_purge`; the
service's NATS user may create the stream, read it and publish on its own anchor subject, never
update, purge or delete). The hash of the act at an anchored place covers every act before it, so an
act rewritten up to that place contradicts every anchor published since: `python -m shared.audit
verify` reads the anchors back and names the first one the database contradicts.

Published directly, not through the outbox: an anchor is a snapshot, not a fact to deliver once.
A publication that fails (NATS away) is made good by the next round's, which anchors the head of
then and so every act before it: no act goes unanchored for good, while an outbox row would put
the anchor back in the database it is meant to be outside of, where the superuser it guards
against could change it before the relay sends it. An anchor counts once JetStream acknowledged it
(stored). The Nats-Msg-Id (service, place, hash) lets two replicas' publications of one head be
stored once.

The window (SECURITY.md): acts recorded after the last anchor are covered by the chain only, for
at most the interval (longer while NATS is unreachable).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError, NotFoundError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.outbox import MSG_ID_HEADER, build_envelope
from shared.streams import DUPLICATE_WINDOW, stream_name
from zgov.events.v1 import audit_anchor_pb2, envelope_pb2

log = logging.getLogger(__name__)

# Anchors outlive any audit of the record; a later anchor covers every act before it anyway.
ANCHOR_MAX_AGE = timedelta(days=3650)
# Anchors read at once by the verify command (one JetStream request each).
_READ_AHEAD = 64


def anchor_stream(service: str) -> str:
    """AUDIT_ORG for org."""
    return f"AUDIT_{stream_name(service)}"


def anchor_subject(service: str) -> str:
    """Outside `<service>.>` (the service's event stream holds those for 30 days only)."""
    return f"audit.{service}.anchored"


def anchor_stream_config(service: str, *, replicas: int = 1) -> api.StreamConfig:
    return api.StreamConfig(
        name=anchor_stream(service),
        description=f"Heads of the {service} service's hash chain of recorded acts",
        subjects=[anchor_subject(service)],
        storage=api.StorageType.FILE,
        retention=api.RetentionPolicy.LIMITS,
        discard=api.DiscardPolicy.OLD,
        max_age=ANCHOR_MAX_AGE.total_seconds(),
        duplicate_window=DUPLICATE_WINDOW.total_seconds(),
        num_replicas=replicas,
        deny_delete=True,
        deny_purge=True,
    )


async def ensure_anchor_stream(js: JetStreamContext, service: str, *, replicas: int = 1) -> None:
    """Create the service's anchor stream if missing; an existing one is left as it is (the service
    may not update it: only an operator changes how long anchors are kept)."""
    try:
        await js.stream_info(anchor_stream(service))
        return
    except NotFoundError:
        pass
    try:
        await js.add_stream(anchor_stream_config(service, replicas=replicas))
    except BadRequestError:  # another replica created it meanwhile (or with other replicas)
        await js.stream_info(anchor_stream(service))


class ChainHead(NamedTuple):
    """The last act of a chain: its place, hash, algorithm and when it was recorded."""

    seq: int
    hash: str
    algorithm: str
    at: datetime


_HEAD = text(
    "SELECT chain_seq AS seq, chain_hash AS hash, chain_algorithm AS algorithm, at FROM audit_record"
    " WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1"
)
_HASH_AT = text("SELECT chain_hash FROM audit_record WHERE chain_seq = :seq")


def anchor_message(service: str, head: ChainHead, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The envelope (its producer the service) and headers of one anchor."""
    anchored = audit_anchor_pb2.AuditChainAnchored(
        service=service, seq=head.seq, hash=head.hash, algorithm=head.algorithm
    )
    anchored.recorded_at.FromDatetime(head.at)
    anchored.anchored_at.FromDatetime(now)
    message_id = f"{service}:{head.seq}:{head.hash}"
    envelope = build_envelope(
        anchor_subject(service),
        anchored,
        f"audit_record/{head.seq}",
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"zgov-audit-anchor:{message_id}"),  # one id per head
        occurred_at=now,
        producer=service,
    )
    return envelope.SerializeToString(), {MSG_ID_HEADER: message_id}


class AuditAnchor:
    """One service's anchoring: `round()` publishes the chain's head when it moved since the last
    anchor (run by shared.sweep.run_every every ZGOV_AUDIT_ANCHOR_SECONDS, in every replica).

    No leader replica: a round costs one indexed read while the chain is idle, and a head another
    replica anchored already is found as the stream's last anchor and not published again (two
    replicas publishing the same head at once are stored once, by its message id). A leader would
    hold a database connection for this in every service (shared.sweep.SweepLeader)."""

    def __init__(self, service: str, engine: AsyncEngine, js: JetStreamContext):
        self.service = service
        self.engine = engine
        self.js = js
        # the last head this replica anchored or found anchored
        self.last: ChainHead | None = None

    async def round(self) -> int:
        """1 when an anchor was published, 0 when the chain did not move."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(_HEAD)).one_or_none()
        head = ChainHead(row.seq, row.hash, row.algorithm, row.at) if row else None
        if head is None or _same(head, self.last):
            return 0  # idle: nothing new to anchor
        latest = await self._last_anchored()  # after a restart, or anchored by another replica
        if _same(head, latest):
            self.last = latest
            return 0
        if latest is not None:
            await self._check(latest)
        data, headers = anchor_message(self.service, head, datetime.now(UTC))
        await self.js.publish(anchor_subject(self.service), data, headers=headers)
        self.last = head
        return 1

    async def _check(self, anchored: ChainHead) -> None:
        """Said at once in the log when the database no longer holds the last anchored act as it was
        (the verify command names the first anchor it contradicts)."""
        async with self.engine.connect() as conn:
            now = await conn.scalar(_HASH_AT, {"seq": anchored.seq})
        if now != anchored.hash:
            log.error(
                "audit chain of %s contradicts its last anchor: act #%d was %s, is now %s",
                self.service,
                anchored.seq,
                anchored.hash,
                now or "missing",
            )

    async def _last_anchored(self) -> ChainHead | None:
        try:
            msg = await self.js.get_last_msg(anchor_stream(self.service), anchor_subject(self.service))
        except NotFoundError:
            return None
        anchor = read_anchor(self.service, msg.subject or anchor_subject(self.service), msg.data, 0)
        return anchor.head if isinstance(anchor, Anchor) else None


def _same(head: ChainHead, anchored: ChainHead | None) -> bool:
    return anchored is not None and (head.seq, head.hash) == (anchored.seq, anchored.hash)


# ---------------------------------------------------------------- reading and checking anchors


@dataclass(frozen=True)
class Anchor:
    """An anchor as read back: its place in the stream and the head it names."""

    stream_seq: int
    head: ChainHead
    anchored_at: datetime


@dataclass(frozen=True)
class ForeignAnchor:
    """A message in the anchor stream that this service did not send (or that is no anchor)."""

    stream_seq: int
    problem: str


def read_anchor(service: str, subject: str, data: bytes, stream_seq: int) -> Anchor | ForeignAnchor:
    """An anchor, checked like every event: the envelope, its producer and its payload must name the
    service whose anchor subject it came on (only that service's NATS user may publish there)."""
    try:
        envelope = envelope_pb2.EventEnvelope.FromString(data)
        anchored = audit_anchor_pb2.AuditChainAnchored()
        if not envelope.payload.Unpack(anchored):
            return ForeignAnchor(stream_seq, f"payload {envelope.payload.TypeName()!r} is no anchor")
    except Exception as exc:  # noqa: BLE001 — bytes nobody can read are refused, whatever they are
        return ForeignAnchor(stream_seq, f"not an anchor: {exc}")
    claims = {"subject": subject, "producer": envelope.producer, "service": anchored.service}
    expected = {"subject": anchor_subject(service), "producer": service, "service": service}
    wrong = [f"{what} {claims[what]!r}" for what in claims if claims[what] != expected[what]]
    if wrong:
        return ForeignAnchor(stream_seq, "names another sender: " + ", ".join(wrong))
    head = ChainHead(anchored.seq, anchored.hash, anchored.algorithm, anchored.recorded_at.ToDatetime(UTC))
    return Anchor(stream_seq, head, anchored.anchored_at.ToDatetime(UTC))


async def read_anchors(js: JetStreamContext, service: str) -> list[Anchor | ForeignAnchor]:
    """Every message of the service's anchor stream, in the order they were stored."""
    name = anchor_stream(service)
    try:
        state = (await js.stream_info(name)).state
    except NotFoundError:
        return []
    if not state.messages:
        return []
    found: list[Anchor | ForeignAnchor] = []
    for start in range(state.first_seq, state.last_seq + 1, _READ_AHEAD):
        seqs = range(start, min(start + _READ_AHEAD, state.last_seq + 1))
        msgs = await asyncio.gather(*(js.get_msg(name, seq) for seq in seqs))
        found += [read_anchor(service, m.subject, m.data or b"", m.seq) for m in msgs]
    return found


@dataclass(frozen=True)
class Contradiction:
    """The first anchor the database contradicts, and how."""

    anchor: Anchor
    problem: str

    def __str__(self) -> str:
        head = self.anchor.head
        return (
            f"act #{head.seq} {self.problem} (anchor {self.anchor.stream_seq} of"
            f" {self.anchor.anchored_at:%Y-%m-%d %H:%M:%S} UTC said {head.algorithm} {head.hash})"
        )


def first_contradiction(anchors: list[Anchor], rows: list[dict[str, Any]]) -> Contradiction | None:
    """Walk the anchors in the order they were published; the first whose act the database no longer
    holds as anchored (rows: the audit_record rows, as shared.audit_chain reads them)."""
    by_seq = {row["chain_seq"]: row for row in rows if row["chain_seq"] is not None}
    for anchor in anchors:
        row = by_seq.get(anchor.head.seq)
        if row is None:
            return Contradiction(anchor, "is anchored but no longer in the database (deleted)")
        if (row["chain_hash"], row["chain_algorithm"]) != (anchor.head.hash, anchor.head.algorithm):
            return Contradiction(anchor, f"now hashes to {row['chain_hash']}: the chain was rewritten")
    return None


@dataclass(frozen=True)
class AnchorCheck:
    """What the verify command found in the anchor stream."""

    anchors: list[Anchor]
    foreign: list[ForeignAnchor]
    contradiction: Contradiction | None


async def check_anchors(nats_url: str, service: str, rows: list[dict[str, Any]], **connect) -> AnchorCheck:
    """Read the service's anchors from NATS (`connect`: nats.connect's credentials, TLS) and check
    each against the audit_record rows. Replies come to the service's inbox: its own user (whose seed
    an operator holds) may subscribe nowhere else."""
    import nats

    from shared.bus import inbox_prefix

    options = {
        "inbox_prefix": inbox_prefix(service),
        "allow_reconnect": False,
        "connect_timeout": 5,
        # nats-py retries a first connection (max_reconnect_attempts, 60 × 2 s by default) even with
        # allow_reconnect off: an operator waiting on an unreachable NATS hears so after one retry
        "max_reconnect_attempts": 1,
        "reconnect_time_wait": 1,
    } | connect
    client = await nats.connect(nats_url, **options)
    try:
        read = await read_anchors(client.jetstream(timeout=10), service)
    finally:
        await client.close()
    anchors = [a for a in read if isinstance(a, Anchor)]
    foreign = [a for a in read if isinstance(a, ForeignAnchor)]
    return AnchorCheck(anchors, foreign, first_contradiction(anchors, rows))
