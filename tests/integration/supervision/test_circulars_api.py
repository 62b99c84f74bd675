"""Circulars (A61) against the real PostgreSQL, org and Keycloak: the month's tallies per body, praise and
criticism checked against the items, the item the ladder sent to the mayor criticised without fail, the
request to issue published once; the RPCs are the office's."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
import sqlalchemy as sa

from services.supervision.acts import circulars as acts
from services.supervision.acts import items as item_acts
from services.supervision.domain.circulars import Entry, Verdict
from services.supervision.domain.items import Kind, NewItem
from shared.errors import RuleViolation, field_violations_of
from shared.identity import Actor
from tests.integration.supervision.conftest import rolled_back
from zgov.supervision.v1 import circulars_pb2 as pb

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def overdue(ref: str, due: date) -> NewItem:
    return NewItem(
        kind=Kind.OVERDUE_ESCALATION,
        title=f"逾期事项{ref}",
        requirement="督促办理",
        source_service="petitions",
        source_ref=ref,
        due=due,
        lead_body_code="education-bureau",
    )


async def test_A61_the_months_circular_tallies_praises_and_criticises_what_the_items_earned(supervision):
    s = supervision
    officer = Actor(
        user_id=s.user_id("supervision-officer"),
        username="supervision-officer",
        positions=frozenset({"supervision-officer"}),
        organisation_code="supervision-office",
    )
    ctx = s.acts_context(TODAY)
    async with rolled_back(s.sessions) as session:
        late = await item_acts.register(
            session, officer, overdue("case/1", TODAY - timedelta(days=3)), ctx, by_hand=False
        )
        done = await item_acts.register(
            session, officer, overdue("case/2", TODAY + timedelta(days=3)), ctx, by_hand=False
        )
        late_id, late_number, done_id, done_number = str(late.id), late.number, str(done.id), done.number
        # the second item closed ahead of its due date (its completion claimed today and verified)
        await session.execute(
            sa.text(
                "UPDATE supervision_item SET state = 'closed', completion = CAST(:c AS jsonb) WHERE id = :id"
            ),
            {"c": f'{{"claimed_on": "{TODAY.isoformat()}"}}', "id": done.id},
        )
        session.expire_all()  # the rows are read again, as the acts would in a later transaction
        with pytest.raises(RuleViolation) as wrong:
            await acts.draft(
                session, officer, TODAY.year, TODAY.month, [Entry(late_id, Verdict.PRAISE, "表扬")], TODAY
            )
        assert wrong.value.rule_id == "A61.circular-verdict"
        circular = await acts.draft(
            session,
            officer,
            TODAY.year,
            TODAY.month,
            [Entry(late_id, Verdict.CRITICISM, "逾期未办结"), Entry(done_id, Verdict.PRAISE, "提前办结")],
            TODAY,
        )
        (tally,) = circular.tallies
        assert tally == {"body_code": "education-bureau", "closed_on_time": 1, "closed": 1, "overdue": 1}
        assert {e["item_number"]: e["verdict"] for e in circular.entries} == {
            late_number: "criticism",
            done_number: "praise",
        }
        assert "三、批评事项" in circular.text and late_number in circular.text
        await acts.request_issue(session, officer, circular, "supervision-office")
        with pytest.raises(RuleViolation) as again:
            await acts.request_issue(session, officer, circular, "supervision-office")
        assert again.value.rule_id == "A61.circular-once"
        requested = await session.scalar(
            sa.text("SELECT count(*) FROM outbox WHERE subject = 'supervision.circular.requested'")
        )
        assert requested == 1

    with pytest.raises(grpc.aio.AioRpcError) as not_office:
        await s.circulars.DraftCircular(
            pb.DraftCircularRequest(year=TODAY.year, month=TODAY.month), metadata=s.as_user("department-head")
        )
    assert not_office.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as bad_month:
        await s.circulars.DraftCircular(
            pb.DraftCircularRequest(year=TODAY.year, month=13), metadata=s.as_user("supervision-officer")
        )
    assert "month" in field_violations_of(bad_month.value)
    empty = await s.circulars.DraftCircular(
        pb.DraftCircularRequest(year=TODAY.year, month=TODAY.month), metadata=s.as_user("supervision-officer")
    )
    assert empty.state == pb.CIRCULAR_STATE_DRAFTED and list(empty.entries) == []
