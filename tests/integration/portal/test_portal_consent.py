"""办件状态通知 on the portal (issue 20, the citizens' part; consent_pages.py): a petitioner without an
account opens the case by its query code, agrees — to the wording shown, by e-mail — to be told when it
changes state, then withdraws; a signed-in citizen agrees by SMS for an application of his account,
which nobody else can; the consent is recorded by the real notify service (in process, beside the real
petitions, disclosure and org services, Keycloak, PostgreSQL and NATS) for that case only. The same
consent on the filing forms themselves (issue 15): ticked, it is recorded once the case exists and the
receipt says so; not ticked, nothing is; the wording shown is notify's, the portal keeps no copy."""

from __future__ import annotations

import re

import httpx
import pytest

from services.notify.domain.consent import WORDING, WORDING_TEXT
from services.portal.app import create_app
from tests.integration.portal.conftest import PUBLIC_URL, csrf_of, log_in, portal_settings, post_form
from tests.integration.portal.test_portal_disclosure import APPLICATION
from tests.integration.portal.test_portal_petitions import CODE, PETITION
from zgov.disclosure.v1 import applications_pb2 as apb
from zgov.notify.v1 import notify_pb2 as npb
from zgov.notify.v1 import notify_pb2_grpc
from zgov.petitions.v1 import petitions_pb2

pytestmark = pytest.mark.integration
EMAIL = "zhao.xiaohong@example.com"


@pytest.fixture
async def portal_with_notify(keycloak, backends, notify_address):
    # a burst of 10 writes: the test follows, opens, refuses and gives within a second
    app = create_app(portal_settings(keycloak, backends, notify_address=notify_address, write_burst=10))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            yield client


async def consent_of(
    backends, notify_address: str, case_id: str, kind=npb.CITIZEN_CASE_KIND_PETITION
) -> npb.CitizenConsent:
    """The consent notify holds for a case, asked as the portal asks it."""
    return await backends.stub(notify_pb2_grpc.NotifyServiceStub, notify_address).GetCitizenConsent(
        npb.GetCitizenConsentRequest(case_kind=kind, case_id=case_id), metadata=backends.as_service("portal")
    )


async def cases_by_number(backends) -> dict[str, str]:
    """number → id of every petition filed, as the petitions office lists them."""
    listed = await backends.petitions_service.ListCases(
        petitions_pb2.ListCasesRequest(), metadata=backends.as_user("petition-officer")
    )
    return {c.number: c.id for c in listed.cases}


async def application_numbered(backends, number: str) -> apb.Application:
    """The application of this number, as the disclosure office lists it."""
    (application,) = (
        await backends.application_service.ListApplications(
            apb.ListApplicationsRequest(number=number), metadata=backends.as_user("disclosure-officer")
        )
    ).applications
    return application


NUMBER = re.compile(r"编号 <strong>([^<]+)</strong>")


async def test_a_petitioner_agrees_to_be_told_by_email_on_the_case_page_then_withdraws(
    portal_with_notify, backends, notify_address
):
    portal = portal_with_notify
    receipt = await post_form(portal, "/petitions/new", "/petitions/new", PETITION)
    assert 'action="/notifications"' in receipt.text, "offered from the receipt too"
    code = CODE.search(receipt.text).group(1)
    case_page = await post_form(portal, "/petitions/follow", "/petitions/follow", {"query_code": code})
    assert 'action="/notifications"' in case_page.text
    csrf = csrf_of(case_page.text)
    (case,) = (
        await backends.petitions_service.ListCases(
            petitions_pb2.ListCasesRequest(), metadata=backends.as_user("petition-officer")
        )
    ).cases

    shown = await portal.post("/notifications", data={"csrf": csrf, "kind": "petition", "query_code": code})
    assert shown.status_code == 200 and case.number in shown.text and "我同意资阳市人民政府门户" in shown.text
    assert case.id not in shown.text and code in shown.text  # the code in the next form's body only
    base = {"csrf": csrf, "kind": "petition", "query_code": code, "channel_email": "yes", "email": EMAIL}
    unticked = await portal.post("/notifications/give", data=base)
    assert unticked.status_code == 422 and "请阅读并勾选同意后再提交" in unticked.text
    assert (await consent_of(backends, notify_address, case.id)).state == npb.CONSENT_STATE_NONE
    wrong = await portal.post(
        "/notifications/give", data={**base, "query_code": "ABCD-EFGH-JKLM-NPQR", "agree": "yes"}
    )
    assert wrong.status_code == 404

    given = await portal.post("/notifications/give", data={**base, "agree": "yes"})
    assert given.status_code == 200 and "您已同意" in given.text and "电子邮件" in given.text
    assert EMAIL not in given.text and re.search(r"zh\*\*\*@example\.com", given.text)
    recorded = await consent_of(backends, notify_address, case.id)
    assert recorded.state == npb.CONSENT_STATE_GIVEN and recorded.number == case.number
    assert list(recorded.channels) == [npb.CHANNEL_EMAIL] and recorded.wording == WORDING

    withdrawn = await portal.post(
        "/notifications/withdraw", data={"csrf": csrf, "kind": "petition", "query_code": code}
    )
    assert withdrawn.status_code == 200 and "您已撤回同意" in withdrawn.text
    recorded = await consent_of(backends, notify_address, case.id)
    assert recorded.state == npb.CONSENT_STATE_WITHDRAWN and not recorded.email


async def test_a_citizen_agrees_by_sms_for_an_application_of_his_own_account_and_nobody_else_can(
    portal_with_notify, keycloak, backends, notify_address
):
    """Under the account the case is named by its number, resolved within the citizen's own list: the
    consent is recorded for it; without the account (or with another's number) nothing is."""
    portal = portal_with_notify
    await log_in(portal, keycloak, "citizen")
    receipt = await post_form(portal, "/applications/new", "/applications/new", APPLICATION)
    number = re.search(r"申请编号 <strong>([^<]+)</strong>", receipt.text).group(1)
    mine = await portal.get(f"/applications/mine/{number}")
    assert mine.status_code == 200 and 'action="/notifications"' in mine.text
    csrf = csrf_of(mine.text)
    form = {
        "csrf": csrf,
        "kind": "application",
        "number": number,
        "channel_sms": "yes",
        "phone": "13600003333",
    }
    given = await portal.post("/notifications/give", data={**form, "agree": "yes"})
    assert given.status_code == 200 and "您已同意" in given.text and "136****3333" in given.text
    assert "短信" in given.text
    assert (
        await portal.post(
            "/notifications/give", data={**form, "number": "资公开〔2026〕999号", "agree": "yes"}
        )
    ).status_code == 404

    portal.cookies.clear()  # another visitor, not signed in, with the number
    stranger = await portal.get("/applications/new")
    refused = await portal.post(
        "/notifications/withdraw",
        data={"csrf": csrf_of(stranger.text), "kind": "application", "number": number},
    )
    assert refused.status_code == 401
    application = await application_numbered(backends, number)
    recorded = await consent_of(backends, notify_address, application.id, npb.CITIZEN_CASE_KIND_APPLICATION)
    assert recorded.state == npb.CONSENT_STATE_GIVEN and list(recorded.channels) == [npb.CHANNEL_SMS]


async def test_issue15_a_petition_filed_with_the_box_ticked_has_notifications_on_one_without_has_none(
    portal_with_notify, backends, notify_address
):
    portal = portal_with_notify
    form = await portal.get("/petitions/new")
    # notify's wording and version, as GetCitizenConsentTerms gives them: the portal keeps no copy
    assert WORDING_TEXT in form.text and f'name="consent_wording" value="{WORDING}"' in form.text
    ticked = {"notify": "yes", "notify_email": "yes", "notify_email_address": EMAIL}

    # ticked with SMS but no usable number: shown next to the field, nothing filed
    wrong = await post_form(
        portal,
        "/petitions/new",
        "/petitions/new",
        {**PETITION, **ticked, "notify_sms": "yes", "phone": "13900002222", "notify_phone": "call me"},
    )
    assert wrong.status_code == 422 and "选择短信通知时，请填写手机号码。" in wrong.text
    assert 'name="notify" value="yes" checked' in wrong.text
    assert await cases_by_number(backends) == {}

    receipt = await post_form(portal, "/petitions/new", "/petitions/new", {**PETITION, **ticked})
    assert receipt.status_code == 200 and "办件状态通知已开通" in receipt.text
    assert "zh***@example.com" in receipt.text and EMAIL not in receipt.text
    assert 'action="/notifications"' in receipt.text, "the consent page, to withdraw, from the receipt"
    on = NUMBER.search(receipt.text).group(1)
    # the channel chosen and the address typed, but the box not ticked: nothing recorded
    unticked = await post_form(
        portal, "/petitions/new", "/petitions/new", {**PETITION, **ticked, "notify": "", "title": "另一件事"}
    )
    assert unticked.status_code == 200 and "办件状态通知已开通" not in unticked.text
    off = NUMBER.search(unticked.text).group(1)

    ids = await cases_by_number(backends)
    recorded = await consent_of(backends, notify_address, ids[on])
    assert recorded.state == npb.CONSENT_STATE_GIVEN and recorded.number == on
    assert list(recorded.channels) == [npb.CHANNEL_EMAIL] and recorded.wording == WORDING
    assert recorded.at_any_hour is False, "the quiet hours are kept unless chosen otherwise"
    assert (await consent_of(backends, notify_address, ids[off])).state == npb.CONSENT_STATE_NONE


async def test_issue15_an_application_filed_with_the_box_ticked_for_sms_at_any_hour_uses_the_forms_number(
    portal_with_notify, backends, notify_address
):
    portal = portal_with_notify
    ticked = {"notify": "yes", "notify_sms": "yes", "notify_any_hour": "yes"}  # no number: the form's
    receipt = await post_form(portal, "/applications/new", "/applications/new", {**APPLICATION, **ticked})
    assert (
        receipt.status_code == 200 and "办件状态通知已开通" in receipt.text and "136****3333" in receipt.text
    )
    number = re.search(r"申请编号 <strong>([^<]+)</strong>", receipt.text).group(1)
    application = await application_numbered(backends, number)
    recorded = await consent_of(backends, notify_address, application.id, npb.CITIZEN_CASE_KIND_APPLICATION)
    assert recorded.state == npb.CONSENT_STATE_GIVEN and list(recorded.channels) == [npb.CHANNEL_SMS]
    assert recorded.phone == "136****3333" and recorded.at_any_hour is True
