"""Acts on a meeting (会议): schedule it (A40–A42, A44, A45, A73, A81), start it with its quorum (A42)
and close it once no topic is undecided."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.meetings.v1 import events_pb2, meetings_pb2

from services.meetings import domain, models, store
from services.meetings.acts import Env
from services.meetings.acts.people import as_person, chair_today, person_or_bad_input, recorded_actor, seats
from services.meetings.domain import MeetingKind, MeetingState, TopicState
from services.meetings.protos import NewMeeting, meeting_to_proto
from shared import audit
from shared.errors import Forbidden, InvalidInput
from shared.identity import Actor
from shared.outbox import add_event


async def schedule_meeting(
    session: AsyncSession, actor: Actor, new: NewMeeting, env: Env
) -> meetings_pb2.Meeting:
    """A40–A45: who convenes and chairs each kind, its members and attendees, its day; nobody in two
    meetings at once (checked under a lock); an executive meeting opens with A81 and A73."""
    domain.check_duration(new.duration_minutes)
    domain.check_meeting_day(
        new.day,
        today=env.today(),
        working_day=env.calendar.is_working_day(new.day),
        emergency=new.emergency,
        emergency_reason=new.emergency_reason,
    )
    directory = await env.org.directory()
    convener = await as_person(env, actor.user_id, new.day, actor.positions)
    chair = await person_or_bad_input(env, new.chair_user_id, "chair_user_id")
    delegated_by = await person_or_bad_input(env, new.delegated_by_user_id, "delegated_by_user_id")
    for field, named in (
        ("member_user_ids", new.member_user_ids),
        ("invitee_user_ids", new.invitee_user_ids),
    ):
        unknown = [u for u in named if not directory.known(u)]
        if unknown:
            raise InvalidInput({field: f"no position holder with user id {', '.join(unknown)}"})
    convening = domain.check_convening(new.kind, convener=convener, chair=chair, delegated_by=delegated_by)
    members = domain.members_for(
        new.kind, directory.holders, convener_user_id=actor.user_id, named_members=new.member_user_ids
    )
    invitees = domain.invitees_for(new.kind, directory.holders, new.invitee_user_ids, members)
    recorded = await recorded_actor(env, actor, convener)
    end = new.start_minute + new.duration_minutes
    row = models.Meeting(
        kind=new.kind.value,
        title=new.title,
        convener_user_id=actor.user_id,
        convener_organisation_code=actor.organisation_code,
        chair_user_id=convening.chair_user_id,
        delegated_by_user_id=convening.delegated_by_user_id,
        day=new.day,
        start_minute=new.start_minute,
        duration_minutes=new.duration_minutes,
        location=new.location,
        emergency=new.emergency,
        emergency_reason=new.emergency_reason,
        state=MeetingState.SCHEDULED.value,
        member_user_ids=members,
        invitee_user_ids=invitees,
        attending_organisation_codes=list(domain.ATTENDING_ORGANISATIONS[new.kind]),
        present_user_ids=[],
        fixed_agenda=[[k.value, t] for k, t in domain.fixed_agenda(new.kind)],
    )
    await store.lock_bookings(session)
    candidate = domain.Booking("", new.title, new.day, new.start_minute, end, frozenset(row.participants))
    domain.check_double_booking(candidate, await store.bookings_on(session, new.day))
    await store.add(session, row)
    ref = f"meeting/{row.id}"
    await audit.record_act(session, ref, "meeting.scheduled", recorded, new.emergency_reason)
    reply = meeting_to_proto(row, await audit.history(session, ref))
    await add_event(
        session, "meetings.meeting.scheduled", events_pb2.MeetingScheduled(meeting=reply), ref, recorded
    )
    return reply


def _require_runner(actor: Actor, row: models.Meeting, chair_today: str) -> None:
    if actor.user_id not in {row.convener_user_id, row.chair_user_id, chair_today}:
        raise Forbidden(
            "the meeting is opened and closed by its convener or chair (or the chair's stand-in)",
            reason="NOT_CONVENER_OR_CHAIR",
        )


async def start_meeting(
    session: AsyncSession, actor: Actor, meeting_id: str, present: list[str], env: Env
) -> meetings_pb2.Meeting:
    """A42: opened only with more than half of the members present, acting holders counted; a chair
    away is replaced by the acting holder org names (A10, A59)."""
    row = await store.get_meeting(session, meeting_id, for_update=True)
    domain.check_start(MeetingState(row.state))
    kind = MeetingKind(row.kind)
    chair, basis = await chair_today(env, row)
    _require_runner(actor, row, chair)
    quorum = domain.count_quorum(await seats(env, row), present) if kind is MeetingKind.EXECUTIVE else None
    if quorum is not None:
        domain.check_quorum(kind, quorum)
    previous_chair = row.chair_user_id
    row.chair_user_id = chair
    row.present_user_ids = present
    row.state = MeetingState.IN_PROGRESS.value
    await session.flush()
    ref = f"meeting/{row.id}"
    reason = f"{quorum.present} of {quorum.members} members present" if quorum else ""
    if quorum and quorum.acting:
        reason += "; acting: " + ", ".join(f"{a} for {h}" for h, a in quorum.acting.items())
    if basis:
        # A10, A59: the chair is away on the meeting's day; the acting holder chairs.
        reason += f"; chair {chair} {basis}"
        await audit.record_act(
            session, ref, "meeting.chair-acting", actor, f"{chair} chairs, {basis} ({previous_chair} away)"
        )
    await audit.record_act(session, ref, "meeting.started", actor, reason.strip("; "))
    reply = meeting_to_proto(row, await audit.history(session, ref))
    await add_event(session, "meetings.meeting.started", events_pb2.MeetingStarted(meeting=reply), ref, actor)
    return reply


async def close_meeting(session: AsyncSession, actor: Actor, meeting_id: str) -> meetings_pb2.Meeting:
    """Closed by its convener or chair once no topic on it is undecided (A42.undecided-topic)."""
    row = await store.get_meeting(session, meeting_id, for_update=True)
    _require_runner(actor, row, row.chair_user_id)
    topics = await store.topics_of(session, row.id)
    domain.check_close(MeetingState(row.state), {str(t.id): TopicState(t.state) for t in topics})
    row.state = MeetingState.CLOSED.value
    await session.flush()
    ref = f"meeting/{row.id}"
    await audit.record_act(session, ref, "meeting.closed", actor)
    reply = meeting_to_proto(row, await audit.history(session, ref))
    await add_event(session, "meetings.meeting.closed", events_pb2.MeetingClosed(meeting=reply), ref, actor)
    return reply
