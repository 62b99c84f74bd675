"""Acts on department meetings (A46): a department asks the city government to approve a city-wide
meeting, county heads' or city leaders' attendance; the mayor approves or refuses."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from zgov.meetings.v1 import meetings_pb2

from services.meetings import domain, models, store
from services.meetings.acts import Env
from services.meetings.acts.people import as_person, recorded_actor
from services.meetings.protos import Verdict, department_meeting_to_proto
from shared import audit
from shared.identity import Actor


async def request_department_meeting(
    session: AsyncSession, actor: Actor, candidate: domain.DepartmentMeetingRequest, env: Env
) -> meetings_pb2.DepartmentMeeting:
    """A46: never in the city government's name; one city-wide meeting a year unless argued (checked
    under the department's lock); video unless a reason is given."""
    directory = await env.org.directory()
    leaders = [u for p in domain.CITY_LEADERS for u in directory.holders.get(p, [])]
    await store.lock_department(session, actor.organisation_code)
    year = candidate.day.year if candidate.day else env.today().year
    domain.check_department_meeting(
        candidate,
        today=env.today(),
        leaders=leaders,
        city_wide_this_year=await store.city_wide_meetings_in_year(session, actor.organisation_code, year),
    )
    row = await store.add(
        session,
        models.DepartmentMeeting(
            organisation_code=actor.organisation_code,
            requested_by_user_id=actor.user_id,
            title=candidate.title.strip(),
            day=candidate.day,
            city_wide=candidate.city_wide,
            invites_county_heads=candidate.invites_county_heads,
            leader_user_ids=list(candidate.leader_user_ids),
            format=candidate.format.value,
            in_person_reason=candidate.in_person_reason.strip(),
            exception_reason=candidate.exception_reason.strip(),
            state=domain.DepartmentMeetingState.REQUESTED.value,
        ),
    )
    ref = f"department-meeting/{row.id}"
    await audit.record_act(session, ref, "department-meeting.requested", actor, row.exception_reason)
    return department_meeting_to_proto(row, await audit.history(session, ref))


async def decide_department_meeting(
    session: AsyncSession, actor: Actor, verdict: Verdict, env: Env
) -> meetings_pb2.DepartmentMeeting:
    """A46: the mayor (市政府主要领导) approves or refuses."""
    decider = await as_person(env, actor.user_id, env.today(), actor.positions)
    recorded = await recorded_actor(env, actor, decider)
    row = await store.get_department_meeting(session, verdict.subject_id, for_update=True)
    domain.check_department_meeting_decision(domain.DepartmentMeetingState(row.state), decider)
    state = (
        domain.DepartmentMeetingState.APPROVED if verdict.accept else domain.DepartmentMeetingState.REFUSED
    )
    row.state = state.value
    row.decision_reason = verdict.reason
    await session.flush()
    ref = f"department-meeting/{row.id}"
    await audit.record_act(session, ref, f"department-meeting.{state.value}", recorded, row.decision_reason)
    return department_meeting_to_proto(row, await audit.history(session, ref))
