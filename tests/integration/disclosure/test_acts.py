"""The acts on applications for information (依申请公开) called directly (no RPC), each test inside one
transaction rolled back at its end: what an act checks, writes, records and announces, seen from the
session itself. Real PostgreSQL (this test's database, at the service's migration head); no NATS:
an event is the outbox row the act adds."""

from __future__ import annotations

from datetime import date

import pytest

from services.disclosure.acts import Env, applications, replies
from services.disclosure.domain import applications as domain
from services.disclosure.models import InfoApplication
from shared.audit import history
from shared.db import create_engine, session_factory
from shared.errors import InvalidInput, RuleViolation
from shared.identity import Actor
from shared.workdays import calendar
from tests.fixtures.outbox import outbox_subjects

pytestmark = pytest.mark.integration

# Friday 26 September 2025: the reply limit runs across the national day holiday.
TODAY = date(2025, 9, 26)
OFFICER = Actor(
    user_id="u-officer", username="disclosure-officer", permissions=frozenset({"application:handle"})
)
CITIZEN = Actor(user_id="u-citizen", username="citizen", permissions=frozenset({"application:submit"}))
STRANGER = Actor(user_id="u-stranger", username="stranger", permissions=frozenset({"application:submit"}))


@pytest.fixture
async def session(service_database):
    """One transaction for the whole test, rolled back at its end (nothing it wrote stays)."""
    engine = create_engine(await service_database("disclosure"))
    try:
        async with session_factory(engine)() as s:
            await s.begin()
            try:
                yield s
            finally:
                await s.rollback()
    finally:
        await engine.dispose()


@pytest.fixture
def env() -> Env:
    return Env(calendar=calendar(), today=lambda: TODAY)


def applicant() -> domain.Applicant:
    return domain.Applicant(
        kind=domain.ApplicantKind.NATURAL_PERSON,
        name="张三",
        id_number="510000199001011234",
        phone="13800000000",
        email="zhangsan@example.cn",
        address="资阳市雁江区",
        contact_person="",
    )


def request() -> domain.Request:
    return domain.Request(
        description="2025年城区道路改造项目的预算安排",
        document_number="",
        purpose="",
        delivery_form=domain.DeliveryForm.EMAIL,
        kind=domain.RequestKind.INFORMATION,
        evidence="",
    )


async def test_OGI31_registered_by_post_is_received_on_signing_with_an_event_and_a_recorded_act(session, env):
    signed = date(2025, 9, 25)
    filed = await applications.register(
        session,
        OFFICER,
        env,
        applicant(),
        request(),
        channel=domain.Channel.POST_SIGNED,
        submitted_on=date(2025, 9, 23),
        signed_for_on=signed,
        confirmed_on=None,
    )
    a = filed.application
    assert filed.query_code and a.number.startswith("YSQ2025")
    row = await session.get(InfoApplication, a.id)
    assert (row.state, row.received_on, row.clock_started_on) == ("received", signed, signed)
    assert row.reply_due is not None and not row.reply_due_provisional
    assert await outbox_subjects(session, f"application/{a.id}") == ["disclosure.application.received"]
    assert [h.act for h in await history(session, f"application/{a.id}")] == ["application.registered"]


async def test_OGI29_an_online_submission_waits_for_confirmation_and_the_key_replays_it(session, env):
    first = await applications.submit(
        session, CITIZEN, env, applicant(), request(), key="key-0001", fingerprint="f1"
    )
    assert first.query_code and not first.replayed
    again = await applications.submit(
        session, CITIZEN, env, applicant(), request(), key="key-0001", fingerprint="f1"
    )
    assert again.replayed and again.application.id == first.application.id and not again.query_code
    with pytest.raises(InvalidInput):
        await applications.submit(
            session, CITIZEN, env, applicant(), request(), key="key-0001", fingerprint="f2"
        )
    row = await session.get(InfoApplication, first.application.id)
    assert row.state == "submitted" and row.received_on is None
    assert (
        await outbox_subjects(session, f"application/{first.application.id}") == []
    )  # received only when confirmed (art. 31(3))
    confirmed = await applications.confirm_receipt(session, OFFICER, env, first.application.id, TODAY)
    assert confirmed.received_on.day == TODAY.day
    assert await outbox_subjects(session, f"application/{first.application.id}") == [
        "disclosure.application.received"
    ]


async def test_an_applicant_reads_only_his_or_her_own_application(session, env):
    filed = await applications.submit(
        session, CITIZEN, env, applicant(), request(), key=None, fingerprint=None
    )
    own = await applications.read(session, CITIZEN, env, application_id=filed.application.id)
    assert own.id == filed.application.id and not own.history  # the applicant sees no recorded acts
    by_code = await applications.read(session, STRANGER, env, query_code=filed.query_code.lower())
    assert by_code.id == filed.application.id
    with pytest.raises(applications.NotOwner):
        await applications.read(session, STRANGER, env, application_id=filed.application.id)


async def test_OGI30_the_period_to_complete_passes_and_the_application_lapses_once(session, env):
    filed = await applications.register(
        session,
        OFFICER,
        env,
        applicant(),
        request(),
        channel=domain.Channel.POST_SIGNED,
        submitted_on=TODAY,
        signed_for_on=TODAY,
        confirmed_on=None,
    )
    app_id = filed.application.id
    asked = await applications.request_completion(
        session, OFFICER, env, app_id, requested=TODAY, items="请写明具体路段", period_working_days=5
    )
    due = date(asked.completion.due.year, asked.completion.due.month, asked.completion.due.day)
    assert await applications.lapse_due(session, due) == 0  # the last day is still the applicant's
    later = date.fromordinal(due.toordinal() + 1)
    assert await applications.lapse_due(session, later) == 1
    assert await applications.lapse_due(session, later) == 0  # once
    assert (await session.get(InfoApplication, app_id)).state == "lapsed"
    late = Env(calendar=env.calendar, today=lambda: later)
    with pytest.raises(RuleViolation) as refused:
        await applications.complete(
            session, CITIZEN, late, "", filed.query_code, completed_on=None, content="雁江区建设路"
        )
    assert refused.value.rule_id == "OGI30.lapsed"
    assert await outbox_subjects(session, f"application/{app_id}") == [
        "disclosure.application.received",
        "disclosure.application.completion-requested",
        "disclosure.application.lapsed",
    ]


async def test_OGI33_one_extension_then_refused(session, env):
    filed = await applications.register(
        session,
        OFFICER,
        env,
        applicant(),
        request(),
        channel=domain.Channel.POST_SIGNED,
        submitted_on=TODAY,
        signed_for_on=TODAY,
        confirmed_on=None,
    )
    extended = await replies.extend(
        session,
        OFFICER,
        env,
        filed.application.id,
        working_days=20,
        reason="需要调取档案",
        notice="延期告知",
        approved=TODAY,
    )
    assert extended.extension.working_days == 20
    with pytest.raises(RuleViolation) as refused:
        await replies.extend(
            session,
            OFFICER,
            env,
            filed.application.id,
            working_days=5,
            reason="再延",
            notice="告知",
            approved=TODAY,
        )
    assert refused.value.rule_id == "OGI33.extension-once"
