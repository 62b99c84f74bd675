"""Leaders and the petitioner's word (A71): a case marked for a city leader, the leader's instruction
(批示, which supervision makes an instructed item; given by an acting holder in the leader's place,
A10, A59), and the petitioner's satisfaction (满意度评价)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.petitions import domain
from services.petitions.store import cases as store
from services.petitions.acts import (
    ACTING_POSITIONS,
    Env,
    aggregate_ref,
    leader_positions,
    publish,
    reader,
    view_of,
)
from services.petitions.acts.handling import case_for_bureau_act
from services.petitions.acts.reads import by_query_code, reply_of
from services.petitions.protos.cases import SATISFACTION_TO_PROTO
from shared import audit
from shared.convert import date_to_proto
from shared.errors import Forbidden, InvalidInput
from shared.identity import Actor
from zgov.petitions.v1 import petitions_pb2


async def mark_for_leader(
    session: AsyncSession, actor: Actor, env: Env, case_id: str, leader: str, reason: str
) -> petitions_pb2.Case:
    """The bureau marks a case for a leader (an important letter, a reception-day visit, a major case).
    The caller has checked with org that `leader` is one (check_leader)."""
    row = await case_for_bureau_act(session, case_id, actor)
    if leader in row.marked_leader_ids:
        raise InvalidInput({"leader_user_id": "the case is marked for this leader already"})
    row.marked_leader_ids = [*row.marked_leader_ids, leader]
    row.leader_instructions = [
        *row.leader_instructions,
        {"leader_user_id": leader, "mark_reason": reason.strip()},
    ]
    await session.flush()
    await audit.record_act(
        session, aggregate_ref(row), "case.leader-marked", actor, f"{leader}: {reason.strip()}"
    )
    await publish(session, "leader-marked", row, actor, leader_user_id=leader)
    return await reply_of(session, env, row, actor)


async def check_leader(env: Env, leader: str, reason: str) -> None:
    """The input of a mark: a leader's user id (a mayor, vice mayor or secretary-general, per org)
    and why."""
    bad = []
    if not leader or len(leader) > 64:
        bad.append(("leader_user_id", "the leader's user id"))
    if not reason.strip():
        bad.append(("reason", "why: an important letter, a reception-day visit, a major case"))
    if bad:
        raise InvalidInput(bad)
    if env.org is not None and not leader_positions(await env.org.directory(), leader):
        raise InvalidInput({"leader_user_id": "not a mayor, vice mayor or secretary-general"})


async def instructing_for(
    env: Env, actor: Actor, marked_leader_ids: list[str], day: date
) -> tuple[str, Actor]:
    """Whose instruction the caller gives: his or her own, or (A10, A59) that of a marked leader
    who is away that day and whose duties org says the caller holds — recorded with both names.
    Asked of org before the act's transaction, so no connection waits on org."""
    if actor.user_id in marked_leader_ids or env.org is None:
        return actor.user_id, actor
    directory = await env.org.directory()
    for leader in marked_leader_ids:
        for position in leader_positions(directory, leader):
            if position not in ACTING_POSITIONS:
                continue
            acting = await env.org.who_may_act(position, day=day, holder_user_id=leader)
            if acting.holder_away and acting.acting_user_id == actor.user_id:
                return leader, actor.acting_for(leader, position)
    return actor.user_id, actor


async def instruct(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    case_id: str,
    *,
    leader: str,
    instructing: Actor,
    instruction: str,
    due: date | None,
    today: date,
) -> petitions_pb2.Case:
    """The marked leader's instruction (批示), given by `leader` (or in his or her place by `actor`,
    recorded as `instructing`: instructing_for)."""
    row = await store.get_case(session, case_id, for_update=True)
    domain.check_instruction(
        marked_leader_ids=row.marked_leader_ids,
        caller_user_id=leader,
        instruction=instruction,
        due=due,
        today=today,
    )
    entry = {
        "instruction": instruction.strip(),
        "instructed_on": today.isoformat(),
        "due": due.isoformat() if due else "",
        "acting_user_id": actor.user_id if leader != actor.user_id else "",
    }
    instructions = list(row.leader_instructions)
    open_mark = next(
        (i for i, e in enumerate(instructions) if e["leader_user_id"] == leader and not e.get("instruction")),
        None,
    )
    if open_mark is None:
        mark_reason = next(e["mark_reason"] for e in instructions if e["leader_user_id"] == leader)
        instructions.append({"leader_user_id": leader, "mark_reason": mark_reason, **entry})
    else:
        instructions[open_mark] = {**instructions[open_mark], **entry}
    row.leader_instructions = instructions
    await session.flush()
    await audit.record_act(
        session, aggregate_ref(row), "case.leader-instructed", instructing, entry["instruction"]
    )
    # The event goes to supervision: the case's names and numbers masked in the leader's words.
    terms = domain.personal_terms(row.petitioners, row.person_complained_about)
    facts = dict(
        leader_user_id=leader,
        instruction=domain.mask_personal(entry["instruction"], terms),
        instructed_on=date_to_proto(today),
    )
    if due:
        facts["due"] = date_to_proto(due)
    await publish(session, "leader-instructed", row, instructing, **facts)
    return await reply_of(session, env, row, instructing, view_of(env, instructing, row))


async def rate(
    session: AsyncSession,
    actor: Actor,
    env: Env,
    *,
    case_id: str,
    query_code: str,
    satisfaction: domain.Satisfaction | None,
    comment: str,
) -> petitions_pb2.Case:
    """The petitioner rates (by account or query code), or the bureau records a rating given by phone."""
    if query_code:
        row = await by_query_code(session, query_code, for_update=True)
        by_petitioner = True
    else:
        row = await store.get_case(session, case_id, for_update=True)
        by_petitioner = bool(row.submitted_by_user_id) and row.submitted_by_user_id == actor.user_id
        bureau_records = actor.may("petition:register") and reader(env, actor).is_bureau
        if not (by_petitioner or bureau_records):
            raise Forbidden(
                "a case is rated by its petitioner, or recorded by the bureau", reason="NOT_PETITIONER"
            )
    domain.check_rating(
        state=domain.CaseState(row.state), already_rated=bool(row.satisfaction), satisfaction=satisfaction
    )
    row.satisfaction = satisfaction.value
    row.satisfaction_comment = comment.strip()[:2000]
    await session.flush()
    await audit.record_act(session, aggregate_ref(row), "case.rated", actor, satisfaction.value)
    await publish(
        session,
        "rated",
        row,
        None if by_petitioner else actor,
        satisfaction=SATISFACTION_TO_PROTO[satisfaction],
    )
    view = domain.View.PETITIONER if by_petitioner else domain.View.FULL
    return await reply_of(session, env, row, actor, view)
