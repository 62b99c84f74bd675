"""办件状态通知 offered on the filing forms themselves (issue 15): the petition and the application form
carry, optionally, "tell me by e-mail / SMS when this changes", with the consent wording beside it.

The wording, its version and the quiet hours are the notify service's (`GetCitizenConsentTerms`,
kept a few minutes by backends.py): the portal keeps no copy, so the text shown is the text notify
records. Nothing is offered when notify is not wired or cannot answer. The box ticked, the channels and
addresses are checked with the rest of the form (nothing is filed while one is wrong); once the case
exists the portal gives the consent with its service account (`GiveCitizenConsent`, as from the case
page: the case is the visitor's own, just filed) and the receipt says whether notifications are on.
Not ticked: nothing is recorded. A consent notify refuses after the filing does not undo the filing:
the receipt says so and leads to the consent page (consent_pages.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.portal import forms
from services.portal.backends import BackendError
from shared.logging import get_logger
from zgov.notify.v1 import notify_pb2 as npb

log = get_logger(__name__)
# The consent's words on the portal's forms ↔ notify's (also used by consent_pages.py).
KINDS = {"petition": npb.CITIZEN_CASE_KIND_PETITION, "application": npb.CITIZEN_CASE_KIND_APPLICATION}
CHANNELS = {"email": npb.CHANNEL_EMAIL, "sms": npb.CHANNEL_SMS}
CHANNEL_NAMES = {npb.CHANNEL_EMAIL: "电子邮件", npb.CHANNEL_SMS: "短信"}
# The offer's fields on a filing form (templates/notifications/_offer.html).
FIELDS = ("notify", "notify_email", "notify_sms", "notify_email_address", "notify_phone", "notify_any_hour")


def shown(consent: npb.CitizenConsent) -> dict:
    """A consent as the pages show it (the addresses come masked from notify)."""
    return {
        "given": consent.state == npb.CONSENT_STATE_GIVEN,
        "withdrawn": consent.state == npb.CONSENT_STATE_WITHDRAWN,
        "channels": "、".join(CHANNEL_NAMES.get(c, "") for c in consent.channels),
        "email": consent.email,
        "phone": consent.phone,
        "at_any_hour": consent.at_any_hour,
    }


def problems(channels: list[str], email: str, phone: str) -> dict[str, str]:
    """What is wrong with a consent's channels and addresses, by "channels", "email" and "phone": the
    same checks on the filing forms and on the consent page."""
    found = {}
    if not channels:
        found["channels"] = "请至少选择一种通知方式（电子邮件或短信）。"
    if "email" in channels and not forms.EMAIL.match(email):
        found["email"] = "选择电子邮件通知时，请填写正确的电子邮箱，例如 name@example.com。"
    if "sms" in channels and not forms.PHONE.match(phone):
        found["phone"] = "选择短信通知时，请填写手机号码。"
    return found


def give_request(
    kind: str, case_id: str, number: str, visitor, choice: Choice
) -> npb.GiveCitizenConsentRequest:
    """The consent to give for a case of the visitor's own, as the form or the consent page chose it;
    an address goes to notify only with its channel."""
    return npb.GiveCitizenConsentRequest(
        case_kind=KINDS[kind],
        case_id=case_id,
        number=number,
        citizen_user_id=visitor.citizen.user_id if visitor.citizen else "",
        channels=[CHANNELS[c] for c in choice.channels],
        email=choice.email if "email" in choice.channels else "",
        phone=choice.phone if "sms" in choice.channels else "",
        wording=choice.wording,
        at_any_hour=choice.at_any_hour,
    )


@dataclass(frozen=True)
class Choice:
    """The consent as ticked on the form."""

    channels: list[str]
    email: str
    phone: str
    at_any_hour: bool
    wording: str


def check(form: dict, terms, *, email: str = "", phone: str = "") -> tuple[Choice | None, forms.Checked]:
    """The offer as filled in: (the choice, or None when the box is not ticked or nothing was offered;
    the values to show again and what is wrong). An address left empty is the form's own `email` /
    `phone`."""
    values = {name: forms.identifier(form.get(name)) for name in FIELDS}
    if terms is None or values["notify"] != "yes":
        return None, forms.Checked(values)
    channels = [c for c in CHANNELS if values[f"notify_{c}"] == "yes"]
    address = values["notify_email_address"] or email
    mobile = values["notify_phone"] or phone
    on_form = {"channels": "notify_channels", "email": "notify_email_address", "phone": "notify_phone"}
    errors = {on_form[field]: problem for field, problem in problems(channels, address, mobile).items()}
    wording = forms.clean(form.get("consent_wording"))[:32] or terms.wording
    choice = Choice(channels, address, mobile, values["notify_any_hour"] == "yes", wording)
    return choice, forms.Checked(values, errors)


async def record(portal, visitor, kind: str, case_id: str, number: str, choice: Choice | None) -> dict | None:
    """The consent given for the case just filed; what the receipt says of it (None: not asked)."""
    if choice is None or portal.backends.notify is None:
        return None
    request = give_request(kind, case_id, number, visitor, choice)
    try:
        given = await portal.backends.call(portal.backends.notify.GiveCitizenConsent, request)
    except BackendError as error:
        # the case is filed; the consent can be given again from the receipt's consent page
        log.warning(
            "consent at filing not recorded", kind=kind, code=error.code.name, fields=list(error.fields)
        )
        return {"failed": True}
    return shown(given)
