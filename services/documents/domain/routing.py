"""The general office's check and routing (审核、拟办、分送): A50, A8."""

from __future__ import annotations

from services.documents.domain.common import (
    HIGHER_LEVEL,
    RoutingBasis,
    SenderCategory,
)
from shared.errors import InvalidInput

# ---- A50 routing -----------------------------------------------------------------------------------------


def route(
    *,
    sender_category: SenderCategory,
    major_matter: bool,
    leaders_instruction: bool,
    portfolio_leader_user_id: str | None,
    mayor_user_id: str,
    speech_on_behalf: bool = False,
    addressed_leader_user_id: str = "",
) -> tuple[str, RoutingBasis]:
    """A50: to the leader whose portfolio covers it; to the mayor for major matters, documents of
    the central and provincial level and leaders' instructions, and when no portfolio covers it.
    A74: a speech or article on the government's behalf needs the government's consent: the mayor."""
    if speech_on_behalf:
        return mayor_user_id, RoutingBasis.SPEECH_ON_BEHALF
    if addressed_leader_user_id:  # A48: filed under one of the exceptions, so it goes to that leader
        return addressed_leader_user_id, RoutingBasis.ADDRESSED_LEADER
    if sender_category in HIGHER_LEVEL:
        return mayor_user_id, RoutingBasis.HIGHER_LEVEL_DOCUMENT
    if leaders_instruction:
        return mayor_user_id, RoutingBasis.LEADERS_INSTRUCTION
    if major_matter:
        return mayor_user_id, RoutingBasis.MAJOR_MATTER
    if portfolio_leader_user_id:
        return portfolio_leader_user_id, RoutingBasis.PORTFOLIO
    return mayor_user_id, RoutingBasis.NO_PORTFOLIO


def check_review(accept: bool, opinion: str) -> None:
    if not opinion.strip():
        field_text = (
            "an accepted document carries a clear proposed handling opinion (拟办意见)"
            if accept
            else "a returned document (退文) states the reason"
        )
        raise InvalidInput({"opinion": field_text})
