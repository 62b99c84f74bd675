"""Service-to-service calls: a client-credentials token of the calling service on every call.

    tokens = ClientCredentials.from_settings(settings)          # e.g. the documents service
    async with channel_to(org_address, tokens) as channel:
        org = org_pb2_grpc.OrgServiceStub(channel)
        answer = await org.WhoMayAct(org_pb2.WhoMayActRequest(position="mayor"))

The token is the calling service's own (its Keycloak client's service account); that
account holds the client roles of the callee it needs (documents → org acting:read, …).
It is cached until shortly before it expires and fetched by one caller at a time, so
a burst of calls makes one request to Keycloak. A token already in the call's metadata
(e.g. a user's token passed on) is left as it is.

Trace context: channels opened after shared.telemetry.configure_telemetry are
instrumented by OpenTelemetry already, so nothing is added here for tracing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, Protocol

import grpc
import httpx

from shared.identity import realm_issuer
from shared.https import trust

__all__ = [
    "BearerTokenInterceptor",
    "ClientCredentials",
    "StaticToken",
    "TokenSource",
    "TokenUnavailable",
    "bearer_metadata",
    "channel_to",
    "token_url_of",
]


class TokenUnavailable(Exception):
    """Keycloak did not give the service a token (unreachable, or wrong client secret)."""


class TokenSource(Protocol):
    async def token(self) -> str: ...


def token_url_of(keycloak_url: str, realm: str) -> str:
    return f"{realm_issuer(keycloak_url, realm)}/protocol/openid-connect/token"


def bearer_metadata(token: str) -> tuple[tuple[str, str], ...]:
    """Call metadata carrying `token`, e.g. `stub.Rpc(request, metadata=bearer_metadata(t))`."""
    return (("authorization", f"Bearer {token}"),)


class StaticToken:
    """A token obtained elsewhere (a user's token passed on, a demo token, tests)."""

    def __init__(self, token: str):
        self._token = token

    async def token(self) -> str:
        return self._token


class ClientCredentials:
    """The OAuth2 client-credentials grant against the realm's token endpoint, cached."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        refresh_margin: float = 30.0,
        timeout: float = 5.0,
    ):
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        # Fetch a new token this long before the old one expires, so no call carries a
        # token that expires on its way (at most half the lifetime, for short-lived tokens).
        self.refresh_margin = refresh_margin
        self._timeout = timeout
        self._token: str | None = None
        self._refresh_at = 0.0  # monotonic time after which the cached token is not used
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> ClientCredentials:
        """The service's own client (ZGOV_CLIENT_ID / ZGOV_CLIENT_SECRET) in its realm."""
        secret = settings.client_secret.get_secret_value() if settings.client_secret else ""
        if not secret:
            raise TokenUnavailable(
                f"ZGOV_CLIENT_SECRET is not set: client {settings.client_id!r} "
                "cannot get tokens for service-to-service calls"
            )
        return cls(
            token_url_of(settings.keycloak_url, settings.keycloak_realm), settings.client_id, secret, **kwargs
        )

    async def token(self) -> str:
        if self._fresh():
            return self._token
        async with self._lock:
            # Whoever held the lock before may have fetched one already.
            if not self._fresh():
                await self._fetch()
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (e.g. after the callee answered UNAUTHENTICATED)."""
        self._token = None

    def _fresh(self) -> bool:
        return self._token is not None and time.monotonic() < self._refresh_at

    async def _fetch(self) -> None:
        self.fetch_count += 1
        started = time.monotonic()
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        try:
            async with httpx.AsyncClient(timeout=self._timeout, verify=trust()) as http:
                response = await http.post(self.token_url, data=form)
        except httpx.HTTPError as exc:
            raise TokenUnavailable(f"cannot reach the token endpoint {self.token_url}: {exc}") from exc
        if response.status_code != 200:
            raise TokenUnavailable(
                f"token endpoint refused client {self.client_id!r}: "
                f"{response.status_code} {_error_text(response)}"
            )
        body = response.json()
        lifetime = float(body.get("expires_in") or 60)
        self._token = body["access_token"]
        self._refresh_at = started + lifetime - min(self.refresh_margin, lifetime / 2)


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return body.get("error_description") or body.get("error") or str(body)[:200]


class BearerTokenInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
    grpc.aio.StreamUnaryClientInterceptor,
    grpc.aio.StreamStreamClientInterceptor,
):
    """Adds `authorization: Bearer <token>` from a token source to every call."""

    def __init__(self, source: TokenSource):
        self.source = source

    async def _with_token(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        if "authorization" not in metadata:
            metadata.add("authorization", f"Bearer {await self.source.token()}")
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )

    async def intercept_unary_unary(self, continuation, client_call_details, request):
        return await continuation(await self._with_token(client_call_details), request)

    async def intercept_unary_stream(self, continuation, client_call_details, request):
        return await continuation(await self._with_token(client_call_details), request)

    async def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return await continuation(await self._with_token(client_call_details), request_iterator)

    async def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return await continuation(await self._with_token(client_call_details), request_iterator)


def channel_to(
    target: str,
    token_source: TokenSource,
    *,
    credentials: grpc.ChannelCredentials | None = None,
    interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.aio.Channel:
    """An aio channel to `target` ("host:port") whose calls carry the source's token.

    Plain text unless `credentials` (TLS) are given: inside the cluster the network
    policies and, where used, the mesh protect the traffic.
    """
    chain = [BearerTokenInterceptor(token_source), *interceptors]
    if credentials is None:
        return grpc.aio.insecure_channel(target, options=list(options), interceptors=chain)
    return grpc.aio.secure_channel(target, credentials, options=list(options), interceptors=chain)
