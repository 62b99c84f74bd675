"""Client-credentials tokens for service-to-service calls, against a real local token endpoint."""

import asyncio

import grpc
import pytest

from shared.config import settings_for
from shared.grpc_server import GrpcServer
from shared.identity import TokenVerifier
from shared.rpc_auth import current_actor, requires
from shared.service_auth import ClientCredentials, StaticToken, TokenUnavailable, bearer_metadata, channel_to
from zgov.org.v1 import org_pb2, org_pb2_grpc


class OrgWhoMayAct(org_pb2_grpc.OrgServiceServicer):
    @requires("acting:read")
    async def WhoMayAct(self, request, context):
        # Reports who called, so the test sees which token arrived.
        actor = current_actor()
        return org_pb2.WhoMayActResponse(
            position=request.position,
            acting_user_id=actor.username,
            basis="service" if actor.is_service else "person",
        )


@pytest.fixture
async def org_address(local_issuer):
    verifier = TokenVerifier(local_issuer.issuer, "org", local_issuer.jwks_url)
    async with GrpcServer([OrgWhoMayAct()], verifier=verifier, drain_delay=0) as server:
        yield server.address


def documents_credentials(local_issuer, **kwargs) -> ClientCredentials:
    local_issuer.add_client("documents", "documents-secret", {"org": ["acting:read", "positions:read"]})
    return ClientCredentials(local_issuer.token_url, "documents", "documents-secret", **kwargs)


async def test_token_is_fetched_once_and_cached(local_issuer):
    tokens = documents_credentials(local_issuer)
    first = await tokens.token()
    assert await tokens.token() == first
    assert local_issuer.token_requests == 1


async def test_concurrent_callers_share_one_fetch(local_issuer):
    tokens = documents_credentials(local_issuer)
    local_issuer.token_delay = 0.3
    results = await asyncio.gather(*(tokens.token() for _ in range(20)))
    assert len(set(results)) == 1
    assert local_issuer.token_requests == 1


async def test_token_is_refreshed_shortly_before_it_expires(local_issuer):
    local_issuer.token_lifetime = 6  # refreshed after half of it, 3 s
    tokens = documents_credentials(local_issuer, refresh_margin=30)
    first = await tokens.token()
    await asyncio.sleep(0.1)
    assert await tokens.token() == first
    await asyncio.sleep(3.1)
    second = await tokens.token()
    assert second != first
    assert local_issuer.token_requests == 2


async def test_invalidate_forces_a_new_token(local_issuer):
    tokens = documents_credentials(local_issuer)
    await tokens.token()
    tokens.invalidate()
    await tokens.token()
    assert local_issuer.token_requests == 2


async def test_wrong_secret_is_a_clear_error(local_issuer):
    documents_credentials(local_issuer)
    tokens = ClientCredentials(local_issuer.token_url, "documents", "wrong")
    with pytest.raises(TokenUnavailable, match="refused client 'documents': 401 Invalid client"):
        await tokens.token()


async def test_unreachable_token_endpoint_is_a_clear_error():
    tokens = ClientCredentials(
        "http://127.0.0.1:9/realms/zgov/protocol/openid-connect/token", "documents", "x", timeout=1
    )
    with pytest.raises(TokenUnavailable, match="cannot reach"):
        await tokens.token()


def test_from_settings_needs_the_secret():
    settings = dict(
        database_url="postgresql+asyncpg://u@h/db",
        nats_url="nats://h:4222",
        keycloak_url="http://127.0.0.1:8080/",
        grpc_port=50051,
    )
    with pytest.raises(TokenUnavailable, match="ZGOV_CLIENT_SECRET"):
        ClientCredentials.from_settings(settings_for("documents", **settings))
    tokens = ClientCredentials.from_settings(settings_for("documents", client_secret="s", **settings))
    assert tokens.token_url == "http://127.0.0.1:8080/realms/zgov/protocol/openid-connect/token"
    assert tokens.client_id == "documents"


async def test_channel_calls_carry_the_service_token(local_issuer, org_address):
    tokens = documents_credentials(local_issuer)
    async with channel_to(org_address, tokens) as channel:
        stub = org_pb2_grpc.OrgServiceStub(channel)
        for _ in range(3):
            answer = await stub.WhoMayAct(org_pb2.WhoMayActRequest(position="mayor"))
    assert answer.acting_user_id == "service-account-documents" and answer.basis == "service"
    assert local_issuer.token_requests == 1


async def test_service_without_the_callee_permission_is_denied(local_issuer, org_address):
    local_issuer.add_client("petitions", "petitions-secret", {"org": ["positions:read"]})
    tokens = ClientCredentials(local_issuer.token_url, "petitions", "petitions-secret")
    async with channel_to(org_address, tokens) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await org_pb2_grpc.OrgServiceStub(channel).WhoMayAct(org_pb2.WhoMayActRequest(position="mayor"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED and "acting:read" in err.value.details()


async def test_a_token_passed_on_in_the_call_wins(local_issuer, org_address):
    user_token = local_issuer.token_for("office-staff", permissions=["acting:read"])
    async with channel_to(org_address, documents_credentials(local_issuer)) as channel:
        answer = await org_pb2_grpc.OrgServiceStub(channel).WhoMayAct(
            org_pb2.WhoMayActRequest(position="mayor"), metadata=bearer_metadata(user_token)
        )
    assert answer.acting_user_id == "office-staff" and answer.basis == "person"
    assert local_issuer.token_requests == 0


async def test_static_token_source(local_issuer, org_address):
    token = local_issuer.token_for("evm", permissions=["acting:read"])
    async with channel_to(org_address, StaticToken(token)) as channel:
        answer = await org_pb2_grpc.OrgServiceStub(channel).WhoMayAct(
            org_pb2.WhoMayActRequest(position="mayor")
        )
    assert answer.acting_user_id == "evm"
