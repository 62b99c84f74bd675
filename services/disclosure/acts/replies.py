"""Acts of the office on a received application (依申请公开): consulting a third party (art. 32, 34),
more time (art. 33 extension, art. 35 deferral), the reply (art. 36–39), its letters downloaded,
reviews and lawsuits recorded (art. 50(3), 51)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.acts import Env
from services.disclosure.acts.applications import handled, owned, publish, ref_of, reply_of, touch
from services.disclosure.domain import applications as domain
from services.disclosure.models import ApplicationRemedy, InfoApplication
from services.disclosure.protos.applications import EXEMPTION_TO_PROTO, REPLY_TO_PROTO, reply_to_json, summary
from services.disclosure.store import applications as rows
from shared import audit
from shared.convert import date_to_proto
from shared.errors import InvalidInput, NotFound, RuleViolation
from shared.identity import Actor
from zgov.disclosure.v1 import applications_pb2 as pb

LETTER_PREFIX = "资府办依申复"


# ---- art. 32, 34: consultation ------------------------------------------------------------------


async def start_consultation(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    application_id: str,
    *,
    party: domain.ConsultedParty | None,
    party_name: str,
    sent: date,
) -> pb.Application:
    row = await handled(session, application_id, env)
    domain.check_consultation(
        state=domain.State(row.state),
        party=party,
        party_name=party_name,
        sent_on=sent,
        started_on=row.clock_started_on,
        today=env.today(),
    )
    row.consultations = [
        *row.consultations,
        {
            "id": str(uuid.uuid4()),
            "party": party.value,
            "party_name": party_name.strip(),
            "sent_on": sent.isoformat(),
            "answered_on": None,
            "consents": None,
            "opinion": "",
        },
    ]
    row.state = domain.State.CONSULTING.value
    await touch(session, row, "application.consultation-started", actor, env.calendar, party.value)
    return await reply_of(session, row, env, officer=True)


async def record_opinion(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    application_id: str,
    *,
    consultation_id: str,
    answered: date,
    consents: bool | None,
    opinion: str,
) -> pb.Application:
    row = await handled(session, application_id, env)
    found = [c for c in row.consultations if c["id"] == consultation_id.strip()]
    if not found or found[0]["answered_on"]:
        raise InvalidInput({"consultation_id": "no open consultation with this id"})
    domain.check_opinion(
        state=domain.State(row.state),
        sent_on=date.fromisoformat(found[0]["sent_on"]),
        answered_on=answered,
        opinion=opinion,
        today=env.today(),
    )
    if consents is None:
        raise InvalidInput({"answer": "consents or objects"})
    row.consultations = [
        {**c, "answered_on": answered.isoformat(), "consents": consents, "opinion": opinion.strip()}
        if c["id"] == found[0]["id"]
        else c
        for c in row.consultations
    ]
    if all(c["answered_on"] for c in row.consultations):
        row.state = domain.State.RECEIVED.value  # the clock runs again
    await touch(
        session,
        row,
        "application.opinion-recorded",
        actor,
        env.calendar,
        "consents" if consents else "objects",
    )
    return await reply_of(session, row, env, officer=True)


# ---- art. 33, 35: more time -----------------------------------------------------------------------


async def extend(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    application_id: str,
    *,
    working_days: int,
    reason: str,
    notice: str,
    approved: date,
) -> pb.Application:
    """Approved by the head of the disclosure office (the permission), the applicant told."""
    row = await handled(session, application_id, env)
    current = domain.reply_due(rows.clock_of(row), env.calendar) if row.clock_started_on else None
    domain.check_extension(
        state=domain.State(row.state),
        already_extended=row.extension is not None,
        working_days=working_days,
        reason=reason,
        notice=notice,
        approved_on=approved,
        started_on=row.clock_started_on or approved,
        current_due=current.due if current else approved,
        today=env.today(),
    )
    row.extension = {
        "working_days": working_days,
        "reason": reason.strip(),
        "notice": notice.strip(),
        "approved_by_user_id": actor.user_id,
        "approved_on": approved.isoformat(),
    }
    await touch(session, row, "application.extended", actor, env.calendar, reason.strip())
    await publish(
        session,
        "extended",
        row,
        actor,
        pb.ApplicationExtended(application=summary(row), working_days=working_days),
    )
    return await reply_of(session, row, env, officer=True)


async def request_reasons(
    session: AsyncSession, actor: Actor, env: Env, application_id: str, *, on: date, note: str
) -> pb.Application:
    row = await handled(session, application_id, env)
    domain.check_reasons_request(
        state=domain.State(row.state),
        already_asked=bool((row.deferral or {}).get("reasons_requested_on")),
        note=note,
    )
    row.deferral = {
        **(row.deferral or {}),
        "reasons_requested_on": on.isoformat(),
        "reasons_note": note.strip(),
    }
    await touch(session, row, "application.reasons-requested", actor, env.calendar, note.strip())
    return await reply_of(session, row, env, officer=True)


async def defer(
    session: AsyncSession, actor: Actor, env: Env, application_id: str, *, deferred_to: date, notice: str
) -> pb.Application:
    row = await handled(session, application_id, env)
    current = domain.reply_due(rows.clock_of(row), env.calendar)
    domain.check_deferral(
        state=domain.State(row.state),
        reasons_asked=bool((row.deferral or {}).get("reasons_requested_on")),
        deferred_to=deferred_to,
        current_due=current.due,
        notice=notice,
        today=env.today(),
    )
    row.deferral = {**row.deferral, "deferred_to": deferred_to.isoformat(), "notice": notice.strip()}
    await touch(session, row, "application.deferred", actor, env.calendar, notice.strip())
    return await reply_of(session, row, env, officer=True)


# ---- art. 36–39: the reply ------------------------------------------------------------------------


async def reply(
    session: AsyncSession, actor: Actor, env: Env, application_id: str, answer: domain.Reply, *, replied: date
) -> pb.Application:
    row = await handled(session, application_id, env)
    consented, objected = domain.consent_of(rows.consultations_of(row))
    domain.check_reply(
        answer,
        state=domain.State(row.state),
        started_on=row.clock_started_on,
        replied_on=replied,
        today=env.today(),
        reasons_asked=bool((row.deferral or {}).get("reasons_requested_on")),
        third_party_consented=consented,
        third_party_objected=objected,
        request_kind=domain.RequestKind(row.request_kind),
    )
    if answer.kind is domain.ReplyKind.REPEATED:
        await _check_earlier(session, row, answer.earlier_application)
    # the limit in force until this reply (cleared from the row once replied): late or not, for A64
    due = rows.refresh_due(row, env.calendar)
    row.reply_kind = answer.kind.value
    row.reply = reply_to_json(answer, f"{LETTER_PREFIX}〔{replied.year}〕{row.serial}号")
    row.replied_on = replied
    row.state = domain.State.REPLIED.value
    await touch(session, row, "application.replied", actor, env.calendar, answer.kind.value)
    await publish(
        session,
        "replied",
        row,
        actor,
        pb.ApplicationReplied(
            application=summary(row),
            kind=REPLY_TO_PROTO[answer.kind],
            exemption=EXEMPTION_TO_PROTO[answer.exemption] if answer.exemption else 0,
            replied_on=date_to_proto(replied),
            handling_body_code=actor.organisation_code,
            late=due is not None and replied > due.due,
        ),
    )
    return await reply_of(session, row, env, officer=True)


async def _check_earlier(session: AsyncSession, row: InfoApplication, number: str) -> None:
    """Art. 36(6): a repeat of an application this agency answered (when it is one of ours)."""
    if not number.startswith("YSQ"):
        return  # answered before this service kept applications: the officer's word
    earlier = await session.scalar(select(InfoApplication).where(InfoApplication.number == number))
    if earlier is None or earlier.id == row.id:
        raise InvalidInput({"reply.earlier_application": "no other application with this number"})
    if earlier.state != domain.State.REPLIED.value:
        raise RuleViolation(
            "OGI36.repeated-after-reply",
            f"{number} has not been answered: this is not a repeat of an answered one",
        )


async def download_reply(
    session: AsyncSession, actor: Actor, env: Env, application_id: str, query_code: str
) -> InfoApplication:
    """The reply letter fetched by its owner (account or code) or an officer: recorded; the caller
    renders the row (letters.reply_pdf)."""
    row, _ = await owned(session, actor, application_id, query_code, env)
    if not row.reply_kind:
        raise NotFound(f"a reply to application {row.number}", resource_type="reply")
    await audit.record_act(session, ref_of(row), "application.reply.downloaded", actor)
    return row


async def download_notice(
    session: AsyncSession, actor: Actor, env: Env, application_id: str, query_code: str, kind_name: str
) -> InfoApplication:
    row, _ = await owned(session, actor, application_id, query_code, env)
    await audit.record_act(session, ref_of(row), "application.notice.downloaded", actor, kind_name)
    return row


# ---- art. 50(3), 51: reviews and lawsuits ----------------------------------------------------------


async def record_remedy(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    application_id: str,
    *,
    remedy_id: str,
    kind: domain.RemedyKind | None,
    filed_on,
    outcome: domain.RemedyOutcome,
    decided: date | None,
    note: str,
) -> pb.Application:
    """A review or lawsuit filed, or its outcome; `filed_on` is called (it parses the day) only for a
    new one."""
    if len(note) > domain.MAX_TEXT:
        raise InvalidInput({"note": f"at most {domain.MAX_TEXT} characters"})
    if (outcome is domain.RemedyOutcome.PENDING) != (decided is None):
        raise InvalidInput({"decided_on": "set exactly when the outcome is decided (not pending)"})
    row = await handled(session, application_id, env)
    if remedy_id.strip():
        remedy = await rows.get_remedy(session, row.id, remedy_id)
        if decided and decided < remedy.filed_on:
            raise InvalidInput({"decided_on": "not before the day filed"})
        remedy.outcome, remedy.decided_on = outcome.value, decided
        remedy.note = note.strip() or remedy.note
    else:
        filed = filed_on()
        bad = []
        if kind is None:
            bad.append(("kind", "review, lawsuit, or lawsuit after review"))
        if not row.replied_on and not row.lapsed_on and not row.received_on:
            bad.append(("application_id", "nothing was decided on this application yet"))
        if filed > env.today():
            bad.append(("filed_on", "not in the future"))
        if decided and decided < filed:
            bad.append(("decided_on", "not before the day filed"))
        if bad:
            raise InvalidInput(bad)
        remedy: ApplicationRemedy = await rows.add_remedy(
            session,
            application_id=row.id,
            kind=kind.value,
            filed_on=filed,
            outcome=outcome.value,
            decided_on=decided,
            note=note.strip(),
        )
    await session.flush()
    await audit.record_act(
        session, ref_of(row), "application.remedy-recorded", actor, f"{remedy.kind}: {remedy.outcome}"
    )
    return await reply_of(session, row, env, officer=True)
