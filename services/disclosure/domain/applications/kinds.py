"""Applications for information: the limits (named constants) and the kinds — applicant, channel,
delivery form, state, reply, request, exemption (art. 14–16), consulted party, remedy."""

from __future__ import annotations

from enum import Enum


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


CORRECTION_REPLIES = frozenset(
    {
        ReplyKind.CORRECTED,
        ReplyKind.CORRECTION_TRANSFERRED,
        ReplyKind.CORRECTION_REFERRED,
        ReplyKind.CORRECTION_REFUSED,
    }
)


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
    Exemption.STATE_SECRET: 14,
    Exemption.LAW_FORBIDS: 14,
    Exemption.SECURITY_STABILITY: 14,
    Exemption.THIRD_PARTY_RIGHTS: 15,
    Exemption.INTERNAL_AFFAIRS: 16,
    Exemption.PROCESS_INFORMATION: 16,
    Exemption.LAW_ENFORCEMENT_FILE: 16,
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
