"""A countersign request a lead body sent on paper, entered later by the general office (补录,
shared/paper_records.py): the 7 working days of A49 run from the day it was sent."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest

from shared.convert import date_to_proto as d
from shared.errors import error_info_of, field_violations_of
from shared.workdays import calendar
from tests.integration.documents.test_documents_api import TODAY, day, draft_outgoing, rpc_error
from zgov.documents.v1 import documents_pb2 as pb

pytestmark = pytest.mark.integration


async def test_A49_countersign_sent_on_paper_runs_from_the_day_it_was_sent(platform):
    draft = await draft_outgoing(platform, username="department-head")  # the education bureau leads
    sent = TODAY - timedelta(days=3)
    refused = await rpc_error(
        platform.docs.RequestCountersign(
            pb.RequestCountersignRequest(
                document_id=draft.id, organisation_codes=["finance-bureau"], sent_on_paper=d(sent)
            ),
            metadata=platform.as_user("department-head"),
        )
    )
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_info_of(refused).metadata["permissions"] == "document:enter-paper"
    future = await rpc_error(
        platform.docs.RequestCountersign(
            pb.RequestCountersignRequest(
                document_id=draft.id,
                organisation_codes=["finance-bureau"],
                sent_on_paper=d(TODAY + timedelta(days=1)),
            ),
            metadata=platform.as_user("office-staff"),
        )
    )
    assert "after today" in field_violations_of(future)["sent_on_paper"]

    asked = await platform.docs.RequestCountersign(
        pb.RequestCountersignRequest(
            document_id=draft.id, organisation_codes=["finance-bureau"], sent_on_paper=d(sent)
        ),
        metadata=platform.as_user("office-staff"),
    )
    countersign = asked.countersigns[0]
    assert day(countersign.deadline.due) == calendar().add_working_days(sent, 7).due
    requested = next(act for act in asked.history if act.act == "countersign.requested")
    assert f"happened on paper on {sent}, entered on {TODAY}" in requested.reason
    assert "sent on paper by education-bureau" in requested.reason
