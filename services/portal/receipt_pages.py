"""回执 (receipts): the page after a filing — a petition, an application for information or an openness
complaint — reached by Post/Redirect/Get.

The form's POST files, keeps what the page shows (store.Receipt) under a random token and answers
303 to `/receipts/<token>`: a reload re-reads the receipt instead of sending the form again, and the
address can be bookmarked. The address carries no query code (codes travel only in POST bodies).
Who sees the receipt: the visitor who filed (the same session) or the citizen logged in who filed;
anyone else who opens the address is asked for the query code (a POST, rate limited like following
by code) and sees it only when the code matches."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from services.portal import forms
from services.portal.store import Receipt
from services.portal.web import (
    text_form,
    PageError,
    Portal,
    PortalDep,
    Visitor,
    VisitorDep,
    check_csrf,
    limit_writes,
    render,
)

router = APIRouter(prefix="/receipts", include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
# kind → (template, name of the facts in it, the follow-up page by code)
TEMPLATES = {
    "petition": ("petitions/filed.html", "case", "/petitions/follow"),
    "application": ("disclosure/applied.html", "a", "/applications/follow"),
    "complaint": ("complaints/filed.html", "c", "/complaints/follow"),
}


async def answer_with_receipt(
    portal: Portal, visitor: Visitor, kind: str, facts: dict, query_code: str, replayed: bool = False
) -> RedirectResponse:
    """Keep the receipt of a filing just made and send the browser to it (303: the reload is a GET)."""
    receipt = Receipt(
        kind=kind,
        number=facts["number"],
        query_code=query_code,
        replayed=replayed,
        facts=facts,
        owner=visitor.sid,
        citizen=visitor.citizen.user_id if visitor.citizen else "",
    )
    token = await portal.receipts.put(receipt)
    return RedirectResponse(f"/receipts/{token}", status_code=303, headers=NO_STORE)


def _is_owner(receipt: Receipt, visitor: Visitor) -> bool:
    if hmac.compare_digest(receipt.owner, visitor.sid):
        return True
    # a login rotates the visitor id: the citizen who filed under the account still sees it
    return (
        bool(receipt.citizen) and visitor.citizen is not None and visitor.citizen.user_id == receipt.citizen
    )


def _code_matches(receipt: Receipt, typed: str) -> bool:
    code = forms.normalise_query_code(typed)
    return bool(code and receipt.query_code) and hmac.compare_digest(code, receipt.query_code)


async def _receipt(portal: Portal, token: str) -> Receipt:
    receipt = await portal.receipts.get(token[:64]) if token.isascii() else None
    if receipt is None or receipt.kind not in TEMPLATES:
        raise PageError(
            404,
            "回执不存在或已过期",
            "这张回执不存在，或已超过保存期限。可以凭提交时获得的查询码在相应的查询页面查看办理情况。",
        )
    return receipt


def _shown(portal: Portal, visitor: Visitor, token: str, receipt: Receipt) -> HTMLResponse:
    template, name, follow = TEMPLATES[receipt.kind]
    return render(
        portal,
        visitor,
        template,
        headers=NO_STORE,
        query_code=receipt.query_code,
        replayed=receipt.replayed,
        receipt_path=f"/receipts/{token}",
        follow_path=follow,
        **{name: receipt.facts},
    )


def _locked(portal, visitor, token: str, receipt: Receipt, status: int = 200, errors=None) -> HTMLResponse:
    return render(
        portal,
        visitor,
        "receipts/locked.html",
        status,
        headers=NO_STORE,
        token=token,
        follow_path=TEMPLATES[receipt.kind][2],
        values={},
        errors=errors or {},
    )


@router.get("/{token}", response_class=HTMLResponse)
async def receipt_page(token: str, portal: PortalDep, visitor: VisitorDep):
    receipt = await _receipt(portal, token)
    if _is_owner(receipt, visitor):
        return _shown(portal, visitor, token, receipt)
    return _locked(portal, visitor, token, receipt)


@router.post("/{token}", response_class=HTMLResponse)
async def unlock(token: str, request: Request, portal: PortalDep, visitor: VisitorDep):
    """The receipt for whoever holds its query code (the code in the body, never in the address)."""
    form = await text_form(request)
    check_csrf(portal, visitor, form)
    # Counted like following by code: guessing must be slow.
    await limit_writes(portal, visitor, "follow")
    receipt = await _receipt(portal, token)
    if _is_owner(receipt, visitor) or _code_matches(receipt, form.get("query_code", "")):
        return _shown(portal, visitor, token, receipt)
    errors = {"query_code": "查询码与这张回执不符，请核对后重新输入。"}
    return _locked(portal, visitor, token, receipt, 403, errors)
