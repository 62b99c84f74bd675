"""Positions, the kinds and states of the meetings aggregate, the tables the articles fix, and a
person as the rules see him or her (A40–A45, A7, A28, A73, A81)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from shared.people import person
from shared.positions import (
    DEPARTMENT_HEAD,
    DEPUTY_SECRETARY_GENERAL,
    EXECUTIVE_VICE_MAYOR,
    MAYOR,
    SECRETARY_GENERAL,
    VICE_MAYOR,
)

GENERAL_OFFICE = "general-office"  # 市政府办公室
RESEARCH_OFFICE = "research-office"  # 市政府研究室


class MeetingKind(str, Enum):
    PLENARY = "plenary"  # 全体会议 (A41)
    EXECUTIVE = "executive"  # 常务会议 (A42)
    MAYORS_OFFICE = "mayors_office"  # 市长办公会议 (A44)
    SPECIAL_TOPIC = "special_topic"  # 专题会议 (A45)


class MeetingState(str, Enum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class TopicRoute(str, Enum):
    VIA_VICE_MAYOR = "via_vice_mayor"
    VIA_SECRETARY_GENERAL = "via_secretary_general"
    SET_BY_MAYOR = "set_by_mayor"


class TopicState(str, Enum):
    FILED = "filed"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    DECIDED = "decided"


class TopicOutcome(str, Enum):
    ADOPTED = "adopted"
    ADOPTED_WITH_CHANGES = "adopted_with_changes"
    NOT_ADOPTED = "not_adopted"
    DEFERRED = "deferred"


class LeaveState(str, Enum):
    REQUESTED = "requested"
    CHECKED = "checked"
    APPROVED = "approved"
    REFUSED = "refused"


class MinutesState(str, Enum):
    DRAFT = "draft"
    SIGNED = "signed"


class MatterCategory(str, Enum):
    DEVELOPMENT_PLAN = "development_plan"  # 经济和社会发展计划
    BUDGET = "budget"  # 财政预算
    MAJOR_PLANNING = "major_planning"  # 重大规划
    MAJOR_POLICY = "major_policy"  # 重大政策措施
    IMPORTANT_AFFAIR = "important_affair"  # 政府和社会管理重要事务
    REGULATION = "regulation"  # 地方性法规议案和政府规章
    MAJOR_FUNDING = "major_funding"  # 重大资金安排
    OTHER = "other"


class AgendaItemKind(str, Enum):
    HIGHER_LEVEL_STUDY = "higher_level_study"  # A73
    PRE_MEETING_STUDY = "pre_meeting_study"  # A81


# ---- who sits in which meeting (A41, A42, A44, A45) ----------------------------------------------

# Positions whose holders are members (组成人员 / 参加) of each kind; special-topic meetings have
# only the participants the convener names (从严控制参会人员).
MEMBER_POSITIONS: Mapping[MeetingKind, tuple[str, ...]] = {
    MeetingKind.PLENARY: (MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL, DEPARTMENT_HEAD),
    MeetingKind.EXECUTIVE: (MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL),
    MeetingKind.MAYORS_OFFICE: (
        MAYOR,
        EXECUTIVE_VICE_MAYOR,
        VICE_MAYOR,
        SECRETARY_GENERAL,
        DEPUTY_SECRETARY_GENERAL,
    ),
    MeetingKind.SPECIAL_TOPIC: (),
}
# Positions whose holders attend without being members (列席): deputy secretaries-general.
ATTENDING_POSITIONS: Mapping[MeetingKind, tuple[str, ...]] = {
    MeetingKind.PLENARY: (DEPUTY_SECRETARY_GENERAL,),
    MeetingKind.EXECUTIVE: (DEPUTY_SECRETARY_GENERAL,),
    MeetingKind.MAYORS_OFFICE: (),
    MeetingKind.SPECIAL_TOPIC: (),
}
# Organisations whose heads attend (列席) as the articles list them (the army sub-district, the
# courts, the people's congress and the like are outside the platform and invited by name).
ATTENDING_ORGANISATIONS: Mapping[MeetingKind, tuple[str, ...]] = {
    MeetingKind.PLENARY: (GENERAL_OFFICE,),
    # A42: 市政府办公室党组成员, 市司法局, 市审计局, 市信访局, 市政府研究室, 市政府新闻办.
    MeetingKind.EXECUTIVE: (
        GENERAL_OFFICE,
        "justice-bureau",
        "audit-bureau",
        "petition-bureau",
        RESEARCH_OFFICE,
        "press-office",
    ),
    # A44: 市政府办公室班子成员, 市政府研究室主要负责人.
    MeetingKind.MAYORS_OFFICE: (GENERAL_OFFICE, RESEARCH_OFFICE),
    MeetingKind.SPECIAL_TOPIC: (),
}
# A41 about every half year, A42 in principle every two weeks.
REGULAR_RHYTHM: Mapping[MeetingKind, timedelta] = {
    MeetingKind.PLENARY: timedelta(days=183),
    MeetingKind.EXECUTIVE: timedelta(days=14),
}
# A42: half a day (会期半天); the others as a rule shorter.
DEFAULT_MINUTES: Mapping[MeetingKind, int] = {
    MeetingKind.PLENARY: 180,
    MeetingKind.EXECUTIVE: 240,
    MeetingKind.MAYORS_OFFICE: 120,
    MeetingKind.SPECIAL_TOPIC: 120,
}
# A73, A81: on every executive meeting's agenda, first.
FIXED_AGENDA: Mapping[MeetingKind, tuple[tuple[AgendaItemKind, str], ...]] = {
    MeetingKind.EXECUTIVE: (
        (AgendaItemKind.PRE_MEETING_STUDY, "会前学习（A81）"),
        (
            AgendaItemKind.HIGHER_LEVEL_STUDY,
            "传达学习党中央、国务院、省委省政府、市委重大决策部署和重要讲话精神（A73）",
        ),
    ),
}
# A7, A28: meetings whose decisions are the city government's collective decisions.
COLLECTIVE_KINDS = frozenset({MeetingKind.PLENARY, MeetingKind.EXECUTIVE})
# A45: who convenes a special-topic meeting in his or her own right.
SPECIAL_TOPIC_CONVENERS = frozenset({MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL})
# A43 市政府领导同志: they ask the mayor for leave directly.
CITY_LEADERS = frozenset({MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL})
# The rule that names who convenes each kind.
CONVENER_RULE = {
    MeetingKind.PLENARY: "A41.convener",
    MeetingKind.EXECUTIVE: "A42.convener",
    MeetingKind.MAYORS_OFFICE: "A44.convener",
    MeetingKind.SPECIAL_TOPIC: "A45.convener",
}
SERIES_TITLE = {
    MeetingKind.PLENARY: "全体会议",
    MeetingKind.EXECUTIVE: "常务会议",
    MeetingKind.MAYORS_OFFICE: "市长办公会议",
    MeetingKind.SPECIAL_TOPIC: "专题会议",
}
TOPIC_FILING_WORKING_DAYS = 10


@dataclass(frozen=True)
class Person:
    """Someone as the rules see him or her: a user id and the positions held."""

    user_id: str
    positions: frozenset[str] = frozenset()
    # True when this person acts for the absent mayor (A10) on the day in question.
    acts_as_mayor: bool = False
    # The display name from org's directory, so that refusals name the person (the id in brackets).
    name: str = ""

    @property
    def label(self) -> str:
        return person(self.user_id, self.name)

    @property
    def has_mayors_authority(self) -> bool:
        return MAYOR in self.positions or self.acts_as_mayor


def _holds_any(person: Person, positions: Iterable[str]) -> bool:
    return bool(person.positions & set(positions))
