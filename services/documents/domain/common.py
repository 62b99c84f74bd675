"""The vocabulary of documents (公文) shared by every aggregate: kinds, directions, urgency,
classification, senders, states and the sign-off authorities; a document's content and its shape
checks (A47, A53); the state transitions each act is allowed from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from shared.errors import InvalidInput, RuleViolation
from shared.positions import EXECUTIVE_VICE_MAYOR, MAYOR, SECRETARY_GENERAL, VICE_MAYOR
from shared.transitions import Transition

PORTFOLIO_POSITIONS = (EXECUTIVE_VICE_MAYOR, VICE_MAYOR)
# The city leaders (市政府领导): a document may be addressed to, routed to and decided by them.
LEADER_POSITIONS = (MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL)

# The city government itself, as a receiver (Keycloak group of the city leaders).
CITY_GOVERNMENT = "city-government"


class Kind(enum.Enum):
    """A47: the 15 kinds of official documents (value: stable code; title: Chinese name)."""

    RESOLUTION = "resolution"
    DECISION = "decision"
    ORDER = "order"
    COMMUNIQUE = "communique"
    ANNOUNCEMENT = "announcement"
    PUBLIC_NOTICE = "public_notice"
    OPINION = "opinion"
    NOTICE = "notice"
    CIRCULAR = "circular"
    REPORT = "report"
    REQUEST = "request"
    REPLY = "reply"
    MOTION = "motion"
    LETTER = "letter"
    MINUTES = "minutes"

    @property
    def title(self) -> str:
        return KIND_TITLES[self]


KIND_TITLES = {
    Kind.RESOLUTION: "决议",
    Kind.DECISION: "决定",
    Kind.ORDER: "命令（令）",
    Kind.COMMUNIQUE: "公报",
    Kind.ANNOUNCEMENT: "公告",
    Kind.PUBLIC_NOTICE: "通告",
    Kind.OPINION: "意见",
    Kind.NOTICE: "通知",
    Kind.CIRCULAR: "通报",
    Kind.REPORT: "报告",
    Kind.REQUEST: "请示",
    Kind.REPLY: "批复",
    Kind.MOTION: "议案",
    Kind.LETTER: "函",
    Kind.MINUTES: "纪要",
}


class Direction(enum.Enum):
    INCOMING = "incoming"  # 来文
    OUTGOING = "outgoing"  # 发文


class Urgency(enum.Enum):
    ORDINARY = "ordinary"  # 平件
    URGENT = "urgent"  # 加急
    EXTRA_URGENT = "extra_urgent"  # 特急


class Classification(enum.Enum):
    NONE = "none"  # 非密
    SECRET = "secret"  # 秘密
    CONFIDENTIAL = "confidential"  # 机密
    TOP_SECRET = "top_secret"  # 绝密


CLASSIFIED = frozenset({Classification.SECRET, Classification.CONFIDENTIAL, Classification.TOP_SECRET})
CLASSIFICATION_TITLES = {
    Classification.SECRET: "秘密",
    Classification.CONFIDENTIAL: "机密",
    Classification.TOP_SECRET: "绝密",
}


class SenderCategory(enum.Enum):
    CENTRAL = "central"  # 党中央、国务院
    PROVINCIAL = "provincial"  # 省委、省政府及其办公厅
    CITY_COMMITTEE = "city_committee"  # 市委
    CITY_OFFICE = "city_office"  # 市政府办公室、研究室等
    CITY_DEPARTMENT = "city_department"  # 市政府工作部门
    COUNTY_GOVERNMENT = "county_government"  # 县（区）政府、管委会
    COORDINATION_BODY = "coordination_body"  # 议事协调机构
    COORDINATION_BODY_OFFICE = "coordination_body_office"  # 议事协调机构的办公室
    DEPARTMENT_ADMINISTERED_BODY = "department_administered_body"  # 部门管理机构
    COUNTY_DEPARTMENT = "county_department"  # 县（区）政府工作部门
    TOWN = "town"  # 乡（镇）


# Documents of these senders go to the mayor promptly (A50).
HIGHER_LEVEL = frozenset({SenderCategory.CENTRAL, SenderCategory.PROVINCIAL})
# A47: may not send documents to the city government at all.
NEVER_SENDERS = frozenset({SenderCategory.COORDINATION_BODY, SenderCategory.COORDINATION_BODY_OFFICE})
# A47: have a body between them and the city government (the county government, or the
# managing department): sending to the city government skips it, which only a major
# emergency allows, copying the skipped body.
SKIPPING_SENDERS = frozenset(
    {
        SenderCategory.DEPARTMENT_ADMINISTERED_BODY,
        SenderCategory.COUNTY_DEPARTMENT,
        SenderCategory.TOWN,
    }
)
# The bodies a department or county may file for (they come under it); anything else is
# registered by the general office.
SUBORDINATE_CATEGORIES = NEVER_SENDERS | SKIPPING_SENDERS
# Keycloak group kinds (attribute `kind`) → sender category of a filer's own organisation.
CATEGORY_OF_ORGANISATION_KIND = {
    "office": SenderCategory.CITY_OFFICE,
    "department": SenderCategory.CITY_DEPARTMENT,
    "county": SenderCategory.COUNTY_GOVERNMENT,
}


class PersonalException(enum.Enum):
    """A48: the cases in which a document may be addressed to a leader personally."""

    LEADER_ASSIGNED = "leader_assigned"  # 领导同志直接交办的个别事项
    SENSITIVE_IN_PREPARATION = "sensitive_in_preparation"  # 尚在酝酿过程中的敏感事项
    CLASSIFIED_DIRECT = "classified_direct"  # 必须直接报送的涉密事项
    MAJOR_EMERGENCY = "major_emergency"  # 较大及以上突发事件
    FOREIGN_AFFAIRS = "foreign_affairs"  # 部分涉外事项


class State(enum.Enum):
    DRAFT = "draft"
    FILED = "filed"
    RETURNED = "returned"
    ROUTED = "routed"
    SIGNED = "signed"
    ISSUED = "issued"


class Authority(enum.Enum):
    """A51: what an outgoing document is, which decides who signs it off."""

    TO_PROVINCIAL_GOVERNMENT = "to_provincial_government"
    TO_CITY_COMMITTEE = "to_city_committee"
    MOTION_TO_PEOPLES_CONGRESS = "motion_to_peoples_congress"
    GOVERNMENT_RULE = "government_rule"
    NORMATIVE_DOCUMENT = "normative_document"
    MAJOR_DEPLOYMENT = "major_deployment"
    APPOINTMENT = "appointment"
    MAJOR_SUPPORT_REQUEST = "major_support_request"
    GOVERNMENT_OTHER = "government_other"
    ROUTINE = "routine"


MAYOR_SIGNS = frozenset(
    {
        Authority.TO_PROVINCIAL_GOVERNMENT,
        Authority.TO_CITY_COMMITTEE,
        Authority.MOTION_TO_PEOPLES_CONGRESS,
        Authority.GOVERNMENT_RULE,
        Authority.NORMATIVE_DOCUMENT,
        Authority.MAJOR_DEPLOYMENT,
        Authority.APPOINTMENT,
        Authority.MAJOR_SUPPORT_REQUEST,
    }
)


class Signer(enum.Enum):
    """Whose authority signs a document off (A51)."""

    MAYOR = "mayor"
    PORTFOLIO_LEADER = "portfolio_leader"  # 分管副市长
    SECRETARY_GENERAL = "secretary_general"


class RoutingBasis(enum.Enum):
    PORTFOLIO = "portfolio"
    MAJOR_MATTER = "major_matter"
    HIGHER_LEVEL_DOCUMENT = "higher_level_document"
    LEADERS_INSTRUCTION = "leaders_instruction"
    NO_PORTFOLIO = "no_portfolio"
    SPEECH_ON_BEHALF = "speech_on_behalf"
    ADDRESSED_LEADER = "addressed_leader"


class CountersignState(enum.Enum):
    REQUESTED = "requested"
    AGREED = "agreed"
    OBJECTED = "objected"
    DEEMED_AGREED = "deemed_agreed"  # 逾期不回复的视为无不同意见


class SignOffMeaning(enum.Enum):
    CONSENT = "consent"
    READ = "read"
    OPINION = "opinion"


class Disclosure(enum.Enum):
    PROACTIVE = "proactive"  # 主动公开
    ON_REQUEST = "on_request"  # 依申请公开
    NOT_PUBLIC = "not_public"  # 不予公开


# ---- the content of a document -------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    code: str = ""
    name: str = ""

    def is_same(self, other: Body) -> bool:
        if self.code and other.code:
            return self.code == other.code
        return bool(self.name) and self.name.strip() == other.name.strip()

    @property
    def label(self) -> str:
        return self.name or self.code


@dataclass(frozen=True)
class Sender:
    organisation_code: str
    name: str
    category: SenderCategory


@dataclass(frozen=True)
class Content:
    """What a document says and how it is addressed (the rules read only this)."""

    kind: Kind | None
    title: str
    urgency: Urgency | None
    classification: Classification | None
    body: str = ""
    main_receivers: tuple[Body, ...] = ()
    copies: tuple[Body, ...] = ()
    matters: tuple[str, ...] = ()
    major_emergency: bool = False
    skips_level: bool = False
    skipped_body: Body | None = None
    addressed_leader_user_id: str = ""
    personal_exception: PersonalException | None = None
    personal_exception_reason: str = ""
    contains_request: bool = False
    major_matter: bool = False
    leaders_instruction: bool = False
    authority: Authority | None = None
    issuer_code: str = ""
    lead_organisation_code: str = ""
    provincial_received_on: date | None = None
    provincial_number: str = ""
    provincial_plan_or_regulation: bool = False
    disclosure: Disclosure | None = None
    reprints_published_document: bool = False
    briefing_series: str = ""
    valid_until: date | None = None
    comment_exempt_reason: str = ""
    speech_on_behalf: bool = False
    normative_filing: bool = False
    filed_document_number: str = ""


MAX_TITLE = 200
MAX_ISSUER_CODE = 16


def check_content(content: Content, direction: Direction) -> None:
    """The fields every document needs, and the outgoing ones' A51 fields."""
    problems: dict[str, str] = {}
    if content.kind is None:
        problems["content.kind"] = "one of the 15 kinds of A47 (决议 … 纪要)"
    title = content.title.strip()
    if not title:
        problems["content.title"] = "a document has a title"
    elif len(title) > MAX_TITLE:
        problems["content.title"] = f"at most {MAX_TITLE} characters"
    if content.urgency is None:
        problems["content.urgency"] = "ordinary (平件), urgent (加急) or extra urgent (特急)"
    if content.classification is None:
        problems["content.classification"] = "state it: 非密 (none) for a document the platform may handle"
    if any(not m.strip() for m in content.matters):
        problems["content.matters"] = "a matter is a non-empty phrase"
    addressed = (("content.main_receivers", content.main_receivers), ("content.copies", content.copies))
    for name, bodies in addressed:
        if any(not (b.code.strip() or b.name.strip()) for b in bodies):
            problems[name] = "each receiver has a code or a name"
    if content.skips_level and content.skipped_body is None:
        problems["content.skipped_body"] = "a document that skips a level names the body skipped"
    exception_unexplained = not content.personal_exception_reason.strip()
    if content.addressed_leader_user_id and content.personal_exception and exception_unexplained:
        problems["content.personal_exception_reason"] = "say why the exception of A48 applies"
    if direction is Direction.OUTGOING:
        if content.authority is None:
            problems["content.authority"] = "what the document is decides who signs it off (A51)"
        code = content.issuer_code.strip()
        if not code:
            problems["content.issuer_code"] = "the issuer code of the number, e.g. 资府发"
        elif len(code) > MAX_ISSUER_CODE or any(c in code for c in "〔〕[]0123456789号 "):
            problems["content.issuer_code"] = (
                "only the issuer's code, e.g. 资府发 (no year, brackets or number)"
            )
        if content.disclosure is None:
            problems["content.disclosure"] = "主动公开, 依申请公开 or 不予公开: decided before issue"
        unled = not (content.lead_organisation_code or content.matters)
        if content.authority is Authority.GOVERNMENT_OTHER and unled:
            problems["content.lead_organisation_code"] = (
                "the vice mayor in charge signs it (A51): name the lead organisation or the matter"
            )
    if content.provincial_number and content.provincial_received_on is None:
        problems["content.implements_provincial.received_on"] = "the day the provincial document was received"
    if problems:
        raise InvalidInput(problems)


# ---- A53 classification ----------------------------------------------------------------------------


def check_not_classified(classification: Classification | None) -> None:
    """A53: classified documents (秘密, 机密, 绝密) are not handled on the platform."""
    if classification in CLASSIFIED:
        raise RuleViolation(
            "A53.classified",
            f"a {CLASSIFICATION_TITLES[classification]} document is not handled on the platform: "
            "send it through the classified channel (涉密渠道)",
        )


def _act(act: str, *allowed: State) -> Transition:
    """The states from which an act on a document is allowed (shared.transitions)."""
    return Transition("document_id", "document", act, frozenset(allowed))


FILE = _act("is filed", State.DRAFT)
REVIEW = _act("is reviewed", State.FILED)
COUNTERSIGN = _act("is sent for countersign", State.DRAFT)
SIGN_INCOMING = _act("is decided", State.ROUTED)
SIGN_OUTGOING = _act("is signed off", State.DRAFT)
FILING_REVIEW = _act("is reviewed as a filing", State.FILED, State.ROUTED, State.SIGNED)
ISSUE = _act("is issued", State.SIGNED)
