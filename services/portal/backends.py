"""The services behind the portal, over gRPC.

Calls carry either the logged-in citizen's own access token (forwarded) or, for a visitor
without an account, the portal's service-account token (client credentials, cached). Errors come
back as `BackendError` with the gRPC code and the field violations, for the pages to explain.

Back-off: when a call finds a gRPC service (e.g. disclosure's PublicationService) down (UNAVAILABLE),
the portal's own calls to that whole service (anonymous visitors' pages) fail at once with UNAVAILABLE for
`backend_backoff_seconds` (3 s) instead of each waiting up to the deadline; when a call gets no answer
before the deadline (DEADLINE_EXCEEDED), only that method backs off: one slow search must not stop
the home page's latest publications or a publication's page, which the same service still answers.
A failing backend gets at most one such call per back-off and page (caching.py renders one at a
time), and citizens get the stale or incomplete page at once. The first call after the back-off
tries again; a citizen's own call (his token) always tries, and its success ends the back-off of its
method and of its service.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import grpc

from services.portal.config import PortalSettings
from shared.errors import field_violations_of
from shared.logging import get_logger
from shared.service_auth import ClientCredentials, TokenUnavailable, bearer_metadata
from zgov.disclosure.v1 import complaints_pb2_grpc
from zgov.notify.v1 import notify_pb2, notify_pb2_grpc
from zgov.org.v1 import org_pb2, org_pb2_grpc
from zgov.petitions.v1 import petitions_pb2_grpc, reconsiderations_pb2_grpc

try:  # the disclosure contracts are being written while the portal is: pages appear when they land
    from zgov.disclosure.v1 import publications_pb2_grpc
except ImportError:  # pragma: no cover - depends on what has landed
    publications_pb2_grpc = None
try:
    from zgov.disclosure.v1 import applications_pb2_grpc
except ImportError:  # pragma: no cover
    applications_pb2_grpc = None

log = get_logger(__name__)
# Failures that say the service is not answering (as opposed to answering no): down, the whole
# service backs off; no answer in time, only the method that timed out (a slow query of one kind).
DOWN = grpc.StatusCode.UNAVAILABLE
TOO_SLOW = grpc.StatusCode.DEADLINE_EXCEEDED
# A petition goes out with its files (at most 20 MiB in all, uploads.py) and one file comes back at a
# time (at most 10 MiB); gRPC's default limit is 4 MiB.
CHANNEL_OPTIONS = (
    ("grpc.max_send_message_length", 24 * 1024 * 1024),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
)


@dataclass
class BackendError(Exception):
    code: grpc.StatusCode
    fields: dict[str, str] = field(default_factory=dict)
    message: str = ""

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


class Backends:
    def __init__(self, settings: PortalSettings):
        self.timeout = settings.backend_timeout
        self.backoff = settings.backend_backoff_seconds
        # a gRPC service ("pkg.Service") or method ("/pkg.Service/Method") → time.monotonic() its
        # back-off ends
        self._backing_off: dict[str, float] = {}
        secret = settings.client_secret.get_secret_value() if settings.client_secret else ""
        self.tokens = ClientCredentials.from_settings(settings) if secret else None
        self._addresses = (settings.petitions_address, settings.org_address, settings.disclosure_address)
        self._notify_address = settings.notify_address
        self._channels: list[grpc.aio.Channel] = []
        self.petitions = self.org = self.publications = self.applications = self.complaints = None
        # citizens' consent to be told of their own cases (consent_pages.py); None: not offered
        self.notify = None
        self._organisations: dict[str, str] = {}
        self._organisations_at = 0.0
        self._consent_terms: notify_pb2.CitizenConsentTerms | None = None
        self._consent_terms_at = 0.0

    @property
    def has_publications(self) -> bool:
        return publications_pb2_grpc is not None

    @property
    def has_applications(self) -> bool:
        return applications_pb2_grpc is not None

    async def open(self) -> None:
        """Channels are made in the server's event loop (at startup), where they will be used."""
        self._channels = [grpc.aio.insecure_channel(a, options=CHANNEL_OPTIONS) for a in self._addresses]
        petitions, org, disclosure = self._channels
        self.petitions = petitions_pb2_grpc.PetitionsServiceStub(petitions)
        # Administrative reconsideration (A69) is served beside the petitions (reconsideration_pages.py).
        self.reconsiderations = reconsiderations_pb2_grpc.ReconsiderationServiceStub(petitions)
        self.org = org_pb2_grpc.OrgServiceStub(org)
        if self.has_publications:
            self.publications = publications_pb2_grpc.PublicationServiceStub(disclosure)
        if self.has_applications:
            self.applications = applications_pb2_grpc.ApplicationServiceStub(disclosure)
        self.complaints = complaints_pb2_grpc.ComplaintServiceStub(disclosure)
        if self._notify_address:
            self._channels.append(grpc.aio.insecure_channel(self._notify_address))
            self.notify = notify_pb2_grpc.NotifyServiceStub(self._channels[-1])

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()

    async def service_token(self) -> str:
        if self.tokens is None:
            raise BackendError(grpc.StatusCode.UNAVAILABLE, message="the portal has no client secret")
        try:
            return await self.tokens.token()
        except TokenUnavailable as exc:
            log.warning("no service token", error=str(exc))
            raise BackendError(grpc.StatusCode.UNAVAILABLE, message="login service unavailable") from exc

    async def call(self, method, request, token: str | None = None):
        """`method(request)` with the citizen's token, or the portal's own when `token` is None."""
        rpc = rpc_of(method)
        service = service_of(method)
        if token is None and self._backs_off(service, rpc):
            raise BackendError(grpc.StatusCode.UNAVAILABLE, message="backing off after a failure")
        bearer = token or await self.service_token()
        try:
            reply = await method(request, metadata=bearer_metadata(bearer), timeout=self.timeout)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.UNAUTHENTICATED and token is None and self.tokens:
                self.tokens.invalidate()
            if error.code() == DOWN:
                self._back_off(service)
            elif error.code() == TOO_SLOW:
                self._back_off(rpc)
            if error.code() not in (
                grpc.StatusCode.INVALID_ARGUMENT,
                grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.PERMISSION_DENIED,
                grpc.StatusCode.FAILED_PRECONDITION,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
            ):
                log.warning("backend call failed", rpc=rpc, code=error.code().name)
            raise BackendError(error.code(), field_violations_of(error), error.details() or "") from error
        self._backing_off.pop(service, None)
        self._backing_off.pop(rpc, None)
        return reply

    def _backs_off(self, service: str, rpc: str) -> bool:
        now = time.monotonic()
        return now < self._backing_off.get(service, 0.0) or now < self._backing_off.get(rpc, 0.0)

    def _back_off(self, what: str) -> None:
        """`what`: a service (it is down) or one method (it did not answer in time)."""
        if not self.backoff:
            return
        if time.monotonic() >= self._backing_off.get(what, 0.0):
            log.warning("backend not answering: backing off", what=what, seconds=self.backoff)
        self._backing_off[what] = time.monotonic() + self.backoff

    async def organisation_names(self) -> dict[str, str]:
        """code → Chinese name of the city's organisations (from org, kept 10 minutes); {} when org
        cannot answer (pages then show no names rather than fail)."""
        if self._organisations and time.monotonic() - self._organisations_at < 600:
            return self._organisations
        try:
            reply = await self.call(self.org.ListOrganisations, org_pb2.ListOrganisationsRequest())
        except BackendError:
            return self._organisations
        self._organisations = {o.code: o.name for o in reply.organisations}
        self._organisations_at = time.monotonic()
        return self._organisations

    async def consent_terms(self) -> notify_pb2.CitizenConsentTerms | None:
        """The consent wording (its version and text) and quiet hours as notify keeps them — the portal
        keeps no copy — kept 10 minutes; None when notify is not wired or cannot answer (then no consent
        is offered: a citizen is never shown a text notify would not record)."""
        if self.notify is None:
            return None
        if self._consent_terms is not None and time.monotonic() - self._consent_terms_at < 600:
            return self._consent_terms
        try:
            terms = await self.call(
                self.notify.GetCitizenConsentTerms, notify_pb2.GetCitizenConsentTermsRequest()
            )
        except BackendError:
            return None
        self._consent_terms, self._consent_terms_at = terms, time.monotonic()
        return terms


def rpc_of(method) -> str:
    """A stub's method as gRPC names it ("/pkg.Service/Method")."""
    return getattr(method, "_method", b"").decode(errors="replace")


def service_of(method) -> str:
    """The gRPC service a stub's method belongs to ("/pkg.Service/Method" → "pkg.Service")."""
    return rpc_of(method).strip("/").partition("/")[0]
