"""Administrative reconsideration (行政复议, A69) against the real petitions and org servers, PostgreSQL,
NATS and Keycloak: registration, acceptance within its working days (or deemed accepted), the
simplified procedure, the respondent's answer, the one extension, the decision on the last day of an
extended limit carried across a holiday, the overdue steps escalated by event, and the applicant
following the case by account or query code."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

import grpc
import pytest

from services.petitions.__main__ import build
from services.petitions.config import PetitionsSettings
from shared.convert import date_to_proto
from shared.errors import error_info_of, field_violations_of, rule_id_of
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.org import serving
from tests.fixtures.rpc import rpc_error
from tests.fixtures.streams import read_event_messages
from zgov.petitions.v1 import reconsideration_events_pb2 as events_pb
from zgov.petitions.v1 import reconsiderations_pb2 as pb
from zgov.petitions.v1 import reconsiderations_pb2_grpc

pytestmark = pytest.mark.integration

OFFICE, RESPONDENT = "justice-reviewer", "department-head"  # the justice bureau; the education bureau


@dataclass
class Reconsiderations(CallsAsPeople):
    stub: reconsiderations_pb2_grpc.ReconsiderationServiceStub


@pytest.fixture
async def reconsiderations(keycloak, petitions_nats, service_database, in_process_org):
    database = await service_database("petitions")
    async with in_process_org(petitions_nats.url, nats_nkey_seed=petitions_nats.seeds["org"]) as org:
        server = build(
            PetitionsSettings(
                database_url=database,
                nats_url=petitions_nats.url,
                nats_nkey_seed=petitions_nats.seeds["petitions"],
                keycloak_url=keycloak.url,
                client_id="petitions",
                client_secret=keycloak.client_secrets["petitions"],
                grpc_port=0,
                org_address=org.address,
                org_cache_seconds=0,
                reconsideration_sweep_seconds=0.5,
            )
        )
        async with serving(server):
            channel = grpc.aio.insecure_channel(server.address)
            try:
                yield Reconsiderations(
                    keycloak=keycloak, stub=reconsiderations_pb2_grpc.ReconsiderationServiceStub(channel)
                )
            finally:
                await channel.close()


async def register(r: Reconsiderations, received_on: date, **fields) -> pb.ApplyForReconsiderationResponse:
    request = pb.ApplyForReconsiderationRequest(
        **{
            "applicant_name": "林晓梅",
            "contested_act": "资教罚〔2026〕3号 行政处罚决定书（罚款5000元）",
            "respondent_body_code": "education-bureau",
            "request": "撤销该处罚决定",
            **fields,
        }
    )
    request.received_on.CopyFrom(date_to_proto(received_on))
    return await r.stub.ApplyForReconsideration(request, metadata=r.as_user(OFFICE))


async def accept(r: Reconsiderations, case_id: str, on: date, **fields) -> pb.Reconsideration:
    request = pb.AcceptReconsiderationRequest(reconsideration_id=case_id, **fields)
    request.accepted_on.CopyFrom(date_to_proto(on))
    return await r.stub.AcceptReconsideration(request, metadata=r.as_user(OFFICE))


async def decide(r: Reconsiderations, case_id: str, on: date, kind=pb.DECISION_KIND_REVOKED, **fields):
    request = pb.DecideReconsiderationRequest(
        reconsideration_id=case_id, decision=kind, reasons="事实不清，证据不足", **fields
    )
    request.decided_on.CopyFrom(date_to_proto(on))
    return await r.stub.DecideReconsideration(request, metadata=r.as_user(OFFICE))


async def test_A69_decided_on_the_last_day_of_an_extended_limit_across_a_holiday(
    reconsiderations, petitions_events
):
    r = reconsiderations
    applied = await register(r, date(2026, 6, 29))
    case = applied.reconsideration
    assert applied.query_code and case.state == pb.RECONSIDERATION_STATE_APPLIED
    assert case.acceptance_due == date_to_proto(date(2026, 7, 6))  # 5 working days (art. 30, 88)

    accepted = await accept(r, case.id, date(2026, 7, 3))
    assert (accepted.state, accepted.deemed_accepted, accepted.simplified) == (
        pb.RECONSIDERATION_STATE_ACCEPTED,
        False,
        False,
    )
    assert accepted.answer_due == date_to_proto(date(2026, 7, 17))  # 10 working days (art. 48)
    assert accepted.decision_due == date_to_proto(date(2026, 9, 1))  # 60 days (art. 62)

    answer = pb.AnswerReconsiderationRequest(reconsideration_id=case.id, answer="处罚事实清楚，请予维持。")
    answer.answered_on.CopyFrom(date_to_proto(date(2026, 7, 10)))
    answered = await r.stub.AnswerReconsideration(answer, metadata=r.as_user(RESPONDENT))
    assert answered.answered_on == date_to_proto(date(2026, 7, 10))

    extended = await r.stub.ExtendReconsideration(
        pb.ExtendReconsiderationRequest(reconsideration_id=case.id, days=30, reason="案情复杂，需现场勘验"),
        metadata=r.as_user(OFFICE),
    )
    # 90 days after 2026-07-03 is 2026-10-01, National Day: the limit ends on the first working day after.
    assert extended.decision_due == date_to_proto(date(2026, 10, 8))
    assert extended.decision_due_moved_to_working_day and extended.extension_days == 30

    again = await rpc_error(
        r.stub.ExtendReconsideration(
            pb.ExtendReconsiderationRequest(reconsideration_id=case.id, days=5, reason="仍需时间"),
            metadata=r.as_user(OFFICE),
        )
    )
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION and rule_id_of(again) == "A69.one-extension"

    decided = await decide(r, case.id, date(2026, 10, 8))
    assert (decided.state, decided.decision, decided.decided_late) == (
        pb.RECONSIDERATION_STATE_DECIDED,
        pb.DECISION_KIND_REVOKED,
        False,
    )
    # Each step a recorded act (the sweep's escalations of the past limits come in between).
    assert [h.act for h in decided.history if h.act != "reconsideration.overdue"] == [
        "reconsideration.applied",
        "reconsideration.accepted",
        "reconsideration.answered",
        "reconsideration.extended",
        "reconsideration.decided",
    ]

    steps = ["applied", "accepted", "answered", "extended", "decided"]
    seen = await read_event_messages(
        petitions_events,
        "PETITIONS",
        "petitions.reconsideration.>",
        until=lambda envelopes: {e.subject.rsplit(".", 1)[1] for e in envelopes} >= set(steps),
    )
    subjects = [e.subject.rsplit(".", 1)[1] for _, e in seen if not e.subject.endswith(".overdue")]
    assert subjects == steps
    decided_event = events_pb.ReconsiderationStepTaken.FromString(
        [e for _, e in seen if e.subject.endswith(".decided")][0].payload.value
    )
    assert decided_event.reconsideration.decision_due == date_to_proto(date(2026, 10, 8))
    assert "林晓梅" not in str(decided_event)  # no applicant in events


async def test_A69_acceptance_checked_within_its_working_days_else_deemed_accepted(reconsiderations):
    r = reconsiderations
    case = (await register(r, date(2026, 6, 1))).reconsideration
    assert case.acceptance_due == date_to_proto(date(2026, 6, 8))
    late_refusal = pb.RefuseReconsiderationRequest(reconsideration_id=case.id, reason="不属于行政复议范围")
    late_refusal.refused_on.CopyFrom(date_to_proto(date(2026, 6, 20)))
    error = await rpc_error(r.stub.RefuseReconsideration(late_refusal, metadata=r.as_user(OFFICE)))
    assert rule_id_of(error) == "A69.acceptance-days"

    deemed = await accept(r, case.id, date(2026, 6, 20))
    assert deemed.deemed_accepted and deemed.accepted_on == date_to_proto(date(2026, 6, 8))

    in_time = (await register(r, date(2026, 6, 1))).reconsideration
    refusal = pb.RefuseReconsiderationRequest(reconsideration_id=in_time.id, reason="超过法定申请期限")
    refusal.refused_on.CopyFrom(date_to_proto(date(2026, 6, 5)))
    refused_case = await r.stub.RefuseReconsideration(refusal, metadata=r.as_user(OFFICE))
    assert refused_case.state == pb.RECONSIDERATION_STATE_REFUSED
    after = await rpc_error(accept(r, in_time.id, date(2026, 6, 6)))
    assert rule_id_of(after) == "A69.state"


async def test_A69_simplified_procedure_where_the_law_allows_it_and_decisions_of_the_listed_kinds(
    reconsiderations,
):
    r = reconsiderations
    case = (await register(r, date(2026, 11, 2))).reconsideration
    too_much = await rpc_error(
        accept(
            r,
            case.id,
            date(2026, 11, 3),
            simplified_ground=pb.SIMPLIFIED_GROUND_SMALL_AMOUNT,
            amount_yuan=5000,
        )
    )
    assert rule_id_of(too_much) == "A69.simplified"
    simple = await accept(
        r, case.id, date(2026, 11, 3), simplified_ground=pb.SIMPLIFIED_GROUND_SMALL_AMOUNT, amount_yuan=2000
    )
    assert simple.simplified and simple.answer_due == date_to_proto(date(2026, 11, 10))  # 5 working days
    assert simple.decision_due == date_to_proto(date(2026, 12, 3))  # 30 days (art. 62)
    no_extension = await rpc_error(
        r.stub.ExtendReconsideration(
            pb.ExtendReconsiderationRequest(reconsideration_id=case.id, days=10, reason="复杂"),
            metadata=r.as_user(OFFICE),
        )
    )
    assert rule_id_of(no_extension) == "A69.simplified-no-extension"

    no_remedy = await rpc_error(decide(r, case.id, date(2026, 11, 20), pb.DECISION_KIND_CHANGED))
    assert no_remedy.code() == grpc.StatusCode.INVALID_ARGUMENT and "remedy" in field_violations_of(no_remedy)
    changed = await decide(
        r, case.id, date(2026, 11, 20), pb.DECISION_KIND_CHANGED, remedy="罚款变更为1000元"
    )
    assert changed.decision == pb.DECISION_KIND_CHANGED and changed.remedy == "罚款变更为1000元"


async def test_A69_only_the_respondent_body_answers(reconsiderations):
    r = reconsiderations
    case = (await register(r, date(2026, 11, 2))).reconsideration
    await accept(r, case.id, date(2026, 11, 3))
    error = await rpc_error(
        r.stub.AnswerReconsideration(
            pb.AnswerReconsiderationRequest(reconsideration_id=case.id, answer="答复"),
            metadata=r.as_user("county-head"),
        )
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_info_of(error).reason == "NOT_RESPONDENT_BODY"


async def test_A69_overdue_steps_are_escalated_once_by_event(reconsiderations, petitions_events):
    r = reconsiderations
    waiting = (await register(r, date(2026, 10, 12))).reconsideration  # acceptance due 2026-10-19
    accepted = (await register(r, date(2026, 8, 3))).reconsideration
    await accept(r, accepted.id, date(2026, 8, 4))  # answer due 2026-08-18, decision 2026-10-08

    expected = {
        (waiting.id, pb.RECONSIDERATION_STEP_ACCEPTANCE, "justice-bureau"),
        (accepted.id, pb.RECONSIDERATION_STEP_ANSWER, "education-bureau"),
        (accepted.id, pb.RECONSIDERATION_STEP_DECISION, "justice-bureau"),
    }

    def escalations(seen) -> list[tuple]:
        payloads = [events_pb.ReconsiderationOverdue.FromString(e.payload.value) for _, e in seen]
        return [(o.reconsideration.reconsideration_id, o.step, o.responsible_body_code) for o in payloads]

    def all_there(envelopes) -> bool:
        return expected <= set(escalations([(None, e) for e in envelopes]))

    await read_event_messages(
        petitions_events, "PETITIONS", "petitions.reconsideration.overdue", until=all_there
    )
    await asyncio.sleep(2)  # several more rounds of the sweep
    found = escalations(
        await read_event_messages(
            petitions_events,
            "PETITIONS",
            "petitions.reconsideration.overdue",
            until=lambda envelopes: False,
            timeout=2,
        )
    )
    assert expected <= set(found) and len(found) == len(set(found))  # each step once
    # The accepted case's acceptance may have been escalated before it was accepted; nothing else.
    assert set(found) - expected <= {(accepted.id, pb.RECONSIDERATION_STEP_ACCEPTANCE, "justice-bureau")}


async def test_A69_the_applicant_follows_the_case_by_account_or_query_code(reconsiderations):
    r = reconsiderations
    request = pb.ApplyForReconsiderationRequest(
        contested_act="不予许可决定", respondent_body_code="education-bureau", request="责令作出许可"
    )
    own = await r.stub.ApplyForReconsideration(request, metadata=r.as_user("citizen"))
    case = own.reconsideration
    assert case.applicant_user_id == r.user_id("citizen") and case.applicant_name
    by_account = await r.stub.FollowReconsideration(
        pb.FollowReconsiderationRequest(reconsideration_id=case.id), metadata=r.as_user("citizen")
    )
    assert by_account.id == case.id
    by_code = await r.stub.FollowReconsideration(
        pb.FollowReconsiderationRequest(query_code=own.query_code.lower()), metadata=r.as_service("portal")
    )
    assert by_code.id == case.id
    office_case = (await register(r, date(2026, 11, 2))).reconsideration
    other = await rpc_error(
        r.stub.FollowReconsideration(
            pb.FollowReconsiderationRequest(reconsideration_id=office_case.id), metadata=r.as_user("citizen")
        )
    )
    assert other.code() == grpc.StatusCode.NOT_FOUND
    bad_body = await rpc_error(
        r.stub.ApplyForReconsideration(
            pb.ApplyForReconsiderationRequest(
                contested_act="x", respondent_body_code="no-such-body", request="y"
            ),
            metadata=r.as_user("citizen"),
        )
    )
    assert "respondent_body_code" in field_violations_of(bad_body)
