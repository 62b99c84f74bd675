"""Applications for government information (依申请公开), as plain rules (no I/O).

The national Regulations on Open Government Information (政府信息公开条例, 2019), which the
working rules A35–A39 (openness the rule, secrecy the exception) bring into the city:

art. 27–29  a citizen, legal person or other organisation applies in writing (letter, data
            message) with name, identity proof and contact, a description of the information
            and the form in which to receive it;
art. 30     an unclear application gets ONE request to complete it (补正), made within 7 working
            days of receipt, naming what to complete and a reasonable period; the reply limit then
            runs from the day the completion is received; without it the application lapses
            (视为放弃申请);
art. 31     the day of receipt: in person the day submitted; by post the day the agency signs for
            it (an ordinary letter: the day the office confirms it with the applicant); online or
            by fax the day both sides confirm it;
art. 32/34  when disclosure may harm a third party, the third party is consulted in writing and
            has 15 working days to answer (another agency the same, art. 34); that time is not
            counted (art. 33 para. 2) — so at most 15 working days are left out per consultation;
art. 33     reply within 20 working days of receipt; extendable ONCE by at most 20 working days with
            the approval of the head of the disclosure office and notice to the applicant;
art. 35     a volume or frequency far beyond reason: the agency may ask for reasons, then refuse to
            handle (unreasonable) or fix a reasonable later date for the reply (reasonable);
art. 36–39  the kinds of reply (ReplyKind), each with what it must say (REQUIRED_FIELDS);
art. 14–16  the exemptions (Exemption);
art. 41     a citizen, legal person or organisation with evidence that a record the agency provided about
            them is inaccurate may ask for its correction: corrected and told; or transferred to, or
            the applicant referred to, the agency competent to correct it; or refused as not borne out;
art. 42     no fee by default (recorded, never charged here).

Every reply tells the applicant of the right to administrative review (60 days) and to sue
(6 months) — art. 51 with the laws on review and litigation (remedy_notice).

Rule ids are "OGI<article>.<tag>", e.g. "OGI33.extension-once".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

from shared.errors import InvalidInput, RuleViolation
from shared.workdays import Deadline, WorkingCalendar

REPLY_WORKING_DAYS = 20  # art. 33
MAX_EXTENSION_WORKING_DAYS = 20  # art. 33
COMPLETION_REQUEST_WORKING_DAYS = 7  # art. 30: the request is made within 7 working days of receipt
DEFAULT_COMPLETION_PERIOD = 15  # art. 30: "a reasonable period" the office names; 15 working days unless set
MAX_COMPLETION_PERIOD = 30
CONSULTATION_WORKING_DAYS = 15  # art. 32 (third party), art. 34 (another agency)
REVIEW_DAYS = 60  # 行政复议法: within 60 days of knowing the act
LAWSUIT_MONTHS = 6  # 行政诉讼法 art. 46: within 6 months of knowing the act
MAX_TEXT = 5000
MAX_SHORT = 200


class ApplicantKind(Enum):
    """The columns of the national annual report template (申请人情况)."""

    NATURAL_PERSON = "natural_person"  # 自然人
    COMMERCIAL_ENTERPRISE = "commercial_enterprise"  # 商业企业
    RESEARCH_INSTITUTION = "research_institution"  # 科研机构
    SOCIAL_WELFARE_ORGANISATION = "social_welfare_organisation"  # 社会公益组织
    LEGAL_SERVICE_ORGANISATION = "legal_service_organisation"  # 法律服务机构
    OTHER_ORGANISATION = "other_organisation"  # 其他


class Channel(Enum):
    """How the application reached the agency (art. 31 decides the day of receipt by it)."""

    IN_PERSON = "in_person"  # 当面提交: the day submitted
    POST_SIGNED = "post_signed"  # 邮寄（需签收）: the day the agency signs for it
    POST_UNSIGNED = "post_unsigned"  # 平常信函: the day the office confirms it with the applicant
    ONLINE = "online"  # 互联网: the day both sides confirm it
    FAX = "fax"  # 传真: the day both sides confirm it


# Channels whose day of receipt is a confirmation by the office (the application waits for it).
CONFIRMED_CHANNELS = frozenset({Channel.POST_UNSIGNED, Channel.ONLINE, Channel.FAX})


class DeliveryForm(Enum):
    """The form in which the applicant wants the information (art. 29(3), art. 40)."""

    PAPER_BY_POST = "paper_by_post"  # 纸质，邮寄
    PAPER_COLLECTED = "paper_collected"  # 纸质，自行领取
    EMAIL = "email"  # 电子邮件
    ONLINE_DOWNLOAD = "online_download"  # 网上下载（门户）
    ELECTRONIC_MEDIA = "electronic_media"  # 光盘等电子介质
    ON_SITE_READING = "on_site_reading"  # 当场查阅、抄录


class State(Enum):
    SUBMITTED = "submitted"  # waiting for the office to confirm receipt (art. 31)
    RECEIVED = "received"  # the reply limit runs
    AWAITING_COMPLETION = "awaiting_completion"  # art. 30: the limit waits for the completion
    CONSULTING = "consulting"  # art. 32/34: the limit is paused
    REPLIED = "replied"
    LAPSED = "lapsed"  # art. 30: never completed
    WITHDRAWN = "withdrawn"  # 撤回: by the applicant, before the reply


OPEN_STATES = frozenset({State.SUBMITTED, State.RECEIVED, State.AWAITING_COMPLETION, State.CONSULTING})


class ReplyKind(Enum):
    """The kinds of reply of articles 35–39."""

    ALREADY_PUBLISHED = "already_published"  # 36(1) 已主动公开: where and how to get it
    PROVIDED = "provided"  # 36(2) 予以公开 in full
    PARTLY_PROVIDED = "partly_provided"  # 37 部分公开: the parts withheld and why
    NOT_DISCLOSED = "not_disclosed"  # 36(3) 不予公开: the exemption (art. 14–16) and why
    DOES_NOT_EXIST = "does_not_exist"  # 36(4) 信息不存在
    NOT_HELD = "not_held"  # 36(5) 非本机关负责公开: who holds it, if known
    REPEATED = "repeated"  # 36(6) 重复申请
    SPECIAL_LAW = "special_law"  # 36(7) 工商、不动产登记资料等: the law that governs access
    NEEDS_PROCESSING = "needs_processing"  # 38 需另行加工、分析
    STILL_UNCLEAR = "still_unclear"  # 30 补正后申请内容仍不明确
    NOT_AN_APPLICATION = "not_an_application"  # 39(1) 信访、投诉、举报 in the form of an application
    PUBLICATION_REQUEST = "publication_request"  # 39(2) 要求提供政府公报、报刊、书籍等公开出版物
    EXCESSIVE = "excessive"  # 35 数量、频次明显超过合理范围, reasons not reasonable: not handled
    # Requests for correction (art. 41 更正申请)
    CORRECTED = "corrected"  # 审核属实，予以更正并告知
    CORRECTION_TRANSFERRED = "correction_transferred"  # 转送有权更正的行政机关处理并告知
    CORRECTION_REFERRED = "correction_referred"  # 告知向有权更正的行政机关提出
    CORRECTION_REFUSED = "correction_refused"  # 审核不属实，不予更正


class RequestKind(Enum):
    INFORMATION = "information"  # art. 27: to obtain government information
    CORRECTION = "correction"  # art. 41: to correct a record about the applicant


CORRECTION_REPLIES = frozenset({ReplyKind.CORRECTED, ReplyKind.CORRECTION_TRANSFERRED,
                                ReplyKind.CORRECTION_REFERRED, ReplyKind.CORRECTION_REFUSED})


class Exemption(Enum):
    """Why information is not disclosed (art. 14–16), in the rows of the national template."""

    STATE_SECRET = "state_secret"  # 14 国家秘密
    LAW_FORBIDS = "law_forbids"  # 14 法律、行政法规禁止公开
    SECURITY_STABILITY = "security_stability"  # 14 危及国家安全、公共安全、经济安全、社会稳定
    THIRD_PARTY_RIGHTS = "third_party_rights"  # 15 商业秘密、个人隐私等第三方合法权益
    INTERNAL_AFFAIRS = "internal_affairs"  # 16 内部事务信息（人事、后勤、内部工作流程）
    PROCESS_INFORMATION = "process_information"  # 16 过程性信息（讨论记录、过程稿、磋商信函、请示报告）
    LAW_ENFORCEMENT_FILE = "law_enforcement_file"  # 16 行政执法案卷信息


EXEMPTION_ARTICLE = {
    Exemption.STATE_SECRET: 14, Exemption.LAW_FORBIDS: 14, Exemption.SECURITY_STABILITY: 14,
    Exemption.THIRD_PARTY_RIGHTS: 15,
    Exemption.INTERNAL_AFFAIRS: 16, Exemption.PROCESS_INFORMATION: 16, Exemption.LAW_ENFORCEMENT_FILE: 16,
}
EXEMPTION_TEXT = {
    Exemption.STATE_SECRET: "属于依法确定为国家秘密的政府信息",
    Exemption.LAW_FORBIDS: "属于法律、行政法规禁止公开的政府信息",
    Exemption.SECURITY_STABILITY: "公开后可能危及国家安全、公共安全、经济安全、社会稳定",
    Exemption.THIRD_PARTY_RIGHTS: "涉及商业秘密、个人隐私等，公开会对第三方合法权益造成损害",
    Exemption.INTERNAL_AFFAIRS: "属于行政机关的内部事务信息",
    Exemption.PROCESS_INFORMATION: "属于行政机关在履行行政管理职能过程中形成的过程性信息",
    Exemption.LAW_ENFORCEMENT_FILE: "属于行政执法案卷信息",
}


class ConsultedParty(Enum):
    THIRD_PARTY = "third_party"  # art. 32
    OTHER_AGENCY = "other_agency"  # art. 34


class RemedyKind(Enum):
    """Reviews and lawsuits against a reply, as the annual report counts them (art. 50(3))."""

    REVIEW = "review"  # 行政复议
    LAWSUIT_DIRECT = "lawsuit_direct"  # 未经复议直接起诉
    LAWSUIT_AFTER_REVIEW = "lawsuit_after_review"  # 复议后起诉


class RemedyOutcome(Enum):
    UPHELD = "upheld"  # 结果维持
    CORRECTED = "corrected"  # 结果纠正
    OTHER = "other"  # 其他结果
    PENDING = "pending"  # 尚未审结


# ---- the application ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Applicant:
    """Art. 29(1): name, identity proof, contacts. An organisation also names its contact person."""

    kind: ApplicantKind | None
    name: str
    id_number: str = ""  # 身份证件号码, or the 统一社会信用代码 of an organisation
    phone: str = ""
    email: str = ""
    address: str = ""
    contact_person: str = ""


@dataclass(frozen=True)
class Request:
    """What is asked for (art. 29(2)(3))."""

    description: str  # name, number or other features of the information
    document_number: str = ""
    purpose: str = ""  # optional: the regulations no longer require a purpose (2019)
    delivery_form: DeliveryForm | None = None
    kind: RequestKind = RequestKind.INFORMATION
    evidence: str = ""  # art. 41: why the record about the applicant is inaccurate


def check_application(applicant: Applicant, request: Request) -> None:
    """Art. 29: everything the application must contain, each problem named by its field."""
    bad: list[tuple[str, str]] = []
    if applicant.kind is None:
        bad.append(("applicant.kind", "a natural person or which kind of organisation"))
    if not applicant.name.strip():
        bad.append(("applicant.name", "the applicant's name (姓名或者名称)"))
    elif len(applicant.name) > MAX_SHORT:
        bad.append(("applicant.name", f"at most {MAX_SHORT} characters"))
    if not applicant.id_number.strip():
        bad.append(("applicant.id_number", "identity proof: ID number, or the organisation's credit code"))
    elif len(applicant.id_number) > 64:
        bad.append(("applicant.id_number", "at most 64 characters"))
    if not (applicant.phone.strip() or applicant.email.strip() or applicant.address.strip()):
        bad.append(("applicant.phone", "at least one way to reach the applicant (phone, email or address)"))
    if applicant.email and ("@" not in applicant.email or len(applicant.email) > MAX_SHORT):
        bad.append(("applicant.email", "not an email address"))
    if len(applicant.phone) > 32:
        bad.append(("applicant.phone", "at most 32 characters"))
    if len(applicant.address) > MAX_SHORT or len(applicant.contact_person) > MAX_SHORT:
        bad.append(("applicant.address", f"at most {MAX_SHORT} characters"))
    if applicant.kind not in (None, ApplicantKind.NATURAL_PERSON) and not applicant.contact_person.strip():
        bad.append(("applicant.contact_person", "an organisation names its contact person"))
    if not request.description.strip():
        bad.append(("description", "which information: its name, number or other features"))
    elif len(request.description) > MAX_TEXT:
        bad.append(("description", f"at most {MAX_TEXT} characters"))
    if len(request.document_number) > 100:
        bad.append(("document_number", "at most 100 characters"))
    if len(request.purpose) > MAX_TEXT:
        bad.append(("purpose", f"at most {MAX_TEXT} characters"))
    if request.kind is RequestKind.CORRECTION and not request.evidence.strip():
        bad.append(("evidence", "art. 41: the evidence that the record about the applicant is inaccurate"))
    elif len(request.evidence) > MAX_TEXT:
        bad.append(("evidence", f"at most {MAX_TEXT} characters"))
    if request.delivery_form is None:
        bad.append(("delivery_form", "the form in which to receive the information"))
    elif request.delivery_form is DeliveryForm.EMAIL and not applicant.email.strip():
        bad.append(("applicant.email", "needed to deliver by email"))
    elif request.delivery_form is DeliveryForm.PAPER_BY_POST and not applicant.address.strip():
        bad.append(("applicant.address", "needed to deliver by post"))
    if bad:
        raise InvalidInput(bad)


# ---- art. 31: the day of receipt --------------------------------------------------------------


def receipt_date(channel: Channel, *, submitted_on: date, signed_for_on: date | None = None,
                 confirmed_on: date | None = None) -> date | None:
    """The day the agency received the application (art. 31), or None while it waits for the office.

    in person: the day submitted; by registered post: the day the agency signs for it; by ordinary
    letter, online or by fax: the day the office confirms it (with the applicant).
    """
    if channel is Channel.IN_PERSON:
        return submitted_on
    if channel is Channel.POST_SIGNED:
        return signed_for_on
    return confirmed_on


def check_receipt(channel: Channel | None, *, submitted_on: date, signed_for_on: date | None,
                  confirmed_on: date | None, today: date) -> None:
    """Dates an officer registers an application with (in person, post, fax)."""
    bad: list[tuple[str, str]] = []
    if channel is None:
        raise InvalidInput({"channel": "how the application arrived"})
    if submitted_on > today:
        bad.append(("submitted_on", "not in the future"))
    if channel is Channel.POST_SIGNED:
        if signed_for_on is None:
            bad.append(("signed_for_on", "art. 31(2): the day the agency signed for the letter"))
        elif not submitted_on <= signed_for_on <= today:
            bad.append(("signed_for_on", "between the day posted and today"))
    elif signed_for_on is not None:
        bad.append(("signed_for_on", "only for a letter the agency signs for"))
    if channel is Channel.IN_PERSON and confirmed_on is not None:
        bad.append(("confirmed_on", "an application handed in is received the day submitted"))
    if confirmed_on is not None and not submitted_on <= confirmed_on <= today:
        bad.append(("confirmed_on", "between the day submitted and today"))
    if bad:
        raise InvalidInput(bad)


def check_confirmation(channel: Channel, state: State, *, submitted_on: date, confirmed_on: date,
                       today: date) -> None:
    if state is not State.SUBMITTED:
        raise InvalidInput({"application_id": f"the application is {state.value}; its receipt is known"})
    if channel not in CONFIRMED_CHANNELS:
        raise InvalidInput({"application_id": f"a {channel.value} application needs no confirmation"})
    if not submitted_on <= confirmed_on <= today:
        raise InvalidInput({"confirmed_on": "between the day submitted and today"})


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
    open_ = any(c.answered_on is None and (today is None or today <= c.ends_on(cal))
                for c in clock.consultations)
    if clock.deferred_to and clock.deferred_to > deadline.due:
        return ReplyDue(clock.deferred_to, False, n, open_, deferred=True)
    return ReplyDue(deadline.due, deadline.provisional or provisional, n, open_)


def completion_request_due(received_on: date, cal: WorkingCalendar) -> Deadline:
    """Art. 30: the request to complete is made within 7 working days of receipt."""
    return cal.add_working_days(received_on, COMPLETION_REQUEST_WORKING_DAYS)


def check_completion_request(*, state: State, already_requested: bool, received_on: date, requested_on: date,
                             items: str, period_working_days: int, today: date,
                             cal: WorkingCalendar) -> None:
    """Art. 30: once (一次性告知), within 7 working days of receipt, naming what to complete and a
    reasonable period."""
    if state is not State.RECEIVED:
        raise InvalidInput({"application_id": f"the application is {state.value}; only a received one "
                                              "is asked to complete"})
    bad: list[tuple[str, str]] = []
    if not items.strip():
        bad.append(("items", "what the applicant is to complete (需要补正的事项)"))
    elif len(items) > MAX_TEXT:
        bad.append(("items", f"at most {MAX_TEXT} characters"))
    if not 0 <= period_working_days <= MAX_COMPLETION_PERIOD:
        bad.append(("period_working_days", f"a reasonable period of 1 to {MAX_COMPLETION_PERIOD} working "
                                           f"days (0: {DEFAULT_COMPLETION_PERIOD})"))
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
            f"receipt (by {limit.due}); the application is handled as it stands")


def completion_due(requested_on: date, period_working_days: int, cal: WorkingCalendar) -> Deadline:
    return cal.add_working_days(requested_on, period_working_days or DEFAULT_COMPLETION_PERIOD)


def check_completion(*, state: State, requested_on: date, completed_on: date, due: date, content: str,
                     today: date) -> None:
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
        raise RuleViolation("OGI30.lapsed",
                            f"the period to complete ended on {due}: the application is deemed withdrawn")


def check_withdrawal(*, state: State, reason: str) -> None:
    """An applicant may withdraw an application until it is answered (or lapsed)."""
    if state not in OPEN_STATES:
        raise InvalidInput({"application_id": f"the application is {state.value}; only an open one is "
                                              "withdrawn"})
    if len(reason) > MAX_TEXT:
        raise InvalidInput({"reason": f"at most {MAX_TEXT} characters"})


def has_lapsed(state: State, completion_due_on: date | None, today: date) -> bool:
    """Art. 30: no completion by the end of its period (视为放弃申请)."""
    return state is State.AWAITING_COMPLETION and completion_due_on is not None and today > completion_due_on


def check_consultation(*, state: State, party: ConsultedParty | None, party_name: str, sent_on: date,
                       started_on: date, today: date) -> None:
    if state is not State.RECEIVED:
        raise InvalidInput({"application_id": f"the application is {state.value}; only a received one "
                                              "is consulted on"})
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


def check_extension(*, state: State, already_extended: bool, working_days: int, reason: str, notice: str,
                    approved_on: date, started_on: date, current_due: date, today: date) -> None:
    """Art. 33: once, by at most 20 working days, approved by the head of the disclosure office
    (the permission) while the limit still runs, and the applicant told (the notice)."""
    if state not in (State.RECEIVED, State.CONSULTING):
        raise InvalidInput({"application_id": f"the application is {state.value}; only a running limit is "
                                              "extended"})
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
        raise RuleViolation("OGI33.extension-20-working-days",
                            f"an extension is of at most {MAX_EXTENSION_WORKING_DAYS} working days, not "
                            f"{working_days}")
    if approved_on > current_due:
        raise RuleViolation("OGI33.extension-within-limit",
                            f"the reply limit ended on {current_due}; an extension is approved before")


def check_reasons_request(*, state: State, already_asked: bool, note: str) -> None:
    """Art. 35: the agency may ask an applicant whose volume or frequency is far beyond reason
    to explain it."""
    if state not in (State.RECEIVED, State.CONSULTING):
        raise InvalidInput({"application_id": f"the application is {state.value}"})
    if not note.strip() or len(note) > MAX_TEXT:
        raise InvalidInput({"note": "what is beyond reason and what the applicant is to explain"})
    if already_asked:
        raise RuleViolation("OGI35.asked-once", "the applicant was already asked for reasons")


def check_deferral(*, state: State, reasons_asked: bool, deferred_to: date, current_due: date, notice: str,
                   today: date) -> None:
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
        raise RuleViolation("OGI35.reasons-first",
                            "the applicant is asked for reasons before the reply is deferred")
    if today > current_due:
        raise RuleViolation("OGI35.within-limit", f"the reply limit ended on {current_due}")


# ---- art. 35–39: replies ----------------------------------------------------------------------


@dataclass(frozen=True)
class Withheld:
    """A part not disclosed (art. 37): what, on which ground, why."""

    part: str
    exemption: Exemption | None
    reason: str


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind | None
    # ALREADY_PUBLISHED: where it is published (URL, gazette, reading room) and how to get it
    published_at: str = ""
    # PROVIDED / PARTLY_PROVIDED: what is provided, and how and when the applicant gets it
    provided: str = ""
    # PARTLY_PROVIDED: the parts withheld
    withheld: tuple[Withheld, ...] = ()
    # NOT_DISCLOSED
    exemption: Exemption | None = None
    # NOT_HELD: the agency that holds it, if it can be determined
    holder_name: str = ""
    holder_contact: str = ""
    # REPEATED: the earlier application this repeats (its number)
    earlier_application: str = ""
    # SPECIAL_LAW: the law or regulation with its own access procedure, and where to apply
    special_law: str = ""
    # art. 15 / 32: disclosed although the third party objected — the public interest, and the
    # day the third party was told in writing
    public_interest_reason: str = ""
    third_party_notified_on: date | None = None
    # every kind: the reasons or explanation given to the applicant
    reason: str = ""


# What each kind must say, besides the kind: field → what is missing.
REQUIRED_FIELDS: Mapping[ReplyKind, Mapping[str, str]] = {
    ReplyKind.ALREADY_PUBLISHED: {"published_at": "art. 36(1): where it is published and how to get it"},
    ReplyKind.PROVIDED: {"provided": "art. 36(2): what is provided, and how and when it is delivered"},
    ReplyKind.PARTLY_PROVIDED: {"provided": "art. 37: what is provided",
                                "withheld": "art. 37: the parts withheld, each with its reason"},
    ReplyKind.NOT_DISCLOSED: {"exemption": "art. 36(3): the ground of articles 14–16",
                              "reason": "art. 36(3): the reasons (说明理由)"},
    ReplyKind.DOES_NOT_EXIST: {"reason": "art. 36(4): what was searched, and that it does not exist"},
    ReplyKind.NOT_HELD: {"reason": "art. 36(5): why this agency is not the one to disclose it"},
    ReplyKind.REPEATED: {"earlier_application": "art. 36(6): the earlier application already answered"},
    ReplyKind.SPECIAL_LAW: {"special_law": "art. 36(7): the law or regulation that governs access",
                            "reason": "art. 36(7): where and how to apply under it"},
    ReplyKind.NEEDS_PROCESSING: {"reason": "art. 38: why the information would have to be made or analysed"},
    ReplyKind.STILL_UNCLEAR: {"reason": "art. 30: what is still unclear after the completion"},
    ReplyKind.NOT_AN_APPLICATION: {"reason": "art. 39: what it is (petition, complaint, report) and where "
                                             "to turn"},
    ReplyKind.PUBLICATION_REQUEST: {"published_at": "art. 39: the publication and where to obtain it"},
    ReplyKind.EXCESSIVE: {"reason": "art. 35: why the reasons given are not reasonable"},
    ReplyKind.CORRECTED: {"reason": "art. 41: what was corrected"},
    ReplyKind.CORRECTION_TRANSFERRED: {"holder_name": "art. 41: the agency competent to correct it"},
    ReplyKind.CORRECTION_REFERRED: {"holder_name": "art. 41: the agency competent to correct it"},
    ReplyKind.CORRECTION_REFUSED: {"reason": "art. 41: why the record is not found inaccurate"},
}


def check_reply(reply: Reply, *, state: State, started_on: date | None, replied_on: date, today: date,
                reasons_asked: bool = False, third_party_consented: bool | None = None,
                third_party_objected: bool = False,
                request_kind: RequestKind = RequestKind.INFORMATION) -> None:
    """A reply of the kind it claims to be, complete (field violations), and lawful (rule ids)."""
    if state not in (State.RECEIVED, State.CONSULTING):
        raise InvalidInput({"application_id": f"the application is {state.value}; it cannot be replied to"})
    if reply.kind is None:
        raise InvalidInput({"reply.kind": "which kind of reply (art. 36–39, 41)"})
    if (reply.kind in CORRECTION_REPLIES) != (request_kind is RequestKind.CORRECTION):
        raise InvalidInput({"reply.kind": "a request for correction gets a reply of art. 41, an application "
                                          "for information one of art. 35–39"})
    bad: list[tuple[str, str]] = []
    present = {
        "published_at": reply.published_at.strip(), "provided": reply.provided.strip(),
        "withheld": reply.withheld, "exemption": reply.exemption, "holder_name": reply.holder_name.strip(),
        "earlier_application": reply.earlier_application.strip(), "special_law": reply.special_law.strip(),
        "reason": reply.reason.strip(),
    }
    for name, missing in REQUIRED_FIELDS[reply.kind].items():
        if not present[name]:
            bad.append((f"reply.{name}", missing))
    for i, part in enumerate(reply.withheld):
        if not part.part.strip():
            bad.append((f"reply.withheld[{i}].part", "which part is withheld"))
        if part.exemption is None:
            bad.append((f"reply.withheld[{i}].exemption", "the ground of articles 14–16"))
        if not part.reason.strip():
            bad.append((f"reply.withheld[{i}].reason", "art. 37: the reason it is withheld"))
    if reply.withheld and reply.kind is not ReplyKind.PARTLY_PROVIDED:
        bad.append(("reply.withheld", "only a reply in part lists withheld parts"))
    if reply.exemption is not None and reply.kind is not ReplyKind.NOT_DISCLOSED:
        bad.append(("reply.exemption", "only a reply not disclosing names one exemption (parts: withheld)"))
    for name, value in (("published_at", reply.published_at), ("provided", reply.provided),
                        ("reason", reply.reason), ("public_interest_reason", reply.public_interest_reason)):
        if len(value) > MAX_TEXT:
            bad.append((f"reply.{name}", f"at most {MAX_TEXT} characters"))
    for name, value in (("holder_name", reply.holder_name), ("holder_contact", reply.holder_contact),
                        ("earlier_application", reply.earlier_application),
                        ("special_law", reply.special_law)):
        if len(value) > MAX_SHORT:
            bad.append((f"reply.{name}", f"at most {MAX_SHORT} characters"))
    if started_on is not None and not started_on <= replied_on <= today:
        bad.append(("replied_on", "between the start of the limit and today"))
    if bad:
        raise InvalidInput(bad)
    grounds = {reply.exemption} if reply.exemption else {w.exemption for w in reply.withheld}
    if Exemption.THIRD_PARTY_RIGHTS in grounds and third_party_consented:
        raise RuleViolation("OGI15.third-party-consented",
                            "the third party agreed to disclosure: its rights are no ground to withhold")
    discloses = reply.kind in (ReplyKind.PROVIDED, ReplyKind.PARTLY_PROVIDED)
    if discloses and third_party_objected:
        # art. 15, 32: disclosed against the objection only for an overriding public interest, and
        # the third party is told in writing what is disclosed and why.
        missing = []
        if not reply.public_interest_reason.strip():
            missing.append(("reply.public_interest_reason",
                            "art. 15, 32: the third party objected; the overriding public interest"))
        if reply.third_party_notified_on is None:
            missing.append(("reply.third_party_notified_on",
                            "art. 32: the day the third party was told in writing"))
        if missing:
            raise InvalidInput(missing)
    if reply.kind is ReplyKind.EXCESSIVE and not reasons_asked:
        raise RuleViolation("OGI35.reasons-first",
                            "an application is refused as excessive only after the applicant was asked "
                            "for reasons")


# ---- what the applicant is told ------------------------------------------------------------------


def remedy_notice(agency: str, review_body: str) -> str:
    """Art. 51 with the laws on review and litigation: every reply ends with it."""
    return (f"如对本答复不服，可以自收到本答复之日起{REVIEW_DAYS}日内向{review_body}申请行政复议，"
            f"或者自收到本答复之日起{LAWSUIT_MONTHS}个月内向有管辖权的人民法院提起行政诉讼。"
            f"（答复机关：{agency}）")


DELIVERY_TEXT = {
    DeliveryForm.PAPER_BY_POST: "纸质文本邮寄", DeliveryForm.PAPER_COLLECTED: "纸质文本自行领取",
    DeliveryForm.EMAIL: "电子邮件", DeliveryForm.ONLINE_DOWNLOAD: "网上下载",
    DeliveryForm.ELECTRONIC_MEDIA: "光盘等电子介质", DeliveryForm.ON_SITE_READING: "当场查阅、抄录",
}


def _sentence(text: str) -> str:
    """Free text as a sentence of the letter (ends with a full stop)."""
    text = text.strip()
    return text if not text or text[-1] in "。！？；）)" else text + "。"


def reply_paragraphs(reply: Reply, *, description: str, received_on: date | None, agency: str,
                     review_body: str) -> list[str]:
    """The text of the reply letter (政府信息公开申请答复书), paragraph by paragraph."""
    reply = Reply(**{**vars(reply), "reason": _sentence(reply.reason),
                     "provided": reply.provided.strip().rstrip("。"),
                     "published_at": reply.published_at.strip().rstrip("。")})
    received = f"{received_on.year}年{received_on.month}月{received_on.day}日" if received_on else "近日"
    if reply.kind in CORRECTION_REPLIES:
        asked = f"本机关于{received}收到您（单位）提出的政府信息更正申请，申请更正“{description.strip()}”。"
    else:
        asked = f"本机关于{received}收到您（单位）提出的政府信息公开申请，申请获取“{description.strip()}”。"
    out = [asked + "经审查，现答复如下："]
    kind = reply.kind
    if kind is ReplyKind.ALREADY_PUBLISHED:
        out.append(f"您申请获取的政府信息已经主动公开，您可以通过以下方式、途径获取：{reply.published_at}。"
                   "（《中华人民共和国政府信息公开条例》第三十六条第一项）")
    elif kind is ReplyKind.PROVIDED:
        out.append(f"您申请获取的政府信息属于公开范围，现予以提供：{reply.provided}。"
                   "（《中华人民共和国政府信息公开条例》第三十六条第二项）")
    elif kind is ReplyKind.PARTLY_PROVIDED:
        out.append(f"您申请获取的政府信息中，可以公开的部分现予以提供：{reply.provided}。")
        for w in reply.withheld:
            article = EXEMPTION_ARTICLE[w.exemption] if w.exemption else ""
            basis = f"{EXEMPTION_TEXT[w.exemption]}（条例第{article}条）" if w.exemption else ""
            out.append(f"其中“{w.part}”{basis}，不予公开。理由：{w.reason}")
        out.append("（《中华人民共和国政府信息公开条例》第三十七条）")
    elif kind is ReplyKind.NOT_DISCLOSED:
        ex = reply.exemption
        out.append(f"您申请获取的政府信息{EXEMPTION_TEXT[ex]}，根据《中华人民共和国政府信息公开条例》"
                   f"第{EXEMPTION_ARTICLE[ex]}条、第三十六条第三项的规定，不予公开。理由：{reply.reason}")
    elif kind is ReplyKind.DOES_NOT_EXIST:
        out.append(f"经检索，本机关没有您申请获取的政府信息，该政府信息不存在。{reply.reason}"
                   "（《中华人民共和国政府信息公开条例》第三十六条第四项）")
    elif kind is ReplyKind.NOT_HELD:
        holder = ""
        if reply.holder_name.strip():
            holder = f"负责公开该政府信息的行政机关为{reply.holder_name}"
            holder += f"，联系方式：{reply.holder_contact}。" if reply.holder_contact.strip() else "。"
        out.append(f"您申请获取的政府信息不属于本机关负责公开。理由：{reply.reason}{holder}"
                   "（《中华人民共和国政府信息公开条例》第三十六条第五项）")
    elif kind is ReplyKind.REPEATED:
        out.append(f"本机关已就您提出的政府信息公开申请（{reply.earlier_application}）作出答复，"
                   "您重复申请公开相同政府信息，本机关不予重复处理。"
                   "（《中华人民共和国政府信息公开条例》第三十六条第六项）")
    elif kind is ReplyKind.SPECIAL_LAW:
        out.append(f"您申请获取的信息，{reply.special_law}对信息的获取有特别规定，请依照该规定办理：{reply.reason}"
                   "（《中华人民共和国政府信息公开条例》第三十六条第七项）")
    elif kind is ReplyKind.NEEDS_PROCESSING:
        out.append(f"您申请获取的信息需要本机关对现有政府信息进行加工、分析，本机关不予提供。理由：{reply.reason}"
                   "（《中华人民共和国政府信息公开条例》第三十八条）")
    elif kind is ReplyKind.STILL_UNCLEAR:
        out.append(f"经补正，您的申请内容仍不明确，本机关无法提供。{reply.reason}"
                   "（《中华人民共和国政府信息公开条例》第三十条）")
    elif kind is ReplyKind.NOT_AN_APPLICATION:
        out.append(f"您提出的申请不作为政府信息公开申请处理。{reply.reason}"
                   "（《中华人民共和国政府信息公开条例》第三十九条）")
    elif kind is ReplyKind.PUBLICATION_REQUEST:
        out.append(f"您申请获取的是公开出版物，可以通过以下途径获取：{reply.published_at}。"
                   "（《中华人民共和国政府信息公开条例》第三十九条第二款）")
    elif kind is ReplyKind.EXCESSIVE:
        out.append(f"您申请公开政府信息的数量、频次明显超过合理范围，所说明的理由不合理，本机关不予处理。"
                   f"理由：{reply.reason}（《中华人民共和国政府信息公开条例》第三十五条）")
    elif kind is ReplyKind.CORRECTED:
        out.append(f"经审核，您提供的证据证明本机关提供的与您（单位）自身相关的政府信息记录不准确，本机关已予以更正：{reply.reason}"
                   "（《中华人民共和国政府信息公开条例》第四十一条）")
    elif kind is ReplyKind.CORRECTION_TRANSFERRED:
        out.append(f"您申请更正的政府信息不属于本机关职能范围，本机关已转送有权更正的{reply.holder_name}处理。{reply.reason}"
                   "（《中华人民共和国政府信息公开条例》第四十一条）")
    elif kind is ReplyKind.CORRECTION_REFERRED:
        contact = f"（联系方式：{reply.holder_contact}）" if reply.holder_contact.strip() else ""
        out.append(f"您申请更正的政府信息不属于本机关职能范围，请向有权更正的{reply.holder_name}{contact}提出。{reply.reason}"
                   "（《中华人民共和国政府信息公开条例》第四十一条）")
    elif kind is ReplyKind.CORRECTION_REFUSED:
        out.append(f"经审核，您申请更正的政府信息记录与事实相符，本机关不予更正。理由：{reply.reason}"
                   "（《中华人民共和国政府信息公开条例》第四十一条）")
    if reply.reason.strip() and kind in (ReplyKind.ALREADY_PUBLISHED, ReplyKind.PROVIDED,
                                         ReplyKind.PARTLY_PROVIDED, ReplyKind.REPEATED):
        out.append(reply.reason.strip())
    out.append("本机关依申请提供政府信息，不收取费用。")
    out.append(remedy_notice(agency, review_body))
    return out


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def receipt_paragraphs(*, number: str, description: str, received_on: date, due: date,
                       provisional: bool) -> list[str]:
    """登记回执: the day of receipt (art. 31) and the day the reply is due (art. 33)."""
    tail = "（该日期按尚未公布的节假日安排推算，如有调整以调整后为准）" if provisional else ""
    return [f"本机关于{chinese_date(received_on)}收到您（单位）提出的政府信息公开申请（编号{number}），"
            f"申请获取“{description.strip()}”。",
            f"根据《中华人民共和国政府信息公开条例》第三十三条，本机关将于{chinese_date(due)}前作出答复{tail}。"
            "征求第三方或者其他机关意见所需时间不计算在答复期限内。",
            "您可以凭查询码在资阳市人民政府门户网站查询办理进度。"]


def completion_paragraphs(*, description: str, received_on: date, items: str, due: date) -> list[str]:
    """补正告知书 (art. 30): one request, naming what to complete and the reasonable period."""
    return [f"本机关于{chinese_date(received_on)}收到您（单位）提出的政府信息公开申请，申请获取“{description.strip()}”。",
            f"经审查，您的申请内容不明确。根据《中华人民共和国政府信息公开条例》第三十条，请您于{chinese_date(due)}前"
            f"就以下事项作出补正：{_sentence(items)}",
            "答复期限自本机关收到补正的申请之日起计算。您无正当理由逾期不补正的，视为放弃申请，"
            "本机关不再处理该政府信息公开申请。"]


def extension_paragraphs(*, description: str, received_on: date, working_days: int, reason: str, notice: str,
                         due: date) -> list[str]:
    """延期答复告知书 (art. 33)."""
    return [f"本机关于{chinese_date(received_on)}收到您（单位）提出的政府信息公开申请，申请获取“{description.strip()}”。",
            f"因{reason.strip().rstrip('。')}，需要延长答复期限。根据《中华人民共和国政府信息公开条例》第三十三条，"
            f"经本机关政府信息公开工作机构负责人同意，答复期限延长{working_days}个工作日，本机关将于"
            f"{chinese_date(due)}前作出答复。",
            _sentence(notice)]


def deferral_paragraphs(*, description: str, received_on: date, deferred_to: date, notice: str) -> list[str]:
    """延迟答复告知书 (art. 35): reasons accepted, the reply at a reasonable later date."""
    return [f"本机关于{chinese_date(received_on)}收到您（单位）提出的政府信息公开申请，申请获取“{description.strip()}”。",
            "本机关认为您说明的理由合理，但无法在《中华人民共和国政府信息公开条例》第三十三条规定的期限内答复。"
            f"根据该条例第三十五条，本机关将于{chinese_date(deferred_to)}前作出答复。",
            _sentence(notice)]


# ---- who sees an application ------------------------------------------------------------------


def may_read(*, is_officer: bool, reader_user_id: str, is_service: bool, submitted_by_user_id: str) -> bool:
    """An applicant sees only his or her own applications (by account; by query code elsewhere);
    a disclosure officer sees all. The portal's own identity reads nothing by id: only by code."""
    if is_officer:
        return True
    return bool(submitted_by_user_id) and not is_service and reader_user_id == submitted_by_user_id


def consent_of(consultations: Sequence[Consultation]) -> tuple[bool | None, bool]:
    """(third party consented, third party objected) from the answers of the third parties."""
    answers = [c.consents for c in consultations
               if c.party is ConsultedParty.THIRD_PARTY and c.consents is not None]
    if not answers:
        return None, False
    return all(answers), not all(answers)

