"""The escalation ladder, with the acts called directly inside a transaction rolled back at the end,
against the real org (portfolios, A/B pairs, leave) and the service's real database."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from services.supervision.acts import items as acts
from services.supervision.domain.items import Kind, NewItem
from services.supervision.store import items as store
from services.supervision.sweep import sweep_once
from shared.convert import date_to_proto as d
from shared.identity import Actor
from shared.workdays import calendar
from tests.integration.supervision.conftest import rolled_back
from zgov.org.v1 import org_pb2

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
CAL = calendar()


def officer(s) -> Actor:
    return Actor(
        user_id=s.user_id("supervision-officer"),
        username="supervision-officer",
        positions=frozenset({"supervision-officer"}),
        organisation_code="supervision-office",
    )


def head(s) -> Actor:
    return Actor(
        user_id=s.user_id("department-head"),
        username="department-head",
        positions=frozenset({"department-head"}),
        organisation_code="education-bureau",
    )


def task(**fields) -> NewItem:
    return NewItem(
        **{
            "kind": Kind.KEY_TASK,
            "title": "城区道路改造",
            "requirement": "按期完成",
            "source_service": "supervision",
            "source_ref": "register/test",
            "lead_body_code": "education-bureau",
            **fields,
        }
    )


async def steps(session, row) -> dict:
    return {e.step: e for e in await store.steps_of(session, row.id)}


async def escalated_events(session) -> int:
    return await session.scalar(
        sa.text("SELECT count(*) FROM outbox WHERE subject = 'supervision.item.escalated'")
    )


async def test_A59_A10_five_days_past_due_the_item_goes_to_the_supervising_leaders_partner_while_he_is_away(
    supervision,
):
    s = supervision
    vm1, vm2 = s.user_id("vice-mayor-1"), s.user_id("vice-mayor-2")
    portfolio = org_pb2.SetPortfolioRequest(
        leader_user_id=vm1, organisation_codes=["education-bureau"], reason="分工"
    )
    await s.org.SetPortfolio(portfolio, metadata=s.as_user("secretary-general"))
    await s.org.SetAbPair(
        org_pb2.SetAbPairRequest(leader_a_user_id=vm1, leader_b_user_id=vm2, reason="分工"),
        metadata=s.as_user("secretary-general"),
    )
    due = CAL.add_working_days(TODAY, 3).due
    leader_day = CAL.add_working_days(due, 5).due
    leave = await s.org.RequestLeave(
        org_pb2.RequestLeaveRequest(
            position="vice-mayor",
            kind=org_pb2.LEAVE_KIND_STUDY,
            first_day=d(leader_day),
            last_day=d(leader_day),
            reason="省委党校学习",
        ),
        metadata=s.as_user("vice-mayor-1"),
    )
    await s.org.ApproveLeave(
        org_pb2.ApproveLeaveRequest(leave_id=leave.id, opinion="同意"), metadata=s.as_user("mayor")
    )

    async with rolled_back(s.sessions) as session:
        row = await acts.register(session, officer(s), task(due=due), s.acts_context(TODAY), by_hand=True)
        assert row.supervising_leader_user_id == vm1
        # due in 3 working days: already within the 5-day warning
        assert (await sweep_once(session, s.acts_context(TODAY), 100))[1] == 1
        assert set(await steps(session, row)) == {"warned"}

        looked, taken = await sweep_once(session, s.acts_context(leader_day), 100)
        found = await steps(session, row)
        # the sweep came back only after the due date: the reminder is skipped; red and 催办 to the head,
        # then the supervising leader's A/B partner while he is away (A59)
        assert {"urged", "to_supervising_leader"} <= set(found) and "reminded" not in found
        assert found["urged"].recipient_user_id == s.user_id("department-head")
        leader_step = found["to_supervising_leader"]
        assert (leader_step.recipient_user_id, leader_step.recipient_acting_for_user_id) == (vm2, vm1)
        assert row.colour == "red"
        assert (await sweep_once(session, s.acts_context(leader_day), 100))[1] == 0  # each step once
        assert await escalated_events(session) == 1 + taken

        mayor_day = CAL.add_working_days(due, 10).due
        await sweep_once(session, s.acts_context(mayor_day), 100)
        mayor_step = (await steps(session, row))["to_mayor"]
        mayor_recipient = (mayor_step.recipient_user_id, mayor_step.recipient_acting_for_user_id)
        assert mayor_recipient == (s.user_id("mayor"), "")

        accountability_day = CAL.add_working_days(due, 20).due
        await sweep_once(session, s.acts_context(accountability_day), 100)
        proposed = (await steps(session, row))["accountability_proposed"]
        assert (proposed.recipient_body_code, proposed.recipient_user_id) == (
            "education-bureau",
            s.user_id("department-head"),
        )
        assert await escalated_events(session) == len(await steps(session, row))
        assert row.next_check_on is None  # the ladder is walked to its end
        # A72: the case names the body and the person holding its head's position that day
        (case,) = (
            await session.execute(
                sa.text(
                    "SELECT ground, state, body_code, responsible_user_id, against_due "
                    "FROM accountability_case"
                )
            )
        ).all()
        assert tuple(case) == ("overdue", "proposed", "education-bureau", s.user_id("department-head"), due)


async def test_A61_the_lead_body_is_warned_and_reminded_before_the_due_date(supervision):
    s = supervision
    due = CAL.add_working_days(TODAY, 8).due
    async with rolled_back(s.sessions) as session:
        row = await acts.register(session, officer(s), task(due=due), s.acts_context(TODAY), by_hand=True)
        warn_day = CAL.add_working_days(due, -5).due
        assert row.next_check_on == warn_day
        await sweep_once(session, s.acts_context(warn_day), 100)
        found = await steps(session, row)
        assert set(found) == {"warned"} and found["warned"].recipient_body_code == "education-bureau"
        await sweep_once(session, s.acts_context(CAL.add_working_days(due, -1).due), 100)
        assert set(await steps(session, row)) == {"warned", "reminded"}
        assert row.colour == "green"


async def test_A61_a_missed_report_turns_the_item_yellow_and_a_report_turns_it_back(supervision):
    s = supervision
    due = CAL.add_working_days(TODAY, 120).due
    async with rolled_back(s.sessions) as session:
        row = await acts.register(session, officer(s), task(due=due), s.acts_context(TODAY), by_hand=True)
        row = await acts.acknowledge(session, head(s), row, "", s.acts_context(TODAY))
        missed_day = row.next_report_due.fromordinal(row.next_report_due.toordinal() + 1)
        await sweep_once(session, s.acts_context(missed_day), 100)
        assert set(await steps(session, row)) == {"report_missed"} and row.colour == "yellow"
        await acts.report(session, head(s), row, "完成40%", s.acts_context(missed_day))
        assert row.colour == "green" and row.next_report_due > missed_day


async def test_A61_numbers_are_gapless_and_a_source_makes_one_item(supervision):
    s = supervision
    async with rolled_back(s.sessions) as session:
        ctx = s.acts_context(TODAY)
        first = await acts.register(session, officer(s), task(source_ref="x/1"), ctx, by_hand=True)
        again = await acts.register(session, officer(s), task(source_ref="x/1"), ctx, by_hand=True)
        second = await acts.register(session, officer(s), task(source_ref="x/2"), ctx, by_hand=True)
        assert again is None
        assert (first.sequence, second.sequence) == (1, 2)
        assert second.number == f"督〔{TODAY.year}〕2号"
