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

When (夜间免打扰): unless the citizen chose to be told at any hour, the consent keeps quiet hours —
22:00 to 08:00 China time — read by the officers' rule (`preferences.send_at`): a change in them is
told when they end; one the citizen must act on by a near day (a request to complete an application,
补正) is urgent and goes at once. The changes of one case held through a night go as one message:
the latest state, the earlier ones named after it (`held_together`), none lost.
"""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum

from services.notify.domain.notices import Channel, Urgency
from services.notify.domain.preferences import Preferences
from shared.errors import InvalidInput

# The quiet hours a consent keeps unless the citizen chose "at any hour" (officers have no default:
# each sets his or her own).
QUIET_START, QUIET_END = time(22, 0), time(8, 0)
# The text the portal shows beside the consent box (GetCitizenConsentTerms: the portal keeps no copy);
# a change of wording is a new version.
WORDING = "citizen-consent-v2"
WORDING_TEXT = (
    "我同意资阳市人民政府门户在本事项办理状态发生变化时，按我选择的方式（电子邮件、短信）通知我。"
    "通知只包含事项编号和办理状态，不包含事项内容。"
    f"夜间（{QUIET_START:%H:%M}至次日{QUIET_END:%H:%M}）发生的变化，在{QUIET_END:%H:%M}后合并为一条通知发送，"
    "需要我在临近期限前办理的除外；我也可以选择随时通知。"
    "我可以随时在查看本事项的页面撤回同意，撤回后不再通知，并删除为通知保存的联系方式。"
)
CHANNELS = (Channel.EMAIL, Channel.SMS)
# A message asking the citizen to act by a day at most this many days away goes at once, night or not:
# held until morning it would eat into the little time left.
NEAR_LIMIT_DAYS = 3
# A delivery to a citizen names the consent, not a person of the directory.
RECIPIENT_PREFIX = "citizen:"
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


def recipient_of(consent_id: object) -> str:
    return f"{RECIPIENT_PREFIX}{consent_id}"


def is_citizen(recipient_user_id: str) -> bool:
    return recipient_user_id.startswith(RECIPIENT_PREFIX)


def preferences_of(at_any_hour: bool) -> Preferences:
    """The consent's choice as the preferences the officers' rule reads (`preferences.send_at`)."""
    return Preferences() if at_any_hour else Preferences(quiet_start=QUIET_START, quiet_end=QUIET_END)


def urgency_of(act_by: date | None, today: date) -> Urgency:
    """Urgent when the citizen must act by a day that is near (today China time); else normal."""
    if act_by is not None and (act_by - today).days <= NEAR_LIMIT_DAYS:
        return Urgency.URGENT
    return Urgency.NORMAL


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
STATES = {**PETITION_STATES, **APPLICATION_STATES}
CASE_NAMES = {CaseKind.PETITION: "信访事项", CaseKind.APPLICATION: "政府信息公开申请"}


def citizen_message(
    kind: CaseKind, number: str, state: str, link: str, act_by: date | None = None
) -> tuple[str, str]:
    """(title, text) of a message to the citizen: the number, the new state (with the day to act by,
    when the citizen must act) and where to look."""
    name = CASE_NAMES[kind]
    title = f"您的{name}{number}{state}"
    until = f"，请于{act_by.year}年{act_by.month}月{act_by.day}日前办理" if act_by else ""
    text = f"您的{name}（编号 {number}）{state}{until}。详情请登录资阳市人民政府门户或凭查询码查看：{link}"
    return title, text


def held_together(latest_title: str, latest_text: str, earlier_subjects: list[str]) -> tuple[str, str]:
    """One message for the changes of one case held together (a night's): the latest state's message,
    then the earlier states in the order they happened, so that none is lost."""
    earlier = list(dict.fromkeys(STATES[s] for s in earlier_subjects if s in STATES))
    if not earlier:
        return latest_title, latest_text
    return latest_title, f"{latest_text}\n此前的变化：{'；'.join(earlier)}。"
