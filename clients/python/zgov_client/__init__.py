"""Helpers for calling the platform's gRPC APIs; the stubs themselves are the `zgov` package.

Only the standard library and the generated code's own dependencies (grpcio, protobuf,
googleapis-common-protos): a department's system adds one wheel, nothing else.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

__all__ = ["connect", "error_info", "field_violations", "service_token"]


class _BearerToken(grpc.AuthMetadataPlugin):
    def __init__(self, token: str):
        self._metadata = (("authorization", f"Bearer {token}"),)

    def __call__(self, context, callback):
        callback(self._metadata, None)


def connect(
    target: str, token: str, *, tls: bool = False, root_certificates: bytes | None = None
) -> grpc.Channel:
    """A channel to one service that authenticates every call with `token`.

    Without TLS (a service reached inside the government network or a local `make up`), the token is sent
    as plain metadata; with TLS it rides on the channel's call credentials.
    """
    if tls:
        credentials = grpc.composite_channel_credentials(
            grpc.ssl_channel_credentials(root_certificates),
            grpc.metadata_call_credentials(_BearerToken(token)),
        )
        return grpc.secure_channel(target, credentials)
    channel = grpc.insecure_channel(target)
    return grpc.intercept_channel(channel, _PlainBearer(token))


class _PlainBearer(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self, token: str):
        self._header = ("authorization", f"Bearer {token}")

    def _with_token(self, details):
        return _Details(details, [*(details.metadata or ()), self._header])

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_token(details), request)


class _Details(grpc.ClientCallDetails):
    def __init__(self, details, metadata):
        self.method = details.method
        self.timeout = details.timeout
        self.metadata = metadata
        self.credentials = details.credentials
        self.wait_for_ready = details.wait_for_ready
        self.compression = getattr(details, "compression", None)


def service_token(
    keycloak_url: str, realm: str, client_id: str, client_secret: str, *, timeout: float = 10
) -> str:
    """An access token of a system's own Keycloak client (OAuth 2.0 client credentials grant)."""
    url = f"{keycloak_url.rstrip('/')}/realms/{urllib.parse.quote(realm)}/protocol/openid-connect/token"
    body = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    ).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=timeout) as reply:  # noqa: S310
        return json.load(reply)["access_token"]


def _details(error: grpc.RpcError):
    status = rpc_status.from_call(error)
    return status.details if status is not None else []


def error_info(error: grpc.RpcError) -> tuple[str, dict[str, str]] | None:
    """(reason, metadata) of the refusal's google.rpc.ErrorInfo, or None when it carries none."""
    for detail in _details(error):
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason, dict(info.metadata)
    return None


def field_violations(error: grpc.RpcError) -> dict[str, str]:
    """Field → what is wrong with it, from an INVALID_ARGUMENT's google.rpc.BadRequest."""
    out: dict[str, str] = {}
    for detail in _details(error):
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            request = error_details_pb2.BadRequest()
            detail.Unpack(request)
            out.update({v.field: v.description for v in request.field_violations})
    return out
