"""Acts on the leaders' portfolios (分工, A8) and their A/B pairs (A/B 角, A59)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.org import domain
from services.org.directory import Snapshot
from services.org.protos.portfolios import portfolio_to_proto
from services.org.store import portfolios as store
from shared import audit
from shared.identity import Actor
from shared.outbox import add_event
from zgov.org.v1 import events_pb2, org_pb2


async def set_portfolio(
    session: AsyncSession,
    actor: Actor,
    snap: Snapshot,
    *,
    leader_user_id: str,
    organisation_codes: list[str],
    matters: list[str],
    reason: str,
) -> org_pb2.Portfolio:
    """A8: the organisations and matters a city leader is in charge of (each organisation under one)."""
    current = await store.portfolios(session)
    domain.check_portfolio(
        leader_user_id=leader_user_id,
        leader_positions=snap.positions_of(leader_user_id),
        organisation_codes=organisation_codes,
        known_organisations=snap.organisations,
        other_portfolios={leader: c for leader, (c, _) in current.items()},
    )
    row = await store.replace_portfolio(session, leader_user_id, organisation_codes, matters, actor)
    await audit.record_act(session, f"portfolio/{leader_user_id}", "portfolio.set", actor, reason)
    reply = portfolio_to_proto(leader_user_id, sorted(organisation_codes), row)
    await add_event(
        session,
        "org.portfolio.changed",
        events_pb2.PortfolioChanged(portfolio=reply),
        f"portfolio/{leader_user_id}",
        actor,
    )
    return reply


async def set_ab_pair(
    session: AsyncSession, actor: Actor, snap: Snapshot, a: str, b: str, reason: str
) -> org_pb2.AbPair:
    """A59: two leaders who stand in for each other (A 角 and B 角)."""
    domain.check_ab_pair(a, b, {u: snap.positions_of(u) for u in (a, b) if u})
    pair = org_pb2.AbPair(leader_a_user_id=a, leader_b_user_id=b)
    await store.replace_ab_pair(session, a, b)
    await audit.record_act(session, f"abpair/{a}/{b}", "abpair.set", actor, reason)
    await add_event(session, "org.abpair.changed", events_pb2.AbPairChanged(pair=pair), f"abpair/{a}", actor)
    return pair
