"""Sign-off (签发) and decision (批示): A51 with A10 and A59 (who acts for an absent holder)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.documents.domain.common import (
    MAYOR_SIGNS,
    Authority,
    Direction,
    Kind,
    Signer,
    SignOffMeaning,
)
from shared.errors import InvalidInput, RuleViolation
from shared.people import person

# ---- A51 sign-off ------------------------------------------------------------------------------------------


def signers_for(authority: Authority) -> tuple[Signer, ...]:
    """A51: whose authority may sign off, first the one the rule names.

    The mayor signs the listed kinds; the vice mayor in charge other documents in the city
    government's name (the mayor, who leads all the government's work, may too); routine
    documents may be signed by the secretary-general (or the leaders above).
    """
    if authority in MAYOR_SIGNS:
        return (Signer.MAYOR,)
    if authority is Authority.GOVERNMENT_OTHER:
        return (Signer.PORTFOLIO_LEADER, Signer.MAYOR)
    return (Signer.SECRETARY_GENERAL, Signer.PORTFOLIO_LEADER, Signer.MAYOR)


@dataclass(frozen=True)
class Candidate:
    """One whose authority may sign, as org answers WhoMayAct for it."""

    signer: Signer
    position: str
    holder_user_id: str
    acting_user_id: str
    holder_away: bool = False
    basis: str = ""
    # Display names from org's directory, for refusals a person can read (ids stay in brackets).
    holder_name: str = ""
    acting_name: str = ""

    @property
    def holder(self) -> str:
        return person(self.holder_user_id, self.holder_name)

    @property
    def acting(self) -> str:
        return person(self.acting_user_id, self.acting_name)


@dataclass(frozen=True)
class SignerMatch:
    candidate: Candidate
    in_place_of_holder: bool


def match_signer(
    caller_user_id: str, candidates: Sequence[Candidate], rule_id: str = "A51.signer"
) -> SignerMatch:
    """A51, A10, A59: the caller signs as the holder, or as the acting holder while the holder is away.

    A holder who is away does not sign: the acting holder has the authority for that period.
    """
    for c in candidates:
        if c.acting_user_id and c.acting_user_id == caller_user_id:
            return SignerMatch(c, in_place_of_holder=c.acting_user_id != c.holder_user_id)
    if not candidates:
        raise RuleViolation(rule_id, "nobody holds the position that signs this document off")
    names = []
    for c in candidates:
        if c.holder_away:
            who = f"{c.acting} acting for {c.holder}" if c.acting_user_id else f"nobody ({c.holder} away)"
            names.append(f"{c.position}: {who} ({c.basis})")
        else:
            names.append(f"{c.position}: {c.holder}")
    away = [c for c in candidates if c.holder_user_id == caller_user_id and c.holder_away]
    extra = " — you are away, so your acting holder signs (A10, A59)" if away else ""
    raise RuleViolation(rule_id, f"signed off by {'; or '.join(names)}{extra}")


def check_sign_off(opinion: str, circle_read: bool) -> None:
    """A51: an explicit opinion, or a circle-read (圈阅); the platform records the name and full date."""
    if not circle_read and not opinion.strip():
        raise InvalidInput({"opinion": "sign off with an explicit opinion (明确意见), or circle-read (圈阅)"})


def sign_off_meaning(direction: Direction, kind: Kind, circle_read: bool) -> SignOffMeaning:
    """A51: a circle-read or signature on an outgoing document or a request means consent; a
    circle-read on a report (and on other incoming documents) means read."""
    if not circle_read:
        return SignOffMeaning.OPINION
    if direction is Direction.OUTGOING or kind is Kind.REQUEST:
        return SignOffMeaning.CONSENT
    return SignOffMeaning.READ
