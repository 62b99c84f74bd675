"""Acts on suggestions and proposals (A67): register, assign, extend, reply, rate — one function per act,
in the caller's transaction. Each checks the rules (domain/proposals.py), changes the row, records the
act (A20, A26) and writes its event supervision.proposal.<event>.

A80: the proposers' contact details go into the row only; recorded acts and events name the proposal
by its session and number, and the proposers by name at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.supervision.acts.people import People
from services.supervision.domain import proposals as domain
from services.supervision.domain.proposals import ProposalState, Rating, ReplyClass
from services.supervision.models import Proposal
from services.supervision.store import proposals as store
from shared.audit import record_act
from shared.convert import date_to_proto
from shared.errors import InvalidInput, RuleViolation
from shared.outbox import add_event
from zgov.supervision.v1 import events_pb2
from zgov.supervision.v1 import proposals_pb2 as pb


def _enum_map(domain_enum, proto_enum, prefix: str) -> dict:
    return {member: proto_enum.Value(f"{prefix}_{member.name}") for member in domain_enum}


KIND_TO_PROTO = _enum_map(domain.ProposalKind, pb.ProposalKind, "PROPOSAL_KIND")
STATE_TO_PROTO = _enum_map(ProposalState, pb.ProposalState, "PROPOSAL_STATE")
CLASS_TO_PROTO = _enum_map(ReplyClass, pb.ReplyClass, "REPLY_CLASS")
RATING_TO_PROTO = _enum_map(Rating, pb.ProposerRating, "PROPOSER_RATING")

# supervision.proposal.<name> → its message (deploy/nats/streams.yaml lists the same).
MESSAGE_TYPES = {
    "registered": events_pb2.ProposalRegistered,
    "assigned": events_pb2.ProposalAssigned,
    "replied": events_pb2.ProposalReplied,
    "rated": events_pb2.ProposalRated,
    "limit-warned": events_pb2.ProposalLimitWarned,
}
LIMIT_STEP_TO_PROTO = {
    "due_soon": events_pb2.PROPOSAL_LIMIT_STEP_DUE_SOON,
    "overdue": events_pb2.PROPOSAL_LIMIT_STEP_OVERDUE,
}


@dataclass
class ProposalContext:
    today: date
    limits: domain.ProposalLimits
    people: People


def ref_of(row: Proposal) -> str:
    return f"proposal/{row.id}"


def label(row: Proposal) -> str:
    """How recorded acts name a proposal: its session and number, never a proposer's contact."""
    return f"{row.session} 第{row.number}号"


def summary(row: Proposal) -> events_pb2.ProposalSummary:
    message = events_pb2.ProposalSummary(
        proposal_id=str(row.id),
        kind=KIND_TO_PROTO[domain.ProposalKind(row.kind)],
        session=row.session,
        number=row.number,
        title=row.title,
        proposer_names=list(row.proposers),
        state=STATE_TO_PROTO[ProposalState(row.state)],
        lead_body_code=row.lead_body_code,
        co_body_codes=list(row.co_body_codes),
        lead_leader_user_id=row.lead_leader_user_id,
    )
    if row.due:
        message.due.CopyFrom(date_to_proto(row.due))
    return message


def reply_to_proto(reply: dict) -> pb.ProposalReply:
    message = pb.ProposalReply(
        round=reply["round"],
        reply_class=CLASS_TO_PROTO[ReplyClass(reply["reply_class"])],
        text=reply["text"],
        replied_on=date_to_proto(date.fromisoformat(reply["replied_on"])),
        replied_by_user_id=reply["replied_by_user_id"],
        document_number=reply["document_number"],
        late=reply["late"],
    )
    if reply.get("rating"):
        message.rating = RATING_TO_PROTO[Rating(reply["rating"])]
        message.rated_on.CopyFrom(date_to_proto(date.fromisoformat(reply["rated_on"])))
    return message


async def publish(session: AsyncSession, event: str, row: Proposal, actor, **facts) -> None:
    payload = MESSAGE_TYPES[event](proposal=summary(row), **facts)
    await add_event(session, f"supervision.proposal.{event}", payload, ref_of(row), actor)


# ---- the acts --------------------------------------------------------------------------------------


async def register(session: AsyncSession, actor, new: domain.NewProposal, ctx: ProposalContext) -> Proposal:
    """登记: as the congress or the CPPCC sent it; the same session and number once (A67.once)."""
    domain.check_new(new)
    row = await store.add_proposal(
        session,
        kind=new.kind.value,
        session=new.session.strip(),
        number=new.number.strip(),
        year=ctx.today.year,
        title=new.title.strip(),
        content=new.content.strip(),
        proposers=[p.name.strip() for p in new.proposers],
        proposer_contacts=[p.contact() for p in new.proposers],
        state=ProposalState.REGISTERED.value,
        lead_body_code="",
        co_body_codes=[],
        lead_leader_user_id="",
        registered_on=ctx.today,
        extended=False,
        replies=[],
    )
    if row is None:
        known = await store.registered_as(session, new.kind.value, new.session.strip(), new.number.strip())
        raise RuleViolation(
            "A67.once", f"{known.session} 第{known.number}号 is registered already", subject=ref_of(known)
        )
    await record_act(session, ref_of(row), "proposal.registered", actor, f"{label(row)} {row.title}")
    await publish(session, "registered", row, actor)
    return row


async def _check_leader(leader: str, ctx: ProposalContext) -> None:
    """A67: the leading leader (领办) is a city leader: the mayor, the executive vice mayor, a vice mayor."""
    if leader and leader not in dict(await ctx.people.holders_of(domain.LEADING_POSITIONS)):
        raise InvalidInput({"lead_leader_user_id": "not the mayor, the executive vice mayor or a vice mayor"})


async def assign(
    session: AsyncSession,
    actor,
    row: Proposal,
    lead: str,
    co_bodies: list[str],
    leader: str,
    ctx: ProposalContext,
) -> Proposal:
    """交办 (or reassign before any reply): the limit runs `handle_months` from today."""
    domain.check_state("assign", ProposalState(row.state), (ProposalState.REGISTERED, ProposalState.ASSIGNED))
    domain.check_bodies(lead, co_bodies, await ctx.people.organisation_codes())
    await _check_leader(leader, ctx)
    row.state = ProposalState.ASSIGNED.value
    row.lead_body_code, row.co_body_codes, row.lead_leader_user_id = lead, list(co_bodies), leader
    row.assigned_on = ctx.today
    row.due = domain.due_on_assignment(ctx.today, ctx.limits)
    row.extended = False
    await session.flush()
    led = f", led by {leader}" if leader else ""
    await record_act(
        session,
        ref_of(row),
        "proposal.assigned",
        actor,
        f"{label(row)} to {lead}{led}; reply by {row.due.isoformat()}",
    )
    await publish(session, "assigned", row, actor)
    return row


async def extend(
    session: AsyncSession, actor, row: Proposal, new_due: date | None, reason: str, ctx: ProposalContext
) -> Proposal:
    """The office approves a later limit (at most `max_months` after assignment)."""
    domain.check_state("extend", ProposalState(row.state), domain.HANDLING)
    domain.check_extension(ctx.today, row.assigned_on, row.due, new_due, reason, ctx.limits)
    old, row.due, row.extended = row.due, new_due, True
    await session.flush()
    await record_act(
        session,
        ref_of(row),
        "proposal.extended",
        actor,
        f"{label(row)}: {old.isoformat()} → {new_due.isoformat()}: {reason.strip()}",
    )
    await publish(session, "assigned", row, actor)
    return row


async def reply(
    session: AsyncSession,
    actor,
    row: Proposal,
    reply_class: ReplyClass | None,
    text: str,
    document_number: str,
    ctx: ProposalContext,
) -> Proposal:
    """答复 by the lead body, with its class; published through disclosure (supervision.proposal.replied)."""
    domain.check_state("reply to", ProposalState(row.state), domain.HANDLING)
    domain.check_lead_body(actor.organisation_code, row.lead_body_code)
    domain.check_reply(reply_class, text, document_number)
    domain.check_co_opinions(row.co_body_codes, row.co_opinions, len(row.replies) + 1)
    answer = {
        "round": len(row.replies) + 1,
        "reply_class": reply_class.value,
        "text": text.strip(),
        "replied_on": ctx.today.isoformat(),
        "replied_by_user_id": actor.user_id,
        "document_number": document_number.strip(),
        "late": bool(row.due and ctx.today > row.due),
        "rating": "",
        "rated_on": "",
    }
    row.replies = [*row.replies, answer]
    row.state = ProposalState.REPLIED.value
    await session.flush()
    late = "; after its limit" if answer["late"] else ""
    await record_act(
        session,
        ref_of(row),
        "proposal.replied",
        actor,
        f"{label(row)}: class {reply_class.name}, reply {answer['round']}{late}",
    )
    await publish(session, "replied", row, actor, reply=reply_to_proto(answer))
    return row


async def give_co_opinion(
    session: AsyncSession, actor, row: Proposal, text: str, ctx: ProposalContext
) -> Proposal:
    """协办意见: a co-body's opinion for this round's reply (once per body and round; a later one replaces it)."""
    domain.check_state("give an opinion on", ProposalState(row.state), domain.HANDLING)
    domain.check_co_body(actor.organisation_code, row.co_body_codes)
    if not text.strip() or len(text) > domain.MAX_TEXT:
        raise InvalidInput({"text": f"required, at most {domain.MAX_TEXT} characters"})
    round_ = len(row.replies) + 1
    kept = [o for o in row.co_opinions if (o["body_code"], o["round"]) != (actor.organisation_code, round_)]
    row.co_opinions = [
        *kept,
        {
            "body_code": actor.organisation_code,
            "round": round_,
            "text": text.strip(),
            "given_on": ctx.today.isoformat(),
            "given_by_user_id": actor.user_id,
        },
    ]
    await session.flush()
    await record_act(
        session, ref_of(row), "proposal.co-opinion", actor, f"{label(row)}: {actor.organisation_code}"
    )
    return row


async def rate(
    session: AsyncSession, actor, row: Proposal, rating: Rating | None, note: str, ctx: ProposalContext
) -> Proposal:
    """The proposer's rating of the last reply; a first 'not satisfied' reopens it once (重新办理)."""
    if rating is None:
        raise InvalidInput({"rating": "satisfied, basically satisfied or not satisfied"})
    domain.check_state("rate", ProposalState(row.state), (ProposalState.REPLIED,))
    last = {**row.replies[-1], "rating": rating.value, "rated_on": ctx.today.isoformat()}
    row.replies = [*row.replies[:-1], last]
    state = domain.after_rating(rating, last["round"])
    row.state = state.value
    if state is ProposalState.REOPENED:
        row.due = domain.add_months(ctx.today, ctx.limits.reopen_months)
    await session.flush()
    reopened = f"; reopened, reply by {row.due.isoformat()}" if state is ProposalState.REOPENED else ""
    await record_act(
        session,
        ref_of(row),
        "proposal.rated",
        actor,
        f"{label(row)}: {rating.value} with reply {last['round']}{reopened}. {note.strip()}".strip(),
    )
    await publish(
        session,
        "rated",
        row,
        actor,
        rating=RATING_TO_PROTO[rating],
        round=last["round"],
        reopened=state is ProposalState.REOPENED,
    )
    return row


# ---- the sweep ---------------------------------------------------------------------------------------


async def warn_limits(
    session: AsyncSession, actor, ctx: ProposalContext, cal, warn_days: int, batch: int = 1000
) -> int:
    """A67 限时办结: a suggestion or proposal being handled is announced once when its limit is
    `warn_days` working days away and once when it passed (supervision.proposal.limit-warned, naming the
    lead body's head); returns how many announcements were made."""
    horizon = cal.add_working_days(ctx.today, warn_days).due
    warned = 0
    for row in await store.handling_due_by(session, horizon, batch):
        step = domain.limit_step(ctx.today, row.due, cal.add_working_days(row.due, -warn_days).due)
        if step is None or not await store.claim_warning(session, row.id, step, row.due, ctx.today):
            continue
        head = await ctx.people.head_of(row.lead_body_code) if row.lead_body_code else ""
        await record_act(
            session,
            ref_of(row),
            f"proposal.{step.replace('_', '-')}",
            actor,
            f"{label(row)}: limit {row.due}",
        )
        await publish(
            session, "limit-warned", row, actor, step=LIMIT_STEP_TO_PROTO[step], responsible_user_id=head
        )
        warned += 1
    return warned
