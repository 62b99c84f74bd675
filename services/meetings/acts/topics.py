"""Acts on agenda topics (议题, A42): a department files one (10 working days ahead, or with the mayor's
consent to short notice), the mayor consents or decides, the office records the outcome and releases
the materials to the attendees before the meeting."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.meetings.v1 import events_pb2, meetings_pb2

from services.meetings import domain, models, store
from services.meetings.acts import Env
from services.meetings.acts.people import as_person, person_or_bad_input, recorded_actor
from services.meetings.domain import MeetingKind, MeetingState, Person, TopicState
from services.meetings.protos import (
    NewConsent,
    NewProposal,
    NewTopic,
    Verdict,
    consent_to_proto,
    pb,
    proposal_to_proto,
    topic_to_proto,
)
from shared import audit, paper_records
from shared.errors import InvalidInput
from shared.identity import Actor
from shared.outbox import add_event


def _consent(row: models.AdHocConsent | None) -> domain.Consent | None:
    if row is None:
        return None
    return domain.Consent(str(row.id), str(row.meeting_id), row.organisation_code, row.topic_id)


def _proposal(row: models.TopicProposal | None) -> domain.Proposal | None:
    if row is None:
        return None
    return domain.Proposal(
        str(row.id),
        str(row.meeting_id),
        row.organisation_code,
        domain.TopicRoute(row.route),
        row.proposed_by_user_id,
        row.topic_id,
    )


async def propose_topic(
    session: AsyncSession, actor: Actor, new: NewProposal, env: Env
) -> meetings_pb2.TopicProposal:
    """A42: a vice mayor or the secretary-general proposes a department's topic in writing, after
    coordination; the proposal is the leader's own recorded act, which the department's filing names."""
    proposer = await as_person(env, actor.user_id, env.today(), actor.positions)
    domain.check_topic_route(new.route, proposer)
    recorded = await recorded_actor(env, actor, proposer)
    meeting = await store.get_meeting(session, new.meeting_id)
    if meeting.state != MeetingState.SCHEDULED.value:
        raise InvalidInput({"meeting_id": f"the meeting is {meeting.state}"})
    row = await store.add(
        session,
        models.TopicProposal(
            meeting_id=meeting.id,
            organisation_code=new.organisation_code,
            title=new.title,
            route=new.route.value,
            proposed_by_user_id=actor.user_id,
            topic_id="",
        ),
    )
    await audit.record_act(
        session,
        f"meeting/{meeting.id}",
        "topic.proposed",
        recorded,
        f"{new.organisation_code}: {new.title} ({new.route.value}, proposal {row.id})",
    )
    return proposal_to_proto(row)


async def file_topic(session: AsyncSession, actor: Actor, new: NewTopic, env: Env) -> meetings_pb2.Topic:
    """A42: the owning department files the documents and the approval form (议题审批表) at least 10
    working days before an executive meeting, or later with the mayor's recorded consent; the topic
    comes through a vice mayor or the secretary-general, or is set by the mayor."""
    proposer = await person_or_bad_input(env, new.proposed_by_user_id, "proposed_by_user_id")
    domain.check_topic_route(new.route, proposer or Person(""))
    filed_on, owner, paper_note = await _filing_day_and_owner(actor, new, env)
    meeting = await store.get_meeting(session, new.meeting_id, for_update=True)
    consent_row = None
    if new.ad_hoc_consent_id:
        consent_row = await store.get_consent(session, new.ad_hoc_consent_id, for_update=True)
    ad_hoc = domain.check_topic_filing(
        kind=MeetingKind(meeting.kind),
        meeting_id=str(meeting.id),
        meeting_state=MeetingState(meeting.state),
        meeting_day=meeting.day,
        filed_on=filed_on,
        organisation_code=owner,
        calendar=env.calendar,
        consent=_consent(consent_row),
    )
    proposal_row = None
    if new.proposal_id and new.route in domain.LEADER_ROUTES:
        proposal_row = await store.get_proposal(session, new.proposal_id, for_update=True)
    domain.check_leaders_proposal(
        new.route,
        _proposal(proposal_row),
        meeting_id=str(meeting.id),
        organisation_code=owner,
        proposed_by_user_id=new.proposed_by_user_id,
        names=(await env.org.directory()).names,
    )
    row = await store.add(
        session,
        models.Topic(
            meeting_id=meeting.id,
            title=new.title,
            summary=new.summary,
            owning_organisation_code=owner,
            route=new.route.value,
            proposed_by_user_id=new.proposed_by_user_id,
            filed_by_user_id=actor.user_id,
            approval_form_filed_on=filed_on,
            documents=list(new.documents),
            state=TopicState.FILED.value,
            ad_hoc=ad_hoc,
            ad_hoc_consent_id=str(consent_row.id) if ad_hoc and consent_row else "",
            decidable_within_portfolio=new.decidable_within_portfolio,
            matter_ref=new.matter_ref,
        ),
    )
    if ad_hoc and consent_row:
        consent_row.topic_id = str(row.id)
    if proposal_row is not None:
        proposal_row.topic_id = str(row.id)
    ref = f"topic/{row.id}"
    notes = ["ad hoc, with the mayor's consent" if ad_hoc else "", paper_note]
    await audit.record_act(session, ref, "topic.filed", actor, "; ".join(n for n in notes if n))
    return topic_to_proto(row, await audit.history(session, ref))


async def _filing_day_and_owner(actor: Actor, new: NewTopic, env: Env) -> tuple[date, str, str]:
    """(day filed, owning department, note for the act): today and the caller's department, or the day
    and department of a topic handed in on paper, entered by the general office (补录)."""
    today = env.today()
    if new.filed_on_paper is None:
        return today, actor.organisation_code, ""
    paper_records.check_may_enter_paper(actor, "topic:enter-paper", "FileTopic")
    day = paper_records.day_it_happened(new.filed_on_paper, today=today, field="filed_on_paper")
    if new.filing_organisation_code not in (await env.org.directory()).organisations:
        raise InvalidInput({"filing_organisation_code": f"no organisation {new.filing_organisation_code!r}"})
    return (
        day,
        new.filing_organisation_code,
        (f"filed on paper by {new.filing_organisation_code}; {paper_records.entered_note(day, today)}"),
    )


async def grant_ad_hoc_consent(
    session: AsyncSession, actor: Actor, new: NewConsent, env: Env
) -> meetings_pb2.AdHocConsent:
    """A42: no topic at short notice without the mayor's consent; the consent is a recorded act."""
    giver = await as_person(env, actor.user_id, env.today(), actor.positions)
    domain.check_ad_hoc_consent_giver(giver)
    recorded = await recorded_actor(env, actor, giver)
    meeting = await store.get_meeting(session, new.meeting_id)
    if meeting.state != MeetingState.SCHEDULED.value:
        raise InvalidInput({"meeting_id": f"the meeting is {meeting.state}"})
    row = await store.add(
        session,
        models.AdHocConsent(
            meeting_id=meeting.id,
            organisation_code=new.organisation_code,
            title=new.title,
            reason=new.reason,
            granted_by_user_id=actor.user_id,
            topic_id="",
        ),
    )
    await audit.record_act(
        session,
        f"meeting/{meeting.id}",
        "topic.ad-hoc-consent",
        recorded,
        f"{new.organisation_code}: {new.title} — {new.reason}",
    )
    return consent_to_proto(row)


async def decide_topic(session: AsyncSession, actor: Actor, verdict: Verdict, env: Env) -> meetings_pb2.Topic:
    """A42: the mayor decides whether a topic goes on the agenda (议题由市长确定)."""
    decider = await as_person(env, actor.user_id, env.today(), actor.positions)
    domain.check_topic_decider(decider)
    recorded = await recorded_actor(env, actor, decider)
    row = await store.get_topic(session, verdict.subject_id, for_update=True)
    domain.check_topic_decision(TopicState(row.state))
    domain.check_within_portfolio(verdict.accept, row.decidable_within_portfolio, verdict.reason)
    meeting = await store.get_meeting(session, str(row.meeting_id))
    if meeting.state == MeetingState.CLOSED.value:
        raise InvalidInput({"topic_id": "the meeting is closed"})
    row.state = (TopicState.ACCEPTED if verdict.accept else TopicState.REFUSED).value
    row.decision_reason = verdict.reason
    await session.flush()
    ref = f"topic/{row.id}"
    await audit.record_act(session, ref, f"topic.{row.state}", recorded, row.decision_reason)
    reply = topic_to_proto(row, await audit.history(session, ref))
    if verdict.accept:
        await add_event(
            session, "meetings.topic.accepted", events_pb2.TopicAccepted(topic=reply), ref, recorded
        )
    else:
        await add_event(
            session, "meetings.topic.refused", events_pb2.TopicRefused(topic=reply), ref, recorded
        )
    return reply


async def record_topic_outcome(
    session: AsyncSession, actor: Actor, topic_id: str, outcome: domain.TopicOutcome, note: str
) -> meetings_pb2.Topic:
    """The outcome of a topic on the agenda, recorded while the meeting is in progress."""
    row = await store.get_topic(session, topic_id, for_update=True)
    meeting = await store.get_meeting(session, str(row.meeting_id))
    domain.check_topic_outcome(TopicState(row.state), MeetingState(meeting.state))
    row.state = TopicState.DECIDED.value
    row.outcome = outcome.value
    await session.flush()
    ref = f"topic/{row.id}"
    await audit.record_act(session, ref, "topic.decided", actor, f"{outcome.value} {note}".strip())
    return topic_to_proto(row, await audit.history(session, ref))


async def release_materials(
    session: AsyncSession, actor: Actor, meeting_id: str
) -> meetings_pb2.ReleaseMaterialsResponse:
    """A42: the office sends the accepted topics' materials to the attendees before the meeting."""
    meeting = await store.get_meeting(session, meeting_id, for_update=True)
    topics = [
        t
        for t in await store.topics_of(session, meeting.id)
        if t.state == TopicState.ACCEPTED.value and t.materials_released_at is None
    ]
    domain.check_materials_release(MeetingState(meeting.state), len(topics))
    now = datetime.now(UTC)
    for topic in topics:
        topic.materials_released_at = now
        await audit.record_act(
            session,
            f"topic/{topic.id}",
            "topic.materials-released",
            actor,
            f"to {len(meeting.participants)} attendees",
        )
    await session.flush()
    reply = pb.ReleaseMaterialsResponse(
        topic_ids=[str(t.id) for t in topics], recipient_user_ids=meeting.participants
    )
    await add_event(
        session,
        "meetings.materials.released",
        events_pb2.MaterialsReleased(
            meeting_id=str(meeting.id), topic_ids=reply.topic_ids, recipient_user_ids=reply.recipient_user_ids
        ),
        f"meeting/{meeting.id}",
        actor,
    )
    return reply
