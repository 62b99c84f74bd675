"""Acts on leave from a meeting (请假, A43): an attendee asks, the secretary-general checks an attendee's
request who is not a city leader, the mayor approves or refuses."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.meetings.v1 import meetings_pb2

from services.meetings import domain, models, store
from services.meetings.acts import Env
from services.meetings.acts.people import as_person, recorded_actor
from services.meetings.domain import MeetingKind, MeetingState, Person
from services.meetings.protos import Verdict, leave_to_proto
from shared import audit
from shared.identity import Actor


async def request_leave(
    session: AsyncSession, actor: Actor, meeting_id: str, reason: str
) -> meetings_pb2.MeetingLeave:
    """A43: only from a plenary or executive meeting the applicant takes part in, once."""
    meeting = await store.get_meeting(session, meeting_id, for_update=True)
    earlier = await store.leaves_of_meeting(session, meeting.id)
    leader = domain.check_leave_request(
        kind=MeetingKind(meeting.kind),
        meeting_state=MeetingState(meeting.state),
        applicant=Person(actor.user_id, actor.positions),
        participants=meeting.participants,
        reason=reason,
        already_asked=any(
            x.user_id == actor.user_id and x.state != domain.LeaveState.REFUSED.value for x in earlier
        ),
    )
    row = await store.add(
        session,
        models.MeetingLeave(
            meeting_id=meeting.id,
            user_id=actor.user_id,
            reason=reason.strip(),
            leader=leader,
            state=domain.LeaveState.REQUESTED.value,
        ),
    )
    ref = f"meeting-leave/{row.id}"
    await audit.record_act(session, ref, "meeting-leave.requested", actor, row.reason)
    return leave_to_proto(row, await audit.history(session, ref))


async def check_leave(
    session: AsyncSession, actor: Actor, leave_id: str, opinion: str
) -> meetings_pb2.MeetingLeave:
    """A43: the secretary-general checks (核) an attendee's leave before the mayor approves."""
    row = await store.get_leave(session, leave_id, for_update=True)
    domain.check_leave_check(
        domain.LeaveState(row.state), leader=row.leader, checker=Person(actor.user_id, actor.positions)
    )
    row.state = domain.LeaveState.CHECKED.value
    await session.flush()
    ref = f"meeting-leave/{row.id}"
    await audit.record_act(session, ref, "meeting-leave.checked", actor, opinion.strip())
    return leave_to_proto(row, await audit.history(session, ref))


async def decide_leave(
    session: AsyncSession, actor: Actor, verdict: Verdict, env: Env
) -> meetings_pb2.MeetingLeave:
    """A43: the mayor (or the leader acting as mayor) approves or refuses."""
    decider = await as_person(env, actor.user_id, env.today(), actor.positions)
    recorded = await recorded_actor(env, actor, decider)
    row = await store.get_leave(session, verdict.subject_id, for_update=True)
    domain.check_leave_decision(domain.LeaveState(row.state), leader=row.leader, decider=decider)
    row.state = (domain.LeaveState.APPROVED if verdict.accept else domain.LeaveState.REFUSED).value
    await session.flush()
    ref = f"meeting-leave/{row.id}"
    await audit.record_act(session, ref, f"meeting-leave.{row.state}", recorded, verdict.reason)
    return leave_to_proto(row, await audit.history(session, ref))
