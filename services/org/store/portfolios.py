"""Queries of the leaders' portfolios (分管, A8) and their A/B pairs (互为AB角, A59). Never commits: the
caller owns the transaction. Functions taking `db: Db` are Core selects (store/leave.py says why)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.org import models
from shared import audit
from shared.db import Db
from shared.identity import Actor

PORTFOLIO = models.Portfolio.__table__
PORTFOLIO_ORGANISATION = models.PortfolioOrganisation.__table__
AB_PAIR = models.AbPair.__table__
# Built once: every leave and attendance act asks it, and building a statement costs more than running it.
_AB_PAIRS = select(AB_PAIR.c.leader_a_user_id, AB_PAIR.c.leader_b_user_id).order_by(
    AB_PAIR.c.leader_a_user_id
)


async def portfolios(db: Db) -> dict[str, tuple[list[str], object]]:
    """leader -> (organisation codes, portfolio row)."""
    rows = list(await db.execute(select(PORTFOLIO).order_by(PORTFOLIO.c.leader_user_id)))
    codes: dict[str, list[str]] = {r.leader_user_id: [] for r in rows}
    for link in await db.execute(
        select(PORTFOLIO_ORGANISATION).order_by(PORTFOLIO_ORGANISATION.c.organisation_code)
    ):
        codes.setdefault(link.leader_user_id, []).append(link.organisation_code)
    return {r.leader_user_id: (codes[r.leader_user_id], r) for r in rows}


async def replace_portfolio(
    session: AsyncSession,
    leader_user_id: str,
    organisation_codes: list[str],
    matters: list[str],
    actor: Actor,
) -> models.Portfolio:
    portfolio = await session.get(models.Portfolio, leader_user_id, with_for_update=True)
    if portfolio is None:
        portfolio = models.Portfolio(leader_user_id=leader_user_id)
        session.add(portfolio)
    portfolio.matters = matters
    portfolio.updated_by = audit.actor_record(actor)
    portfolio.updated_at = datetime.now().astimezone()
    await session.flush()
    await session.execute(
        delete(models.PortfolioOrganisation).where(
            models.PortfolioOrganisation.leader_user_id == leader_user_id
        )
    )
    session.add_all(
        models.PortfolioOrganisation(organisation_code=c, leader_user_id=leader_user_id)
        for c in organisation_codes
    )
    await session.flush()
    return portfolio


# ---- A/B pairs (A59) -------------------------------------------------------------------------------


async def ab_pairs(db: Db) -> list[tuple[str, str]]:
    rows = await db.execute(_AB_PAIRS)
    return [(a, b) for a, b in rows]


async def replace_ab_pair(session: AsyncSession, a: str, b: str) -> None:
    """Pairs are exclusive: pairing two leaders dissolves their earlier pairs."""
    await session.execute(
        delete(models.AbPair).where(
            models.AbPair.leader_a_user_id.in_([a, b]) | models.AbPair.leader_b_user_id.in_([a, b])
        )
    )
    session.add(models.AbPair(leader_a_user_id=a, leader_b_user_id=b))
    await session.flush()
