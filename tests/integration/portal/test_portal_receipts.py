"""回执 (receipt_pages.py): every filing on the portal — a petition, an application for information, an
openness complaint — answers 303 to a receipt page of its own (Post/Redirect/Get), so a reload files
nothing again and the address can be bookmarked; the receipt shows the number and the query code to
the visitor who filed, and to anyone else only for the right query code. Against the real petitions,
disclosure and org services, Keycloak, PostgreSQL and NATS; the shared rows on PostgreSQL too."""

from __future__ import annotations

import re

import pytest

from services.portal.app import MIGRATIONS
from services.portal.store import PgReceipts, Receipt, Sealer
from shared.db import create_engine
from shared.migrations import run_migrations
from tests.integration.portal.conftest import csrf_of
from tests.integration.portal.test_portal_complaints import COMPLAINT
from tests.integration.portal.test_portal_disclosure import APPLICATION, applications_served
from tests.integration.portal.test_portal_petitions import CODE, PETITION
from zgov.petitions.v1 import petitions_pb2

pytestmark = pytest.mark.integration
NUMBER = re.compile(r"编号 <strong>([^<]+)</strong>")


async def filed(client, page: str, data: dict):
    """The form shown, then sent: the answer itself (not followed)."""
    shown = await client.get(page)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', shown.text)
    extra = {"idempotency_key": key.group(1)} if key else {}
    return await client.post(page, data={"csrf": csrf_of(shown.text), **extra, **data})


async def test_a_filed_petition_redirects_to_its_receipt_that_a_reload_shows_again(portal, backends):
    answer = await filed(portal, "/petitions/new", PETITION)
    assert answer.status_code == 303, answer.text
    receipt = answer.headers["location"]
    assert re.fullmatch(r"/receipts/[A-Za-z0-9_-]{32}", receipt), "no query code in the address"

    first = await portal.get(receipt)
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    code, number = CODE.search(first.text).group(1), NUMBER.search(first.text).group(1)
    assert 'id="receipt-note"' in first.text
    # a reload (or the bookmark, opened later by the same visitor): the same receipt, nothing filed again
    again = await portal.get(receipt)
    assert CODE.search(again.text).group(1) == code and number in again.text
    listed = await backends.petitions_service.ListCases(
        petitions_pb2.ListCasesRequest(), metadata=backends.as_user("petition-officer")
    )
    assert [c.number for c in listed.cases] == [number]

    # Another visitor (another browser: no cookie) with the address sees neither number nor code …
    portal.cookies.clear()
    locked = await portal.get(receipt)
    assert locked.status_code == 200 and "查看回执" in locked.text
    assert number not in locked.text and code not in locked.text
    csrf = csrf_of(locked.text)
    wrong = await portal.post(receipt, data={"csrf": csrf, "query_code": "ABCD-EFGH-JKLM-NPQR"})
    assert wrong.status_code == 403 and number not in wrong.text and "查询码与这张回执不符" in wrong.text
    # … until it gives the query code (typed loosely, as on the follow-up pages)
    shown = await portal.post(receipt, data={"csrf": csrf, "query_code": code.lower().replace("-", " ")})
    assert shown.status_code == 200 and number in shown.text and code in shown.text


async def test_an_unknown_receipt_is_not_found(portal):
    answer = await portal.get("/receipts/no-such-receipt-token-at-all-0000000")
    assert answer.status_code == 404 and "回执不存在或已过期" in answer.text


@pytest.mark.skipif(not applications_served(), reason="the disclosure service does not serve applications")
async def test_an_application_and_an_openness_complaint_redirect_to_their_receipts(portal):
    for page, data, marker in (
        ("/applications/new", APPLICATION, "申请已提交"),
        ("/complaints/new", COMPLAINT, "投诉已提交"),
    ):
        answer = await filed(portal, page, data)
        assert answer.status_code == 303, (page, answer.text[:500])
        assert answer.headers["location"].startswith("/receipts/")
        receipt = await portal.get(answer.headers["location"])
        assert receipt.status_code == 200 and marker in receipt.text and CODE.search(receipt.text)
        assert (await portal.get(answer.headers["location"])).text.count(
            CODE.search(receipt.text).group(1)
        ) == 1


async def test_receipts_are_rows_every_replica_reads_kept_for_their_days(database):
    await run_migrations(database, MIGRATIONS)
    engine = create_engine(database)
    try:
        one, other = (PgReceipts(engine, Sealer(b"shared secret"), 7) for _ in range(2))
        receipt = Receipt(
            "petition", "资信〔2026〕1号", "ABCD-EFGH-JKLM-NPQR", False, {"number": "1"}, "sid-1"
        )
        token = await one.put(receipt)
        assert await other.get(token) == receipt
        async with engine.begin() as connection:
            sealed = (await connection.exec_driver_sql("SELECT sealed FROM portal_receipts")).scalar_one()
        assert b"ABCD" not in bytes(sealed), "the query code is sealed at rest"
        async with engine.begin() as connection:
            await connection.exec_driver_sql("UPDATE portal_receipts SET created = now() - interval '8 days'")
        assert await other.get(token) is None
        assert await one.forget_expired() == 1
        assert await PgReceipts(engine, Sealer(b"another secret"), 7).get(await one.put(receipt)) is None
    finally:
        await engine.dispose()
