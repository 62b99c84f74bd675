"""The identity chain against a real Keycloak with the realm of deploy/keycloak.

Tokens from Keycloak → TokenVerifier (keys fetched from the realm's JWKS) → AuthInterceptor
→ @requires on an org-shaped servicer; and a service calling org with its own
client-credentials token.
"""

import grpc
import pytest

from deploy.local.keycloak import LOCAL_TOKENS_CLIENT
from shared.grpc_server import GrpcServer
from shared.identity import TokenVerifier
from shared.rpc_auth import current_actor, requires
from shared.service_auth import ClientCredentials, bearer_metadata, channel_to
from zgov.org.v1 import org_pb2, org_pb2_grpc

pytestmark = pytest.mark.integration


class OrgForKeycloak(org_pb2_grpc.OrgServiceServicer):
    @requires("leave:approve")
    async def ApproveLeave(self, request, context):
        return org_pb2.Leave(
            id=request.leave_id, state=org_pb2.LEAVE_STATE_APPROVED, user_id=current_actor().username
        )

    @requires("acting:read")
    async def WhoMayAct(self, request, context):
        actor = current_actor()
        return org_pb2.WhoMayActResponse(
            position=request.position,
            acting_user_id=actor.username,
            basis="service" if actor.is_service else "person",
        )


@pytest.fixture
async def org_server(keycloak):
    verifier = TokenVerifier(keycloak.issuer, "org")
    async with GrpcServer([OrgForKeycloak()], verifier=verifier, drain_delay=0) as server:
        yield server


async def test_mayor_token_becomes_actor_with_position_permissions_and_organisation(keycloak):
    actor = await TokenVerifier(keycloak.issuer, "org").verify(keycloak.token_for("mayor"))
    assert actor.username == "mayor"
    assert actor.positions == {"mayor"}  # Keycloak's default roles removed
    assert {"leave:approve", "acting:read", "positions:read"} <= actor.permissions
    assert actor.organisation_code == "city-government"
    assert actor.display_name and not actor.is_service and actor.client_id == LOCAL_TOKENS_CLIENT


async def test_mayor_may_approve_leave(keycloak, org_server):
    async with grpc.aio.insecure_channel(org_server.address) as channel:
        leave = await org_pb2_grpc.OrgServiceStub(channel).ApproveLeave(
            org_pb2.ApproveLeaveRequest(leave_id="L-1"), metadata=bearer_metadata(keycloak.token_for("mayor"))
        )
    assert leave.state == org_pb2.LEAVE_STATE_APPROVED and leave.user_id == "mayor"


async def test_citizen_may_not_approve_leave(keycloak, org_server):
    async with grpc.aio.insecure_channel(org_server.address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await org_pb2_grpc.OrgServiceStub(channel).ApproveLeave(
                org_pb2.ApproveLeaveRequest(leave_id="L-1"),
                metadata=bearer_metadata(keycloak.token_for("citizen")),
            )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "leave:approve" in err.value.details()


async def test_token_not_meant_for_org_is_unauthenticated(keycloak, org_server):
    # org's own service account holds no org client role, so its token's audience lacks "org".
    token = keycloak.service_token("org")
    async with grpc.aio.insecure_channel(org_server.address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await org_pb2_grpc.OrgServiceStub(channel).WhoMayAct(
                org_pb2.WhoMayActRequest(position="mayor"), metadata=bearer_metadata(token)
            )
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "not meant for this API" in err.value.details()


async def test_disclosure_service_lacks_acting_read(keycloak, org_server):
    tokens = ClientCredentials(keycloak.token_url, "disclosure", keycloak.client_secrets["disclosure"])
    async with channel_to(org_server.address, tokens) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await org_pb2_grpc.OrgServiceStub(channel).WhoMayAct(org_pb2.WhoMayActRequest(position="mayor"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED and "acting:read" in err.value.details()


async def test_documents_service_reads_acting_holders_with_its_client_credentials(keycloak, org_server):
    tokens = ClientCredentials(keycloak.token_url, "documents", keycloak.client_secrets["documents"])
    async with channel_to(org_server.address, tokens) as channel:
        answer = await org_pb2_grpc.OrgServiceStub(channel).WhoMayAct(
            org_pb2.WhoMayActRequest(position="mayor")
        )
    assert answer.acting_user_id == "service-account-documents" and answer.basis == "service"
    assert tokens.fetch_count == 1


async def test_documents_service_may_not_approve_leave(keycloak, org_server):
    async with channel_to(
        org_server.address,
        ClientCredentials(keycloak.token_url, "documents", keycloak.client_secrets["documents"]),
    ) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await org_pb2_grpc.OrgServiceStub(channel).ApproveLeave(
                org_pb2.ApproveLeaveRequest(leave_id="L-1")
            )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
