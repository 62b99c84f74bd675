"""Minutes (纪要) and decisions (A43, A45, A26): who drafts and signs, decision items and their
numbers, corrections that supersede the decisions of the minutes they correct."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from services.meetings.domain.common import (
    GENERAL_OFFICE,
    RESEARCH_OFFICE,
    SERIES_TITLE,
    MatterCategory,
    MeetingKind,
    MeetingState,
    MinutesState,
    Person,
)
from shared.errors import InvalidInput, RuleViolation

# ---- minutes (A43, A45) and decisions ------------------------------------------------------------


def check_minutes_drafter(
    kind: MeetingKind, *, drafter_organisation: str, convener_organisation: str
) -> None:
    """A43: the research office drafts plenary minutes, the general office executive ones (and the
    mayor's office meeting's); A45: the convener's side drafts special-topic minutes."""
    allowed = {
        MeetingKind.PLENARY: {RESEARCH_OFFICE},
        MeetingKind.EXECUTIVE: {GENERAL_OFFICE},
        MeetingKind.MAYORS_OFFICE: {GENERAL_OFFICE},
        MeetingKind.SPECIAL_TOPIC: {convener_organisation, GENERAL_OFFICE} - {""},
    }[kind]
    if drafter_organisation not in allowed:
        rule = "A45.minutes-drafter" if kind is MeetingKind.SPECIAL_TOPIC else "A43.minutes-drafter"
        raise RuleViolation(
            rule, f"minutes of a {SERIES_TITLE[kind]} are drafted by {' or '.join(sorted(allowed))}"
        )


def check_minutes_signer(
    kind: MeetingKind,
    *,
    signer: Person,
    convener_user_id: str,
    chair_user_id: str,
    delegated_by_user_id: str,
) -> None:
    """A43: plenary minutes are signed by the mayor, executive ones by the mayor or the chair he
    delegated; A45: special-topic minutes by the convener or the leader who delegated."""
    if kind is MeetingKind.SPECIAL_TOPIC:
        if signer.user_id not in {convener_user_id, delegated_by_user_id} - {""}:
            raise RuleViolation(
                "A45.minutes-signer",
                "special-topic minutes are signed by the convener or by the leader who delegated the meeting",
            )
        return
    if signer.has_mayors_authority:
        return
    if kind is MeetingKind.EXECUTIVE and delegated_by_user_id and signer.user_id == chair_user_id:
        return
    rule = "A44.minutes-signer" if kind is MeetingKind.MAYORS_OFFICE else "A43.minutes-signer"
    raise RuleViolation(
        rule,
        f"minutes of a {SERIES_TITLE[kind]} are signed by the mayor"
        + (" or the chair he delegated" if kind is MeetingKind.EXECUTIVE else ""),
    )


def check_minutes_editable(state: MinutesState) -> None:
    """A20, A26: signed minutes are locked; a correction is new minutes linked to them."""
    if state is MinutesState.SIGNED:
        raise RuleViolation(
            "A26.signed-minutes-locked",
            "signed minutes are not changed; draft a correction (corrects_minutes_id) instead",
        )


def check_minutes_meeting(state: MeetingState) -> None:
    if state is MeetingState.SCHEDULED:
        raise InvalidInput({"meeting_id": "the meeting has not started; minutes follow the meeting"})


def check_correction_target(state: MinutesState, same_meeting: bool) -> None:
    if not same_meeting:
        raise InvalidInput({"corrects_minutes_id": "the minutes corrected belong to another meeting"})
    if state is not MinutesState.SIGNED:
        raise InvalidInput(
            {"corrects_minutes_id": "only signed minutes are corrected; revise the draft instead"}
        )


@dataclass(frozen=True)
class DecisionDraft:
    topic_id: str
    text: str
    owner_organisation_code: str
    due: date | None
    category: MatterCategory
    matter_ref: str


def check_decision_items(
    items: Sequence[DecisionDraft], *, meeting_day: date, topic_ids: Iterable[str]
) -> None:
    """Each decision has its text, an owner and a deadline (supervision tracks them)."""
    problems: list[tuple[str, str]] = []
    known = set(topic_ids)
    for i, item in enumerate(items):
        if not item.text.strip():
            problems.append((f"decisions[{i}].text", "the decision's text is required"))
        if not item.owner_organisation_code:
            problems.append(
                (f"decisions[{i}].owner_organisation_code", "the organisation that carries it out")
            )
        if item.due is None:
            problems.append((f"decisions[{i}].due", "the deadline is required"))
        elif item.due < meeting_day:
            problems.append((f"decisions[{i}].due", f"before the meeting day {meeting_day}"))
        if item.topic_id and item.topic_id not in known:
            problems.append((f"decisions[{i}].topic_id", "not a topic of this meeting"))
    if problems:
        raise InvalidInput(problems)


def decision_reference(kind: MeetingKind, year: int, number: int) -> str:
    """e.g. 常务会议决定〔2025〕7号: numbered per series (meeting kind) and year."""
    return f"{SERIES_TITLE[kind]}决定〔{year}〕{number}号"


@dataclass(frozen=True)
class DecisionKey:
    """What identifies a decision across a correction of its minutes."""

    decision_id: str
    topic_id: str
    owner_organisation_code: str
    matter_ref: str


def superseded_decisions(standing: Iterable[DecisionKey], restated: Iterable[DecisionKey]) -> dict[str, str]:
    """A26: corrected minutes (更正) restate every decision that still stands; the decisions of
    the minutes they correct are all superseded. Each old decision maps to its restatement (same
    topic, or else same owner and matter), or to "" when the correction withdrew it."""
    unused = list(restated)
    replaced: dict[str, str] = {}
    for old in standing:
        match = next((new for new in unused if old.topic_id and new.topic_id == old.topic_id), None) or next(
            (
                new
                for new in unused
                if not new.topic_id
                and (new.owner_organisation_code, new.matter_ref)
                == (old.owner_organisation_code, old.matter_ref)
            ),
            None,
        )
        if match is not None:
            unused.remove(match)
        replaced[old.decision_id] = match.decision_id if match else ""
    return replaced
