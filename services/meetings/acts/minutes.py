"""Acts on minutes (纪要) and the decisions they record (A43, A45, A26): the office drafts or revises
them, the signer signs them off — each decision item then gets the next number of its series and
year and is published for supervision —, and signed corrected minutes supersede the decisions of the
minutes they correct."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.meetings.v1 import events_pb2, meetings_pb2

from services.meetings import domain, models, store
from services.meetings.acts import Env
from services.meetings.acts.people import as_person, recorded_actor
from services.meetings.domain import MeetingKind, MeetingState, Person
from services.meetings.protos import MinutesText, decision_to_proto, minutes_to_proto
from shared import audit
from shared.errors import InvalidInput
from shared.identity import Actor
from shared.outbox import add_event


def _stored(items: tuple[domain.DecisionDraft, ...]) -> list[dict]:
    return [
        {
            "topic_id": i.topic_id,
            "text": i.text,
            "owner_organisation_code": i.owner_organisation_code,
            "due": i.due.isoformat(),
            "category": i.category.value,
            "matter_ref": i.matter_ref,
        }
        for i in items
    ]


async def draft_minutes(session: AsyncSession, actor: Actor, draft: MinutesText) -> meetings_pb2.Minutes:
    """A43, A45: drafted by the research office (plenary), the general office (executive, mayor's
    office) or the convener's side (special-topic); revised until signed; a correction of signed
    minutes is new minutes linked to them (A26)."""
    meeting = await store.get_meeting(session, draft.meeting_id)
    kind = MeetingKind(meeting.kind)
    domain.check_minutes_meeting(MeetingState(meeting.state))
    domain.check_minutes_drafter(
        kind,
        drafter_organisation=actor.organisation_code,
        convener_organisation=meeting.convener_organisation_code,
    )
    topics = await store.topics_of(session, meeting.id)
    domain.check_decision_items(draft.items, meeting_day=meeting.day, topic_ids=[str(t.id) for t in topics])
    stored_items = _stored(draft.items)
    if draft.minutes_id:
        row = await store.get_minutes(session, draft.minutes_id, for_update=True)
        if row.meeting_id != meeting.id:
            raise InvalidInput({"minutes_id": "the minutes belong to another meeting"})
        domain.check_minutes_editable(domain.MinutesState(row.state))
        row.text, row.decisions = draft.text, stored_items
        row.drafted_by_user_id, row.drafted_by_organisation_code = actor.user_id, actor.organisation_code
        await session.flush()
        act = "minutes.revised"
    else:
        corrects = None
        if draft.corrects_minutes_id:
            target = await store.get_minutes(session, draft.corrects_minutes_id)
            domain.check_correction_target(
                domain.MinutesState(target.state), same_meeting=target.meeting_id == meeting.id
            )
            corrects = target.id
        row = await store.add(
            session,
            models.Minutes(
                meeting_id=meeting.id,
                state=domain.MinutesState.DRAFT.value,
                text=draft.text,
                decisions=stored_items,
                drafted_by_user_id=actor.user_id,
                drafted_by_organisation_code=actor.organisation_code,
                signed_by_user_id="",
                corrects_minutes_id=corrects,
            ),
        )
        act = "minutes.drafted"
        if corrects:
            act = "minutes.correction-drafted"
            # The corrected minutes keep their text; their history names the correction.
            await audit.record_act(session, f"minutes/{corrects}", "minutes.corrected-by", actor, str(row.id))
    ref = f"minutes/{row.id}"
    await audit.record_act(session, ref, act, actor)
    return minutes_to_proto(row, (), await audit.history(session, ref))


async def _record_decisions(
    session: AsyncSession, row: models.Minutes, meeting: models.Meeting, kind: MeetingKind
) -> list[models.Decision]:
    """Each decision item gets the next number of its series and year (counter row locked FOR UPDATE)."""
    decisions = []
    for item in row.decisions:
        number = await store.next_decision_number(session, kind.value, meeting.day.year)
        decisions.append(
            await store.add(
                session,
                models.Decision(
                    series=kind.value,
                    year=meeting.day.year,
                    number=number,
                    reference=domain.decision_reference(kind, meeting.day.year, number),
                    meeting_id=meeting.id,
                    minutes_id=row.id,
                    topic_id=item["topic_id"],
                    text=item["text"],
                    owner_organisation_code=item["owner_organisation_code"],
                    due=date.fromisoformat(item["due"]),
                    category=item["category"],
                    matter_ref=item["matter_ref"],
                    decided_on=meeting.day,
                ),
            )
        )
    return decisions


async def sign_minutes(
    session: AsyncSession, actor: Actor, minutes_id: str, env: Env
) -> meetings_pb2.Minutes:
    """A43, A45: signed off by the mayor / the delegated chair / the convener or delegating leader.
    Each decision gets the next number of its series and year, and is published for supervision."""
    row = await store.get_minutes(session, minutes_id, for_update=True)
    domain.check_minutes_editable(domain.MinutesState(row.state))
    meeting = await store.get_meeting(session, str(row.meeting_id))
    kind = MeetingKind(meeting.kind)
    signer = Person(actor.user_id, actor.positions)
    if kind is not MeetingKind.SPECIAL_TOPIC and domain.MAYOR not in actor.positions:
        signer = await as_person(env, actor.user_id, env.today(), actor.positions)
    domain.check_minutes_signer(
        kind,
        signer=signer,
        convener_user_id=meeting.convener_user_id,
        chair_user_id=meeting.chair_user_id,
        delegated_by_user_id=meeting.delegated_by_user_id,
    )
    recorded = await recorded_actor(env, actor, signer)
    row.state = domain.MinutesState.SIGNED.value
    row.signed_by_user_id = actor.user_id
    row.signed_at = datetime.now(UTC)
    await session.flush()
    ref = f"minutes/{row.id}"
    decisions = await _record_decisions(session, row, meeting, kind)
    await audit.record_act(
        session, ref, "minutes.signed", recorded, ", ".join(d.reference for d in decisions)
    )
    reply = minutes_to_proto(row, [d.id for d in decisions], await audit.history(session, ref))
    await add_event(
        session, "meetings.minutes.signed", events_pb2.MinutesSigned(minutes=reply), ref, recorded
    )
    for decision in decisions:
        await add_event(
            session,
            "meetings.decision.recorded",
            events_pb2.DecisionRecorded(decision=decision_to_proto(decision)),
            f"decision/{decision.id}",
            recorded,
        )
    if row.corrects_minutes_id:
        await _supersede(session, row, decisions, recorded, env.today())
    return reply


async def _supersede(
    session: AsyncSession, correction: models.Minutes, restated: list, actor: Actor, today: date
) -> None:
    """A26: the decisions of the corrected minutes that still stood are superseded, each by
    its restatement in the correction or withdrawn; supervision learns it by event."""
    standing = [
        d
        for d in await store.decisions_of_minutes(session, correction.corrects_minutes_id)
        if d.superseded_by_minutes_id is None
    ]

    def key(d: models.Decision) -> domain.DecisionKey:
        return domain.DecisionKey(str(d.id), d.topic_id, d.owner_organisation_code, d.matter_ref)

    replaced = domain.superseded_decisions(map(key, standing), map(key, restated))
    for old in standing:
        old.superseded_by_minutes_id = correction.id
        old.superseded_by_decision_id = uuid.UUID(replaced[str(old.id)]) if replaced[str(old.id)] else None
        old.superseded_on = today
    await session.flush()
    for old in standing:
        by = next((d.reference for d in restated if d.id == old.superseded_by_decision_id), "withdrawn")
        ref = f"decision/{old.id}"
        await audit.record_act(session, ref, "decision.superseded", actor, f"{old.reference} → {by}")
        await add_event(
            session,
            "meetings.decision.superseded",
            events_pb2.DecisionSuperseded(decision=decision_to_proto(old)),
            ref,
            actor,
        )
