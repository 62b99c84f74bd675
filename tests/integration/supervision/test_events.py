"""Items made from other services' events through real NATS JetStream: a meeting decision, a
decision restated by corrected minutes, a leader's instruction recorded by the real petitions
service. Redelivered and replayed events change nothing; an envelope naming another subject is refused."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
import sqlalchemy as sa

from services.petitions.__main__ import build as build_petitions
from services.org.acts import trips as trip_acts
from services.petitions.config import PetitionsSettings
from services.supervision.domain import performance as performance_domain
from shared.convert import date_to_proto as d
from shared.db import create_engine, session_factory, transaction
from shared.outbox import build_envelope
from tests.fixtures.org import serving
from tests.fixtures.polling import eventually
from tests.fixtures.streams import consumer_settled
from zgov.disclosure.v1 import applications_pb2
from zgov.documents.v1 import documents_pb2
from zgov.documents.v1 import events_pb2 as documents_events
from zgov.meetings.v1 import events_pb2 as meetings_events
from zgov.meetings.v1 import meetings_pb2
from zgov.org.v1 import events_pb2 as org_events
from zgov.org.v1 import org_pb2, trips_pb2, trips_pb2_grpc
from zgov.petitions.v1 import events_pb2 as petitions_events
from zgov.petitions.v1 import (
    petitions_pb2,
    petitions_pb2_grpc,
    reconsiderations_pb2,
    reconsiderations_pb2_grpc,
)
from zgov.petitions.v1 import reconsideration_events_pb2 as reconsideration_events
from zgov.supervision.v1 import performance_pb2, research_pb2
from zgov.supervision.v1 import supervision_pb2 as pb

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def decision(number: int, text: str = "加快推进城区道路改造", **fields) -> meetings_pb2.Decision:
    return meetings_pb2.Decision(
        **{
            "id": str(uuid.uuid4()),
            "series": meetings_pb2.MEETING_KIND_EXECUTIVE,
            "year": TODAY.year,
            "number": number,
            "reference": f"常务会议决定〔{TODAY.year}〕{number}号",
            "text": text,
            "owner_organisation_code": "education-bureau",
            "due": d(TODAY + timedelta(days=60)),
            "category": meetings_pb2.MATTER_CATEGORY_MAJOR_POLICY,
            "decided_on": d(TODAY),
            **fields,
        }
    )


async def publish(js, subject: str, payload, *, envelope_subject: str = "", msg_id: str = ""):
    envelope = build_envelope(envelope_subject or subject, payload, "decision/x")
    data = envelope.SerializeToString()
    await js.publish(subject, data, headers={"Nats-Msg-Id": msg_id or envelope.event_id})
    return data


async def items(s, **filters) -> list[pb.Item]:
    return list(
        (
            await s.stub.ListItems(pb.ListItemsRequest(**filters), metadata=s.as_user("supervision-officer"))
        ).items
    )


async def count(s, sql: str) -> int:
    async with s.sessions() as session:
        return await session.scalar(sa.text(sql))


async def test_A60_A62_a_meeting_decision_on_nats_becomes_exactly_one_item_even_redelivered_or_replayed(
    supervision_consuming, supervision_js
):
    s, js = supervision_consuming, supervision_js
    recorded = decision(7)
    event = meetings_events.DecisionRecorded(decision=recorded)
    data = await publish(js, "meetings.decision.recorded", event)
    # the same message again (a redelivery past the duplicate window) and a new event of the same decision
    await js.publish("meetings.decision.recorded", data, headers={"Nats-Msg-Id": "redelivered"})
    await publish(js, "meetings.decision.recorded", meetings_events.DecisionRecorded(decision=recorded))
    await eventually(lambda: consumer_settled(js, "MEETINGS", "supervision-decision-recorded", 3))
    (item,) = await items(s)
    assert (item.source.service, item.source.ref, item.source.reference) == (
        "meetings",
        f"decision/{recorded.id}",
        recorded.reference,
    )
    # A29: an executive meeting's major policy is a major decision, followed after adoption
    assert (item.kind, item.state, item.lead_body_code) == (
        pb.ITEM_KIND_MAJOR_DECISION,
        pb.ITEM_STATE_ASSIGNED,
        "education-bureau",
    )
    assert item.first_responsible_user_id == s.user_id("department-head")
    assert item.due == recorded.due and item.requirement == recorded.text
    assert (
        await count(
            s, "SELECT count(*) FROM processed_messages WHERE consumer = 'supervision-decision-recorded'"
        )
        == 2
    )
    # A62: the first report on a meeting decision within 20 working days
    assert item.next_report_due.year


async def test_an_envelope_naming_another_subject_is_refused(supervision_consuming, supervision_js):
    s, js = supervision_consuming, supervision_js
    await publish(
        js,
        "meetings.decision.recorded",
        meetings_events.DecisionRecorded(decision=decision(8)),
        envelope_subject="petitions.case.leader-instructed",
    )
    await eventually(lambda: consumer_settled(js, "MEETINGS", "supervision-decision-recorded", 1))
    assert await items(s) == []
    dead = "SELECT count(*) FROM dead_letters WHERE consumer = 'supervision-decision-recorded'"
    assert await count(s, dead) == 1


async def test_A26_a_superseded_decision_moves_its_item_to_the_restating_decision(
    supervision_consuming, supervision_js
):
    s, js = supervision_consuming, supervision_js
    old = decision(9, category=meetings_pb2.MATTER_CATEGORY_OTHER)
    await publish(js, "meetings.decision.recorded", meetings_events.DecisionRecorded(decision=old))
    (item,) = await eventually(lambda: items(s))
    assert item.kind == pb.ITEM_KIND_MEETING_DECISION
    await s.stub.AcknowledgeItem(
        pb.AcknowledgeItemRequest(item_id=item.id), metadata=s.as_user("department-head")
    )
    # corrected minutes: the restating decision is recorded, then the old one superseded
    new = decision(10, text="加快推进城区道路改造，年底前完成", category=meetings_pb2.MATTER_CATEGORY_OTHER)
    await publish(js, "meetings.decision.recorded", meetings_events.DecisionRecorded(decision=new))
    await eventually(lambda: consumer_settled(js, "MEETINGS", "supervision-decision-recorded", 2))
    superseded = meetings_pb2.Decision()
    superseded.CopyFrom(old)
    superseded.superseded_by_decision_id = new.id
    await publish(js, "meetings.decision.superseded", meetings_events.DecisionSuperseded(decision=superseded))
    await eventually(lambda: consumer_settled(js, "MEETINGS", "supervision-decision-superseded", 1))
    followed, twin = await items(s)
    assert followed.id == item.id and followed.state == pb.ITEM_STATE_ACKNOWLEDGED
    assert (followed.source.ref, followed.requirement) == (f"decision/{new.id}", new.text)
    assert [e.ref for e in followed.earlier_sources] == [f"decision/{old.id}"]
    assert twin.state == pb.ITEM_STATE_WITHDRAWN


async def test_A60_A71_a_leaders_instruction_in_petitions_becomes_one_item(
    supervision_consuming, supervision_js, keycloak, postgres
):
    s, js = supervision_consuming, supervision_js
    name = f"t_pet_{uuid.uuid4().hex[:10]}"
    petitions_db = postgres.ensure_database(name)
    petitions = build_petitions(
        PetitionsSettings(
            database_url=petitions_db,
            nats_url=s.nats.url,
            nats_nkey_seed=s.nats.seeds["petitions"],
            keycloak_url=keycloak.url,
            client_id="petitions",
            client_secret=keycloak.client_secrets["petitions"],
            grpc_port=0,
            org_address=s.org_address,
            org_cache_seconds=60,
        )
    )
    try:
        async with serving(petitions) as server:
            async with grpc.aio.insecure_channel(server.address) as channel:
                stub = petitions_pb2_grpc.PetitionsServiceStub(channel)
                officer = s.as_user("petition-officer")
                case = (
                    await stub.RegisterCase(
                        petitions_pb2.RegisterCaseRequest(
                            intake=petitions_pb2.Intake(
                                channel=petitions_pb2.CHANNEL_LETTER,
                                received_on=d(TODAY),
                                category=petitions_pb2.CATEGORY_COMPLAINT_REPORT,
                                title="校车接送不规范",
                                content="安岳县某校车超载，请查处。",
                                body_complained_about="anyue-county",
                                petitioners=[petitions_pb2.Petitioner(name="林晓梅", phone="13912345678")],
                            )
                        ),
                        metadata=officer,
                    )
                ).case
                await stub.TriageCase(
                    petitions_pb2.TriageCaseRequest(
                        case_id=case.id,
                        outcome=petitions_pb2.TRIAGE_OUTCOME_ACCEPT_AND_ASSIGN,
                        handling_body_code="education-bureau",
                        triaged_on=d(TODAY),
                    ),
                    metadata=officer,
                )
                mayor = s.user_id("mayor")
                await stub.MarkForLeader(
                    petitions_pb2.MarkForLeaderRequest(
                        case_id=case.id, leader_user_id=mayor, reason="涉及学生安全"
                    ),
                    metadata=officer,
                )
                await stub.InstructCase(
                    petitions_pb2.InstructCaseRequest(
                        case_id=case.id,
                        instruction="请市教体局一周内查清并整改",
                        due=d(TODAY + timedelta(days=7)),
                    ),
                    metadata=s.as_user("mayor"),
                )
                (item,) = await eventually(lambda: items(s, kind=pb.ITEM_KIND_LEADER_INSTRUCTION))
    finally:
        postgres.drop_database(name)
    assert (item.source.service, item.source.reference) == ("petitions", case.number)
    assert (item.instructing_leader_user_id, item.lead_body_code) == (mayor, "education-bureau")
    assert item.due == d(TODAY + timedelta(days=7))
    assert "林晓梅" not in item.requirement + item.title  # A71, A80: no petitioner's name travels
    # the instruction event again (replayed with a new message id): still one item
    stored = await js.get_last_msg("PETITIONS", "petitions.case.leader-instructed")
    await js.publish("petitions.case.leader-instructed", stored.data, headers={"Nats-Msg-Id": "replayed"})
    await eventually(lambda: consumer_settled(js, "PETITIONS", "supervision-leader-instructed", 2))
    assert len(await items(s, kind=pb.ITEM_KIND_LEADER_INSTRUCTION)) == 1


async def test_A53_a_document_past_its_handling_limit_becomes_one_overdue_item_led_by_the_general_office(
    supervision_consuming, supervision_js
):
    s, js = supervision_consuming, supervision_js
    due = TODAY - timedelta(days=2)
    document = documents_pb2.Document(
        id=str(uuid.uuid4()),
        state=documents_pb2.DOCUMENT_STATE_ROUTED,
        content=documents_pb2.DocumentContent(title="关于城东学校用地的请示"),
    )
    event = documents_events.DocumentOverdue(document=document, handling_due=d(due))
    data = await publish(js, "documents.document.overdue", event)
    await js.publish("documents.document.overdue", data, headers={"Nats-Msg-Id": "redelivered"})
    await publish(js, "documents.document.overdue", event)  # replayed: a new event id, the same limit
    await eventually(lambda: consumer_settled(js, "DOCUMENTS", "supervision-document-overdue", 3))
    (item,) = await items(s)
    assert (item.kind, item.source.service, item.source.ref) == (
        pb.ITEM_KIND_OVERDUE_ESCALATION,
        "documents",
        f"document/{document.id}/overdue/{due}",
    )
    assert item.lead_body_code == "general-office" and "领导批示" in item.requirement


async def test_A69_an_overdue_reconsideration_step_becomes_one_item_led_by_the_body_that_must_act(
    supervision_consuming, supervision_js
):
    s, js = supervision_consuming, supervision_js
    due = TODAY - timedelta(days=1)
    application = reconsideration_events.ReconsiderationSummary(
        reconsideration_id=str(uuid.uuid4()),
        state=reconsiderations_pb2.RECONSIDERATION_STATE_ACCEPTED,
        respondent_body_code="education-bureau",
        received_on=d(TODAY - timedelta(days=30)),
        answer_due=d(due),
    )
    event = reconsideration_events.ReconsiderationOverdue(
        reconsideration=application,
        step=reconsiderations_pb2.RECONSIDERATION_STEP_ANSWER,
        due=d(due),
        responsible_body_code="education-bureau",
    )
    subject = "petitions.reconsideration.overdue"
    data = await publish(js, subject, event)
    await js.publish(subject, data, headers={"Nats-Msg-Id": "redelivered"})
    await publish(js, subject, event)  # replayed: a new event id, the same step
    # the sender checked: an envelope on petitions' subject that says documents produced it
    await publish(js, subject, event, envelope_subject="documents.document.overdue")
    await eventually(lambda: consumer_settled(js, "PETITIONS", "supervision-reconsideration-overdue", 4))
    (item,) = await items(s)
    assert (item.kind, item.source.service, item.source.ref) == (
        pb.ITEM_KIND_OVERDUE_ESCALATION,
        "petitions",
        f"reconsideration/{application.reconsideration_id}/overdue/"
        f"{reconsiderations_pb2.RECONSIDERATION_STEP_ANSWER}",
    )
    assert (item.lead_body_code, item.state) == ("education-bureau", pb.ITEM_STATE_ASSIGNED)
    assert "被申请人答复" in item.title and str(due) in item.requirement
    dead = "SELECT count(*) FROM dead_letters WHERE consumer = 'supervision-reconsideration-overdue'"
    assert await count(s, dead) == 1


async def test_A57_A58_an_overdue_trip_report_or_gift_becomes_one_item_per_step_led_by_the_sending_body(
    supervision_consuming, supervision_js
):
    s, js = supervision_consuming, supervision_js
    due = TODAY - timedelta(days=3)
    head = s.user_id("department-head")
    trip = trips_pb2.Trip(
        id=str(uuid.uuid4()),
        organisation_code="education-bureau",
        requested_by_user_id=head,
        purpose="与友城签署教育合作备忘录",
        countries=["DE", "FR"],
        first_day=d(due - timedelta(days=40)),
        last_day=d(due - timedelta(days=30)),
        members=[trips_pb2.TripMember(user_id=head, position="department-head", name="李局长")],
        gifts=[trips_pb2.TripGift(id="gift-1", giver="汉堡市", description="瓷盘", value_fen=50_000)],
        state=trips_pb2.TRIP_STATE_APPROVED,
    )
    report = org_events.TripOverdue(
        trip=trip,
        step=org_events.TRIP_OVERDUE_STEP_REPORT,
        due=d(due),
        responsible_body_code="education-bureau",
        responsible_user_id=head,
    )
    gift = org_events.TripOverdue(
        trip=trip,
        step=org_events.TRIP_OVERDUE_STEP_GIFT_HAND_OVER,
        gift_id="gift-1",
        due=d(due),
        responsible_body_code="education-bureau",
        responsible_user_id=head,
    )
    data = await publish(js, "org.trip.overdue", report)
    await js.publish("org.trip.overdue", data, headers={"Nats-Msg-Id": "redelivered"})
    await publish(js, "org.trip.overdue", report)  # replayed: the same trip and step
    await publish(js, "org.trip.overdue", gift)
    await eventually(lambda: consumer_settled(js, "ORG", "supervision-trip-overdue", 4))
    found = sorted(await items(s), key=lambda i: i.source.ref)
    assert [i.source.ref for i in found] == [
        f"trip/{trip.id}/overdue/{org_events.TRIP_OVERDUE_STEP_REPORT}",
        f"trip/{trip.id}/overdue/{org_events.TRIP_OVERDUE_STEP_GIFT_HAND_OVER}/gift-1",
    ]
    assert {(i.kind, i.source.service, i.lead_body_code) for i in found} == {
        (pb.ITEM_KIND_OVERDUE_ESCALATION, "org", "education-bureau")
    }
    assert "出访报告" in found[0].title and "李局长" in found[0].requirement
    assert "瓷盘" in found[1].requirement and str(due) in found[1].requirement


def case(case_id: str, body: str = "education-bureau") -> petitions_events.CaseSummary:
    return petitions_events.CaseSummary(
        case_id=case_id, number=f"资信〔{TODAY.year}〕{case_id}号", handling_body_code=body
    )


def countersign(body: str, answered: bool) -> documents_pb2.Countersign:
    return documents_pb2.Countersign(organisation_code=body, answered_on=d(TODAY) if answered else None)


async def computed_scores(s, body: str, measures: dict) -> dict:
    """A department set of the year (the areas in `measures` computed, the others by evidence), `body`'s
    targets, its measured indicators computed: area → (computed, centipoints, evidence)."""
    areas = performance_domain.DIMENSIONS[performance_domain.AssessedKind.DEPARTMENT]
    weights = dict(zip(areas, (20, 20, 20, 10, 20, 10)))
    office = s.as_user("supervision-officer")
    the_set = await s.performance.SetIndicators(
        performance_pb2.SetIndicatorsRequest(
            year=TODAY.year,
            kind=performance_pb2.ASSESSED_KIND_DEPARTMENT,
            indicators=[
                performance_pb2.Indicator(
                    code=a,
                    name=a,
                    dimension=a,
                    weight=weights[a],
                    measure=measures.get(a, performance_pb2.MEASURE_EVIDENCE),
                )
                for a in areas
            ],
        ),
        metadata=office,
    )
    assessment = await s.performance.SetTargets(
        performance_pb2.SetTargetsRequest(
            set_id=the_set.id,
            body_code=body,
            targets=[performance_pb2.Target(indicator_code=a, target="完成") for a in areas],
        ),
        metadata=office,
    )
    computed = await s.performance.ComputeMeasuredIndicators(
        performance_pb2.ComputeMeasuredIndicatorsRequest(assessment_id=assessment.id), metadata=office
    )
    return {sc.indicator_code: (sc.computed, sc.centipoints, sc.evidence) for sc in computed.scores}


async def test_A64_petitions_and_documents_events_feed_the_computed_performance_indicators(
    supervision_consuming, supervision_js
):
    s, js = supervision_consuming, supervision_js
    replied = petitions_events.CaseReplied(case=case("1"), replied_on=d(TODAY), late=False)
    for event in (
        replied,
        petitions_events.CaseReplied(case=case("2"), replied_on=d(TODAY), late=True),
        replied,  # replayed: a new event id, the same reply
        petitions_events.CaseReplied(case=case("3", body=""), replied_on=d(TODAY)),  # not yet assigned
    ):
        await publish(js, "petitions.case.replied", event)
    for case_id, satisfaction in (
        ("1", petitions_pb2.SATISFACTION_SATISFIED),
        ("2", petitions_pb2.SATISFACTION_DISSATISFIED),
        ("2", petitions_pb2.SATISFACTION_BASICALLY_SATISFIED),  # rated again: the latest counts
    ):
        await publish(
            js,
            "petitions.case.rated",
            petitions_events.CaseRated(case=case(case_id), satisfaction=satisfaction),
        )
    await publish(
        js,
        "documents.countersign.answered",
        documents_events.CountersignAnswered(
            document_id="doc-1", countersign=countersign("education-bureau", True)
        ),
    )
    for document, body in (("doc-2", "education-bureau"), ("doc-3", "transport-bureau")):
        await publish(
            js,
            "documents.countersign.deemed-agreed",
            documents_events.CountersignDeemedAgreed(
                document_id=document, countersign=countersign(body, False)
            ),
        )
    await eventually(lambda: consumer_settled(js, "PETITIONS", "supervision-case-replied", 4))
    await eventually(lambda: consumer_settled(js, "PETITIONS", "supervision-case-rated", 7))
    await eventually(lambda: consumer_settled(js, "DOCUMENTS", "supervision-countersign-deemed-agreed", 3))
    await eventually(lambda: consumer_settled(js, "DOCUMENTS", "supervision-countersign-answered", 1))

    scores = await computed_scores(
        s,
        "education-bureau",
        {
            "major-decisions": performance_pb2.MEASURE_ITEMS_ON_TIME,
            "duties": performance_pb2.MEASURE_PETITIONS_ON_TIME,
            "efficiency": performance_pb2.MEASURE_COUNTERSIGNS_ANSWERED,
            "service-quality": performance_pb2.MEASURE_PETITIONS_SATISFIED,
        },
    )
    assert scores["duties"] == (True, 1000, "信访事项按期答复 1/2")  # one of two replies on time
    assert scores["service-quality"] == (True, 2000, "信访答复满意（含基本满意） 2/2")
    assert scores["efficiency"] == (True, 500, "会签按期回复（未逾期视为同意） 1/2")
    assert scores["major-decisions"] == (True, 2000, "督查事项按期办结 0/0")


async def test_A49_A64_a_burst_of_deemed_agreements_is_recorded_once_per_countersign_through_the_batch_handler(
    supervision_consuming, supervision_js
):
    """documents' countersign clock deems a round's countersigns at once: a burst of events that the
    batch handler records a fetch at a time. Each countersign is one fact against its body (A49: not
    answered in time); a replay (a new event id) adds none, one naming no body counts nowhere."""
    s, js = supervision_consuming, supervision_js
    prefix = f"burst-{uuid.uuid4().hex[:8]}"
    bodies = ("education-bureau", "transport-bureau")

    def deemed(n: int, body: str):
        event = documents_events.CountersignDeemedAgreed(
            document_id=f"{prefix}-{n}", countersign=countersign(body, False)
        )
        return build_envelope("documents.countersign.deemed-agreed", event, f"document/{prefix}-{n}")

    envelopes = [deemed(n, bodies[n % 2]) for n in range(40)]
    envelopes += [deemed(0, bodies[0]), deemed(40, "")]  # a replay of the first; one with no body
    acks = await asyncio.gather(
        *[
            await js.publish_async(e.subject, e.SerializeToString(), headers={"Nats-Msg-Id": e.event_id})
            for e in envelopes
        ]
    )
    last = max(ack.seq for ack in acks)
    await eventually(lambda: consumer_settled(js, "DOCUMENTS", "supervision-countersign-deemed-agreed", last))

    facts = f"FROM measured_fact WHERE source_ref LIKE 'document/{prefix}-%'"
    assert await count(s, f"SELECT count(*) {facts}") == 40
    assert await count(s, f"SELECT count(*) {facts} AND NOT good") == 40
    assert await count(s, f"SELECT count(*) {facts} AND body_code = 'transport-bureau'") == 20
    assert await count(s, f"SELECT count(*) {facts} AND measure = 'countersigns_answered'") == 40
    assert await count(s, "SELECT count(*) FROM dead_letters") == 0


def application_replied(application_id: str, body: str, late: bool) -> applications_pb2.ApplicationReplied:
    return applications_pb2.ApplicationReplied(
        application=applications_pb2.ApplicationSummary(application_id=application_id),
        kind=applications_pb2.REPLY_KIND_PROVIDED,
        replied_on=d(TODAY),
        handling_body_code=body,
        late=late,
    )


async def test_A64_disclosure_replies_within_the_legal_limit_feed_the_indicator_of_the_body_that_handled_them(
    supervision_consuming, supervision_js
):
    """disclosure.application.replied → one fact per application for the body named in the event (OGI art.
    33: on time or late); a redelivered or replayed reply counts once; a reply published before the event
    named its body (no handling_body_code) is counted for nobody, and the consumer goes on."""
    s, js = supervision_consuming, supervision_js
    on_time = application_replied("a-1", "education-bureau", late=False)
    data = await publish(js, "disclosure.application.replied", on_time)
    await js.publish("disclosure.application.replied", data, headers={"Nats-Msg-Id": "redelivered"})
    for event in (
        on_time,  # replayed: a new event id, the same reply
        application_replied("a-2", "education-bureau", late=True),
        application_replied("a-3", "transport-bureau", late=True),
        application_replied("a-4", "", late=False),  # an old event: no body named
    ):
        await publish(js, "disclosure.application.replied", event)
    await eventually(lambda: consumer_settled(js, "DISCLOSURE", "supervision-application-replied", 6))
    async with s.sessions() as session:
        facts = (
            await session.execute(
                sa.text("SELECT source_ref, body_code, good FROM measured_fact ORDER BY source_ref")
            )
        ).all()
    assert [tuple(f) for f in facts] == [
        ("application/a-1/reply", "education-bureau", True),
        ("application/a-2/reply", "education-bureau", False),
        ("application/a-3/reply", "transport-bureau", False),
    ]
    scores = await computed_scores(
        s, "education-bureau", {"efficiency": performance_pb2.MEASURE_DISCLOSURE_REPLIES_ON_TIME}
    )
    assert scores["efficiency"] == (True, 500, "依申请公开按期答复 1/2")  # half of the weight 10


async def test_A57_A58_a_trip_in_org_past_its_limits_becomes_items_in_supervision_through_nats(
    supervision_consuming, supervision_js, org_database
):
    """End to end: the trip asked, approved and a gift recorded in the real org service; org's trip clock
    (two rounds on days past both limits) announces the report and the gift once; supervision makes two
    items."""
    s, js = supervision_consuming, supervision_js
    head = s.user_id("department-head")
    first = TODAY + timedelta(days=20)
    async with grpc.aio.insecure_channel(s.org_address) as channel:
        trips = trips_pb2_grpc.TripServiceStub(channel)
        asked = await trips.RequestTrip(
            trips_pb2.RequestTripRequest(
                task_kind=trips_pb2.TASK_KIND_NEGOTIATION,
                purpose="与友城签署经贸合作备忘录",
                invitation_ref="邀请函 2026-45",
                countries=["DE"],
                payer=trips_pb2.PAYER_OWN_BUDGET,
                members=[trips_pb2.TripMember(user_id=head, position="department-head")],
                first_day=d(first),
                last_day=d(first + timedelta(days=4)),
            ),
            metadata=s.as_user("office-staff"),
        )
        await trips.ApproveTrip(trips_pb2.ApproveTripRequest(trip_id=asked.id), metadata=s.as_user("mayor"))
        recorded = await trips.RecordTripGift(
            trips_pb2.RecordTripGiftRequest(
                trip_id=asked.id, giver="汉堡市", description="瓷盘", value_fen=50_000, received_on=d(first)
            ),
            metadata=s.as_user("department-head"),
        )
    engine = create_engine(org_database)
    try:
        for days_after in (31, 40):
            async with transaction(session_factory(engine)) as session:
                await trip_acts.announce_all_overdue(session, first + timedelta(days=4 + days_after), 50)
    finally:
        await engine.dispose()

    async def two_items() -> list[pb.Item] | None:
        found = await items(s, kind=pb.ITEM_KIND_OVERDUE_ESCALATION)
        return found if len(found) == 2 else None

    found = await eventually(two_items)
    assert {(i.source.service, i.lead_body_code) for i in found} == {("org", asked.organisation_code)}
    assert sorted(i.source.ref.removeprefix(f"trip/{asked.id}/overdue/") for i in found) == [
        f"{org_events.TRIP_OVERDUE_STEP_REPORT}",
        f"{org_events.TRIP_OVERDUE_STEP_GIFT_HAND_OVER}/{recorded.gifts[0].id}",
    ]
    info = await js.consumer_info("ORG", "supervision-trip-overdue")
    assert info.delivered.consumer_seq == 2  # org announced each step once


async def test_A69_a_reconsideration_in_petitions_past_its_acceptance_limit_becomes_one_item_through_nats(
    supervision_consuming, supervision_js, keycloak, postgres
):
    """End to end: an application registered in the real petitions service, received long enough ago
    that its acceptance check is overdue; petitions' sweep escalates it, supervision makes one item led by
    the reconsideration office; later rounds of the sweep add nothing."""
    s, js = supervision_consuming, supervision_js
    name = f"t_pet_{uuid.uuid4().hex[:10]}"
    petitions_db = postgres.ensure_database(name)
    petitions = build_petitions(
        PetitionsSettings(
            database_url=petitions_db,
            nats_url=s.nats.url,
            nats_nkey_seed=s.nats.seeds["petitions"],
            keycloak_url=keycloak.url,
            client_id="petitions",
            client_secret=keycloak.client_secrets["petitions"],
            grpc_port=0,
            org_address=s.org_address,
            org_cache_seconds=60,
            reconsideration_sweep_seconds=0.5,
        )
    )
    try:
        async with serving(petitions) as server:
            async with grpc.aio.insecure_channel(server.address) as channel:
                stub = reconsiderations_pb2_grpc.ReconsiderationServiceStub(channel)
                request = reconsiderations_pb2.ApplyForReconsiderationRequest(
                    applicant_name="林晓梅",
                    contested_act="资教罚〔2026〕3号 行政处罚决定书",
                    respondent_body_code="education-bureau",
                    request="撤销该处罚决定",
                    received_on=d(TODAY - timedelta(days=30)),
                )
                applied = await stub.ApplyForReconsideration(request, metadata=s.as_user("justice-reviewer"))
                (item,) = await eventually(lambda: items(s, kind=pb.ITEM_KIND_OVERDUE_ESCALATION))
                await asyncio.sleep(2)  # several more rounds of the sweep
                info = await js.consumer_info("PETITIONS", "supervision-reconsideration-overdue")
    finally:
        postgres.drop_database(name)
    assert info.delivered.consumer_seq == 1  # petitions escalated the step once
    case_id = applied.reconsideration.id
    assert (item.source.service, item.source.ref, item.lead_body_code) == (
        "petitions",
        f"reconsideration/{case_id}/overdue/{reconsiderations_pb2.RECONSIDERATION_STEP_ACCEPTANCE}",
        "justice-bureau",
    )
    assert "林晓梅" not in item.requirement + item.title  # A80: no applicant travels
    assert len(await items(s, kind=pb.ITEM_KIND_OVERDUE_ESCALATION)) == 1


def attendance(
    leader: str, day: date, kind=org_pb2.ACTIVITY_KIND_INSPECTION, **fields
) -> org_pb2.EventAttendance:
    return org_pb2.EventAttendance(
        id=str(uuid.uuid4()),
        requesting_organisation_code="anyue-county",
        leader_user_id=leader,
        event_day=d(day),
        title="调研柠檬产业发展",
        venue="安岳县柠檬产业园",
        activity_kind=kind,
        **{"state": org_pb2.ATTENDANCE_STATE_AGREED, **fields},
    )


async def test_A31_an_agreed_inspection_in_org_becomes_one_research_day_counted_once_its_day_has_come(
    supervision_consuming, supervision_js
):
    """org.attendance.decided: a city leader agreed to an inspection (调研、视察) a county asked for → one
    research day of his (redelivered and replayed: still one); a meeting he agreed to, a declined
    inspection and one still ahead add no day to his pace."""
    s, js = supervision_consuming, supervision_js
    leader = s.user_id("vice-mayor-1")
    held = attendance(leader, TODAY - timedelta(days=2))
    decided = org_events.EventAttendanceDecided(attendance=held)
    data = await publish(js, "org.attendance.decided", decided)
    await js.publish("org.attendance.decided", data, headers={"Nats-Msg-Id": "redelivered"})
    await publish(js, "org.attendance.decided", decided)  # replayed: a new event, the same attendance
    others = [
        attendance(leader, TODAY - timedelta(days=1), kind=org_pb2.ACTIVITY_KIND_MEETING),
        attendance(leader, TODAY - timedelta(days=1), state=org_pb2.ATTENDANCE_STATE_DECLINED),
        attendance(leader, TODAY + timedelta(days=1)),
    ]
    for other in others:
        await publish(js, "org.attendance.decided", org_events.EventAttendanceDecided(attendance=other))
    await eventually(lambda: consumer_settled(js, "ORG", "supervision-attendance-decided", 6))
    async with s.sessions() as session:
        visits = (
            await session.execute(
                sa.text("SELECT started_on, days, county_codes, source_ref FROM research_visit")
            )
        ).all()
    assert sorted(v.source_ref for v in visits) == sorted(f"org/attendance/{a.id}" for a in (held, others[2]))
    fed = next(v for v in visits if v.source_ref == f"org/attendance/{held.id}")
    assert (fed.started_on, fed.days, fed.county_codes) == (TODAY - timedelta(days=2), 1, ["anyue-county"])
    pace = await s.research.GetResearchPace(
        research_pb2.GetResearchPaceRequest(year=TODAY.year), metadata=s.as_user("supervision-officer")
    )
    (mine,) = [p for p in pace.leaders if p.leader_user_id == leader]
    assert mine.days == 1


async def enter_visit(s, leader: str, day: date, days: int = 1) -> research_pb2.ResearchVisit:
    """A visit the research office enters by hand."""
    return await s.research.RecordResearchVisit(
        research_pb2.RecordResearchVisitRequest(
            leader_user_id=leader,
            started_on=d(day),
            days=days,
            place="安岳县柠檬产业园",
            county_codes=["anyue-county"],
            purpose="调研柠檬产业发展",
            reporting_meeting=research_pb2.REPORTING_MEETING_NONE,
        ),
        metadata=s.as_user("research-office-staff"),
    )


async def research_days(s, leader: str) -> int:
    pace = await s.research.GetResearchPace(
        research_pb2.GetResearchPaceRequest(year=TODAY.year), metadata=s.as_user("supervision-officer")
    )
    (mine,) = [p for p in pace.leaders if p.leader_user_id == leader]
    return mine.days


async def acts_on(s, subject: str) -> list[tuple[str, str]]:
    async with s.sessions() as session:
        rows = await session.execute(
            sa.text("SELECT act, reason FROM audit_record WHERE subject_ref = :s ORDER BY chain_seq"),
            {"s": subject},
        )
        return [tuple(r) for r in rows]


async def published(js, subject: str, payload) -> int:
    """The stream sequence of the published event."""
    envelope = build_envelope(subject, payload, "attendance/x")
    ack = await js.publish(subject, envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.event_id})
    return ack.seq


async def test_A31_a_day_entered_by_hand_and_fed_from_org_counts_once_whichever_comes_first(
    supervision_consuming, supervision_js
):
    """One research day per leader and calendar day whatever its sources: hand first (a two-day visit,
    then org's inspection on its second day, delivered twice), event first (org's inspection, then the
    same day entered by hand). The later record is corroborating evidence, counted nowhere, and both
    visits' histories — and the hand entry's answer — say which."""
    s, js = supervision_consuming, supervision_js
    leader = s.user_id("vice-mayor-1")
    entered = await enter_visit(s, leader, TODAY - timedelta(days=4), days=2)
    assert (entered.counted_days, list(entered.corroborates)) == (2, [])
    during = attendance(leader, TODAY - timedelta(days=3))
    data = await publish(js, "org.attendance.decided", org_events.EventAttendanceDecided(attendance=during))
    await js.publish("org.attendance.decided", data, headers={"Nats-Msg-Id": "redelivered"})
    before = attendance(leader, TODAY - timedelta(days=1))
    await publish(js, "org.attendance.decided", org_events.EventAttendanceDecided(attendance=before))
    await eventually(lambda: consumer_settled(js, "ORG", "supervision-attendance-decided", 3))

    after = await enter_visit(s, leader, TODAY - timedelta(days=1))
    assert after.counted_days == 0
    assert [(c.visit_id != "", c.source_ref, list(c.days)) for c in after.corroborates] == [
        (True, f"org/attendance/{before.id}", [d(TODAY - timedelta(days=1))])
    ]
    assert await research_days(s, leader) == 3  # days −4, −3 (hand and org) and −1 (org and hand)

    fed = await acts_on(s, f"org/attendance/{during.id}")
    assert [act for act, _ in fed] == ["research.visit-fed", "research.visit-corroborates"]
    assert "not counted again" in fed[1][1] and entered.id in fed[1][1]
    assert [act for act, _ in await acts_on(s, f"research-visit/{entered.id}")] == [
        "research.visit-recorded",
        "research.visit-corroborated",
    ]
    assert [act for act, _ in await acts_on(s, f"org/attendance/{before.id}")] == [
        "research.visit-fed",
        "research.visit-corroborated",
    ]
    assert [act for act, _ in await acts_on(s, f"research-visit/{after.id}")] == [
        "research.visit-recorded",
        "research.visit-corroborates",
    ]


async def test_A31_an_inspection_org_reports_not_attended_is_no_research_day_whichever_event_comes_first(
    supervision_consuming, supervision_js
):
    """org.attendance.outcome_recorded: an agreed inspection reported not attended counts no more (the
    report redelivered: the same); one reported attended before its agreement arrived counts once; a day
    also entered by hand stays counted when org's inspection is reported not attended."""
    s, js = supervision_consuming, supervision_js
    leader = s.user_id("vice-mayor-2")

    def outcome(agreed: org_pb2.EventAttendance, state) -> org_events.EventAttendanceOutcomeRecorded:
        reported = org_pb2.EventAttendance()
        reported.CopyFrom(agreed)
        reported.state = state
        return org_events.EventAttendanceOutcomeRecorded(attendance=reported)

    missed, held, also_entered = (attendance(leader, TODAY - timedelta(days=days)) for days in (2, 1, 5))
    await enter_visit(s, leader, TODAY - timedelta(days=5))
    last = {}
    for agreed in (missed, also_entered):
        last["decided"] = await published(
            js, "org.attendance.decided", org_events.EventAttendanceDecided(attendance=agreed)
        )
        for _ in range(2):  # the second: a replay of the same report
            last["outcome"] = await published(
                js,
                "org.attendance.outcome_recorded",
                outcome(agreed, org_pb2.ATTENDANCE_STATE_NOT_ATTENDED),
            )
    last["outcome"] = await published(
        js, "org.attendance.outcome_recorded", outcome(held, org_pb2.ATTENDANCE_STATE_ATTENDED)
    )
    last["decided"] = await published(
        js, "org.attendance.decided", org_events.EventAttendanceDecided(attendance=held)
    )
    await eventually(lambda: consumer_settled(js, "ORG", "supervision-attendance-decided", last["decided"]))
    await eventually(lambda: consumer_settled(js, "ORG", "supervision-attendance-outcome", last["outcome"]))

    assert await research_days(s, leader) == 2  # day −1 (attended) and day −5 (entered by hand)
    async with s.sessions() as session:
        visits = dict(
            (
                await session.execute(
                    sa.text("SELECT source_ref, attended FROM research_visit WHERE source_ref IS NOT NULL")
                )
            ).all()
        )
    assert visits == {
        f"org/attendance/{missed.id}": False,
        f"org/attendance/{held.id}": True,
        f"org/attendance/{also_entered.id}": False,
    }
    assert [act for act, _ in await acts_on(s, f"org/attendance/{missed.id}")] == [
        "research.visit-fed",
        "research.visit-not-attended",
    ]
    assert [act for act, _ in await acts_on(s, f"org/attendance/{held.id}")] == [
        "research.visit-fed",
        "research.visit-attended",
    ]
    (*_, (act, reason)) = await acts_on(s, f"org/attendance/{also_entered.id}")
    assert act == "research.visit-not-attended" and "still counted from another" in reason
