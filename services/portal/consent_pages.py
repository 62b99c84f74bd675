"""办件状态通知 (issue 20, citizens' part): a citizen may agree, on the page of his or her own petition or
application for information, to be told by e-mail and/or SMS when it changes state — and withdraw that
consent there at any time. The notify service keeps the consent and sends the messages (the number
and the new state only; services/notify/domain/consent.py).

The wording shown beside the box, its version and the quiet hours are notify's
(`GetCitizenConsentTerms`, backends.py): the portal keeps no copy of them. The same consent is offered
on the filing forms themselves (filing_consent.py).

The case is the citizen's own because the portal has just read it with the citizen's own rights: by
its query code (a POST body) or under the account by its registration number. Only then does the
portal, with its service account (notify `citizen-consent:manage`), give or withdraw the consent of
that case. The page never shows an internal id; the addresses are shown back masked."""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.portal import applications_pages, forms, petitions_pages
from services.portal.filing_consent import CHANNELS, KINDS, Choice, give_request, problems, shown
from services.portal.backends import BackendError
from services.portal.web import (
    PageError,
    PortalDep,
    VisitorDep,
    check_csrf,
    citizen_token,
    limit_writes,
    render,
    text_form,
    unavailable,
)
from zgov.notify.v1 import notify_pb2 as npb

router = APIRouter(prefix="/notifications", include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


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
    _, _, found = await applications_pages.application_of_form(portal, visitor, form)
    return found.id, found.number, ({"query_code": code} if code else {"number": found.number})


def _check(form: dict) -> forms.Checked:
    v = {
        "channels": [c for c in CHANNELS if form.get(f"channel_{c}") == "yes"],
        "email": forms.identifier(form.get("email")),
        "phone": forms.identifier(form.get("phone")),
        "agree": form.get("agree") == "yes",
        "at_any_hour": form.get("at_any_hour") == "yes",
    }
    errors = problems(v["channels"], v["email"], v["phone"])
    if not v["agree"]:
        errors["agree"] = "请阅读并勾选同意后再提交。"
    return forms.Checked(v, errors)


async def _terms(portal):
    """notify's wording and quiet hours; without them no consent is shown or given."""
    if portal.backends.notify is None:
        raise PageError(404, "未开通", "本站暂未开通办件状态通知。")
    terms = await portal.backends.consent_terms()
    if terms is None:
        raise PageError(503, "服务暂时不可用", "办件状态通知暂时无法办理，请稍后再试。")
    return terms


def _page(portal, visitor, terms, kind, number, target, consent=None, status=200, values=None, errors=None):
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
        terms=terms,
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
    form = await text_form(request)
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
    return _page(portal, visitor, await _terms(portal), kind, number, target, consent)


@router.post("/give", response_class=HTMLResponse)
async def give(request: Request, portal: PortalDep, visitor: VisitorDep):
    form, kind = await _form(request, portal, visitor)
    case_id, number, target = await _own_case(portal, visitor, kind, form)
    terms = await _terms(portal)
    checked = _check(form)
    if not checked.ok:
        return _page(portal, visitor, terms, kind, number, target, None, 422, checked.values, checked.errors)
    v = checked.values
    given = await _notify(
        portal,
        portal.backends.notify.GiveCitizenConsent,
        give_request(
            kind,
            case_id,
            number,
            visitor,
            # the version shown on the page answered (the text beside the box), as notify gave it
            Choice(
                v["channels"],
                v["email"],
                v["phone"],
                v["at_any_hour"],
                forms.clean(form.get("wording"))[:32] or terms.wording,
            ),
        ),
        refusal_shown=True,
    )
    if isinstance(given, BackendError):
        errors = {
            k if k in ("email", "phone", "channels") else "channels": "此项未被受理，请检查后重新填写。"
            for k in given.fields
        }
        return _page(portal, visitor, terms, kind, number, target, None, 422, v, errors)
    return _page(portal, visitor, terms, kind, number, target, given)


@router.post("/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, portal: PortalDep, visitor: VisitorDep):
    form, kind = await _form(request, portal, visitor)
    case_id, number, target = await _own_case(portal, visitor, kind, form)
    terms = await _terms(portal)
    withdrawn = await _notify(
        portal,
        portal.backends.notify.WithdrawCitizenConsent,
        npb.WithdrawCitizenConsentRequest(case_kind=KINDS[kind], case_id=case_id),
    )
    return _page(portal, visitor, terms, kind, number, target, withdrawn)
