"""A case handled (A71): triage, acknowledgement and objection, extension, reply, review and re-review,
a leader's instruction, the petitioner's rating."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from shared.errors import InvalidInput, RuleViolation
from shared.transitions import Transition
from shared.workdays import Deadline, WorkingCalendar
from services.petitions.domain.common import (
    CaseState,
    LegalRoute,
    MAX_CONTENT,
    MAX_EXTENSION_DAYS,
    OBJECTION_WORKING_DAYS,
    ORGANISATION_CODE,
    REVIEW_REQUEST_DAYS,
    ReviewLevel,
    Satisfaction,
    TriageOutcome,
    review_request_deadline,
)


@dataclass(frozen=True)
class Triage:
    outcome: TriageOutcome | None
    handling_body_code: str = ""
    transfer_to: str = ""
    legal_route: LegalRoute | None = None
    notice: str = ""
    new_facts_and_reasons: str = ""


# The states each act of a case is allowed from (shared.transitions).
TRIAGE = Transition("case_id", "case", "is triaged", frozenset({CaseState.REGISTERED}))
ACKNOWLEDGE = Transition("case_id", "case", "is acknowledged", frozenset({CaseState.ASSIGNED}))
OBJECT = Transition("case_id", "case", "is objected to", frozenset({CaseState.ASSIGNED}))


def check_triage(
    triage: Triage,
    *,
    state: CaseState,
    body_complained_about: str,
    earlier_state: CaseState | None,
    triaged_on: date,
    received_on: date,
    today: date,
) -> None:
    TRIAGE.check(state)
    bad = []
    if triage.outcome is None:
        bad.append(("outcome", "accept and assign, transfer, legal route or not accept"))
    if not received_on <= triaged_on <= today:
        bad.append(("triaged_on", "between the day received and today"))
    assigning = triage.outcome is TriageOutcome.ACCEPT_AND_ASSIGN
    if assigning and not ORGANISATION_CODE.match(triage.handling_body_code):
        bad.append(("handling_body_code", "the responsible body's organisation code"))
    if triage.outcome is TriageOutcome.TRANSFER and not triage.transfer_to.strip():
        bad.append(("transfer_to", "the body or authority that has the power"))
    if triage.outcome is TriageOutcome.LEGAL_ROUTE and triage.legal_route is None:
        bad.append(("legal_route", "litigation, arbitration or administrative review"))
    if triage.outcome not in (None, TriageOutcome.ACCEPT_AND_ASSIGN) and not triage.notice.strip():
        bad.append(("notice", "what the petitioner is told"))
    if bad:
        raise InvalidInput(bad)
    takes_up = triage.outcome in (TriageOutcome.ACCEPT_AND_ASSIGN, TriageOutcome.TRANSFER)
    if takes_up and earlier_state is CaseState.RE_REVIEWED and not triage.new_facts_and_reasons.strip():
        raise RuleViolation(
            "A71.no-third-time",
            "the matter was re-reviewed (复核); the same facts and reasons are not accepted again — "
            "state the new facts or reasons, or do not accept",
        )
    if (
        triage.outcome is TriageOutcome.ACCEPT_AND_ASSIGN
        and body_complained_about
        and triage.handling_body_code == body_complained_about
    ):
        raise RuleViolation(
            "A71.complained-body",
            "a petition is never handed to the body it complains about (不得转交被反映单位)",
        )


# ---- the assigned body ----------------------------------------------------------------------------


def check_acknowledgement(
    *, state: CaseState, assigned_on: date, acknowledged_on: date, today: date, handling_plan: str
) -> None:
    """Acknowledging late is allowed (and shows as overdue); it cannot precede the assignment."""
    ACKNOWLEDGE.check(state)
    bad = []
    if not assigned_on <= acknowledged_on <= today:
        bad.append(("acknowledged_on", "between the day assigned and today"))
    if not handling_plan.strip():
        bad.append(("handling_plan", "how the body will handle it (told to the petitioner in writing)"))
    if bad:
        raise InvalidInput(bad)


def check_objection(
    *,
    state: CaseState,
    assigned_on: date,
    objected_on: date,
    today: date,
    reason: str,
    objection_due: Deadline,
) -> None:
    """A71: an objection to an assignment is made with reasons within 5 working days."""
    OBJECT.check(state)
    bad = []
    if not assigned_on <= objected_on <= today:
        bad.append(("objected_on", "between the day assigned and today"))
    if not reason.strip():
        bad.append(("reason", "an objection states its reasons"))
    if bad:
        raise InvalidInput(bad)
    if objected_on > objection_due.due:
        raise RuleViolation(
            "A71.objection-5-working-days",
            f"an objection is made within {OBJECTION_WORKING_DAYS} working days of the assignment (by "
            f"{objection_due.due}); the body handles the case",
        )


def check_extension(
    *,
    state: CaseState,
    already_extended: bool,
    days: int,
    reason: str,
    notice_sent_on: date | None,
    handling_due: date,
    accepted_on: date,
    today: date,
) -> None:
    """A71: once, by at most 30 days, with the head's approval, and the petitioner told why —
    decided while the handling limit still runs."""
    if state is not CaseState.IN_HANDLING:
        raise InvalidInput({"case_id": f"the case is {state.value}; only a case being handled is extended"})
    bad = []
    if days < 1:
        bad.append(("days", "at least 1"))
    if not reason.strip():
        bad.append(("reason", "the reason, which the petitioner is told"))
    if notice_sent_on is None:
        bad.append(("notice_sent_on", "the day the petitioner was told of the extension"))
    elif not accepted_on <= notice_sent_on <= today:
        bad.append(("notice_sent_on", "between the day accepted and today"))
    if bad:
        raise InvalidInput(bad)
    if already_extended:
        raise RuleViolation("A71.extension-once", "the handling limit is extended once only")
    if days > MAX_EXTENSION_DAYS:
        raise RuleViolation(
            "A71.extension-30-days", f"an extension is of at most {MAX_EXTENSION_DAYS} days, not {days}"
        )
    assert notice_sent_on is not None
    if notice_sent_on > handling_due or today > handling_due:
        raise RuleViolation(
            "A71.extension-within-limit",
            f"the handling limit ended on {handling_due}; an extension is decided before",
        )


def check_reply(*, state: CaseState, accepted_on: date, replied_on: date, today: date, reply: str) -> None:
    if state is not CaseState.IN_HANDLING:
        raise InvalidInput({"case_id": f"the case is {state.value}; only a case being handled is replied to"})
    bad = []
    if not accepted_on <= replied_on <= today:
        bad.append(("replied_on", "between the day accepted and today"))
    if not reply.strip():
        bad.append(("reply", "the written reply (书面答复意见)"))
    elif len(reply) > MAX_CONTENT:
        bad.append(("reply", f"at most {MAX_CONTENT} characters"))
    if bad:
        raise InvalidInput(bad)


# ---- review and re-review -------------------------------------------------------------------------


def next_review_level(state: CaseState) -> ReviewLevel:
    """A71: review after the reply, re-review after the review, and nothing after re-review."""
    if state is CaseState.REPLIED:
        return ReviewLevel.REVIEW
    if state is CaseState.REVIEWED:
        return ReviewLevel.RE_REVIEW
    if state is CaseState.RE_REVIEWED:
        raise RuleViolation(
            "A71.no-third-time",
            "the matter was re-reviewed (复核); no further review is accepted on the same facts and reasons",
        )
    raise InvalidInput({"case_id": f"the case is {state.value}; review follows a reply or a review opinion"})


def check_review_request(
    *,
    state: CaseState,
    answered_on: date,
    requested_on: date,
    today: date,
    reviewing_body_code: str,
    earlier_bodies: Iterable[str],
    body_complained_about: str,
    cal: WorkingCalendar,
) -> ReviewLevel:
    """A71: asked within 30 days of the written answer (the reply, or the review opinion), of a
    body one level up: not one that already answered the matter."""
    level = next_review_level(state)
    bad = []
    if not answered_on <= requested_on <= today:
        bad.append(("requested_on", "between the day of the answer and today"))
    if not ORGANISATION_CODE.match(reviewing_body_code):
        bad.append(("reviewing_body_code", "the organisation code of the body one level up"))
    if bad:
        raise InvalidInput(bad)
    window = review_request_deadline(answered_on, cal)
    if requested_on > window.due:
        raise RuleViolation(
            "A71.review-30-days",
            f"{'review' if level is ReviewLevel.REVIEW else 're-review'} is asked within "
            f"{REVIEW_REQUEST_DAYS} days of the written answer (by {window.due})",
        )
    if reviewing_body_code in set(earlier_bodies):
        raise RuleViolation(
            "A71.review-one-level-up",
            "review goes to the body one level up, not to one that already answered",
        )
    if body_complained_about and reviewing_body_code == body_complained_about:
        raise RuleViolation(
            "A71.complained-body", "a petition is never handed to the body it complains about"
        )
    return level


def check_review_decision(
    *, state: CaseState, requested_on: date, decided_on: date, today: date, opinion: str
) -> None:
    if state not in (CaseState.UNDER_REVIEW, CaseState.UNDER_RE_REVIEW):
        raise InvalidInput({"case_id": f"the case is {state.value}; no review is pending"})
    bad = []
    if not requested_on <= decided_on <= today:
        bad.append(("decided_on", "between the day requested and today"))
    if not opinion.strip():
        bad.append(("opinion", "the review opinion (复查/复核意见)"))
    if bad:
        raise InvalidInput(bad)


# ---- leaders and satisfaction ---------------------------------------------------------------------


def check_instruction(
    *, marked_leader_ids: Iterable[str], caller_user_id: str, instruction: str, due: date | None, today: date
) -> None:
    """A71: the leader the case was marked for records the instruction (批示)."""
    if caller_user_id not in set(marked_leader_ids):
        raise RuleViolation(
            "A71.leader-marked", "a leader instructs on a case the bureau marked for him or her"
        )
    bad = []
    if not instruction.strip():
        bad.append(("instruction", "the instruction's text"))
    if due is not None and due < today:
        bad.append(("due", "not in the past"))
    if bad:
        raise InvalidInput(bad)


RATEABLE_STATES = frozenset(
    {
        CaseState.REPLIED,
        CaseState.UNDER_REVIEW,
        CaseState.REVIEWED,
        CaseState.UNDER_RE_REVIEW,
        CaseState.RE_REVIEWED,
    }
)


def check_rating(*, state: CaseState, already_rated: bool, satisfaction: Satisfaction | None) -> None:
    if satisfaction is None:
        raise InvalidInput({"satisfaction": "satisfied, basically satisfied or dissatisfied"})
    if state not in RATEABLE_STATES:
        raise InvalidInput({"case_id": "the handling is rated once the written reply was delivered"})
    if already_rated:
        raise InvalidInput({"case_id": "the case was rated already"})


# ---- who sees what (A71, A80) ---------------------------------------------------------------------
