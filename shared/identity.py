"""Who is calling: Keycloak access tokens verified offline and turned into an `Actor`.

A service never asks Keycloak about each request (no introspection). It fetches the
realm's public keys (JWKS) once, caches them, and checks every token locally:
RS256 signature only, exact issuer, its own client id in `aud`, expiry, `typ`.
When a token names a key id (kid) the cache does not know, Keycloak has probably
rotated its keys, so the key set is fetched again — but at most once per
`min_refetch_interval`, so tokens with made-up key ids cannot flood Keycloak.

Token → Actor (see the identity contract in the team brief):
- positions (职务)   = realm_access.roles minus Keycloak's own default roles;
- permissions        = resource_access[<this API's client id>].roles;
- organisation (机关) = first entry of the `groups` claim, leading slash removed;
- is_service         = a client-credentials token of a service account: the token's `client_id`
                       claim equals its `azp`. Keycloak writes `client_id` (from the user-session
                       note of the service_account scope) only into the session of a client-credentials
                       grant, never into a person's; the username plays no part, so a person named
                       "service-account-…" is still a person.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import json
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from shared.https import trust
import jwt
from jwt import PyJWK
from jwt.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWKError,
    PyJWTError,
)

from zgov.common.v1 import common_pb2

# The only signature algorithm accepted. An allow-list, so "none", HS256 signed with
# the public key, and every other algorithm confusion are refused before any key is used.
ALLOWED_ALGORITHMS = ("RS256",)

# Realm roles Keycloak gives everyone; they are not positions.
_KEYCLOAK_DEFAULT_ROLES = frozenset({"offline_access", "uma_authorization"})
_DEFAULT_ROLES_PREFIX = "default-roles-"


class InvalidToken(Exception):
    """The access token is missing, malformed, forged, expired or not meant for this API."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class KeySetUnavailable(InvalidToken):
    """The realm's key set could not be fetched, so the token could not be checked.

    Kept apart from a bad token: the caller did nothing wrong, Keycloak is unreachable
    (a server maps this to UNAVAILABLE, not UNAUTHENTICATED).
    """


@dataclass(frozen=True)
class Actor:
    """An authenticated caller: a person holding positions, or another service."""

    user_id: str
    username: str
    display_name: str = ""
    positions: frozenset[str] = frozenset()
    organisation_code: str = ""
    # Client roles of this API held by the caller (e.g. "leave:approve").
    permissions: frozenset[str] = frozenset()
    is_service: bool = False
    # The Keycloak client the token was issued to (azp), e.g. "zgov-cli" or "documents".
    client_id: str = ""
    # Set when the actor acts as the acting holder (代行) of an absent one (A10, A59).
    on_behalf_of_user_id: str | None = None
    on_behalf_of_position: str | None = None

    def holds(self, position: str) -> bool:
        return position in self.positions

    def may(self, permission: str) -> bool:
        return permission in self.permissions

    def acting_for(self, user_id: str, position: str) -> Actor:
        """The same person, now acting in place of the absent holder of `position`."""
        return dataclasses.replace(self, on_behalf_of_user_id=user_id, on_behalf_of_position=position)

    def to_proto(self) -> common_pb2.Actor:
        return common_pb2.Actor(
            user_id=self.user_id,
            username=self.username,
            display_name=self.display_name,
            positions=sorted(self.positions),
            organisation_code=self.organisation_code,
            on_behalf_of_user_id=self.on_behalf_of_user_id or "",
            on_behalf_of_position=self.on_behalf_of_position or "",
        )


def actor_from_claims(claims: Mapping[str, Any], audience: str) -> Actor:
    """Map verified access-token claims to an Actor (no checks here: verify first)."""
    realm_roles = (claims.get("realm_access") or {}).get("roles") or []
    client_roles = ((claims.get("resource_access") or {}).get(audience) or {}).get("roles") or []
    username = claims.get("preferred_username") or ""
    return Actor(
        user_id=claims.get("sub") or "",
        username=username,
        display_name=_display_name(claims) or username,
        positions=frozenset(_positions(realm_roles)),
        organisation_code=_organisation(claims.get("groups") or []),
        permissions=frozenset(client_roles),
        is_service=is_service_account(claims),
        client_id=claims.get("azp") or "",
    )


def is_service_account(claims: Mapping[str, Any]) -> bool:
    """A client-credentials token: the service-account flag (`client_id`) names the token's own client (azp).

    Decided from what Keycloak alone writes, never from the username (a person could pick any)."""
    client = claims.get("azp") or ""
    return bool(client) and claims.get("client_id") == client


def _display_name(claims: Mapping[str, Any]) -> str:
    # Chinese order is family name first, with no space (王 + 建国 = 王建国); Keycloak's `name`
    # claim always puts the given name first ("建国 王"), so it is only the fallback.
    family, given = claims.get("family_name") or "", claims.get("given_name") or ""
    return f"{family}{given}" if family and given else claims.get("name") or ""


def _positions(realm_roles: Iterable[str]) -> Iterable[str]:
    for role in realm_roles:
        if role in _KEYCLOAK_DEFAULT_ROLES or role.startswith(_DEFAULT_ROLES_PREFIX):
            continue
        yield role


def _organisation(groups: list[str]) -> str:
    # Groups are flat, so the first one is the organisation; a full-path mapper
    # would send "/justice-bureau", hence the strip.
    return groups[0].lstrip("/") if groups else ""


def realm_issuer(keycloak_url: str, realm: str) -> str:
    return f"{keycloak_url.rstrip('/')}/realms/{realm}"


def jwks_url_of(issuer: str) -> str:
    return f"{issuer}/protocol/openid-connect/certs"


class TokenVerifier:
    """Verifies a realm's access tokens for one API (audience = the API's client id).

    `await verify(token)` returns the Actor or raises InvalidToken. Safe to share by
    all requests of a server; the key set and recently verified tokens are cached.
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        *,
        leeway: float = 10.0,
        min_refetch_interval: float = 30.0,
        max_key_age: float = 3600.0,
        http_timeout: float = 5.0,
        cache_size: int = 4096,
    ):
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url or jwks_url_of(issuer)
        self.leeway = leeway
        # Rate limit of key-set fetches triggered by unknown key ids.
        self.min_refetch_interval = min_refetch_interval
        # Keys are fetched again after this long even without an unknown kid, so a
        # key Keycloak has withdrawn stops being accepted.
        self.max_key_age = max_key_age
        self._http_timeout = http_timeout
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None  # monotonic time of the last fetch attempt
        self._fetch_lock = asyncio.Lock()
        self.fetch_count = 0
        # token → (actor, exp), least recently used first. A token is immutable and its signature
        # was checked, so a repeat only needs its expiry checked again; saves an RSA verify per call.
        self._verified: OrderedDict[str, tuple[Actor, float]] = OrderedDict()
        self._cache_size = cache_size

    async def verify(self, token: str) -> Actor:
        if not token:
            raise InvalidToken("no access token")
        cached = self._verified.get(token)
        if cached is not None:
            actor, exp = cached
            if time.time() < exp + self.leeway:
                self._verified.move_to_end(token)  # a busy caller's token stays cached
                return actor
            del self._verified[token]
            raise InvalidToken("token expired")
        claims = await self.verify_claims(token)
        actor = actor_from_claims(claims, self.audience)
        self._remember(token, actor, float(claims["exp"]))
        return actor

    async def verify_claims(self, token: str) -> dict[str, Any]:
        """The token's claims after every check passed; InvalidToken otherwise."""
        header = _unverified_header(token)
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise InvalidToken(f"signature algorithm {alg!r} is not allowed (only RS256)")
        kid = header.get("kid")
        if not kid:
            raise InvalidToken("token header names no key id (kid)")
        key = await self._key_for(kid)
        claims = _decode(token, key, self.issuer, self.audience, self.leeway)
        if claims.get("typ") != "Bearer":
            raise InvalidToken(f"token type {claims.get('typ')!r} is not an access token (Bearer)")
        return claims

    async def refresh(self) -> None:
        """Fetch the key set now (e.g. at start-up, so the first call does not wait)."""
        async with self._fetch_lock:
            await self._fetch()

    async def _key_for(self, kid: str) -> PyJWK:
        key = self._keys.get(kid)
        if key is not None and not self._keys_too_old():
            return key
        async with self._fetch_lock:
            # Another request may have fetched while this one waited for the lock.
            key = self._keys.get(kid)
            if key is not None and not self._keys_too_old():
                return key
            if self._may_refetch() or self._keys_too_old():
                await self._fetch()
                key = self._keys.get(kid)
        if key is None and not self._keys:
            raise KeySetUnavailable(f"no signing keys fetched yet from {self.jwks_url}")
        if key is None:
            raise InvalidToken(f"token signed with an unknown key (kid {kid!r})")
        return key

    def _may_refetch(self) -> bool:
        if self._fetched_at is None:
            return True
        # Without any key (Keycloak was down at start) try again sooner, still bounded.
        interval = self.min_refetch_interval if self._keys else min(1.0, self.min_refetch_interval)
        return time.monotonic() - self._fetched_at >= interval

    def _keys_too_old(self) -> bool:
        return self._fetched_at is not None and time.monotonic() - self._fetched_at >= self.max_key_age

    async def _fetch(self) -> None:
        # Counted as an attempt even when it fails, so an unreachable Keycloak is not
        # asked again on every request either.
        self._fetched_at = time.monotonic()
        self.fetch_count += 1
        try:
            async with httpx.AsyncClient(timeout=self._http_timeout, verify=trust()) as http:
                response = await http.get(self.jwks_url)
                response.raise_for_status()
                document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            if self._keys:
                return  # keep the keys we have; the next unknown kid tries again later
            raise KeySetUnavailable(f"cannot fetch the realm's keys from {self.jwks_url}: {exc}") from exc
        self._keys = _signing_keys(document)

    def _remember(self, token: str, actor: Actor, exp: float) -> None:
        if len(self._verified) >= self._cache_size:
            self._verified.popitem(last=False)  # the least recently used
        self._verified[token] = (actor, exp)


def _unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, read only to pick the algorithm and key; jwt.decode checks it strictly.

    Parsed here rather than by jwt.get_unverified_header, which validates the whole
    token character by character in Python (about half the cost of a verification).
    """
    if token.count(".") != 2:
        raise InvalidToken("malformed token: not three dot-separated segments")
    segment = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise InvalidToken(f"malformed token header: {exc}") from exc
    if not isinstance(header, dict):
        raise InvalidToken("malformed token header: not a JSON object")
    return header


def _decode(token: str, key: PyJWK, issuer: str, audience: str, leeway: float) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            key.key,
            algorithms=list(ALLOWED_ALGORITHMS),
            issuer=issuer,
            audience=audience,
            leeway=leeway,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except ExpiredSignatureError as exc:
        raise InvalidToken("token expired") from exc
    except ImmatureSignatureError as exc:
        raise InvalidToken("token not valid yet (nbf/iat in the future)") from exc
    except InvalidIssuerError as exc:
        raise InvalidToken(f"token issued by another issuer (expected {issuer})") from exc
    except InvalidAudienceError as exc:
        raise InvalidToken(f"token not meant for this API (audience {audience!r} missing)") from exc
    except InvalidSignatureError as exc:
        raise InvalidToken("token signature does not verify") from exc
    except MissingRequiredClaimError as exc:
        raise InvalidToken(f"token lacks the {exc.claim!r} claim") from exc
    except InvalidIssuedAtError as exc:
        raise InvalidToken("token has a malformed iat claim") from exc
    except DecodeError as exc:
        raise InvalidToken(f"malformed token: {exc}") from exc
    except PyJWTError as exc:
        raise InvalidToken(f"invalid token: {exc}") from exc


def _signing_keys(document: Mapping[str, Any]) -> dict[str, PyJWK]:
    """RSA signature keys of a JWKS document by kid; encryption keys and others skipped."""
    keys: dict[str, PyJWK] = {}
    for data in document.get("keys") or []:
        if data.get("kty") != "RSA" or data.get("use", "sig") != "sig" or not data.get("kid"):
            continue
        if data.get("alg", "RS256") not in ALLOWED_ALGORITHMS:
            continue
        try:
            keys[data["kid"]] = PyJWK(data, algorithm="RS256")
        except PyJWKError:
            continue  # one unusable key must not take the others down
    return keys
