"""Acts on an application for information (依申请公开): filing (online or registered by the office),
confirming receipt, reading it as its owner or an officer, the one request to complete (art. 30) and
its lapse, withdrawal.

An applicant sees only his or her own applications: by the account that filed them, or by the query
code (random, shown once, kept as a hash). Events never carry the applicant's identity, contacts or
request (only the summary in applications.proto).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from google.rpc import code_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.acts import Env
from services.disclosure.domain import applications as domain
from services.disclosure.models import InfoApplication
from services.disclosure.protos.applications import EVENT_TYPES, application_to_proto, summary
from services.disclosure.store import applications as rows
from shared import audit
from shared.convert import date_to_proto
from shared.errors import DomainError, Forbidden, InvalidInput, RuleViolation
from shared.identity import Actor
from shared.outbox import add_event
from shared.query_code import new_query_code, query_code_hash
from shared.workdays import WorkingCalendar
from zgov.disclosure.v1 import applications_pb2 as pb

# The portal is on the internet: an account files at most this many applications a day.
MAX_ONLINE_PER_DAY = 20
# A submitter's idempotency key (the portal's form carries one; integrators send their own).
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Acts of the service itself (the art. 30 lapse).
SYSTEM = Actor(user_id="", username="system:disclosure", display_name="政务公开系统")


class TooManySubmissions(DomainError):
    code = code_pb2.RESOURCE_EXHAUSTED


class NotOwner(Forbidden):
    """A read of someone else's application; the entry point records the refusal in a transaction of
    its own (the caller's rolls back)."""

    def __init__(self, application_id: str):
        super().__init__("an applicant sees only his or her own applications")
        self.application_id = application_id


def ref_of(row: InfoApplication) -> str:
    return f"application/{row.id}"


async def publish(session: AsyncSession, event: str, row: InfoApplication, actor, message) -> None:
    """disclosure.application.<event>; an applicant's own acts are published without an actor."""
    assert type(message) is EVENT_TYPES[f"disclosure.application.{event}"]
    await add_event(session, f"disclosure.application.{event}", message, ref_of(row), actor)


async def reply_of(session: AsyncSession, row: InfoApplication, env: Env, *, officer: bool) -> pb.Application:
    """The application as its reader sees it (an officer with the recorded acts)."""
    remedies = await rows.remedies_of(session, row.id)
    history = await audit.history(session, ref_of(row)) if officer else ()
    return application_to_proto(
        row, env.calendar, officer=officer, today=env.today(), remedies=remedies, history=history
    )


async def touch(
    session: AsyncSession,
    row: InfoApplication,
    act: str,
    actor: Actor,
    cal: WorkingCalendar,
    reason: str = "",
) -> None:
    """The row changed: its limit kept current, flushed, the act recorded."""
    rows.refresh_due(row, cal)
    await session.flush()
    await audit.record_act(session, ref_of(row), act, actor, reason)


# ---- the lapse of art. 30 (sweep and read) ---------------------------------------------------------


async def lapse(session: AsyncSession, row: InfoApplication) -> None:
    """Art. 30: deemed withdrawn the day after its period to complete ended; once (the caller holds
    the row's lock and has checked the state)."""
    row.state = domain.State.LAPSED.value
    row.lapsed_on = row.completion_due + timedelta(days=1)
    row.reply_due, row.reply_due_provisional = None, False
    await session.flush()
    await audit.record_act(
        session, ref_of(row), "application.lapsed", SYSTEM, f"no completion by {row.completion_due} (art. 30)"
    )
    await publish(
        session,
        "lapsed",
        row,
        None,
        pb.ApplicationLapsed(application=summary(row), lapsed_on=date_to_proto(row.lapsed_on)),
    )


async def lapse_due(session: AsyncSession, today: date, batch: int = 500) -> int:
    """Art. 30 for every application whose period to complete ended by `today` (at most `batch`)."""
    due = await rows.to_lapse(session, today, batch)
    for row in due:
        await lapse(session, row)
    return len(due)


async def recompute_provisional(session: AsyncSession, cal: WorkingCalendar, batch: int = 500) -> int:
    """Put the official day on limits computed on weekends only, once their year's schedule is known
    (docs/design.md "Time"); reads always compute the limit afresh, this keeps lists and filters right."""
    provisional = await rows.provisional_due(session, cal.first_unknown_day, batch)
    for row in provisional:
        rows.refresh_due(row, cal)
    return len(provisional)


async def lapse_on_read(session: AsyncSession, row: InfoApplication, today: date) -> InfoApplication:
    """A read after the period to complete ended lapses the application if the sweep has not yet."""
    if domain.has_lapsed(domain.State(row.state), row.completion_due, today):
        await session.refresh(row, with_for_update=True)
        if domain.has_lapsed(domain.State(row.state), row.completion_due, today):
            await lapse(session, row)
    return row


async def handled(session: AsyncSession, application_id: str, env: Env) -> InfoApplication:
    """An application an officer acts on, locked."""
    row = await rows.get(session, application_id, for_update=True)
    return await lapse_on_read(session, row, env.today())


async def owned(
    session: AsyncSession,
    actor: Actor,
    application_id: str,
    query_code: str,
    env: Env,
    *,
    for_update: bool = False,
) -> tuple[InfoApplication, bool]:
    """The application by id (its owner or an officer) or by query code; (row, read as officer).
    Raises NotOwner for anyone else."""
    officer = actor.may("application:handle")
    if query_code.strip():
        row = await rows.by_query_code(session, query_code_hash(query_code), for_update=for_update)
        return await lapse_on_read(session, row, env.today()), officer
    if not application_id.strip():
        raise InvalidInput({"application_id": "the application's id, or its query code"})
    row = await rows.get(session, application_id, for_update=for_update)
    if not domain.may_read(
        is_officer=officer,
        reader_user_id=actor.user_id,
        is_service=actor.is_service,
        submitted_by_user_id=row.submitted_by_user_id,
    ):
        raise NotOwner(application_id)
    return await lapse_on_read(session, row, env.today()), officer


async def record_refused_read(session: AsyncSession, actor: Actor, application_id: str) -> None:
    await audit.record_act(session, f"application/{application_id}", "application.read.denied", actor)


# ---- filing ----------------------------------------------------------------------------------------


async def _new(
    session: AsyncSession,
    env: Env,
    applicant: domain.Applicant,
    request: domain.Request,
    *,
    channel: domain.Channel,
    submitted_on: date,
    signed_for_on: date | None,
    received_on: date | None,
    submitted_by: str,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
) -> tuple[InfoApplication, str]:
    code = new_query_code()
    serial = await rows.next_serial(session)
    row = await rows.add(
        session,
        serial=serial,
        number=f"YSQ{submitted_on.year}{serial:06d}",
        channel=channel.value,
        state=(domain.State.RECEIVED if received_on else domain.State.SUBMITTED).value,
        applicant_kind=applicant.kind.value,
        applicant={
            "name": applicant.name,
            "id_number": applicant.id_number,
            "phone": applicant.phone,
            "email": applicant.email,
            "address": applicant.address,
            "contact_person": applicant.contact_person,
        },
        description=request.description,
        document_number=request.document_number,
        purpose=request.purpose,
        request_kind=request.kind.value,
        evidence=request.evidence,
        delivery_form=request.delivery_form.value,
        submitted_on=submitted_on,
        signed_for_on=signed_for_on,
        received_on=received_on,
        clock_started_on=received_on,
        query_code_hash=query_code_hash(code),
        submitted_by_user_id=submitted_by,
        consultations=[],
        fee_yuan=0,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=fingerprint,
    )
    rows.refresh_due(row, env.calendar)
    await session.flush()
    return row, code


async def submit(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    applicant: domain.Applicant,
    wanted: domain.Request,
    *,
    key: str | None,
    fingerprint: str | None,
) -> pb.SubmitApplicationResponse:
    """Online (互联网渠道): received when the office confirms it (art. 31(3)). With an idempotency
    key, a second submit of the same application returns the first (`replayed`, no query code)."""
    if key and not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput({"idempotency_key": "8 to 64 letters, digits, '_' or '-'"})
    domain.check_application(applicant, wanted)
    today = env.today()
    # the portal's own identity files for applicants without an account: they follow by code only
    owner = "" if actor.is_service else actor.user_id
    if key:
        # concurrent submits with one key wait here for each other; the unique index backs it
        await rows.lock_idempotency_key(session, owner, key)
        earlier = await rows.by_idempotency_key(session, owner, key)
        if earlier is not None:
            if earlier.idempotency_fingerprint != fingerprint:
                raise InvalidInput({"idempotency_key": "already used for a different application"})
            await audit.record_act(session, ref_of(earlier), "application.submit-repeated", actor)
            reply = await reply_of(session, earlier, env, officer=False)
            return pb.SubmitApplicationResponse(application=reply, replayed=True)
    if owner:
        mine = await rows.list_page(session, rows.ListFilter(submitted_by_user_id=owner), MAX_ONLINE_PER_DAY)
        if sum(1 for r in mine if r.submitted_on == today) >= MAX_ONLINE_PER_DAY:
            raise TooManySubmissions(f"at most {MAX_ONLINE_PER_DAY} applications a day per account")
    row, code = await _new(
        session,
        env,
        applicant,
        wanted,
        channel=domain.Channel.ONLINE,
        submitted_on=today,
        signed_for_on=None,
        received_on=None,
        submitted_by=owner,
        idempotency_key=key,
        fingerprint=fingerprint,
    )
    await audit.record_act(session, ref_of(row), "application.submitted", actor)
    reply = await reply_of(session, row, env, officer=False)
    return pb.SubmitApplicationResponse(application=reply, query_code=code)


async def register(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    applicant: domain.Applicant,
    wanted: domain.Request,
    *,
    channel: domain.Channel | None,
    submitted_on: date,
    signed_for_on: date | None,
    confirmed_on: date | None,
) -> pb.SubmitApplicationResponse:
    """An application handed in, posted or faxed, registered by the office (art. 31)."""
    if channel is domain.Channel.ONLINE:
        raise InvalidInput({"channel": "online applications are filed on the portal (SubmitApplication)"})
    domain.check_application(applicant, wanted)
    domain.check_receipt(
        channel,
        submitted_on=submitted_on,
        signed_for_on=signed_for_on,
        confirmed_on=confirmed_on,
        today=env.today(),
    )
    received = domain.receipt_date(
        channel, submitted_on=submitted_on, signed_for_on=signed_for_on, confirmed_on=confirmed_on
    )
    row, code = await _new(
        session,
        env,
        applicant,
        wanted,
        channel=channel,
        submitted_on=submitted_on,
        signed_for_on=signed_for_on,
        received_on=received,
        submitted_by="",
    )
    await audit.record_act(session, ref_of(row), "application.registered", actor, channel.value)
    if received:
        await publish(session, "received", row, actor, pb.ApplicationReceived(application=summary(row)))
    reply = await reply_of(session, row, env, officer=True)
    return pb.SubmitApplicationResponse(application=reply, query_code=code)


async def confirm_receipt(
    session: AsyncSession, actor: Actor, env: Env, application_id: str, confirmed: date
) -> pb.Application:
    row = await handled(session, application_id, env)
    domain.check_confirmation(
        domain.Channel(row.channel),
        domain.State(row.state),
        submitted_on=row.submitted_on,
        confirmed_on=confirmed,
        today=env.today(),
    )
    row.state = domain.State.RECEIVED.value
    row.received_on = row.clock_started_on = confirmed
    await touch(session, row, "application.received", actor, env.calendar, f"confirmed {confirmed} (art. 31)")
    await publish(session, "received", row, actor, pb.ApplicationReceived(application=summary(row)))
    return await reply_of(session, row, env, officer=True)


# ---- reading ---------------------------------------------------------------------------------------


async def read(
    session: AsyncSession, actor: Actor, env: Env, application_id: str = "", query_code: str = ""
) -> pb.Application:
    """The owner (by account or code) or an officer; the read is recorded."""
    row, officer = await owned(session, actor, application_id, query_code, env)
    await audit.record_act(
        session, ref_of(row), "application.read", actor, "query code" if query_code.strip() else ""
    )
    return await reply_of(session, row, env, officer=officer and not query_code.strip())


# ---- art. 30: completion ---------------------------------------------------------------------------


async def request_completion(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    application_id: str,
    *,
    requested: date,
    items: str,
    period_working_days: int,
) -> pb.Application:
    row = await handled(session, application_id, env)
    domain.check_completion_request(
        state=domain.State(row.state),
        already_requested=row.completion is not None,
        received_on=row.received_on or requested,
        requested_on=requested,
        items=items,
        period_working_days=period_working_days,
        today=env.today(),
        cal=env.calendar,
    )
    period = period_working_days or domain.DEFAULT_COMPLETION_PERIOD
    due = domain.completion_due(requested, period, env.calendar)
    row.completion = {
        "items": items.strip(),
        "requested_on": requested.isoformat(),
        "period_working_days": period,
        "due_on": due.due.isoformat(),
    }
    row.completion_due = due.due
    row.state = domain.State.AWAITING_COMPLETION.value
    await touch(session, row, "application.completion-requested", actor, env.calendar, items.strip())
    await publish(
        session,
        "completion-requested",
        row,
        actor,
        pb.ApplicationCompletionRequested(application=summary(row), completion_due=date_to_proto(due.due)),
    )
    return await reply_of(session, row, env, officer=True)


async def complete(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    application_id: str,
    query_code: str,
    *,
    completed_on: date | None,
    content: str,
) -> pb.Application:
    """Art. 30: the completion arrives; the reply limit restarts from that day. `completed_on` is the
    office's to set; an applicant completes today."""
    officer = actor.may("application:handle")
    today = env.today()
    if completed_on is not None and not officer:
        raise InvalidInput({"completed_on": "set by the office; an applicant completes today"})
    completed = completed_on or today
    row, _ = await owned(session, actor, application_id, query_code, env, for_update=True)
    if domain.State(row.state) is domain.State.LAPSED:
        raise RuleViolation(
            "OGI30.lapsed",
            f"the period to complete ended on {row.completion_due}: the application is deemed withdrawn",
        )
    domain.check_completion(
        state=domain.State(row.state),
        requested_on=date.fromisoformat(row.completion["requested_on"]) if row.completion else completed,
        completed_on=completed,
        due=row.completion_due or completed,
        content=content,
        today=today,
    )
    row.completion = {**row.completion, "completed_on": completed.isoformat(), "content": content.strip()}
    row.state = domain.State.RECEIVED.value
    row.clock_started_on = completed
    await touch(session, row, "application.completed", actor, env.calendar, "limit restarts (art. 30)")
    await publish(
        session,
        "completed",
        row,
        actor if officer else None,
        pb.ApplicationCompleted(application=summary(row)),
    )
    return await reply_of(session, row, env, officer=officer)


async def withdraw(
    session: AsyncSession, actor: Actor, env: Env, application_id: str, query_code: str, reason: str
) -> pb.Application:
    """The applicant withdraws (撤回) an open application: by account or code, or an officer records
    a withdrawal received in writing. The limit stops; the report counts it under 其他."""
    officer = actor.may("application:handle")
    row, _ = await owned(session, actor, application_id, query_code, env, for_update=True)
    domain.check_withdrawal(state=domain.State(row.state), reason=reason)
    row.state = domain.State.WITHDRAWN.value
    row.withdrawn_on = env.today()
    await touch(session, row, "application.withdrawn", actor, env.calendar, reason.strip())
    await publish(
        session,
        "withdrawn",
        row,
        actor if officer else None,
        pb.ApplicationWithdrawn(application=summary(row), withdrawn_on=date_to_proto(row.withdrawn_on)),
    )
    return await reply_of(session, row, env, officer=officer)
