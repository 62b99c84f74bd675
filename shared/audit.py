"""Recorded acts (A20, A26): who did what, when, why — and in whose place when acting (A10, A59).

Every service keeps its acts in its own `audit_record` table, added to its metadata with
`audit_table(metadata)`; its first migration also runs `APPEND_ONLY_STATEMENTS` and a later one
`NO_TRUNCATE_STATEMENTS`, so the database itself refuses to change, delete or truncate a recorded
act. Like every store function,
`record_act` writes in the caller's transaction: the act and the change commit together.

Beyond the triggers (which a superuser can switch off), the acts form a hash chain (哈希链): each
row carries its place (`chain_seq`), the hash of the act before it (`prev_hash`) and its own
(`chain_hash`, over its content and `prev_hash`), so a row altered, deleted or slipped in by hand
breaks the chain where it happened; `python -m shared.audit verify --service org` names the first
broken link (shared.audit_chain). The hash is SHA-256, or SM3 (国密 GB/T 32905) when the operator
sets ZGOV_AUDIT_HASH=sm3; each row names its algorithm, so a chain survives a switch. Acts are
linked one at a time under a transaction-scoped advisory lock, so two concurrent acts cannot both
claim the same predecessor (fork the chain).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, Text, func, insert, select, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit_chain
from shared.outbox import EVENT_STATEMENT, NewEvent, named_values
from zgov.common.v1 import common_pb2


def audit_table(metadata: MetaData) -> Table:
    """Add the `audit_record` table to a service's metadata (call once, in its models module)."""
    return Table(
        "audit_record",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        # what the act was about, e.g. "leave/3f2c…", "meeting/…/topic/…"
        Column("subject_ref", String(128), nullable=False, index=True),
        # e.g. "leave.approved"
        Column("act", String(64), nullable=False),
        Column("actor", JSONB, nullable=False),
        Column("at", DateTime(timezone=True), server_default=func.now(), nullable=False),
        Column("reason", Text, nullable=False),
        # The hash chain (see the module docstring); NULL only on a row written outside record_act,
        # which the verify command reports as a broken link.
        Column("chain_seq", BigInteger, unique=True),
        Column("prev_hash", String(64)),
        Column("chain_hash", String(64)),
        Column("chain_algorithm", String(8)),
    )


# For the migration that creates the table: op.execute(each) in upgrade().
APPEND_ONLY_STATEMENTS = (
    """
    CREATE FUNCTION audit_record_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit records are never changed or deleted (A20, A26)';
    END $$
    """,
    """
    CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION audit_record_is_append_only()
    """,
)
# Row triggers do not fire on TRUNCATE, which would empty the record in one statement: a later
# migration of each service adds this statement trigger (same function, same message).
NO_TRUNCATE_STATEMENTS = (
    """
    CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record
    FOR EACH STATEMENT EXECUTE FUNCTION audit_record_is_append_only()
    """,
)
DROP_NO_TRUNCATE_STATEMENTS = ("DROP TRIGGER IF EXISTS audit_record_no_truncate ON audit_record",)
DROP_APPEND_ONLY_STATEMENTS = (
    "DROP TRIGGER IF EXISTS audit_record_append_only ON audit_record",
    "DROP FUNCTION IF EXISTS audit_record_is_append_only()",
)

# The shared code's own copy of the table, used only to build statements.
AUDIT = audit_table(MetaData())


def actor_record(actor: Any) -> dict:
    """How an actor is kept: both names when acting in another's place (shared.identity.Actor)."""
    return {
        "user_id": actor.user_id,
        "username": actor.username,
        "display_name": actor.display_name,
        "positions": sorted(actor.positions),
        "organisation_code": actor.organisation_code,
        "on_behalf_of_user_id": actor.on_behalf_of_user_id or "",
        "on_behalf_of_position": actor.on_behalf_of_position or "",
    }


# One lock per database (each service has its own): acts are linked one after the other. Each
# service's migration `*_audit_chain_end_function.py` creates this function (its downgrade drops it
# with DROP_CHAIN_END_FUNCTION_STATEMENTS): it takes the lock, then reads the chain's end in a query
# of its own, one round trip for both. A PL/pgSQL function's queries each take a new snapshot (READ
# COMMITTED), so the read sees the act that the lock waited for.
_CHAIN_LOCK_KEY = "hashtext('zgov.audit_record.chain')"
CHAIN_END_FUNCTION_STATEMENTS = (
    """
    CREATE FUNCTION audit_chain_end() RETURNS TABLE (chain_now timestamptz, last_seq bigint, last_hash varchar)
    LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock({key});
        RETURN QUERY SELECT now(), (SELECT a.chain_seq FROM audit_record a WHERE a.chain_seq IS NOT NULL
            ORDER BY a.chain_seq DESC LIMIT 1), (SELECT a.chain_hash FROM audit_record a
            WHERE a.chain_seq IS NOT NULL ORDER BY a.chain_seq DESC LIMIT 1);
    END $$
    """.format(key=_CHAIN_LOCK_KEY),
)
DROP_CHAIN_END_FUNCTION_STATEMENTS = ("DROP FUNCTION IF EXISTS audit_chain_end()",)
_LOCKED_CHAIN_END = text("SELECT chain_now AS now, last_seq AS seq, last_hash AS hash FROM audit_chain_end()")
_INSERT_ACT = insert(AUDIT)
# The act and its event in one statement (one round trip): the act's INSERT a CTE of the event's.
_INSERT_ACT_WITH_EVENT = EVENT_STATEMENT.add_cte(insert(AUDIT).values(named_values(AUDIT, "act_")).cte("act"))


class RecordedAct(NamedTuple):
    """An act as `record_act` inserted it and `history` reads it back (the columns `to_proto` maps)."""

    id: uuid.UUID
    subject_ref: str
    act: str
    actor: dict
    at: datetime
    reason: str
    chain_seq: int | None = None


async def record_act(
    session: AsyncSession,
    subject_ref: str,
    act: str,
    actor: Any,
    reason: str = "",
    *,
    act_id: uuid.UUID | None = None,
    at: datetime | None = None,
    event: NewEvent | None = None,
) -> RecordedAct:
    """Append one act, linked to the one before it. The lock is held until the caller's transaction
    ends, so the next act of any transaction sees this one as its predecessor. `act_id`: an id
    derived from what is recorded (a Keycloak event), so recording it twice is refused, or chosen
    by a caller that answered with the act before recording it; `at`: the transaction's now() read
    earlier by such a caller (by default read here); `event`: the act's event (shared.outbox.new_event),
    written in the act's own INSERT statement instead of a round trip of its own. Two round trips:
    the lock and the chain's end (audit_chain_end()), then the INSERT. Returns the act as `history`
    would read it."""
    end = (await session.execute(_LOCKED_CHAIN_END)).one()
    row = audit_chain.link(
        {
            "id": act_id or uuid.uuid4(),
            "subject_ref": subject_ref,
            "act": act,
            "actor": actor_record(actor),
            "at": at or end.now,
            "reason": reason,
        },
        seq=(end.seq or 0) + 1,
        prev_hash=end.hash or audit_chain.GENESIS,
        algorithm=audit_chain.configured_algorithm(),
    )
    # statements built once, not one per act
    if event is None:
        await session.execute(_INSERT_ACT, row)
    else:
        await session.execute(_INSERT_ACT_WITH_EVENT, {f"act_{k}": v for k, v in row.items()} | event.values)
    return RecordedAct(*(row[field] for field in RecordedAct._fields))


def history_order(act: Any) -> tuple:
    """The order `history` reads acts in (at, then chain place with unchained rows first, then id),
    for a caller that adds an act it is recording to the ones it read."""
    return (act.at, act.chain_seq is not None, act.chain_seq or 0, act.id)


async def history(session: AsyncSession, subject_ref: str) -> list:
    """The acts on one subject, oldest first (rows with the table's columns as attributes).

    Acts of one transaction share its `now()`: within it, the chain's sequence gives the order they
    were recorded in (rows from before the chain have none and come first; the id only breaks ties)."""
    result = await session.execute(
        select(AUDIT)
        .where(AUDIT.c.subject_ref == subject_ref)
        .order_by(AUDIT.c.at, AUDIT.c.chain_seq.asc().nulls_first(), AUDIT.c.id)
    )
    return list(result)


def to_proto(row) -> common_pb2.AuditRecord:
    a = row.actor
    record = common_pb2.AuditRecord(
        id=str(row.id),
        act=row.act,
        reason=row.reason,
        subject_ref=row.subject_ref,
        actor=common_pb2.Actor(
            user_id=a["user_id"],
            username=a["username"],
            display_name=a.get("display_name", ""),
            positions=a.get("positions", []),
            organisation_code=a.get("organisation_code", ""),
            on_behalf_of_user_id=a.get("on_behalf_of_user_id", ""),
            on_behalf_of_position=a.get("on_behalf_of_position", ""),
        ),
    )
    record.at.FromDatetime(row.at)
    return record


if __name__ == "__main__":
    raise SystemExit(audit_chain.main())
