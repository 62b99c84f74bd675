"""Offline verification of access tokens against keys served by a real local HTTP server."""

import asyncio
import dataclasses
import time

import jwt
import pytest

from shared.identity import Actor, InvalidToken, KeySetUnavailable, TokenVerifier, actor_from_claims
from tests.fixtures.local_issuer import LocalIssuer, unsigned_token


def verifier_for(issuer: LocalIssuer, **kwargs) -> TokenVerifier:
    return TokenVerifier(issuer.issuer, "org", issuer.jwks_url, **kwargs)


async def test_valid_token_becomes_actor_with_positions_permissions_and_organisation(local_issuer):
    token = local_issuer.token_for(
        "vice-mayor-li",
        permissions=["leave:approve", "positions:read"],
        positions=["vice-mayor"],
        groups=["/general-office", "finance-bureau"],
        name="李副市长",
    )
    actor = await verifier_for(local_issuer).verify(token)
    assert actor.username == "vice-mayor-li"
    assert actor.display_name == "李副市长"
    # Keycloak's default realm roles are not positions.
    assert actor.positions == frozenset({"vice-mayor"})
    assert actor.permissions == frozenset({"leave:approve", "positions:read"})
    assert actor.organisation_code == "general-office"
    assert actor.is_service is False
    assert actor.client_id == "zgov-cli"
    assert actor.user_id and actor.may("leave:approve") and not actor.may("roster:write")


async def test_permissions_are_only_this_apis_client_roles(local_issuer):
    token = local_issuer.token_for("clerk", audience=["org", "documents"], permissions=["documents:draft"])
    actor = await verifier_for(local_issuer).verify(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["resource_access"]["org"]["roles"] = ["positions:read"]
    assert actor_from_claims(claims, "org").permissions == {"positions:read"}
    assert actor_from_claims(claims, "documents").permissions == {"documents:draft"}
    assert actor.username == "clerk"


async def test_service_account_token_is_a_service_actor(local_issuer):
    local_issuer.add_client("documents", "s3cret", {"org": ["acting:read"]})
    actor = await verifier_for(local_issuer).verify(local_issuer.service_token("documents"))
    assert actor.is_service
    assert actor.client_id == "documents"
    assert actor.positions == frozenset()
    assert actor.permissions == {"acting:read"}


@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"iss": "http://127.0.0.1:1/realms/zgov"}, "another issuer"),
        ({"aud": ["documents", "account"]}, "not meant for this API"),
        # times relative to when the test runs (parameters are made at collection, minutes earlier)
        ({"exp": -60}, "expired"),
        ({"iat": +600}, "not valid yet"),
        ({"nbf": +600}, "not valid yet"),
        ({"typ": "ID"}, "not an access token"),
        ({"typ": None}, "not an access token"),
        ({"exp": None}, "'exp' claim"),
        ({"sub": None}, "'sub' claim"),
    ],
)
async def test_bad_claims_are_refused(local_issuer, overrides, reason):
    overrides = {
        k: int(time.time()) + v if k in ("exp", "iat", "nbf") and v is not None else v
        for k, v in overrides.items()
    }
    token = local_issuer.token_for("mayor", permissions=["leave:approve"], **overrides)
    with pytest.raises(InvalidToken, match=reason):
        await verifier_for(local_issuer).verify(token)


async def test_issuer_must_match_exactly(local_issuer):
    token = local_issuer.token_for("mayor", iss=local_issuer.issuer + "/")
    with pytest.raises(InvalidToken, match="another issuer"):
        await verifier_for(local_issuer).verify(token)


async def test_expiry_within_leeway_is_accepted_and_beyond_refused(local_issuer):
    token = local_issuer.token_for("mayor", exp=int(time.time()) - 5)
    await verifier_for(local_issuer, leeway=10).verify(token)
    with pytest.raises(InvalidToken, match="expired"):
        await verifier_for(local_issuer, leeway=0).verify(token)


async def test_cached_token_still_expires(local_issuer):
    verifier = verifier_for(local_issuer, leeway=0)
    token = local_issuer.token_for("mayor", expires_in=2)
    await verifier.verify(token)  # cached from here on
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    await asyncio.sleep(exp - time.time() + 0.1)
    with pytest.raises(InvalidToken, match="expired"):
        await verifier.verify(token)


async def test_verified_tokens_cache_keeps_the_recently_used_and_drops_the_least_recently_used(local_issuer):
    checked: list[str] = []

    class Counting(TokenVerifier):
        async def verify_claims(self, token):
            checked.append(token)
            return await super().verify_claims(token)

    verifier = Counting(local_issuer.issuer, "org", local_issuer.jwks_url, cache_size=2)
    busy, idle, new = (local_issuer.token_for(u) for u in ("mayor", "evm", "office-staff"))
    for token in (busy, idle, busy, new):  # busy used again before new comes: idle is the least recent
        await verifier.verify(token)
    checked.clear()
    await verifier.verify(busy)
    await verifier.verify(idle)
    assert checked == [idle]


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", "ES256", "PS256"])
async def test_only_rs256_is_accepted(local_issuer, alg):
    claims = jwt.decode(local_issuer.token_for("mayor"), options={"verify_signature": False})
    verifier = verifier_for(local_issuer)
    with pytest.raises(InvalidToken, match="not allowed"):
        await verifier.verify(unsigned_token(claims, alg=alg, kid=local_issuer.keys[0][0]))
    # Refused before any key was looked up.
    assert local_issuer.jwks_requests == 0


async def test_hs256_signed_with_the_public_key_is_refused(local_issuer):
    # The classic algorithm-confusion attack: HMAC keyed with the RSA public key.
    jwk = local_issuer.jwks()["keys"][0]
    claims = jwt.decode(local_issuer.token_for("mayor"), options={"verify_signature": False})
    forged = jwt.encode(
        claims, (jwk["n"] + jwk["e"]).encode() * 2, algorithm="HS256", headers={"kid": jwk["kid"]}
    )
    with pytest.raises(InvalidToken, match="'HS256' is not allowed"):
        await verifier_for(local_issuer).verify(forged)


async def test_token_signed_by_another_key_with_a_known_kid_is_refused(local_issuer):
    other = LocalIssuer()
    claims = jwt.decode(local_issuer.token_for("mayor"), options={"verify_signature": False})
    forged = other.sign(claims, kid=local_issuer.keys[0][0])
    with pytest.raises(InvalidToken, match="signature does not verify"):
        await verifier_for(local_issuer).verify(forged)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "Bearer x.y.z"])
async def test_malformed_tokens_are_refused(local_issuer, token):
    with pytest.raises(InvalidToken):
        await verifier_for(local_issuer).verify(token)


async def test_key_set_is_cached(local_issuer):
    verifier = verifier_for(local_issuer)
    for username in ("mayor", "vice-mayor-li", "clerk"):
        await verifier.verify(local_issuer.token_for(username))
    assert local_issuer.jwks_requests == 1


async def test_unknown_kid_refetches_key_set_after_rotation(local_issuer):
    verifier = verifier_for(local_issuer, min_refetch_interval=0.2)
    await verifier.verify(local_issuer.token_for("mayor"))
    await asyncio.sleep(0.25)
    local_issuer.rotate()
    actor = await verifier.verify(local_issuer.token_for("vice-mayor-li"))
    assert actor.username == "vice-mayor-li"
    assert local_issuer.jwks_requests == 2


async def test_rotation_right_after_a_fetch_waits_for_the_rate_limit(local_issuer):
    # A long interval, then the clock of the last fetch moved back: no sleeping, so a loaded
    # machine cannot let the interval pass by accident between the two calls.
    verifier = verifier_for(local_issuer, min_refetch_interval=60)
    await verifier.verify(local_issuer.token_for("mayor"))
    local_issuer.rotate()
    token = local_issuer.token_for("vice-mayor-li")
    with pytest.raises(InvalidToken, match="unknown key"):
        await verifier.verify(token)
    verifier._fetched_at -= 61
    assert (await verifier.verify(token)).username == "vice-mayor-li"


async def test_garbage_kids_do_not_hammer_keycloak(local_issuer):
    verifier = verifier_for(local_issuer, min_refetch_interval=60)
    await verifier.verify(local_issuer.token_for("mayor"))
    claims = jwt.decode(local_issuer.token_for("mayor"), options={"verify_signature": False})
    garbage = [local_issuer.sign(claims, kid=f"garbage-{i}") for i in range(50)]
    results = await asyncio.gather(*(verifier.verify(t) for t in garbage), return_exceptions=True)
    assert all(isinstance(r, InvalidToken) and "unknown key" in r.reason for r in results)
    # The first fetch only; 50 unknown kids within the interval trigger no refetch.
    assert local_issuer.jwks_requests == 1


async def test_concurrent_first_requests_fetch_the_key_set_once(local_issuer):
    verifier = verifier_for(local_issuer)
    tokens = [local_issuer.token_for(f"user{i}") for i in range(20)]
    actors = await asyncio.gather(*(verifier.verify(t) for t in tokens))
    assert {a.username for a in actors} == {f"user{i}" for i in range(20)}
    assert local_issuer.jwks_requests == 1


async def test_unreachable_key_set_is_reported_apart_from_a_bad_token(local_issuer):
    token = local_issuer.token_for("mayor")
    verifier = TokenVerifier(local_issuer.issuer, "org", "http://127.0.0.1:9/certs", http_timeout=1)
    with pytest.raises(KeySetUnavailable, match="cannot fetch"):
        await verifier.verify(token)


def test_actor_to_proto_records_both_names_when_acting():
    actor = Actor(
        user_id="u1",
        username="evm",
        display_name="常务副市长",
        positions=frozenset({"executive-vice-mayor"}),
        organisation_code="general-office",
        permissions=frozenset({"leave:approve"}),
    )
    acting = actor.acting_for("u0", "mayor")
    proto = acting.to_proto()
    assert proto.user_id == "u1" and proto.positions == ["executive-vice-mayor"]
    assert proto.on_behalf_of_user_id == "u0" and proto.on_behalf_of_position == "mayor"
    assert actor.to_proto().on_behalf_of_user_id == ""
    with pytest.raises(dataclasses.FrozenInstanceError):
        actor.username = "x"


async def test_keycloak_down_at_start_is_retried_soon_but_not_per_request(local_issuer):
    local_issuer.unavailable = True
    verifier = verifier_for(local_issuer, min_refetch_interval=60)
    token = local_issuer.token_for("mayor")
    for _ in range(5):
        with pytest.raises(KeySetUnavailable):
            await verifier.verify(token)
    assert local_issuer.jwks_requests == 1
    local_issuer.unavailable = False
    await asyncio.sleep(1.05)
    assert (await verifier.verify(token)).username == "mayor"
    assert local_issuer.jwks_requests == 2


def test_display_name_is_family_name_then_given_name_as_in_chinese():
    # Keycloak's `name` claim is "given family" ("建国 王"); people read 王建国.
    claims = {
        "sub": "u1",
        "preferred_username": "mayor",
        "name": "建国 王",
        "family_name": "王",
        "given_name": "建国",
    }
    assert actor_from_claims(claims, "org").display_name == "王建国"
    assert actor_from_claims({"sub": "u2", "name": "Clerk"}, "org").display_name == "Clerk"


async def test_a_person_named_like_a_service_account_is_not_a_service(local_issuer):
    # A username is chosen by whoever registers; it never makes a caller a service.
    token = local_issuer.token_for("service-account-documents", positions=["citizen"])
    actor = await verifier_for(local_issuer).verify(token)
    assert not actor.is_service and actor.username == "service-account-documents"


@pytest.mark.parametrize(
    "claims, service",
    [
        ({"azp": "documents", "client_id": "documents"}, True),
        (
            {"azp": "documents"},
            False,
        ),  # a person's token through a service's client (no service-account flag)
        ({"azp": "zgov-cli", "client_id": "documents"}, False),  # the flag names another client
        ({"azp": "", "client_id": ""}, False),
        ({"azp": "portal", "client_id": "portal", "preferred_username": "citizen"}, True),
        ({"azp": "zgov-cli", "preferred_username": "service-account-org"}, False),
    ],
)
def test_service_is_decided_by_azp_and_the_service_account_flag_never_by_username(claims, service):
    assert actor_from_claims({"sub": "x", **claims}, "org").is_service is service
