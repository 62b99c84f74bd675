"""Pure rules of the `documents` service (no I/O): A47–A51, A53 and document numbers.

Each refusal by a working rule is a RuleViolation naming its id, e.g. "A47.one-matter",
so the filer reads which rule and what to do next; bad or missing input is InvalidInput
naming the field.
"""

from __future__ import annotations

import calendar as month_calendar
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from shared.errors import InvalidInput, RuleViolation
from shared.positions import EXECUTIVE_VICE_MAYOR, MAYOR, SECRETARY_GENERAL, VICE_MAYOR  # noqa: F401 (domain.MAYOR …)
from shared.workdays import Deadline, WorkingCalendar

PORTFOLIO_POSITIONS = (EXECUTIVE_VICE_MAYOR, VICE_MAYOR)

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
    Kind.RESOLUTION: "决议", Kind.DECISION: "决定", Kind.ORDER: "命令（令）", Kind.COMMUNIQUE: "公报",
    Kind.ANNOUNCEMENT: "公告", Kind.PUBLIC_NOTICE: "通告", Kind.OPINION: "意见", Kind.NOTICE: "通知",
    Kind.CIRCULAR: "通报", Kind.REPORT: "报告", Kind.REQUEST: "请示", Kind.REPLY: "批复", Kind.MOTION: "议案",
    Kind.LETTER: "函", Kind.MINUTES: "纪要",
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
    Classification.SECRET: "秘密", Classification.CONFIDENTIAL: "机密", Classification.TOP_SECRET: "绝密",
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
SKIPPING_SENDERS = frozenset({
    SenderCategory.DEPARTMENT_ADMINISTERED_BODY, SenderCategory.COUNTY_DEPARTMENT, SenderCategory.TOWN,
})
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


MAYOR_SIGNS = frozenset({
    Authority.TO_PROVINCIAL_GOVERNMENT, Authority.TO_CITY_COMMITTEE, Authority.MOTION_TO_PEOPLES_CONGRESS,
    Authority.GOVERNMENT_RULE, Authority.NORMATIVE_DOCUMENT, Authority.MAJOR_DEPLOYMENT,
    Authority.APPOINTMENT, Authority.MAJOR_SUPPORT_REQUEST,
})


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
            problems["content.issuer_code"] = "only the issuer's code, e.g. 资府发 (no year, brackets or number)"
        if content.disclosure is None:
            problems["content.disclosure"] = "主动公开, 依申请公开 or 不予公开: decided before issue"
        unled = not (content.lead_organisation_code or content.matters)
        if content.authority is Authority.GOVERNMENT_OTHER and unled:
            problems["content.lead_organisation_code"] = (
                "the vice mayor in charge signs it (A51): name the lead organisation or the matter")
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


# ---- A47, A48 filing rules -----------------------------------------------------------------------------

# Phrases by which a report asks for a decision (报告夹带请示事项).
REQUEST_PHRASES = ("请批示", "请审批", "请批准", "请予批准", "请予审批", "请予支持", "妥否", "请市政府研究决定")


def check_filing(content: Content, sender: Sender) -> None:
    """A53, A47, A48, A74: whether the city government accepts a document for filing."""
    check_not_classified(content.classification)
    if content.speech_on_behalf and content.kind is not Kind.REQUEST:
        raise RuleViolation("A74", "prior consent to a speech or article on the government's behalf is asked "
                                   "with a 请示 (one matter: the speech or article), its text attached")
    if sender.category not in HIGHER_LEVEL:
        check_sender(content, sender)
        check_skip_level(content, sender)
        check_single_receiver(content)
    check_one_matter(content)
    check_report_has_no_request(content)
    check_personal_addressing(content)
    check_normative_filing(content, sender)


def check_normative_filing(content: Content, sender: Sender) -> None:
    """A24: the city government's departments file their normative documents with it (备案), each with
    its own number and its validity (A25); a county government files with its own standing committee."""
    if not content.normative_filing:
        return
    if sender.category is not SenderCategory.CITY_DEPARTMENT:
        raise RuleViolation("A24.filing-body", "the city government takes the filings of its departments' "
                                               "normative documents; a county files with its own people's "
                                               "congress standing committee")
    if not content.filed_document_number.strip():
        raise InvalidInput({"content.filed_document_number": "the filed document's own number"})
    if content.valid_until is None:
        raise RuleViolation("A25.validity", "a normative document states its validity period (有效期): "
                                            "set valid_until")


def check_sender(content: Content, sender: Sender) -> None:
    """A47: 议事协调机构及其办公室、部门管理机构、县（区）政府工作部门、乡（镇）不得向市政府报送公文.

    A body under a county government or a department may still skip its level in a major
    emergency (checked by check_skip_level); a coordination body never files: its business goes
    to its member units (A52).
    """
    label = sender.name or sender.organisation_code
    if sender.category in NEVER_SENDERS:
        raise RuleViolation(
            "A47.sender",
            f"{label} (议事协调机构或其办公室) may not send documents to the city government: it writes "
            "to its member units, or the department doing its daily work writes instead",
        )
    if sender.category in SKIPPING_SENDERS and not (content.major_emergency and content.skips_level):
        raise RuleViolation(
            "A47.sender",
            f"{label} may not send documents to the city government; it reports to the body above it "
            "(县区政府或主管部门), and only in a major emergency (较大及以上突发事件) may it skip that level "
            "and copy the body skipped",
        )


def check_skip_level(content: Content, sender: Sender) -> None:
    """A47: no skipping a level (越级行文) except in a major emergency, and then the skipped body is copied."""
    skips = content.skips_level or sender.category in SKIPPING_SENDERS
    if not skips:
        return
    if not content.major_emergency:
        raise RuleViolation(
            "A47.skip-level",
            "a document skips a level only in a major emergency (较大及以上突发事件); send it to the body "
            "directly above the sender",
        )
    skipped = content.skipped_body
    if skipped is None or not any(skipped.is_same(c) for c in content.copies):
        name = skipped.label if skipped else "the body skipped"
        raise RuleViolation(
            "A47.skip-level",
            f"a document that skips a level in an emergency is copied (抄送) to {name}: add it to the copies",
        )


def check_single_receiver(content: Content) -> None:
    """A47: 不得多头报文 — one main receiver; the others are copied."""
    if len(content.main_receivers) > 1:
        names = "、".join(b.label for b in content.main_receivers)
        raise RuleViolation(
            "A47.multiple-receivers",
            f"a document filed with the city government has one main receiver (主送), not {names}: "
            "copy (抄送) the others",
        )


def check_one_matter(content: Content) -> None:
    """A47: 请示应当一文一事."""
    if content.kind is not Kind.REQUEST:
        return
    matters = [m.strip() for m in content.matters if m.strip()]
    if not matters:
        raise InvalidInput({"content.matters": "a 请示 names the one matter it asks about"})
    if len(matters) > 1:
        raise RuleViolation(
            "A47.one-matter",
            f"a 请示 carries one matter (一文一事); this one carries {len(matters)}: "
            f"{'、'.join(matters)} — file one 请示 per matter",
        )


def check_report_has_no_request(content: Content) -> None:
    """A47: 报告不得夹带请示事项."""
    if content.kind is not Kind.REPORT:
        return
    phrase = next((p for p in REQUEST_PHRASES if p in content.body or p in content.title), None)
    if content.contains_request or phrase:
        found = f" (it says “{phrase}”)" if phrase else ""
        raise RuleViolation(
            "A47.report-no-request",
            f"a 报告 carries no request{found}: file the request as a 请示 of its own",
        )


def check_personal_addressing(content: Content) -> None:
    """A48: not to a leader personally, except the listed cases."""
    if not content.addressed_leader_user_id:
        return
    exception = content.personal_exception
    if exception is None:
        raise RuleViolation(
            "A48",
            "documents are not sent to a city leader personally: address the city government, or state "
            "the exception (领导交办、酝酿中的敏感事项、较大及以上突发事件、部分涉外事项) and why",
        )
    if exception is PersonalException.CLASSIFIED_DIRECT:
        raise RuleViolation(
            "A53.classified", "a classified matter that must go directly is sent off the platform (涉密渠道)"
        )
    if exception is PersonalException.MAJOR_EMERGENCY and not content.major_emergency:
        raise RuleViolation("A48", "the major-emergency exception needs a document about a major emergency")


# ---- A53 handling limits --------------------------------------------------------------------------------

# Working days to handle a filed document (限时办结). The rules fix no numbers; these are the
# platform's defaults, shorter for urgent documents (急事急办).
HANDLING_WORKING_DAYS = {Urgency.ORDINARY: 10, Urgency.URGENT: 3, Urgency.EXTRA_URGENT: 1}
PROVINCIAL_IMPLEMENTATION_MONTHS = 6


def handling_deadline(calendar: WorkingCalendar, filed_on: date, urgency: Urgency) -> tuple[int, Deadline]:
    """A53: the handling limit of a filed document: (working days, deadline)."""
    days = HANDLING_WORKING_DAYS[urgency]
    return days, calendar.add_working_days(filed_on, days)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def provincial_issue_due(received_on: date | None, plan_or_regulation: bool) -> date | None:
    """A53: a document implementing a provincial one (not a plan or regulation) is issued within 6 months."""
    if received_on is None or plan_or_regulation:
        return None
    return add_months(received_on, PROVINCIAL_IMPLEMENTATION_MONTHS)


def is_overdue(state: State, today: date, handling_due: date | None, issue_due: date | None) -> bool:
    """Past its limit and not finished: an incoming document not decided, an outgoing one not issued."""
    if state in (State.FILED, State.ROUTED) and handling_due and today > handling_due:
        return True
    return state not in (State.ISSUED, State.RETURNED) and issue_due is not None and today > issue_due


# ---- A50 routing -----------------------------------------------------------------------------------------

def route(
    *, sender_category: SenderCategory, major_matter: bool, leaders_instruction: bool,
    portfolio_leader_user_id: str | None, mayor_user_id: str, speech_on_behalf: bool = False,
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
        field_text = ("an accepted document carries a clear proposed handling opinion (拟办意见)" if accept
                      else "a returned document (退文) states the reason")
        raise InvalidInput({"opinion": field_text})


# ---- A49 countersign ---------------------------------------------------------------------------------------

COUNTERSIGN_WORKING_DAYS = 7
MAX_COUNTERSIGN_WORKING_DAYS = 60


@dataclass(frozen=True)
class CountersignView:
    organisation_code: str
    state: CountersignState
    due: date
    reasons: str = ""


def countersign_deadline(
    calendar: WorkingCalendar, requested_on: date, working_days: int
) -> tuple[int, Deadline]:
    """A49: 7 working days (the request day not counted) unless the lead body set another limit."""
    if working_days < 0 or working_days > MAX_COUNTERSIGN_WORKING_DAYS:
        raise InvalidInput({"working_days": f"0 (the rule's {COUNTERSIGN_WORKING_DAYS}) or 1 to "
                                            f"{MAX_COUNTERSIGN_WORKING_DAYS} working days"})
    days = working_days or COUNTERSIGN_WORKING_DAYS
    return days, calendar.add_working_days(requested_on, days)


def check_countersign_request(lead_organisation: str, organisations: Sequence[str], known: Iterable[str],
                              already: Iterable[str]) -> None:
    problems = {}
    codes = list(organisations)
    if not codes:
        problems["organisation_codes"] = "name the bodies whose powers the document touches"
    elif len(set(codes)) != len(codes):
        problems["organisation_codes"] = "a body is named twice"
    elif lead_organisation in codes:
        problems["organisation_codes"] = "the lead body does not countersign its own document"
    else:
        unknown = sorted(set(codes) - set(known))
        asked = sorted(set(codes) & set(already))
        if unknown:
            problems["organisation_codes"] = "unknown organisations: " + ", ".join(unknown)
        elif asked:
            problems["organisation_codes"] = "already asked to countersign: " + ", ".join(asked)
    if problems:
        raise InvalidInput(problems)


def check_countersign_answer(state: CountersignState, objection: bool, reasons: str) -> None:
    if state is not CountersignState.REQUESTED:
        raise InvalidInput({"document_id": f"the countersign is {state.value} already; it is answered once"})
    if objection and not reasons.strip():
        raise InvalidInput({"reasons": "an objection states its reasons (列明理据)"})


def is_countersign_overdue(due: date, today: date) -> bool:
    """A49: the limit ends at the end of its last working day; from the next day it is overdue."""
    return today > due


def check_countersigns_settled(countersigns: Iterable[CountersignView], has_coordination: bool) -> None:
    """A49: a document goes forward once every countersign is answered (or deemed agreed), and
    objections still standing travel with the coordination record."""
    countersigns = list(countersigns)
    waiting = [c.organisation_code for c in countersigns if c.state is CountersignState.REQUESTED]
    if waiting:
        due = max(c.due for c in countersigns if c.state is CountersignState.REQUESTED)
        raise RuleViolation(
            "A49.countersign-open",
            f"waiting for the countersign of {', '.join(waiting)} (due by {due.isoformat()}; "
            "no answer by then counts as no objection)",
        )
    objecting = [c.organisation_code for c in countersigns if c.state is CountersignState.OBJECTED]
    if objecting and not has_coordination:
        raise RuleViolation(
            "A49.coordination",
            f"{', '.join(objecting)} objected: record the coordination, each side's reasons and the lead "
            "body's proposal (RecordCoordination) so the leaders can decide",
        )


def check_coordination(objections: Iterable[CountersignView], process: str, proposal: str) -> None:
    problems = {}
    if not process.strip():
        problems["process"] = "how the objections were coordinated (协调过程)"
    if not proposal.strip():
        problems["proposal"] = "the lead body's proposal (办理建议)"
    if problems:
        raise InvalidInput(problems)
    if not any(c.state is CountersignState.OBJECTED for c in objections):
        raise InvalidInput({"document_id": "no countersigning body objected: there is nothing to coordinate"})


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
            who = f"{c.acting_user_id} acting for {c.holder_user_id}" if c.acting_user_id else "nobody (away)"
            names.append(f"{c.position}: {who} ({c.basis})")
        else:
            names.append(f"{c.position}: {c.holder_user_id}")
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


# ---- A52 fewer documents -----------------------------------------------------------------------------

SIMILARITY_THRESHOLD = 0.5


def check_not_a_reprint(content: Content) -> None:
    """A52: 已经公开发布的上级文件，不再翻印、转发."""
    if content.reprints_published_document:
        raise RuleViolation(
            "A52.reprint",
            "a published higher-level document is not reprinted or forwarded: point to the published text "
            "and issue only what the city adds to it",
        )


def check_one_briefing(series: str, sender_label: str, series_already_filed: Iterable[str]) -> None:
    """A52: 每个部门原则上只向市政府报送1种简报."""
    series = series.strip()
    others = sorted({s for s in series_already_filed if s and s != series})
    if series and others:
        raise RuleViolation(
            "A52.one-briefing",
            f"{sender_label} already sends the briefing “{others[0]}” to the city government: one kind of "
            f"briefing per department — send “{series}” as part of it",
        )


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if not c.isspace() and c not in "，。、；：“”（）《》〔〕()"]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)} or set(chars)


def title_similarity(a: str, b: str) -> float:
    """Dice coefficient of the titles' character bigrams (0..1): Chinese titles have no spaces."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def similar_in_force(title: str, issued: Iterable[tuple[str, str, date | None]], today: date,
                     threshold: float = SIMILARITY_THRESHOLD) -> list[tuple[str, float]]:
    """A52: issued documents still in force (validity not passed) whose titles are close: (id, score),
    closest first."""
    scores = [(doc_id, title_similarity(title, other)) for doc_id, other, valid_until in issued
              if valid_until is None or valid_until >= today]
    return sorted([(d, s) for d, s in scores if s >= threshold], key=lambda x: -x[1])


# ---- A21–A25 normative documents and government rules ------------------------------------------------

NEEDS_LEGALITY_REVIEW = frozenset({Authority.NORMATIVE_DOCUMENT, Authority.GOVERNMENT_RULE})


def check_validity(content: Content, today: date) -> None:
    """A25: 规范性文件应当规定有效期 (and so do the government's rules here)."""
    if content.authority not in NEEDS_LEGALITY_REVIEW:
        return
    if content.valid_until is None:
        raise RuleViolation("A25.validity", "a normative document states its validity period (有效期): "
                                            "set valid_until")
    if content.valid_until <= today:
        raise InvalidInput({"content.valid_until": "the validity ends after today"})


def check_legality_reviewed(authority: Authority | None, review: dict | None) -> None:
    """A21, A23: a normative document or government rule passes the justice bureau's legality review
    (合法性审查) before sign-off."""
    if authority not in NEEDS_LEGALITY_REVIEW:
        return
    if not review:
        raise RuleViolation("A23.legality-review", "the justice bureau's legality review (合法性审查) comes "
                                                   "before sign-off: ask 市司法局 to review it")
    if not review.get("passed"):
        raise RuleViolation("A23.legality-review", "the legality review did not pass: revise the draft "
                                                   f"and ask again ({review.get('opinion', '')})")


def check_legality_review_request(authority: Authority | None, opinion: str) -> None:
    if authority not in NEEDS_LEGALITY_REVIEW:
        raise InvalidInput({"document_id": "only normative documents and government rules get a legality "
                                           "review here"})
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


def check_filing_record(authority: Authority | None, state: State, body: FilingBody | None, reference: str,
                        already: Iterable[str]) -> None:
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


def check_public_comment(authority: Authority | None, comment_until: date | None, exempt_reason: str,
                         today: date) -> None:
    """A22: a draft government rule is open for public comment before sign-off, unless it must be kept
    confidential by law (the reason is recorded)."""
    if authority is not Authority.GOVERNMENT_RULE or exempt_reason.strip():
        return
    if comment_until is None:
        raise RuleViolation("A22.public-comment", "a draft government rule is opened for public comment "
                                                  "(公开征求意见) before sign-off, unless confidential by law")
    if today <= comment_until:
        raise RuleViolation("A22.public-comment",
                            f"public comment is open until {comment_until.isoformat()}: "
                            "sign off after it closes")


MIN_COMMENT_DAYS = 30


def check_comment_period(authority: Authority | None, state: State, until: date | None, today: date) -> None:
    if authority is not Authority.GOVERNMENT_RULE:
        raise InvalidInput({"document_id": "public comment here is for draft government rules"})
    if state is not State.DRAFT:
        raise InvalidInput({"document_id": "a draft is opened for comment"})
    if until is None or (until - today).days < MIN_COMMENT_DAYS:
        raise InvalidInput({"until": f"at least {MIN_COMMENT_DAYS} days from today (公开征求意见期限)"})


def catalogue_selects(authority: Authority | None, issued_on: date | None, valid_until: date | None, *,
                      year: int, in_force_only: bool, today: date, repealed: bool = False) -> bool:
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


def check_cleanup(authority: Authority | None, state: State, repealed: bool, decision: CleanupDecision | None,
                  reason: str, continue_until: date | None, today: date) -> None:
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


# ---- document numbers --------------------------------------------------------------------------------

def document_number(issuer_code: str, year: int, sequence: int) -> str:
    """发文字号: issuer code, year in 〔〕, sequence, e.g. 资府发〔2019〕13号."""
    if sequence < 1:
        raise ValueError("sequences start at 1")
    return f"{issuer_code}〔{year}〕{sequence}号"


@dataclass
class Transition:
    """The states from which an act is allowed, for a clear error on the wrong state."""

    act: str
    allowed: frozenset[State] = field(default_factory=frozenset)

    def check(self, state: State) -> None:
        if state not in self.allowed:
            allowed = " or ".join(sorted(s.value for s in self.allowed))
            raise InvalidInput({"document_id": f"the document is {state.value}; only a {allowed} document "
                                               f"is {self.act}"})


FILE = Transition("filed", frozenset({State.DRAFT}))
REVIEW = Transition("reviewed", frozenset({State.FILED}))
COUNTERSIGN = Transition("sent for countersign", frozenset({State.DRAFT}))
SIGN_INCOMING = Transition("decided", frozenset({State.ROUTED}))
SIGN_OUTGOING = Transition("signed off", frozenset({State.DRAFT}))
FILING_REVIEW = Transition("reviewed as a filing", frozenset({State.FILED, State.ROUTED, State.SIGNED}))
ISSUE = Transition("issued", frozenset({State.SIGNED}))
