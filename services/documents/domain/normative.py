"""Normative documents and government rules (规范性文件、政府规章): A21–A25 — validity, legality
review, public comment, filing (备案), the catalogue and the clean-up.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date

from services.documents.domain.common import (
    Authority,
    Content,
    State,
)
from shared.errors import InvalidInput, RuleViolation

# ---- A21–A25 normative documents and government rules ------------------------------------------------

NEEDS_LEGALITY_REVIEW = frozenset({Authority.NORMATIVE_DOCUMENT, Authority.GOVERNMENT_RULE})


def check_validity(content: Content, today: date) -> None:
    """A25: 规范性文件应当规定有效期 (and so do the government's rules here)."""
    if content.authority not in NEEDS_LEGALITY_REVIEW:
        return
    if content.valid_until is None:
        raise RuleViolation(
            "A25.validity", "a normative document states its validity period (有效期): set valid_until"
        )
    if content.valid_until <= today:
        raise InvalidInput({"content.valid_until": "the validity ends after today"})


def check_legality_reviewed(authority: Authority | None, review: dict | None) -> None:
    """A21, A23: a normative document or government rule passes the justice bureau's legality review
    (合法性审查) before sign-off."""
    if authority not in NEEDS_LEGALITY_REVIEW:
        return
    if not review:
        raise RuleViolation(
            "A23.legality-review",
            "the justice bureau's legality review (合法性审查) comes "
            "before sign-off: ask 市司法局 to review it",
        )
    if not review.get("passed"):
        raise RuleViolation(
            "A23.legality-review",
            f"the legality review did not pass: revise the draft and ask again ({review.get('opinion', '')})",
        )


def check_legality_review_request(authority: Authority | None, opinion: str) -> None:
    if authority not in NEEDS_LEGALITY_REVIEW:
        raise InvalidInput(
            {"document_id": "only normative documents and government rules get a legality review here"}
        )
    if not opinion.strip():
        raise InvalidInput({"opinion": "the review states its opinion (审查意见)"})


class FilingBody(enum.Enum):
    """A22, A24: where a rule or normative document is filed (备案)."""

    PEOPLES_CONGRESS_STANDING_COMMITTEE = "peoples_congress_standing_committee"  # 市人大常委会
    PROVINCIAL_GOVERNMENT = "provincial_government"  # 省政府
    CITY_GOVERNMENT = "city_government"  # 市政府 (departments' normative documents)


def filing_bodies_required(authority: Authority | None) -> frozenset[FilingBody]:
    """A22: a government rule is filed with the provincial government and the standing committee of the
    people's congress; A24: the city government's normative documents with the standing committee."""
    if authority is Authority.GOVERNMENT_RULE:
        return frozenset({FilingBody.PROVINCIAL_GOVERNMENT, FilingBody.PEOPLES_CONGRESS_STANDING_COMMITTEE})
    if authority is Authority.NORMATIVE_DOCUMENT:
        return frozenset({FilingBody.PEOPLES_CONGRESS_STANDING_COMMITTEE})
    return frozenset()


def check_filing_record(
    authority: Authority | None, state: State, body: FilingBody | None, reference: str, already: Iterable[str]
) -> None:
    required = filing_bodies_required(authority)
    if not required:
        raise InvalidInput({"document_id": "only government rules and normative documents are filed (备案)"})
    if state is not State.ISSUED:
        raise InvalidInput({"document_id": "a document is filed once it is issued"})
    if body is None:
        raise InvalidInput({"filed_with": "the body it is filed with"})
    if body not in required:
        names = ", ".join(sorted(b.value for b in required))
        raise RuleViolation("A24.filing-body", f"this document is filed with {names}, not {body.value}")
    if body.value in set(already):
        raise InvalidInput({"filed_with": f"already filed with {body.value}"})
    if not reference.strip():
        raise InvalidInput({"filing_reference": "the filing's reference (备案号 or letter number)"})


def check_public_comment(
    authority: Authority | None, comment_until: date | None, exempt_reason: str, today: date
) -> None:
    """A22: a draft government rule is open for public comment before sign-off, unless it must be kept
    confidential by law (the reason is recorded)."""
    if authority is not Authority.GOVERNMENT_RULE or exempt_reason.strip():
        return
    if comment_until is None:
        raise RuleViolation(
            "A22.public-comment",
            "a draft government rule is opened for public comment "
            "(公开征求意见) before sign-off, unless confidential by law",
        )
    if today <= comment_until:
        raise RuleViolation(
            "A22.public-comment",
            f"public comment is open until {comment_until.isoformat()}: sign off after it closes",
        )


MIN_COMMENT_DAYS = 30


def check_comment_period(authority: Authority | None, state: State, until: date | None, today: date) -> None:
    if authority is not Authority.GOVERNMENT_RULE:
        raise InvalidInput({"document_id": "public comment here is for draft government rules"})
    if state is not State.DRAFT:
        raise InvalidInput({"document_id": "a draft is opened for comment"})
    if until is None or (until - today).days < MIN_COMMENT_DAYS:
        raise InvalidInput({"until": f"at least {MIN_COMMENT_DAYS} days from today (公开征求意见期限)"})


def catalogue_selects(
    authority: Authority | None,
    issued_on: date | None,
    valid_until: date | None,
    *,
    year: int,
    in_force_only: bool,
    today: date,
    repealed: bool = False,
) -> bool:
    """A24, A25: whether an issued document belongs in the catalogue asked for: rules and normative
    documents issued in `year` (every year when 0), and only those in force when asked."""
    if authority not in NEEDS_LEGALITY_REVIEW or issued_on is None:
        return False
    if year and issued_on.year != year:
        return False
    return not (in_force_only and (repealed or is_expired(valid_until, today)))


class CleanupDecision(enum.Enum):
    REVISE = "revise"  # 修改
    REPEAL = "repeal"  # 废止
    CONTINUE = "continue"  # 继续执行


def check_cleanup(
    authority: Authority | None,
    state: State,
    repealed: bool,
    decision: CleanupDecision | None,
    reason: str,
    continue_until: date | None,
    today: date,
) -> None:
    """A25: the making body cleans up its issued rules and normative documents: revise, repeal, or
    continue with a new validity (then announced in the catalogue and reported to the justice bureau)."""
    if authority not in NEEDS_LEGALITY_REVIEW or state is not State.ISSUED:
        raise InvalidInput({"document_id": "the clean-up is of issued rules and normative documents"})
    if repealed:
        raise InvalidInput({"document_id": "the document is repealed already"})
    problems = {}
    if decision is None:
        problems["decision"] = "revise, repeal or continue"
    if not reason.strip():
        problems["reason"] = "the reason of the decision (清理意见)"
    if decision is CleanupDecision.CONTINUE and (continue_until is None or continue_until <= today):
        problems["continue_until"] = "a document continued gets a new validity after today (A25)"
    if problems:
        raise InvalidInput(problems)


def is_expired(valid_until: date | None, today: date) -> bool:
    """A25: past its validity period (有效期届满): up for the clean-up (revise, repeal or continue)."""
    return valid_until is not None and today > valid_until
