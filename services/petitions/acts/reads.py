"""Reads of cases, each one recorded (A80): a case, a list, a file, the petitioner's own case by
query code, the statistics and the register (登记簿). What a case shows depends on who reads
(domain.case_view); a read refused raises ReadRefused, which the entry point records."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.petitions import domain
from services.petitions.store import cases as store
from services.petitions.acts import Env, ReadRefused, aggregate_ref, reader, view_of
from services.petitions.models import PetitionCase
from services.petitions.protos.cases import attachment_to_proto, case_to_proto, register_line
from shared import audit
from shared.convert import today_in_china
from shared.errors import NotFound
from shared.identity import Actor
from shared.query_code import query_code_hash
from zgov.petitions.v1 import petitions_pb2


async def reply_of(
    session: AsyncSession, env: Env, row: PetitionCase, actor: Actor, view: domain.View = domain.View.FULL
) -> petitions_pb2.Case:
    """The case as `view` shows it to `actor` (the recorded acts only in the full view)."""
    counts = await store.repeat_counts(session, [row.id])
    history = await audit.history(session, aggregate_ref(row)) if view is domain.View.FULL else ()
    # An acting holder (代行) reads as the leader he or she acts for.
    reader_id = actor.on_behalf_of_user_id or actor.user_id
    return case_to_proto(
        row,
        view,
        env.calendar,
        today=today_in_china(),
        reader_user_id=reader_id,
        repeat_count=counts.get(row.id, 0),
        history=history,
    )


async def read_case(session: AsyncSession, actor: Actor, env: Env, case_id: str) -> petitions_pb2.Case:
    row = await store.get_case(session, case_id)
    view = view_of(env, actor, row)
    if view is domain.View.NONE:
        raise ReadRefused(case_id)
    await audit.record_act(session, aggregate_ref(row), "case.read", actor, view.value)
    return await reply_of(session, env, row, actor, view)


def scope_of(env: Env, actor: Actor) -> store.Scope:
    """The cases a reader may find in a list (the body complained about never finds its case)."""
    r = reader(env, actor)
    return store.Scope(
        everything=r.is_bureau,
        organisation_code=r.organisation_code,
        handling=r.may_handle,
        reviewing=r.may_review,
        oversees=r.oversees,
    )


async def list_cases(
    session: AsyncSession, actor: Actor, env: Env, scope: store.Scope, *, limit: int, **filters
) -> tuple[list[petitions_pb2.Case], PetitionCase | None]:
    """A page of cases as each shows to the reader, each read recorded; and the last row when there
    are more (for the page token)."""
    today = today_in_china()
    rows = await store.list_cases(session, scope, limit=limit + 1, **filters)
    more = len(rows) > limit
    rows = rows[:limit]
    counts = await store.repeat_counts(session, [r.id for r in rows])
    cases = []
    for row in rows:
        view = view_of(env, actor, row)
        if view is domain.View.NONE:  # the scope already keeps these out; never show one
            continue
        await audit.record_act(session, aggregate_ref(row), "case.read", actor, f"list, {view.value}")
        cases.append(
            case_to_proto(
                row,
                view,
                env.calendar,
                today=today,
                reader_user_id=actor.user_id,
                repeat_count=counts.get(row.id, 0),
            )
        )
    return cases, rows[-1] if more else None


async def by_query_code(session: AsyncSession, query_code: str, *, for_update: bool = False) -> PetitionCase:
    row = await store.get_case_by_query_code(session, query_code_hash(query_code), for_update=for_update)
    if row is None:
        raise NotFound("a case with this query code", resource_type="petition case")
    return row


async def follow(session: AsyncSession, actor: Actor, env: Env, query_code: str) -> petitions_pb2.Case:
    """The petitioner's own case by query code, without an account (or from the portal)."""
    row = await by_query_code(session, query_code)
    await audit.record_act(session, aggregate_ref(row), "case.read", actor, "query code")
    return await reply_of(session, env, row, actor, domain.View.PETITIONER)


async def _attachment(
    session: AsyncSession, row: PetitionCase, attachment_id: str, actor: Actor, how: str
) -> petitions_pb2.Attachment:
    stored = await store.get_attachment(session, row.id, attachment_id)
    # The record names the file by id only: its name may name people.
    await audit.record_act(session, aggregate_ref(row), "attachment.read", actor, f"{stored.id}, {how}")
    meta = {
        "id": str(stored.id),
        "file_name": stored.file_name,
        "media_type": stored.media_type,
        "size_bytes": stored.size_bytes,
        "sha256": stored.sha256,
    }
    return attachment_to_proto(meta, stored.content)


async def attachment(
    session: AsyncSession, actor: Actor, env: Env, case_id: str, attachment_id: str
) -> petitions_pb2.Attachment:
    """A file of a case, to readers who see the case in full; refused to the body complained about
    and to redacted readers, who are not shown that the file exists."""
    row = await store.get_case(session, case_id)
    view = view_of(env, actor, row)
    if view not in (domain.View.FULL, domain.View.PETITIONER):
        raise ReadRefused(case_id, "attachment.read.denied")
    return await _attachment(session, row, attachment_id, actor, view.value)


async def own_attachment(
    session: AsyncSession, actor: Actor, case_id: str, query_code: str, attachment_id: str
) -> petitions_pb2.Attachment:
    """The petitioner's own file: by query code, or by case id under the account that filed it."""
    if query_code:
        row = await by_query_code(session, query_code)
        return await _attachment(session, row, attachment_id, actor, "query code")
    row = await store.get_case(session, case_id)
    if not row.submitted_by_user_id or row.submitted_by_user_id != actor.user_id:
        raise ReadRefused(case_id, "attachment.read.denied")
    return await _attachment(session, row, attachment_id, actor, "own account")


async def statistics(
    session: AsyncSession,
    actor: Actor,
    dimension: str,
    today: date,
    *,
    received_from: date | None,
    received_to: date | None,
) -> list[dict]:
    rows = await store.statistics(
        session, dimension, today, received_from=received_from, received_to=received_to
    )
    await audit.record_act(session, "statistics", "statistics.read", actor, dimension)
    return rows


async def register(
    session: AsyncSession,
    actor: Actor,
    today: date,
    *,
    received_from: date | None,
    received_to: date | None,
    after,
    limit: int,
) -> tuple[list[petitions_pb2.RegisterLine], PetitionCase | None]:
    """The printable register of a period: no identity, no complained party, no content (A71); the
    lines and the last row when there are more."""
    # Not even a line of a case about the reader's own body (A71).
    scope = store.Scope(everything=True, organisation_code=actor.organisation_code)
    rows = await store.list_cases(
        session, scope, received_from=received_from, received_to=received_to, after=after, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    numbers = await store.numbers_of(session, {r.repeat_of_case_id for r in rows})
    await audit.record_act(
        session, "register", "register.read", actor, f"{received_from or ''}..{received_to or ''}"
    )
    lines = [register_line(r, today, numbers.get(r.repeat_of_case_id, "")) for r in rows]
    return lines, rows[-1] if more else None
