"""Official receptions (A56) and trips abroad (A57, A58) against the real org server, PostgreSQL, NATS and
Keycloak; an approved trip of a city leader is a leave of kind abroad, so the stand-in acts (A10, A59);
the general office and departments under their heads act in their positions (A9, A11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
import sqlalchemy as sa

from services.org.acts import trips as trip_acts
from services.org.domain.trips import TripLimits
from services.org.store.trips import get as get_trip
from shared.convert import date_to_proto
from shared.db import create_engine, session_factory
from shared.errors import error_info_of, rule_id_of
from shared.identity import Actor
from shared.inbound_events import decode
from shared.org_client import noon_of
from tests.fixtures.keycloak import CallsAsPeople
from tests.fixtures.rpc import rpc_error
from zgov.org.v1 import (
    events_pb2,
    org_pb2,
    org_pb2_grpc,
    receptions_pb2,
    receptions_pb2_grpc,
    trips_pb2,
    trips_pb2_grpc,
)

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
STANDARDS = receptions_pb2.ReceptionStandards(
    meal_per_head_fen=12_000,
    receivable_guest_kinds=["official-visit", "inspection"],
    small_group_size=10,
    small_group_accompanying=3,
    accompanying_ratio=3,
    source="党政机关国内公务接待管理规定；省、市接待标准",
)


@dataclass
class OrgWithTripsUnderTest(CallsAsPeople):
    org: org_pb2_grpc.OrgServiceStub
    receptions: receptions_pb2_grpc.ReceptionServiceStub
    trips: trips_pb2_grpc.TripServiceStub
    database_url: str


@pytest.fixture
async def org(keycloak, org_nats, org_database, in_process_org):
    async with in_process_org(org_nats.url, nats_nkey_seed=org_nats.seeds["org"]) as running:
        channel = grpc.aio.insecure_channel(running.server.address)
        try:
            yield OrgWithTripsUnderTest(
                keycloak=keycloak,
                org=running.stub,
                receptions=receptions_pb2_grpc.ReceptionServiceStub(channel),
                trips=trips_pb2_grpc.TripServiceStub(channel),
                database_url=org_database,
            )
        finally:
            await channel.close()


def reception(day_offset: int = 5, **fields) -> receptions_pb2.RequestReceptionRequest:
    request = receptions_pb2.RequestReceptionRequest(
        **{
            "guest_unit": "成都市教育局",
            "guest_kind": "official-visit",
            "guests": 4,
            "accompanying": 2,
            "meals": 1,
            "planned_cost_fen": 6 * 10_000,
            "letter_ref": "成教函〔2026〕12号",
            **fields,
        }
    )
    request.day.CopyFrom(date_to_proto(TODAY + timedelta(days=day_offset)))
    return request


def attendees(guests: int, hosts: int) -> list[receptions_pb2.Attendee]:
    return [
        receptions_pb2.Attendee(name=f"来宾{i}", unit="成都市教育局", guest=True) for i in range(guests)
    ] + [receptions_pb2.Attendee(name=f"陪同{i}", unit="资阳市教育局", guest=False) for i in range(hosts)]


async def test_A56_a_reception_over_the_standard_is_refused_and_a_list_over_it_flagged_for_auditors(org):
    host = org.as_user("department-head")
    missing = await rpc_error(org.receptions.RequestReception(reception(), metadata=host))
    assert rule_id_of(missing) == "A56.no-standards"
    await org.receptions.SetReceptionStandards(
        receptions_pb2.SetReceptionStandardsRequest(standards=STANDARDS),
        metadata=org.as_user("secretary-general"),
    )

    over = await rpc_error(
        org.receptions.RequestReception(reception(planned_cost_fen=6 * 15_000), metadata=host)
    )
    assert over.code() == grpc.StatusCode.FAILED_PRECONDITION and rule_id_of(over) == "A56.over-standard"

    asked = await org.receptions.RequestReception(reception(), metadata=host)
    assert (
        asked.state == receptions_pb2.RECEPTION_STATE_REQUESTED
        and asked.host_organisation_code == "education-bureau"
    )
    approved = await org.receptions.ApproveReception(
        receptions_pb2.ApproveReceptionRequest(reception_id=asked.id, opinion="同意，按标准接待"),
        metadata=org.as_user("secretary-general"),
    )
    assert approved.state == receptions_pb2.RECEPTION_STATE_APPROVED

    closed = await org.receptions.CloseReception(
        receptions_pb2.CloseReceptionRequest(
            reception_id=asked.id,
            attendees=attendees(4, 2),
            items=[receptions_pb2.ReceptionItem(what="工作餐", cost_fen=6 * 15_000, meal=True)],
        ),
        metadata=host,
    )
    assert closed.state == receptions_pb2.RECEPTION_STATE_CLOSED and closed.actual_cost_fen == 90_000
    assert [f.rule_id for f in closed.flags] == ["A56.over-standard"]

    records = await org.receptions.ListReceptionRecords(
        receptions_pb2.ListReceptionRecordsRequest(flagged_only=True),
        metadata=org.as_user("supervision-officer"),
    )
    assert [(r.id, [a.name for a in r.attendees][:1]) for r in records.receptions] == [(asked.id, ["来宾0"])]
    not_auditor = await rpc_error(
        org.receptions.ListReceptionRecords(receptions_pb2.ListReceptionRecordsRequest(), metadata=host)
    )
    assert not_auditor.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_A56_who_may_be_received_how_many_accompany_and_a_reception_without_approval_flagged(org):
    host = org.as_user("department-head")
    await org.receptions.SetReceptionStandards(
        receptions_pb2.SetReceptionStandardsRequest(standards=STANDARDS), metadata=org.as_user("office-staff")
    )
    private = await rpc_error(
        org.receptions.RequestReception(reception(guest_kind="private-visit"), metadata=host)
    )
    assert rule_id_of(private) == "A56.guest"
    crowd = await rpc_error(org.receptions.RequestReception(reception(accompanying=4), metadata=host))
    assert rule_id_of(crowd) == "A56.accompanying"
    own = await org.receptions.RequestReception(reception(), metadata=host)
    self_approval = await rpc_error(
        org.receptions.ApproveReception(
            receptions_pb2.ApproveReceptionRequest(reception_id=own.id), metadata=host
        )
    )
    assert self_approval.code() == grpc.StatusCode.PERMISSION_DENIED

    closed = await org.receptions.CloseReception(
        receptions_pb2.CloseReceptionRequest(
            reception_id=own.id,
            attendees=attendees(4, 2),
            items=[receptions_pb2.ReceptionItem(what="工作餐", cost_fen=6 * 9_000, meal=True)],
        ),
        metadata=host,
    )
    assert [f.rule_id for f in closed.flags] == ["A56.without-approval"]


def trip(
    members: list[tuple[str, str]], first_offset: int = 20, days: int = 5, **fields
) -> trips_pb2.RequestTripRequest:
    request = trips_pb2.RequestTripRequest(
        **{
            "task_kind": trips_pb2.TASK_KIND_NEGOTIATION,
            "purpose": "与友城签署经贸合作备忘录",
            "invitation_ref": "邀请函 2026-45",
            "countries": ["DE"],
            "payer": trips_pb2.PAYER_OWN_BUDGET,
            "members": [trips_pb2.TripMember(user_id=u, position=p) for u, p in members],
            **fields,
        }
    )
    first = TODAY + timedelta(days=first_offset)
    request.first_day.CopyFrom(date_to_proto(first))
    request.last_day.CopyFrom(date_to_proto(first + timedelta(days=days - 1)))
    return request


async def test_A57_a_trip_without_a_task_or_over_a_national_limit_is_refused(org):
    staff = org.as_user("office-staff")
    head = [(org.user_id("department-head"), "department-head")]
    cases = [
        (trip(head, task_kind=trips_pb2.TASK_KIND_SIGHTSEEING), "A57.no-substantive-task"),
        (trip(head, task_kind=trips_pb2.TASK_KIND_STUDY_TOUR), "A57.no-substantive-task"),
        (
            trip(
                [
                    (org.user_id(u), "")
                    for u in (
                        "mayor",
                        "evm",
                        "vice-mayor-1",
                        "vice-mayor-2",
                        "vice-mayor-3",
                        "secretary-general",
                        "office-staff",
                    )
                ]
            ),
            "A57.group-size",
        ),
        (trip(head, countries=["DE", "FR", "IT", "ES"], days=9), "A57.countries"),
        (trip(head, countries=["DE", "FR"], days=9), "A57.days"),
        (trip(head, days=6), "A57.days"),
    ]
    for request, rule in cases:
        error = await rpc_error(org.trips.RequestTrip(request, metadata=staff))
        assert (error.code(), rule_id_of(error)) == (grpc.StatusCode.FAILED_PRECONDITION, rule), rule
    far = await org.trips.RequestTrip(
        trip(head, countries=["BR", "AR"], days=9, far_region=True), metadata=staff
    )
    assert far.state == trips_pb2.TRIP_STATE_REQUESTED and far.authority == "city"


async def test_A58_a_trip_paid_by_a_company_or_a_subordinate_unit_is_refused(org):
    head = [(org.user_id("department-head"), "department-head")]
    for payer in (trips_pb2.PAYER_COMPANY, trips_pb2.PAYER_SUBORDINATE_UNIT):
        error = await rpc_error(
            org.trips.RequestTrip(trip(head, payer=payer), metadata=org.as_user("office-staff"))
        )
        assert rule_id_of(error) == "A58.payer"


async def who_may_act(org, position: str, day, holder: str = "") -> org_pb2.WhoMayActResponse:
    return await org.org.WhoMayAct(
        org_pb2.WhoMayActRequest(position=position, at=noon_of(day), holder_user_id=holder),
        metadata=org.as_user("mayor"),
    )


async def test_A57_A10_A59_a_leaders_approved_trip_is_a_leave_abroad_and_the_stand_in_acts(org):
    mayor, evm = org.user_id("mayor"), org.user_id("evm")
    vm1, vm2 = org.user_id("vice-mayor-1"), org.user_id("vice-mayor-2")
    await org.org.SetAbPair(
        org_pb2.SetAbPairRequest(leader_a_user_id=vm1, leader_b_user_id=vm2, reason="分工"),
        metadata=org.as_user("secretary-general"),
    )
    staff = org.as_user("office-staff")
    asked = await org.trips.RequestTrip(
        trip([(mayor, "mayor"), (org.user_id("office-staff"), "")]), metadata=staff
    )
    assert asked.authority == "province"
    approver = org.as_user("secretary-general")
    no_number = await rpc_error(
        org.trips.ApproveTrip(trips_pb2.ApproveTripRequest(trip_id=asked.id), metadata=approver)
    )
    assert rule_id_of(no_number) == "A57.authority"
    own = await rpc_error(
        org.trips.ApproveTrip(
            trips_pb2.ApproveTripRequest(trip_id=asked.id, authority_reference="川外审〔2026〕88号"),
            metadata=org.as_user("mayor"),
        )
    )
    assert rule_id_of(own) == "A57.own-trip"

    approved = await org.trips.ApproveTrip(
        trips_pb2.ApproveTripRequest(
            trip_id=asked.id, authority_reference="川外审〔2026〕88号", opinion="同意"
        ),
        metadata=approver,
    )
    assert approved.state == trips_pb2.TRIP_STATE_APPROVED and len(approved.leave_ids) == 1
    leave = await org.org.GetLeave(
        org_pb2.GetLeaveRequest(leave_id=approved.leave_ids[0]), metadata=org.as_user("mayor")
    )
    assert (leave.kind, leave.state, leave.user_id, leave.acting_user_id) == (
        org_pb2.LEAVE_KIND_ABROAD,
        org_pb2.LEAVE_STATE_APPROVED,
        mayor,
        evm,
    )
    during = TODAY + timedelta(days=22)
    acting = await who_may_act(org, "mayor", during)
    assert (acting.acting_user_id, acting.holder_away, acting.basis) == (evm, True, "A10")
    assert (await who_may_act(org, "mayor", TODAY + timedelta(days=30))).acting_user_id == mayor

    # A59: a vice mayor's trip hands the duties to the A/B partner, without a leave entered by hand.
    vm_trip = await org.trips.RequestTrip(trip([(vm1, "vice-mayor")], first_offset=40), metadata=staff)
    await org.trips.ApproveTrip(
        trips_pb2.ApproveTripRequest(trip_id=vm_trip.id, authority_reference="川外审〔2026〕89号"),
        metadata=approver,
    )
    partner = await who_may_act(org, "vice-mayor", TODAY + timedelta(days=41), holder=vm1)
    assert (partner.acting_user_id, partner.basis) == (vm2, "A59")

    # A82: the executive vice mayor abroad while the mayor is needs a reason.
    both = await org.trips.RequestTrip(
        trip([(evm, "executive-vice-mayor")], first_offset=21, days=2), metadata=staff
    )
    error = await rpc_error(
        org.trips.ApproveTrip(
            trips_pb2.ApproveTripRequest(trip_id=both.id, authority_reference="川外审〔2026〕90号"),
            metadata=approver,
        )
    )
    assert rule_id_of(error) == "A82"


async def test_A58_gifts_recorded_and_handed_over_and_the_report_due_after_return(org):
    head = org.user_id("department-head")
    asked = await org.trips.RequestTrip(
        trip([(head, "department-head")]), metadata=org.as_user("office-staff")
    )
    assert asked.authority == "city" and asked.report_due == date_to_proto(TODAY + timedelta(days=24 + 30))
    await org.trips.ApproveTrip(trips_pb2.ApproveTripRequest(trip_id=asked.id), metadata=org.as_user("mayor"))
    gift = trips_pb2.RecordTripGiftRequest(
        trip_id=asked.id, giver="汉堡市教育局", description="瓷盘", value_fen=50_000
    )
    gift.received_on.CopyFrom(date_to_proto(TODAY + timedelta(days=21)))
    not_member = await rpc_error(org.trips.RecordTripGift(gift, metadata=org.as_user("county-head")))
    assert error_info_of(not_member).reason == "NOT_TRIP_MEMBER"
    recorded = await org.trips.RecordTripGift(gift, metadata=org.as_user("department-head"))
    [kept] = recorded.gifts
    assert kept.must_hand_over and kept.hand_over_due == date_to_proto(TODAY + timedelta(days=24 + 30))
    handed = await org.trips.HandOverTripGift(
        trips_pb2.HandOverTripGiftRequest(trip_id=asked.id, gift_id=kept.id),
        metadata=org.as_user("office-staff"),
    )
    assert handed.gifts[0].handed_over_on == date_to_proto(TODAY)

    early = await rpc_error(
        org.trips.SubmitTripReport(
            trips_pb2.SubmitTripReportRequest(trip_id=asked.id, report="出访报告"),
            metadata=org.as_user("department-head"),
        )
    )
    assert rule_id_of(early) == "A57.report-after-return"
    # After the return, past the report's limit: the report is kept and marked late (the act itself,
    # on a day after the limit).
    engine = create_engine(org.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            row = await get_trip(session, asked.id, for_update=True)
            ctx = trip_acts.TripContext(TODAY + timedelta(days=60), TripLimits(), None)
            member = Actor(user_id=head, username="department-head", organisation_code="education-bureau")
            await trip_acts.report(session, member, row, "出访报告：签署备忘录一份", ctx)
    finally:
        await engine.dispose()
    reported = await org.trips.GetTrip(
        trips_pb2.GetTripRequest(trip_id=asked.id), metadata=org.as_user("mayor")
    )
    assert reported.state == trips_pb2.TRIP_STATE_REPORTED and reported.report_late


async def test_A57_A58_a_report_or_a_gift_past_its_limit_is_announced_once_for_supervision(org):
    head = org.user_id("department-head")
    asked = await org.trips.RequestTrip(
        trip([(head, "department-head")]), metadata=org.as_user("office-staff")
    )
    await org.trips.ApproveTrip(trips_pb2.ApproveTripRequest(trip_id=asked.id), metadata=org.as_user("mayor"))
    for value, what in ((50_000, "瓷盘"), (5_000, "明信片")):  # from 200 yuan handed over (A58)
        gift = trips_pb2.RecordTripGiftRequest(
            trip_id=asked.id, giver="汉堡市", description=what, value_fen=value
        )
        gift.received_on.CopyFrom(date_to_proto(TODAY + timedelta(days=21)))
        recorded = await org.trips.RecordTripGift(gift, metadata=org.as_user("department-head"))
    plate = next(g for g in recorded.gifts if g.must_hand_over)
    outbox = sa.text("SELECT payload FROM outbox WHERE subject = 'org.trip.overdue' ORDER BY created_at")
    engine = create_engine(org.database_url)
    try:
        async with session_factory(engine)() as session:
            transaction = await session.begin()  # rolled back: the relay never sees these events
            try:
                # the day both limits are reached nothing is overdue; the day after, each once
                last_day = TODAY + timedelta(days=24 + 30)
                assert await trip_acts.announce_all_overdue(session, last_day, 50) == (0, 0)
                after = last_day + timedelta(days=1)
                assert await trip_acts.announce_all_overdue(session, after, 50) == (1, 2)
                assert await trip_acts.announce_all_overdue(session, after + timedelta(days=8), 50) == (0, 0)
                events = [decode(p)[1] for p in (await session.execute(outbox)).scalars()]
                told = await get_trip(session, asked.id)
                assert told.report_overdue_announced_on == after
            finally:
                await transaction.rollback()
    finally:
        await engine.dispose()
    steps = sorted((e.step, e.gift_id, e.responsible_body_code, e.responsible_user_id) for e in events)
    assert steps == [
        (events_pb2.TRIP_OVERDUE_STEP_REPORT, "", asked.organisation_code, asked.requested_by_user_id),
        (events_pb2.TRIP_OVERDUE_STEP_GIFT_HAND_OVER, plate.id, asked.organisation_code, head),
    ]
    assert all(e.due == date_to_proto(TODAY + timedelta(days=24 + 30)) for e in events)


async def test_A9_A11_the_secretary_general_runs_the_office_and_heads_act_for_their_departments(org):
    """A9: the secretary-general, leading the general office, loads standards and approves receptions;
    A11: a department acts through its head — its reception is its own, closed only by it."""
    await org.receptions.SetReceptionStandards(
        receptions_pb2.SetReceptionStandardsRequest(standards=STANDARDS),
        metadata=org.as_user("secretary-general"),
    )
    denied = await rpc_error(
        org.receptions.SetReceptionStandards(
            receptions_pb2.SetReceptionStandardsRequest(standards=STANDARDS),
            metadata=org.as_user("department-head"),
        )
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    asked = await org.receptions.RequestReception(reception(), metadata=org.as_user("department-head"))
    other = await rpc_error(
        org.receptions.CloseReception(
            receptions_pb2.CloseReceptionRequest(
                reception_id=asked.id,
                attendees=attendees(1, 0),
                items=[receptions_pb2.ReceptionItem(what="茶", cost_fen=100)],
            ),
            metadata=org.as_user("county-head"),
        )
    )
    assert error_info_of(other).reason == "OTHER_ORGANISATION"
