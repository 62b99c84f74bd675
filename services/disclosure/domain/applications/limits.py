"""Applications for information: the reply limit (art. 33) with its pauses and extensions —
completion (art. 30), consultation (art. 32, 34), extension (art. 33), deferral (art. 35) — and who
sees an application."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from shared.errors import InvalidInput, RuleViolation
from shared.workdays import Deadline, WorkingCalendar
from services.disclosure.domain.applications.kinds import (
    COMPLETION_REQUEST_WORKING_DAYS,
    CONSULTATION_WORKING_DAYS,
    ConsultedParty,
    DEFAULT_COMPLETION_PERIOD,
    MAX_COMPLETION_PERIOD,
    MAX_EXTENSION_WORKING_DAYS,
    MAX_SHORT,
    MAX_TEXT,
    OPEN_STATES,
    REPLY_WORKING_DAYS,
    State,
)


# ---- art. 30, 32–35: the reply limit ------------------------------------------------------------


@dataclass(frozen=True)
class Consultation:
    """A written request for the opinion of a third party (art. 32) or another agency (art. 34)."""

    party: ConsultedParty
    sent_on: date
    answered_on: date | None = None
    consents: bool | None = None  # None: no answer (yet), or the answer came after its limit

    def limit(self, cal: WorkingCalendar) -> Deadline:
        return cal.add_working_days(self.sent_on, CONSULTATION_WORKING_DAYS)

    def ends_on(self, cal: WorkingCalendar) -> date:
        """The last day not counted: the answer, or the end of the party's 15 working days if
        it is late or has not come — after that the agency decides on its own (art. 32, 34)."""
        limit = self.limit(cal).due
        return min(self.answered_on, limit) if self.answered_on else limit


@dataclass(frozen=True)
class Clock:
    """What the reply limit of one application depends on."""

    started_on: date  # the day of receipt, or the day the completion arrived (art. 30)
    extension_days: int = 0
    consultations: tuple[Consultation, ...] = ()
    deferred_to: date | None = None  # art. 35: a reasonable later date the applicant was told


@dataclass(frozen=True)
class ReplyDue:
    due: date
    provisional: bool  # a year on the way has no official schedule yet (recomputed when it has)
    working_days: int  # 20 + extension + working days not counted
    paused: bool  # a consultation is open: the due day is the latest, if the party uses its 15 days
    deferred: bool = False  # art. 35


def paused_working_days(consultations: Iterable[Consultation], cal: WorkingCalendar) -> tuple[int, bool]:
    """Working days not counted (art. 33 para. 2), and whether that depends on an unknown year.

    The days after each request is sent up to and including its end (answer or limit); overlapping
    consultations are counted once.
    """
    days: set[date] = set()
    provisional = False
    for c in consultations:
        end = c.ends_on(cal)
        provisional |= cal.provisional_between(c.sent_on, end)
        n = cal.working_days_between(c.sent_on, end)
        days.update(cal.add_working_days(c.sent_on, i).due for i in range(1, n + 1))
    return len(days), provisional


def reply_due(clock: Clock, cal: WorkingCalendar, today: date | None = None) -> ReplyDue:
    """Art. 33: 20 working days after `started_on` (not counted), plus the one extension, plus
    the working days the consultations took; or the art. 35 date the applicant was told."""
    paused_days, provisional = paused_working_days(clock.consultations, cal)
    n = REPLY_WORKING_DAYS + clock.extension_days + paused_days
    deadline = cal.add_working_days(clock.started_on, n)
    open_ = any(
        c.answered_on is None and (today is None or today <= c.ends_on(cal)) for c in clock.consultations
    )
    if clock.deferred_to and clock.deferred_to > deadline.due:
        return ReplyDue(clock.deferred_to, False, n, open_, deferred=True)
    return ReplyDue(deadline.due, deadline.provisional or provisional, n, open_)


def completion_request_due(received_on: date, cal: WorkingCalendar) -> Deadline:
    """Art. 30: the request to complete is made within 7 working days of receipt."""
    return cal.add_working_days(received_on, COMPLETION_REQUEST_WORKING_DAYS)


def check_completion_request(
    *,
    state: State,
    already_requested: bool,
    received_on: date,
    requested_on: date,
    items: str,
    period_working_days: int,
    today: date,
    cal: WorkingCalendar,
) -> None:
    """Art. 30: once (一次性告知), within 7 working days of receipt, naming what to complete and a
    reasonable period."""
    if state is not State.RECEIVED:
        raise InvalidInput(
            {"application_id": f"the application is {state.value}; only a received one is asked to complete"}
        )
    bad: list[tuple[str, str]] = []
    if not items.strip():
        bad.append(("items", "what the applicant is to complete (需要补正的事项)"))
    elif len(items) > MAX_TEXT:
        bad.append(("items", f"at most {MAX_TEXT} characters"))
    if not 0 <= period_working_days <= MAX_COMPLETION_PERIOD:
        bad.append(
            (
                "period_working_days",
                f"a reasonable period of 1 to {MAX_COMPLETION_PERIOD} working "
                f"days (0: {DEFAULT_COMPLETION_PERIOD})",
            )
        )
    if not received_on <= requested_on <= today:
        bad.append(("requested_on", "between the day of receipt and today"))
    if bad:
        raise InvalidInput(bad)
    if already_requested:
        raise RuleViolation("OGI30.one-request", "an application is asked to complete once only (一次性告知)")
    limit = completion_request_due(received_on, cal)
    if requested_on > limit.due:
        raise RuleViolation(
            "OGI30.seven-working-days",
            f"the request to complete is made within {COMPLETION_REQUEST_WORKING_DAYS} working days of "
            f"receipt (by {limit.due}); the application is handled as it stands",
        )


def completion_due(requested_on: date, period_working_days: int, cal: WorkingCalendar) -> Deadline:
    return cal.add_working_days(requested_on, period_working_days or DEFAULT_COMPLETION_PERIOD)


def check_completion(
    *, state: State, requested_on: date, completed_on: date, due: date, content: str, today: date
) -> None:
    """Art. 30: the completion arrives within the period; the reply limit restarts from that day."""
    if state is not State.AWAITING_COMPLETION:
        raise InvalidInput({"application_id": f"the application is {state.value}; no completion was asked"})
    bad: list[tuple[str, str]] = []
    if not content.strip():
        bad.append(("content", "the completed application"))
    elif len(content) > MAX_TEXT:
        bad.append(("content", f"at most {MAX_TEXT} characters"))
    if not requested_on <= completed_on <= today:
        bad.append(("completed_on", "between the request and today"))
    if bad:
        raise InvalidInput(bad)
    if completed_on > due:
        raise RuleViolation(
            "OGI30.lapsed", f"the period to complete ended on {due}: the application is deemed withdrawn"
        )


def check_withdrawal(*, state: State, reason: str) -> None:
    """An applicant may withdraw an application until it is answered (or lapsed)."""
    if state not in OPEN_STATES:
        raise InvalidInput(
            {"application_id": f"the application is {state.value}; only an open one is withdrawn"}
        )
    if len(reason) > MAX_TEXT:
        raise InvalidInput({"reason": f"at most {MAX_TEXT} characters"})


def has_lapsed(state: State, completion_due_on: date | None, today: date) -> bool:
    """Art. 30: no completion by the end of its period (视为放弃申请)."""
    return state is State.AWAITING_COMPLETION and completion_due_on is not None and today > completion_due_on


def check_consultation(
    *,
    state: State,
    party: ConsultedParty | None,
    party_name: str,
    sent_on: date,
    started_on: date,
    today: date,
) -> None:
    if state is not State.RECEIVED:
        raise InvalidInput(
            {"application_id": f"the application is {state.value}; only a received one is consulted on"}
        )
    bad: list[tuple[str, str]] = []
    if party is None:
        bad.append(("party", "a third party (art. 32) or another agency (art. 34)"))
    if not party_name.strip() or len(party_name) > MAX_SHORT:
        bad.append(("party_name", "who is asked (not shown to the applicant)"))
    if not started_on <= sent_on <= today:
        bad.append(("sent_on", "between the day the limit started and today"))
    if bad:
        raise InvalidInput(bad)


def check_opinion(*, state: State, sent_on: date, answered_on: date, opinion: str, today: date) -> None:
    if state is not State.CONSULTING:
        raise InvalidInput({"application_id": f"the application is {state.value}; no consultation is open"})
    bad: list[tuple[str, str]] = []
    if not sent_on <= answered_on <= today:
        bad.append(("answered_on", "between the day the request was sent and today"))
    if len(opinion) > MAX_TEXT:
        bad.append(("opinion", f"at most {MAX_TEXT} characters"))
    if bad:
        raise InvalidInput(bad)


def check_extension(
    *,
    state: State,
    already_extended: bool,
    working_days: int,
    reason: str,
    notice: str,
    approved_on: date,
    started_on: date,
    current_due: date,
    today: date,
) -> None:
    """Art. 33: once, by at most 20 working days, approved by the head of the disclosure office
    (the permission) while the limit still runs, and the applicant told (the notice)."""
    if state not in (State.RECEIVED, State.CONSULTING):
        raise InvalidInput(
            {"application_id": f"the application is {state.value}; only a running limit is extended"}
        )
    bad: list[tuple[str, str]] = []
    if working_days < 1:
        bad.append(("working_days", "at least 1"))
    if not reason.strip() or len(reason) > MAX_TEXT:
        bad.append(("reason", "why the reply needs more time"))
    if not notice.strip() or len(notice) > MAX_TEXT:
        bad.append(("notice", "the notice to the applicant (延期答复告知)"))
    if not started_on <= approved_on <= today:
        bad.append(("approved_on", "between the start of the limit and today"))
    if bad:
        raise InvalidInput(bad)
    if already_extended:
        raise RuleViolation("OGI33.extension-once", "the reply limit is extended once only")
    if working_days > MAX_EXTENSION_WORKING_DAYS:
        raise RuleViolation(
            "OGI33.extension-20-working-days",
            f"an extension is of at most {MAX_EXTENSION_WORKING_DAYS} working days, not {working_days}",
        )
    if approved_on > current_due:
        raise RuleViolation(
            "OGI33.extension-within-limit",
            f"the reply limit ended on {current_due}; an extension is approved before",
        )


def check_reasons_request(*, state: State, already_asked: bool, note: str) -> None:
    """Art. 35: the agency may ask an applicant whose volume or frequency is far beyond reason
    to explain it."""
    if state not in (State.RECEIVED, State.CONSULTING):
        raise InvalidInput({"application_id": f"the application is {state.value}"})
    if not note.strip() or len(note) > MAX_TEXT:
        raise InvalidInput({"note": "what is beyond reason and what the applicant is to explain"})
    if already_asked:
        raise RuleViolation("OGI35.asked-once", "the applicant was already asked for reasons")


def check_deferral(
    *, state: State, reasons_asked: bool, deferred_to: date, current_due: date, notice: str, today: date
) -> None:
    """Art. 35: reasons accepted, but the reply cannot be made in time: a reasonable later date,
    told to the applicant."""
    if state not in (State.RECEIVED, State.CONSULTING):
        raise InvalidInput({"application_id": f"the application is {state.value}"})
    bad: list[tuple[str, str]] = []
    if deferred_to <= current_due:
        bad.append(("deferred_to", f"later than the current limit ({current_due})"))
    if not notice.strip() or len(notice) > MAX_TEXT:
        bad.append(("notice", "the notice to the applicant with the date and why"))
    if bad:
        raise InvalidInput(bad)
    if not reasons_asked:
        raise RuleViolation(
            "OGI35.reasons-first", "the applicant is asked for reasons before the reply is deferred"
        )
    if today > current_due:
        raise RuleViolation("OGI35.within-limit", f"the reply limit ended on {current_due}")


# ---- who sees an application ------------------------------------------------------------------


def may_read(*, is_officer: bool, reader_user_id: str, is_service: bool, submitted_by_user_id: str) -> bool:
    """An applicant sees only his or her own applications (by account; by query code elsewhere);
    a disclosure officer sees all. The portal's own identity reads nothing by id: only by code."""
    if is_officer:
        return True
    return bool(submitted_by_user_id) and not is_service and reader_user_id == submitted_by_user_id


def consent_of(consultations: Sequence[Consultation]) -> tuple[bool | None, bool]:
    """(third party consented, third party objected) from the answers of the third parties."""
    answers = [
        c.consents for c in consultations if c.party is ConsultedParty.THIRD_PARTY and c.consents is not None
    ]
    if not answers:
        return None, False
    return all(answers), not all(answers)
