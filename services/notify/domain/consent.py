"""Citizens told of their own cases (公民办件通知), only with their consent (通知授权) — plain rules, no I/O.

A citizen who files a petition or an application for information on the portal may agree to be told,
by e-mail and/or SMS, when that case changes state. The consent is:
- informed: given to one wording (`WORDING`, the text the portal shows beside the box), recorded;
- specific: for one case and the channels ticked, to the addresses typed or confirmed there;
- withdrawable as easily as given (where the case is seen: under the account or by its query code),
  at once: nothing more is sent, and the addresses are erased; what is kept is the case, its number,
  the channels and wording agreed to, when given and withdrawn (proof of what was agreed).
A message names the case's number and its new state and links to the portal; never the content,
nor anything of the case that the events do not carry (A71, A80: they carry no identity or letter).
"""

from __future__ import annotations

import re
from enum import StrEnum

from services.notify.domain.notices import Channel
from shared.errors import InvalidInput

# The text the portal shows beside the consent box; a change of wording is a new version.
WORDING = "citizen-consent-v1"
WORDING_TEXT = (
    "我同意资阳市人民政府门户在本事项办理状态发生变化时，按我选择的方式（电子邮件、短信）通知我。"
    "通知只包含事项编号和办理状态，不包含事项内容。我可以随时在查看本事项的页面撤回同意，撤回后不再通知，"
    "并删除为通知保存的联系方式。"
)
CHANNELS = (Channel.EMAIL, Channel.SMS)
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")


class CaseKind(StrEnum):
    PETITION = "petition"  # 信访事项
    APPLICATION = "application"  # 政府信息公开申请


class ConsentState(StrEnum):
    NONE = "none"
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


def check_consent(
    kind: CaseKind | None,
    case_id: str,
    number: str,
    channels: list[Channel],
    email: str,
    phone: str,
    wording: str,
) -> None:
    """What a consent needs: the case, channels among e-mail and SMS, each with its address, the wording."""
    bad: dict[str, str] = {}
    if kind is None:
        bad["case_kind"] = "a petition or an application"
    if not case_id.strip():
        bad["case_id"] = "the case consented for"
    if not number.strip() or len(number) > 64:
        bad["number"] = "the case's registration number, at most 64 characters"
    if not channels or any(c not in CHANNELS for c in channels):
        bad["channels"] = "e-mail and/or SMS"
    if Channel.EMAIL in channels and not EMAIL.match(email.strip()):
        bad["email"] = "an e-mail address, for the e-mail channel"
    if Channel.SMS in channels and not PHONE.match(phone.strip()):
        bad["phone"] = "a mobile number, for the SMS channel"
    if wording != WORDING:
        bad["wording"] = f"the consent text shown must be the current one ({WORDING})"
    if bad:
        raise InvalidInput(bad)


def kept_addresses(channels: list[Channel], email: str, phone: str) -> tuple[str, str]:
    """Only the addresses a chosen channel needs are kept (data minimisation)."""
    return (
        email.strip() if Channel.EMAIL in channels else "",
        phone.strip() if Channel.SMS in channels else "",
    )


# What the citizen is told, by event: (kind of case, what happened). The number and the state only.
PETITION_STATES = {
    "petitions.case.accepted": "已受理",
    "petitions.case.not-accepted": "决定不予受理",
    "petitions.case.transferred": "已转送有权处理的机关",
    "petitions.case.legal-route": "已告知通过法定途径处理",
    "petitions.case.extended": "办理期限已延长",
    "petitions.case.replied": "已作出书面答复",
    "petitions.case.reviewed": "复查（复核）已有意见",
}
APPLICATION_STATES = {
    "disclosure.application.received": "已确认收到",
    "disclosure.application.completion-requested": "需要您补正申请内容",
    "disclosure.application.extended": "答复期限已延长",
    "disclosure.application.replied": "已作出答复",
    "disclosure.application.lapsed": "因未按期补正不再处理",
}
CASE_NAMES = {CaseKind.PETITION: "信访事项", CaseKind.APPLICATION: "政府信息公开申请"}


def citizen_message(kind: CaseKind, number: str, state: str, link: str) -> tuple[str, str]:
    """(title, text) of a message to the citizen: the number, the new state and where to look."""
    name = CASE_NAMES[kind]
    title = f"您的{name}{number}{state}"
    text = f"您的{name}（编号 {number}）{state}。详情请登录资阳市人民政府门户或凭查询码查看：{link}"
    return title, text
