"""A/B pairs (A/B 角, A59), portfolios (分工, A8) and the holiday duty roster (A79)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from shared.errors import InvalidInput, RuleViolation
from services.org.domain.common import (
    DUTY_POSITIONS,
    PORTFOLIO_POSITIONS,
)
from services.org.domain.leave import (
    Absence,
)


def ab_partner(user_id: str, pairs: Iterable[tuple[str, str]]) -> str | None:
    """A59: the other leader of the user's A/B pair."""
    for a, b in pairs:
        if a == user_id:
            return b
        if b == user_id:
            return a
    return None


def check_ab_pair(a: str, b: str, positions_of: Mapping[str, frozenset[str]]) -> None:
    """A59: two different vice mayors (the executive vice mayor may be one of them)."""
    problems = {}
    if not a:
        problems["leader_a_user_id"] = "required"
    if not b:
        problems["leader_b_user_id"] = "required"
    if a and a == b:
        problems["leader_b_user_id"] = "a leader cannot be paired with himself or herself"
    for field, user in (("leader_a_user_id", a), ("leader_b_user_id", b)):
        if user and user not in problems and not (positions_of.get(user, frozenset()) & PORTFOLIO_POSITIONS):
            problems[field] = f"user {user} is not a vice mayor"
    if problems:
        raise InvalidInput(problems)


def check_portfolio(
    *,
    leader_user_id: str,
    leader_positions: frozenset[str],
    organisation_codes: Iterable[str],
    known_organisations: Iterable[str],
    other_portfolios: Mapping[str, Iterable[str]],
) -> None:
    """A8: a portfolio belongs to a vice mayor; each department is overseen by one leader."""
    codes = list(organisation_codes)
    problems: dict[str, str] = {}
    if not leader_positions & PORTFOLIO_POSITIONS:
        problems["leader_user_id"] = f"user {leader_user_id} is not a vice mayor or executive vice mayor"
    unknown = sorted(set(codes) - set(known_organisations))
    if unknown:
        problems["organisation_codes"] = "unknown organisations: " + ", ".join(unknown)
    elif len(set(codes)) != len(codes):
        problems["organisation_codes"] = "an organisation is listed twice"
    if problems:
        raise InvalidInput(problems)
    for other_leader, other_codes in other_portfolios.items():
        if other_leader == leader_user_id:
            continue
        shared = sorted(set(codes) & set(other_codes))
        if shared:
            raise RuleViolation(
                "A8",
                f"{', '.join(shared)} already overseen by {other_leader}; each department has one "
                "leader in charge — remove it from that portfolio first",
            )


def portfolio_holder(
    portfolios: Mapping[str, tuple[Iterable[str], Iterable[str]]],
    *,
    organisation_code: str = "",
    matter: str = "",
) -> str | None:
    """A8: the leader whose portfolio covers an organisation or a matter (None: goes to the mayor)."""
    for leader, (codes, matters) in portfolios.items():
        if organisation_code and organisation_code in set(codes):
            return leader
        if matter and any(matter == m or m in matter for m in matters):
            return leader
    return None


def check_duty_assignment(
    *,
    day: date,
    duty_days: Mapping[date, str],
    leader_positions: frozenset[str],
    leader_absences: Iterable[Absence],
) -> None:
    """A79: a city leader on a statutory holiday that is not a weekend, and not away that day."""
    if day not in duty_days:
        raise InvalidInput(
            {"day": f"{day} is not a statutory holiday on a weekday; no duty roster is kept for it"}
        )
    if not leader_positions & DUTY_POSITIONS:
        raise InvalidInput(
            {"leader_user_id": "only city leaders (mayor, vice mayors, secretary-general) take duty"}
        )
    for absence in leader_absences:
        if absence.takes_holder_away and absence.covers(day):
            raise RuleViolation(
                "A79", f"the leader is away on {day} (leave {absence.leave_id}); choose another"
            )


def uncovered_duty_days(duty_days: Iterable[date], assigned: Iterable[date]) -> list[date]:
    """A79: statutory holidays on weekdays without a leader on duty."""
    return sorted(set(duty_days) - set(assigned))
