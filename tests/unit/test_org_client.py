"""shared.org_client against a stand-in org on a real local port: what a service gets from org's
answers and failures (A10, A59 who may act; A8 portfolios), and how long the directory is reused."""

from __future__ import annotations

from datetime import date

import grpc
import pytest
from google.rpc import code_pb2

from shared.errors import NotFound
from shared.org_client import OrgClient, OrgRefused, OrgUnavailable
from shared.service_auth import StaticToken
from zgov.common.v1 import common_pb2
from zgov.org.v1 import org_pb2, org_pb2_grpc


class StandInOrg(org_pb2_grpc.OrgServiceServicer):
    """Answers like org would for a tiny city; remembers what it was asked."""

    def __init__(self):
        self.asked: list[tuple[str, object]] = []

    async def ListOrganisations(self, request, context):
        self.asked.append(("ListOrganisations", request))
        return org_pb2.ListOrganisationsResponse(
            organisations=[
                common_pb2.Organisation(
                    code="general-office", name="市政府办公室", kind=common_pb2.ORGANISATION_KIND_OFFICE
                ),
                common_pb2.Organisation(
                    code="anyue-county", name="安岳县", kind=common_pb2.ORGANISATION_KIND_COUNTY
                ),
            ]
        )

    async def ListPositions(self, request, context):
        self.asked.append(("ListPositions", request))

        def holder(user_id, name, organisation):
            return org_pb2.PositionHolder(
                user_id=user_id, username=user_id, display_name=name, organisation_code=organisation
            )

        return org_pb2.ListPositionsResponse(
            positions=[
                org_pb2.PositionWithHolders(
                    position=common_pb2.Position(code="mayor"),
                    holders=[holder("u-mayor", "王市长", "general-office")],
                ),
                org_pb2.PositionWithHolders(
                    position=common_pb2.Position(code="vice-mayor"),
                    holders=[
                        holder("u-vm1", "李副市长", "general-office"),
                        holder("u-vm2", "", "general-office"),
                    ],
                ),
                org_pb2.PositionWithHolders(position=common_pb2.Position(code="secretary-general")),
            ]
        )

    async def WhoMayAct(self, request, context):
        self.asked.append(("WhoMayAct", request))
        if request.position == "secretary-general":
            await context.abort(grpc.StatusCode.NOT_FOUND, "a holder of 'secretary-general' (vacant)")
        if request.position == "vice-mayor" and not request.holder_user_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "'vice-mayor' has 2 holders")
        if request.position == "county-head":
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "needs acting:read")
        return org_pb2.WhoMayActResponse(
            position=request.position,
            holder_user_id="u-mayor",
            acting_user_id="u-evm",
            holder_away=True,
            basis="A10",
        )

    async def FindPortfolioHolder(self, request, context):
        self.asked.append(("FindPortfolioHolder", request))
        leader = "u-vm1" if request.matter == "安全生产" else ""
        return org_pb2.FindPortfolioHolderResponse(leader_user_id=leader)


@pytest.fixture
async def stand_in():
    servicer = StandInOrg()
    server = grpc.aio.server()
    org_pb2_grpc.add_OrgServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    servicer.address = f"127.0.0.1:{port}"
    yield servicer
    await server.stop(0)


@pytest.fixture
async def client(stand_in):
    org = OrgClient(stand_in.address, StaticToken("t"), ttl_seconds=60)
    yield org
    await org.close()


async def test_directory_has_organisations_holders_and_names_and_is_reused_within_its_ttl(client, stand_in):
    directory = await client.directory()
    assert directory.organisations == {
        "general-office": ("市政府办公室", "office"),
        "anyue-county": ("安岳县", "county"),
    }
    assert directory.holders == {
        "mayor": ["u-mayor"],
        "vice-mayor": ["u-vm1", "u-vm2"],
        "secretary-general": [],
    }
    assert directory.positions_of("u-vm2") == frozenset({"vice-mayor"})
    assert directory.known("u-vm1") and not directory.known("u-nobody")
    assert directory.organisation_of["u-mayor"] == "general-office"
    assert directory.names["u-vm2"] == "u-vm2"  # no display name: the username
    assert (directory.sole_holder("mayor"), directory.sole_holder("secretary-general")) == ("u-mayor", "")
    await client.directory()
    assert [name for name, _ in stand_in.asked] == ["ListOrganisations", "ListPositions"]


async def test_a_ttl_of_zero_asks_org_every_time(stand_in):
    org = OrgClient(stand_in.address, StaticToken("t"), ttl_seconds=0)
    try:
        await org.directory()
        await org.directory()
    finally:
        await org.close()
    assert [name for name, _ in stand_in.asked].count("ListPositions") == 2


async def test_A10_who_may_act_on_a_day_asks_for_noon_of_that_day_in_china(client, stand_in):
    acting = await client.who_may_act("mayor", day=date(2026, 12, 2), holder_user_id="u-mayor")
    assert (acting.acting_user_id, acting.holder_away, acting.basis) == ("u-evm", True, "A10")
    asked = stand_in.asked[-1][1]
    assert asked.holder_user_id == "u-mayor"
    assert asked.at.ToJsonString() == "2026-12-02T04:00:00Z"  # 12:00 in China
    await client.who_may_act("mayor")
    assert not stand_in.asked[-1][1].HasField("at")  # today, as org sees it


async def test_org_failures_become_not_found_refused_or_unavailable(client):
    with pytest.raises(NotFound, match="vacant"):
        await client.who_may_act("secretary-general")
    with pytest.raises(OrgRefused, match="2 holders") as refused:
        await client.who_may_act("vice-mayor")
    assert refused.value.code == code_pb2.UNAVAILABLE  # unless the caller handles it
    with pytest.raises(OrgUnavailable, match="PERMISSION_DENIED"):
        await client.who_may_act("county-head")


async def test_org_down_or_no_client_secret_is_unavailable(stand_in):
    down = OrgClient("127.0.0.1:1", StaticToken("t"), timeout=2)
    no_secret = OrgClient(stand_in.address, None)
    try:
        with pytest.raises(OrgUnavailable, match="UNAVAILABLE"):
            await down.directory()
        with pytest.raises(OrgUnavailable, match="no client secret"):
            await no_secret.who_may_act("mayor")
    finally:
        await down.close()
        await no_secret.close()


async def test_A8_portfolio_holder_of_the_organisation_else_of_the_first_matter_covered(client, stand_in):
    leader = await client.portfolio_holder(organisation_code="anyue-county", matters=("", "安全生产"))
    assert leader == "u-vm1"
    asked = [(r.organisation_code, r.matter) for name, r in stand_in.asked if name == "FindPortfolioHolder"]
    assert asked == [("anyue-county", ""), ("", "安全生产")]
    assert await client.portfolio_holder(matters=("教育",)) is None
