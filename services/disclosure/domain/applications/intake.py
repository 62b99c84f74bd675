"""Applications for information: what an application must contain (art. 29) and the day of receipt
(art. 31)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.errors import InvalidInput
from services.disclosure.domain.applications.kinds import (
    ApplicantKind,
    CONFIRMED_CHANNELS,
    Channel,
    DeliveryForm,
    MAX_SHORT,
    MAX_TEXT,
    RequestKind,
    State,
)


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


def receipt_date(
    channel: Channel,
    *,
    submitted_on: date,
    signed_for_on: date | None = None,
    confirmed_on: date | None = None,
) -> date | None:
    """The day the agency received the application (art. 31), or None while it waits for the office.

    in person: the day submitted; by registered post: the day the agency signs for it; by ordinary
    letter, online or by fax: the day the office confirms it (with the applicant).
    """
    if channel is Channel.IN_PERSON:
        return submitted_on
    if channel is Channel.POST_SIGNED:
        return signed_for_on
    return confirmed_on


def check_receipt(
    channel: Channel | None,
    *,
    submitted_on: date,
    signed_for_on: date | None,
    confirmed_on: date | None,
    today: date,
) -> None:
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


def check_confirmation(
    channel: Channel, state: State, *, submitted_on: date, confirmed_on: date, today: date
) -> None:
    if state is not State.SUBMITTED:
        raise InvalidInput({"application_id": f"the application is {state.value}; its receipt is known"})
    if channel not in CONFIRMED_CHANNELS:
        raise InvalidInput({"application_id": f"a {channel.value} application needs no confirmation"})
    if not submitted_on <= confirmed_on <= today:
        raise InvalidInput({"confirmed_on": "between the day submitted and today"})
