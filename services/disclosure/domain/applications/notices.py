"""Applications for information: what the applicant is told — the reply letter's and the notices'
paragraphs, and the remedies (art. 51)."""

from __future__ import annotations

from datetime import date

from services.disclosure.domain.applications.kinds import (
    CORRECTION_REPLIES,
    DeliveryForm,
    EXEMPTION_ARTICLE,
    EXEMPTION_TEXT,
    LAWSUIT_MONTHS,
    REVIEW_DAYS,
    ReplyKind,
)
from services.disclosure.domain.applications.replies import (
    Reply,
)


# ---- what the applicant is told ------------------------------------------------------------------


def remedy_notice(agency: str, review_body: str) -> str:
    """Art. 51 with the laws on review and litigation: every reply ends with it."""
    return (
        f"如对本答复不服，可以自收到本答复之日起{REVIEW_DAYS}日内向{review_body}申请行政复议，"
        f"或者自收到本答复之日起{LAWSUIT_MONTHS}个月内向有管辖权的人民法院提起行政诉讼。"
        f"（答复机关：{agency}）"
    )


DELIVERY_TEXT = {
    DeliveryForm.PAPER_BY_POST: "纸质文本邮寄",
    DeliveryForm.PAPER_COLLECTED: "纸质文本自行领取",
    DeliveryForm.EMAIL: "电子邮件",
    DeliveryForm.ONLINE_DOWNLOAD: "网上下载",
    DeliveryForm.ELECTRONIC_MEDIA: "光盘等电子介质",
    DeliveryForm.ON_SITE_READING: "当场查阅、抄录",
}


def _sentence(text: str) -> str:
    """Free text as a sentence of the letter (ends with a full stop)."""
    text = text.strip()
    return text if not text or text[-1] in "。！？；）)" else text + "。"


def reply_paragraphs(
    reply: Reply, *, description: str, received_on: date | None, agency: str, review_body: str
) -> list[str]:
    """The text of the reply letter (政府信息公开申请答复书), paragraph by paragraph."""
    reply = Reply(
        **{
            **vars(reply),
            "reason": _sentence(reply.reason),
            "provided": reply.provided.strip().rstrip("。"),
            "published_at": reply.published_at.strip().rstrip("。"),
        }
    )
    received = f"{received_on.year}年{received_on.month}月{received_on.day}日" if received_on else "近日"
    if reply.kind in CORRECTION_REPLIES:
        asked = f"本机关于{received}收到您（单位）提出的政府信息更正申请，申请更正“{description.strip()}”。"
    else:
        asked = f"本机关于{received}收到您（单位）提出的政府信息公开申请，申请获取“{description.strip()}”。"
    out = [asked + "经审查，现答复如下："]
    kind = reply.kind
    if kind is ReplyKind.ALREADY_PUBLISHED:
        out.append(
            f"您申请获取的政府信息已经主动公开，您可以通过以下方式、途径获取：{reply.published_at}。"
            "（《中华人民共和国政府信息公开条例》第三十六条第一项）"
        )
    elif kind is ReplyKind.PROVIDED:
        out.append(
            f"您申请获取的政府信息属于公开范围，现予以提供：{reply.provided}。"
            "（《中华人民共和国政府信息公开条例》第三十六条第二项）"
        )
    elif kind is ReplyKind.PARTLY_PROVIDED:
        out.append(f"您申请获取的政府信息中，可以公开的部分现予以提供：{reply.provided}。")
        for w in reply.withheld:
            article = EXEMPTION_ARTICLE[w.exemption] if w.exemption else ""
            basis = f"{EXEMPTION_TEXT[w.exemption]}（条例第{article}条）" if w.exemption else ""
            out.append(f"其中“{w.part}”{basis}，不予公开。理由：{w.reason}")
        out.append("（《中华人民共和国政府信息公开条例》第三十七条）")
    elif kind is ReplyKind.NOT_DISCLOSED:
        ex = reply.exemption
        out.append(
            f"您申请获取的政府信息{EXEMPTION_TEXT[ex]}，根据《中华人民共和国政府信息公开条例》"
            f"第{EXEMPTION_ARTICLE[ex]}条、第三十六条第三项的规定，不予公开。理由：{reply.reason}"
        )
    elif kind is ReplyKind.DOES_NOT_EXIST:
        out.append(
            f"经检索，本机关没有您申请获取的政府信息，该政府信息不存在。{reply.reason}"
            "（《中华人民共和国政府信息公开条例》第三十六条第四项）"
        )
    elif kind is ReplyKind.NOT_HELD:
        holder = ""
        if reply.holder_name.strip():
            holder = f"负责公开该政府信息的行政机关为{reply.holder_name}"
            holder += f"，联系方式：{reply.holder_contact}。" if reply.holder_contact.strip() else "。"
        out.append(
            f"您申请获取的政府信息不属于本机关负责公开。理由：{reply.reason}{holder}"
            "（《中华人民共和国政府信息公开条例》第三十六条第五项）"
        )
    elif kind is ReplyKind.REPEATED:
        out.append(
            f"本机关已就您提出的政府信息公开申请（{reply.earlier_application}）作出答复，"
            "您重复申请公开相同政府信息，本机关不予重复处理。"
            "（《中华人民共和国政府信息公开条例》第三十六条第六项）"
        )
    elif kind is ReplyKind.SPECIAL_LAW:
        out.append(
            f"您申请获取的信息，{reply.special_law}对信息的获取有特别规定，请依照该规定办理：{reply.reason}"
            "（《中华人民共和国政府信息公开条例》第三十六条第七项）"
        )
    elif kind is ReplyKind.NEEDS_PROCESSING:
        out.append(
            f"您申请获取的信息需要本机关对现有政府信息进行加工、分析，本机关不予提供。理由：{reply.reason}"
            "（《中华人民共和国政府信息公开条例》第三十八条）"
        )
    elif kind is ReplyKind.STILL_UNCLEAR:
        out.append(
            f"经补正，您的申请内容仍不明确，本机关无法提供。{reply.reason}"
            "（《中华人民共和国政府信息公开条例》第三十条）"
        )
    elif kind is ReplyKind.NOT_AN_APPLICATION:
        out.append(
            f"您提出的申请不作为政府信息公开申请处理。{reply.reason}"
            "（《中华人民共和国政府信息公开条例》第三十九条）"
        )
    elif kind is ReplyKind.PUBLICATION_REQUEST:
        out.append(
            f"您申请获取的是公开出版物，可以通过以下途径获取：{reply.published_at}。"
            "（《中华人民共和国政府信息公开条例》第三十九条第二款）"
        )
    elif kind is ReplyKind.EXCESSIVE:
        out.append(
            f"您申请公开政府信息的数量、频次明显超过合理范围，所说明的理由不合理，本机关不予处理。"
            f"理由：{reply.reason}（《中华人民共和国政府信息公开条例》第三十五条）"
        )
    elif kind is ReplyKind.CORRECTED:
        out.append(
            f"经审核，您提供的证据证明本机关提供的与您（单位）自身相关的政府信息记录不准确，本机关已予以更正：{reply.reason}"
            "（《中华人民共和国政府信息公开条例》第四十一条）"
        )
    elif kind is ReplyKind.CORRECTION_TRANSFERRED:
        out.append(
            f"您申请更正的政府信息不属于本机关职能范围，本机关已转送有权更正的{reply.holder_name}处理。{reply.reason}"
            "（《中华人民共和国政府信息公开条例》第四十一条）"
        )
    elif kind is ReplyKind.CORRECTION_REFERRED:
        contact = f"（联系方式：{reply.holder_contact}）" if reply.holder_contact.strip() else ""
        out.append(
            f"您申请更正的政府信息不属于本机关职能范围，请向有权更正的{reply.holder_name}{contact}提出。{reply.reason}"
            "（《中华人民共和国政府信息公开条例》第四十一条）"
        )
    elif kind is ReplyKind.CORRECTION_REFUSED:
        out.append(
            f"经审核，您申请更正的政府信息记录与事实相符，本机关不予更正。理由：{reply.reason}"
            "（《中华人民共和国政府信息公开条例》第四十一条）"
        )
    if reply.reason.strip() and kind in (
        ReplyKind.ALREADY_PUBLISHED,
        ReplyKind.PROVIDED,
        ReplyKind.PARTLY_PROVIDED,
        ReplyKind.REPEATED,
    ):
        out.append(reply.reason.strip())
    out.append("本机关依申请提供政府信息，不收取费用。")
    out.append(remedy_notice(agency, review_body))
    return out


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def receipt_paragraphs(
    *, number: str, description: str, received_on: date, due: date, provisional: bool
) -> list[str]:
    """登记回执: the day of receipt (art. 31) and the day the reply is due (art. 33)."""
    tail = "（该日期按尚未公布的节假日安排推算，如有调整以调整后为准）" if provisional else ""
    return [
        f"本机关于{chinese_date(received_on)}收到您（单位）提出的政府信息公开申请（编号{number}），"
        f"申请获取“{description.strip()}”。",
        f"根据《中华人民共和国政府信息公开条例》第三十三条，本机关将于{chinese_date(due)}前作出答复{tail}。"
        "征求第三方或者其他机关意见所需时间不计算在答复期限内。",
        "您可以凭查询码在资阳市人民政府门户网站查询办理进度。",
    ]


def completion_paragraphs(*, description: str, received_on: date, items: str, due: date) -> list[str]:
    """补正告知书 (art. 30): one request, naming what to complete and the reasonable period."""
    return [
        f"本机关于{chinese_date(received_on)}收到您（单位）提出的政府信息公开申请，申请获取“{description.strip()}”。",
        f"经审查，您的申请内容不明确。根据《中华人民共和国政府信息公开条例》第三十条，请您于{chinese_date(due)}前"
        f"就以下事项作出补正：{_sentence(items)}",
        "答复期限自本机关收到补正的申请之日起计算。您无正当理由逾期不补正的，视为放弃申请，"
        "本机关不再处理该政府信息公开申请。",
    ]


def extension_paragraphs(
    *, description: str, received_on: date, working_days: int, reason: str, notice: str, due: date
) -> list[str]:
    """延期答复告知书 (art. 33)."""
    return [
        f"本机关于{chinese_date(received_on)}收到您（单位）提出的政府信息公开申请，申请获取“{description.strip()}”。",
        f"因{reason.strip().rstrip('。')}，需要延长答复期限。根据《中华人民共和国政府信息公开条例》第三十三条，"
        f"经本机关政府信息公开工作机构负责人同意，答复期限延长{working_days}个工作日，本机关将于"
        f"{chinese_date(due)}前作出答复。",
        _sentence(notice),
    ]


def deferral_paragraphs(*, description: str, received_on: date, deferred_to: date, notice: str) -> list[str]:
    """延迟答复告知书 (art. 35): reasons accepted, the reply at a reasonable later date."""
    return [
        f"本机关于{chinese_date(received_on)}收到您（单位）提出的政府信息公开申请，申请获取“{description.strip()}”。",
        "本机关认为您说明的理由合理，但无法在《中华人民共和国政府信息公开条例》第三十三条规定的期限内答复。"
        f"根据该条例第三十五条，本机关将于{chinese_date(deferred_to)}前作出答复。",
        _sentence(notice),
    ]
