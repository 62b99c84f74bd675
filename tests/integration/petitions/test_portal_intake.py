"""Online filing without an account, through the portal's service account (petition:submit-anonymous):
the case belongs to no account, is followed by its query code only, and the per-account daily limit
(which would stop the whole portal) does not apply — the portal limits filings per visitor address."""

from __future__ import annotations

import grpc
import pytest

from services.petitions.acts.intake import MAX_ONLINE_PER_DAY
from zgov.petitions.v1 import petitions_pb2

pytestmark = pytest.mark.integration


def online(title: str) -> petitions_pb2.SubmitPetitionRequest:
    return petitions_pb2.SubmitPetitionRequest(
        intake=petitions_pb2.Intake(
            category=petitions_pb2.CATEGORY_SUGGESTION,
            title=title,
            content="建议在小区门口增设公交站。",
            petitioners=[petitions_pb2.Petitioner(name="匿名市民", phone="13800001111")],
        )
    )


async def test_A71_portal_files_for_visitors_without_account_beyond_the_per_account_limit(petitions):
    p = petitions
    portal = p.as_service("portal")
    filed = [
        await p.stub.SubmitPetition(online(f"增设公交站 {i}"), metadata=portal)
        for i in range(MAX_ONLINE_PER_DAY + 1)
    ]
    assert len({f.query_code for f in filed}) == MAX_ONLINE_PER_DAY + 1
    assert all(not f.case.submitted_by_user_id for f in filed)
    followed = await p.stub.FollowCase(
        petitions_pb2.FollowCaseRequest(query_code=filed[-1].query_code), metadata=portal
    )
    assert followed.number == filed[-1].case.number
    # Nobody's own: not in the service account's list, and not rateable by case id through it.
    mine = await p.stub.ListMyCases(petitions_pb2.ListMyCasesRequest(), metadata=portal)
    assert list(mine.cases) == []
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await p.stub.RateCase(
            petitions_pb2.RateCaseRequest(
                case_id=filed[0].case.id, satisfaction=petitions_pb2.SATISFACTION_SATISFIED
            ),
            metadata=portal,
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_A71_a_citizen_account_keeps_its_daily_limit(petitions):
    p = petitions
    for i in range(MAX_ONLINE_PER_DAY):
        await p.stub.SubmitPetition(online(f"建议 {i}"), metadata=p.as_user("citizen"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await p.stub.SubmitPetition(online("再一件"), metadata=p.as_user("citizen"))
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
