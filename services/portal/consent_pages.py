"""办件状态通知 (issue 20, citizens' part): a citizen may agree, on the page of his or her own petition or
application for information, to be told by e-mail and/or SMS when it changes state — and withdraw that
consent there at any time. The notify service keeps the consent and sends the messages (the number
and the new state only; services/notify/domain/consent.py).

The case is the citizen's own because the portal has just read it with the citizen's own rights: by
its query code (a POST body) or under the account by its registration number. Only then does the
portal, with its service account (notify `citizen-consent:manage`), give or withdraw the consent of
that case. The page never shows an internal id; the addresses are shown back masked."""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal import disclosure_pages, forms, petitions_pages
from services.portal.backends import BackendError
from services.portal.web import (
    PageError,
    PortalDep,
    VisitorDep,
    check_csrf,
    citizen_token,
    limit_writes,
    render,
    unavailable,
)
from zgov.notify.v1 import notify_pb2 as npb

router = APIRouter(prefix="/notifications", include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
# The notify service's current wording (services/notify/domain/consent.py WORDING), shown beside the box.
WORDING = "citizen-consent-v1"
WORDING_TEXT = (
    "我同意资阳市人民政府门户在本事项办理状态发生变化时，按我选择的方式（电子邮件、短信）通知我。"
    "通知只包含事项编号和办理状态，不包含事项内容。我可以随时在查看本事项的页面撤回同意，撤回后不再通知，"
    "并删除为通知保存的联系方式。"
)
KINDS = {"petition": npb.CITIZEN_CASE_KIND_PETITION, "application": npb.CITIZEN_CASE_KIND_APPLICATION}
CHANNELS = {"email": npb.CHANNEL_EMAIL, "sms": npb.CHANNEL_SMS}
CHANNEL_NAMES = {npb.CHANNEL_EMAIL: "电子邮件", npb.CHANNEL_SMS: "短信"}


async def _own_case(portal, visitor, kind: str, form: dict) -> tuple[str, str, dict]:
    """(case id, number, the fields that name it again on the next form): read with the citizen's
    own rights, by query code or by the number under the account."""
    code = forms.normalise_query_code(form.get("query_code"))
    number = forms.clean(form.get("number"))[:64]
    if kind == "petition":
        if code:
            case = await petitions_pages._follow(portal, visitor, code)
        elif number and visitor.citizen:
            token = await citizen_token(portal, visitor)
            case = await petitions_pages._my_case(portal, token, number)
        else:
            case = None
        if case is None:
            raise PageError(404, "未找到信访事项", "请通过查询码或“我的信访”重新打开该事项。")
        return case.id, case.number, ({"query_code": code} if code else {"number": case.number})
    _, _, found = await disclosure_pages._target(portal, visitor, form)
    return found.id, found.number, ({"query_code": code} if code else {"number": found.number})


def shown(consent: npb.CitizenConsent) -> dict:
    return {
        "given": consent.state == npb.CONSENT_STATE_GIVEN,
        "withdrawn": consent.state == npb.CONSENT_STATE_WITHDRAWN,
        "channels": "、".join(CHANNEL_NAMES.get(c, "") for c in consent.channels),
        "email": consent.email,
        "phone": consent.phone,
    }


def _check(form: dict) -> forms.Checked:
    v = {
        "channels": [c for c in CHANNELS if form.get(f"channel_{c}") == "yes"],
        "email": forms.identifier(form.get("email")),
        "phone": forms.identifier(form.get("phone")),
        "agree": form.get("agree") == "yes",
    }
    errors = {}
    if not v["channels"]:
        errors["channels"] = "请至少选择一种通知方式。"
    if "email" in v["channels"] and not forms.EMAIL.match(v["email"]):
        errors["email"] = "选择电子邮件通知时，请填写正确的电子邮箱，例如 name@example.com。"
    if "sms" in v["channels"] and not forms.PHONE.match(v["phone"]):
        errors["phone"] = "选择短信通知时，请填写手机号码。"
    if not v["agree"]:
        errors["agree"] = "请阅读并勾选同意后再提交。"
    return forms.Checked(v, errors)


def _page(portal, visitor, kind, number, target, consent=None, status=200, values=None, errors=None):
    return render(
        portal,
        visitor,
        "notifications/consent.html",
        status,
        headers=NO_STORE,
        kind=kind,
        number=number,
        target=target,
        consent=shown(consent) if consent is not None else None,
        values=values or {},
        errors=errors or {},
        wording_text=WORDING_TEXT,
    )


async def _notify(portal, method, request, refusal_shown: bool = False):
    """The notify call with the portal's service account; a refused input comes back as the error
    when the page shows it next to the fields (`refusal_shown`)."""
    if portal.backends.notify is None:
        raise PageError(404, "未开通", "本站暂未开通办件状态通知。")
    try:
        return await portal.backends.call(method, request)
    except BackendError as error:
        if refusal_shown and error.code == grpc.StatusCode.INVALID_ARGUMENT:
            return error
        raise unavailable(error) from error


async def _form(request: Request, portal, visitor) -> tuple[dict, str]:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(portal, visitor, form)
    kind = form.get("kind", "")
    if kind not in KINDS:
        raise PageError(400, "请求不正确", "请从事项页面进入。")
    # each look-up of a case by code or number costs a token, as following does (guessing stays
    # slow); a bucket of its own, so that setting up the notification does not use up following
    await limit_writes(portal, visitor, "consent")
    return form, kind


@router.post("", response_class=HTMLResponse)
async def consent_page(request: Request, portal: PortalDep, visitor: VisitorDep):
    """The consent of one's own case: its state, and the form to give or withdraw it."""
    form, kind = await _form(request, portal, visitor)
    case_id, number, target = await _own_case(portal, visitor, kind, form)
    consent = await _notify(
        portal,
        portal.backends.notify.GetCitizenConsent,
        npb.GetCitizenConsentRequest(case_kind=KINDS[kind], case_id=case_id),
    )
    return _page(portal, visitor, kind, number, target, consent)


@router.post("/give", response_class=HTMLResponse)
async def give(request: Request, portal: PortalDep, visitor: VisitorDep):
    form, kind = await _form(request, portal, visitor)
    case_id, number, target = await _own_case(portal, visitor, kind, form)
    checked = _check(form)
    if not checked.ok:
        return _page(portal, visitor, kind, number, target, None, 422, checked.values, checked.errors)
    v = checked.values
    given = await _notify(
        portal,
        portal.backends.notify.GiveCitizenConsent,
        npb.GiveCitizenConsentRequest(
            case_kind=KINDS[kind],
            case_id=case_id,
            number=number,
            citizen_user_id=visitor.citizen.user_id if visitor.citizen else "",
            channels=[CHANNELS[c] for c in v["channels"]],
            email=v["email"],
            phone=v["phone"],
            wording=WORDING,
        ),
        refusal_shown=True,
    )
    if isinstance(given, BackendError):
        errors = {
            k if k in ("email", "phone", "channels") else "channels": "此项未被受理，请检查后重新填写。"
            for k in given.fields
        }
        return _page(portal, visitor, kind, number, target, None, 422, v, errors)
    return _page(portal, visitor, kind, number, target, given)


@router.post("/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, portal: PortalDep, visitor: VisitorDep):
    form, kind = await _form(request, portal, visitor)
    case_id, number, target = await _own_case(portal, visitor, kind, form)
    withdrawn = await _notify(
        portal,
        portal.backends.notify.WithdrawCitizenConsent,
        npb.WithdrawCitizenConsentRequest(case_kind=KINDS[kind], case_id=case_id),
    )
    return _page(portal, visitor, kind, number, target, withdrawn)
