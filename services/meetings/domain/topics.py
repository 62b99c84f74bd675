"""Agenda topics (议题, A42): the 10-working-day cut-off, the mayor's consent to a topic at short notice,
the route through a leader, the mayor's decision, outcomes, and the materials released to attendees."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from services.meetings.domain.common import (
    EXECUTIVE_VICE_MAYOR,
    MAYOR,
    SECRETARY_GENERAL,
    TOPIC_FILING_WORKING_DAYS,
    VICE_MAYOR,
    MeetingKind,
    MeetingState,
    Person,
    TopicRoute,
    TopicState,
    _holds_any,
)
from shared.errors import InvalidInput, RuleViolation
from shared.transitions import Transition
from shared.people import person
from shared.workdays import WorkingCalendar

# ---- topics (A42) ------------------------------------------------------------------------------


def latest_filing_day(
    meeting_day: date, calendar: WorkingCalendar, n: int = TOPIC_FILING_WORKING_DAYS
) -> date:
    """The last day a topic may be filed for a meeting on `meeting_day` (A42, 10 working days).

    The rule is `is_at_least_working_days_before(filed, meeting, n)`: the n-th working day after
    the filing day (not counting the filing day) is not later than the meeting day. Stepping
    back n working days from the meeting gives that day when the meeting is on a working day;
    for an emergency meeting on a non-working day it gives one day too many, so check and step.
    """
    latest = calendar.add_working_days(meeting_day, -n).due
    while not calendar.is_at_least_working_days_before(latest, meeting_day, n):
        latest -= timedelta(days=1)
    return latest


@dataclass(frozen=True)
class Consent:
    """A42: the mayor's recorded consent to a topic added at short notice."""

    consent_id: str
    meeting_id: str
    organisation_code: str
    used_by_topic_id: str = ""


def check_topic_filing(
    *,
    kind: MeetingKind,
    meeting_id: str,
    meeting_state: MeetingState,
    meeting_day: date,
    filed_on: date,
    organisation_code: str,
    calendar: WorkingCalendar,
    consent: Consent | None,
) -> bool:
    """A42: documents and approval form at least 10 working days before an executive meeting;
    later only with the mayor's consent. Returns True when the topic is ad hoc (filed late)."""
    if not organisation_code:
        raise InvalidInput({"owning_organisation_code": "the filer belongs to no department"})
    if meeting_state is not MeetingState.SCHEDULED:
        raise RuleViolation(
            "A42.agenda-closed", f"the meeting is {meeting_state.value}; topics are filed before it starts"
        )
    if consent is not None:
        if consent.meeting_id != meeting_id or consent.organisation_code != organisation_code:
            raise InvalidInput({"ad_hoc_consent_id": "the consent is for another meeting or department"})
        if consent.used_by_topic_id:
            raise InvalidInput(
                {"ad_hoc_consent_id": f"the consent was used by topic {consent.used_by_topic_id}"}
            )
    if kind is not MeetingKind.EXECUTIVE:
        return False
    if calendar.is_at_least_working_days_before(filed_on, meeting_day, TOPIC_FILING_WORKING_DAYS):
        return False
    if consent is not None:
        return True
    latest = latest_filing_day(meeting_day, calendar)
    raise RuleViolation(
        "A42.ten-working-days",
        f"a topic for the executive meeting on {meeting_day} is filed with its documents and approval form "
        f"at least {TOPIC_FILING_WORKING_DAYS} working days before, by {latest}; filed on {filed_on}. "
        "Adding it at short notice needs the mayor's recorded consent (ad_hoc_consent_id)",
        metadata={"latest_filing_day": latest.isoformat()},
    )


def check_topic_route(route: TopicRoute | None, proposer: Person) -> None:
    """A42: a topic is set by the mayor, or proposed in writing by a vice mayor or the secretary-general."""
    if route is None:
        raise InvalidInput({"route": "via a vice mayor, via the secretary-general, or set by the mayor"})
    if not proposer.user_id:
        raise InvalidInput({"proposed_by_user_id": "the leader who proposed or set the topic is required"})
    needed = {
        TopicRoute.VIA_VICE_MAYOR: (EXECUTIVE_VICE_MAYOR, VICE_MAYOR),
        TopicRoute.VIA_SECRETARY_GENERAL: (SECRETARY_GENERAL,),
        TopicRoute.SET_BY_MAYOR: (MAYOR,),
    }[route]
    if not _holds_any(proposer, needed) and not (route is TopicRoute.SET_BY_MAYOR and proposer.acts_as_mayor):
        raise RuleViolation(
            "A42.route",
            f"{proposer.label} does not hold {' or '.join(needed)}; a topic "
            "reaches the executive meeting through a vice mayor or the "
            "secretary-general, or is set by the mayor",
        )


# A42: the routes on which a leader proposes a topic in writing before the department files it.
LEADER_ROUTES = frozenset({TopicRoute.VIA_VICE_MAYOR, TopicRoute.VIA_SECRETARY_GENERAL})


@dataclass(frozen=True)
class Proposal:
    """A42: a vice mayor's or the secretary-general's recorded written proposal of one department's
    topic (副市长、秘书长书面提出)."""

    proposal_id: str
    meeting_id: str
    organisation_code: str
    route: TopicRoute
    proposed_by_user_id: str
    used_by_topic_id: str = ""


def check_proposal_route(route: TopicRoute | None) -> TopicRoute:
    """A leader proposes via a vice mayor or the secretary-general; the mayor sets a topic by deciding it."""
    if route not in LEADER_ROUTES:
        raise InvalidInput(
            {
                "route": "via a vice mayor or via the secretary-general (the mayor sets topics by deciding them)"
            }
        )
    return route


def check_leaders_proposal(
    route: TopicRoute,
    proposal: Proposal | None,
    *,
    meeting_id: str,
    organisation_code: str,
    proposed_by_user_id: str,
    names: Mapping[str, str] | None = None,
) -> None:
    """A42: a topic that reaches the meeting through a vice mayor or the secretary-general is filed on
    that leader's recorded proposal for this meeting and this department, once: a department cannot
    claim a leader's route or proposal the leader did not make."""
    if route not in LEADER_ROUTES:
        return
    names = names or {}

    def who(user_id: str) -> str:
        return person(user_id, names.get(user_id, ""))

    proposer = who(proposed_by_user_id)
    if proposal is None:
        raise RuleViolation(
            "A42.route",
            f"{proposer} has no proposal of this topic on record: the leader proposes it in "
            "writing first (ProposeTopic) and the department files it naming the proposal (proposal_id)",
        )
    if (proposal.meeting_id, proposal.organisation_code) != (meeting_id, organisation_code):
        raise RuleViolation("A42.route", "the leader's proposal is for another meeting or another department")
    if (proposal.proposed_by_user_id, proposal.route) != (proposed_by_user_id, route):
        raise RuleViolation(
            "A42.route",
            f"the proposal was made by {who(proposal.proposed_by_user_id)} "
            f"{proposal.route.value.replace('_', ' ')}, not by {proposer} {route.value.replace('_', ' ')}",
        )
    if proposal.used_by_topic_id:
        raise RuleViolation(
            "A42.route", f"the leader's proposal was used by topic {proposal.used_by_topic_id}"
        )


def check_topic_decider(decider: Person) -> None:
    """A42: the mayor decides the agenda (议题由市长确定)."""
    if not decider.has_mayors_authority:
        raise RuleViolation(
            "A42.mayor-decides", "topics are decided by the mayor (or the leader acting as mayor)"
        )


def check_ad_hoc_consent_giver(giver: Person) -> None:
    """A42: no topic is added at short notice without the consent of the mayor (市政府主要领导).
    A refusal names that rule (A42.mayor-consents), not the 10-working-day cut-off it relaxes."""
    if not giver.has_mayors_authority:
        raise RuleViolation(
            "A42.mayor-consents",
            "only the mayor (or the leader acting as mayor) consents to a topic added at short notice",
        )


def check_within_portfolio(accept: bool, decidable_within_portfolio: bool, reason: str) -> None:
    """A42: a matter a member may decide within his or her portfolio, or another meeting can decide,
    is as a rule not brought to the executive meeting: accepting such a topic needs a stated reason."""
    if accept and decidable_within_portfolio and not reason.strip():
        raise RuleViolation(
            "A42.within-portfolio",
            "the topic is flagged as decidable within a portfolio (按职责分工可予决策); as a rule it "
            "does not go to the executive meeting — accept it only with a reason",
        )


# A topic is accepted onto the agenda or refused only while filed (shared.transitions).
DECIDE = Transition("topic_id", "topic", "is accepted or refused", frozenset({TopicState.FILED}))


def check_topic_decision(state: TopicState) -> None:
    DECIDE.check(state)


def check_topic_outcome(topic_state: TopicState, meeting_state: MeetingState) -> None:
    if topic_state is not TopicState.ACCEPTED:
        raise InvalidInput(
            {"topic_id": f"the topic is {topic_state.value}; only a topic on the agenda has an outcome"}
        )
    if meeting_state is not MeetingState.IN_PROGRESS:
        raise InvalidInput(
            {
                "topic_id": f"the meeting is {meeting_state.value}; outcomes are recorded while it "
                "is in progress"
            }
        )


def check_participant_may_read(
    user_id: str, participants: Iterable[str], *, office: bool, owner: bool, released: bool
) -> bool:
    """A42: topic materials reach the meeting's attendees once the office has released them,
    and only them; the office and the owning department see them all along."""
    return office or owner or (released and user_id in set(participants))


def check_materials_release(meeting_state: MeetingState, unreleased_accepted_topics: int) -> None:
    """A42: materials are released to the attendees before the meeting (会前分送), not after
    it began, and only those of topics on the agenda (accepted by the mayor)."""
    if meeting_state is not MeetingState.SCHEDULED:
        raise RuleViolation(
            "A42.materials-before-meeting",
            f"materials are released before the meeting; this one is {meeting_state.value}",
        )
    if unreleased_accepted_topics == 0:
        raise InvalidInput(
            {"meeting_id": "no accepted topic whose materials are not yet released: accept a topic first"}
        )
