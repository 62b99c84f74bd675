"""办件状态通知 on the portal (issue 20, the citizens' part; consent_pages.py): a petitioner without an
account opens the case by its query code, agrees — to the wording shown, by e-mail — to be told when it
changes state, then withdraws; a signed-in citizen agrees by SMS for an application of his account,
which nobody else can; the consent is recorded by the real notify service (in process, beside the real
petitions, disclosure and org services, Keycloak, PostgreSQL and NATS) for that case only."""

from __future__ import annotations

import re

import grpc
import httpx
import pytest

from services.notify.__main__ import build as build_notify
from services.notify.config import NotifySettings
from services.portal.app import create_app
from tests.fixtures.org import serving
from tests.integration.portal.conftest import PUBLIC_URL, csrf_of, log_in, portal_settings, post_form
from tests.integration.portal.test_portal_disclosure import APPLICATION
from tests.integration.portal.test_portal_petitions import CODE, PETITION
from zgov.disclosure.v1 import applications_pb2 as apb
from zgov.disclosure.v1 import applications_pb2_grpc
from zgov.notify.v1 import notify_pb2 as npb
from zgov.notify.v1 import notify_pb2_grpc
from zgov.petitions.v1 import petitions_pb2, petitions_pb2_grpc

pytestmark = pytest.mark.integration
EMAIL = "zhao.xiaohong@example.com"


@pytest.fixture
async def notify_address(keycloak, portal_nats, service_database, backends):
    settings = NotifySettings(
        database_url=await service_database("notify"),
        nats_url=portal_nats.url,
        nats_nkey_seed=portal_nats.seeds["notify"],
        keycloak_url=keycloak.url,
        client_id="notify",
        client_secret=keycloak.client_secrets["notify"],
        grpc_port=0,
        org_address=backends.org,
        consume_events=False,
    )
    async with serving(build_notify(settings)) as server:
        yield server.address


@pytest.fixture
async def portal_with_notify(keycloak, backends, notify_address):
    # a burst of 10 writes: the test follows, opens, refuses and gives within a second
    app = create_app(portal_settings(keycloak, backends, notify_address=notify_address, write_burst=10))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            yield client


async def consent_of(keycloak, notify_address: str, case_id: str) -> npb.CitizenConsent:
    async with grpc.aio.insecure_channel(notify_address) as channel:
        return await notify_pb2_grpc.NotifyServiceStub(channel).GetCitizenConsent(
            npb.GetCitizenConsentRequest(case_kind=npb.CITIZEN_CASE_KIND_PETITION, case_id=case_id),
            metadata=(("authorization", f"Bearer {keycloak.service_token('portal')}"),),
        )


async def test_a_petitioner_agrees_to_be_told_by_email_on_the_case_page_then_withdraws(
    portal_with_notify, keycloak, backends, notify_address
):
    portal = portal_with_notify
    receipt = await post_form(portal, "/petitions/new", "/petitions/new", PETITION)
    assert 'action="/notifications"' in receipt.text, "offered from the receipt too"
    code = CODE.search(receipt.text).group(1)
    case_page = await post_form(portal, "/petitions/follow", "/petitions/follow", {"query_code": code})
    assert 'action="/notifications"' in case_page.text
    csrf = csrf_of(case_page.text)
    async with grpc.aio.insecure_channel(backends.petitions) as channel:
        (case,) = (
            await petitions_pb2_grpc.PetitionsServiceStub(channel).ListCases(
                petitions_pb2.ListCasesRequest(),
                metadata=(("authorization", f"Bearer {keycloak.token_for('petition-officer')}"),),
            )
        ).cases

    shown = await portal.post("/notifications", data={"csrf": csrf, "kind": "petition", "query_code": code})
    assert shown.status_code == 200 and case.number in shown.text and "我同意资阳市人民政府门户" in shown.text
    assert case.id not in shown.text and code in shown.text  # the code in the next form's body only
    base = {"csrf": csrf, "kind": "petition", "query_code": code, "channel_email": "yes", "email": EMAIL}
    unticked = await portal.post("/notifications/give", data=base)
    assert unticked.status_code == 422 and "请阅读并勾选同意后再提交" in unticked.text
    assert (await consent_of(keycloak, notify_address, case.id)).state == npb.CONSENT_STATE_NONE
    wrong = await portal.post(
        "/notifications/give", data={**base, "query_code": "ABCD-EFGH-JKLM-NPQR", "agree": "yes"}
    )
    assert wrong.status_code == 404

    given = await portal.post("/notifications/give", data={**base, "agree": "yes"})
    assert given.status_code == 200 and "您已同意" in given.text and "电子邮件" in given.text
    assert EMAIL not in given.text and re.search(r"zh\*\*\*@example\.com", given.text)
    recorded = await consent_of(keycloak, notify_address, case.id)
    assert recorded.state == npb.CONSENT_STATE_GIVEN and recorded.number == case.number
    assert list(recorded.channels) == [npb.CHANNEL_EMAIL] and recorded.wording == "citizen-consent-v1"

    withdrawn = await portal.post(
        "/notifications/withdraw", data={"csrf": csrf, "kind": "petition", "query_code": code}
    )
    assert withdrawn.status_code == 200 and "您已撤回同意" in withdrawn.text
    recorded = await consent_of(keycloak, notify_address, case.id)
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
    async with grpc.aio.insecure_channel(notify_address) as channel:
        stub = notify_pb2_grpc.NotifyServiceStub(channel)
        service = (("authorization", f"Bearer {keycloak.service_token('portal')}"),)
        async with grpc.aio.insecure_channel(backends.disclosure) as disclosure:
            (application,) = (
                await applications_pb2_grpc.ApplicationServiceStub(disclosure).ListApplications(
                    apb.ListApplicationsRequest(number=number),
                    metadata=(("authorization", f"Bearer {keycloak.token_for('disclosure-officer')}"),),
                )
            ).applications
        application_id = application.id
        recorded = await stub.GetCitizenConsent(
            npb.GetCitizenConsentRequest(case_kind=npb.CITIZEN_CASE_KIND_APPLICATION, case_id=application_id),
            metadata=service,
        )
    assert recorded.state == npb.CONSENT_STATE_GIVEN and list(recorded.channels) == [npb.CHANNEL_SMS]
