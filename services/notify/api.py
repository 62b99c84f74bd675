"""The notify service's gRPC surface: each RPC states its permission, reads the request (protos.py),
and reads the store or calls one act in one transaction.

Permissions are client roles of the `notify` client in Keycloak; which positions hold them is
configured there (deploy/keycloak/realm-zgov.json), not here:
  delivery:read     what was sent, to whom, when, delivered or failed (the general office)
  preferences:own   read and set one's own preferences (every official)
  citizen-consent:manage  give, withdraw and read a citizen's consent to be told of his or her own
                    case (the portal's service account, which has checked the case is the citizen's),
                    and read the terms the portal shows beside the consent box
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notify import protos
from services.notify.acts import consent as consent_acts
from services.notify.acts import preferences as acts
from services.notify.store import consent as consent_store
from services.notify.store import deliveries as store
from shared.convert import Page, decode_page_token
from shared.db import transaction
from shared.errors import InvalidInput
from shared.rpc_auth import current_actor, requires
from zgov.common.v1 import common_pb2
from zgov.notify.v1 import notify_pb2 as pb
from zgov.notify.v1 import notify_pb2_grpc


def _after(token: str) -> tuple[datetime, str] | None:
    position = decode_page_token(token)
    if not position:
        return None
    try:
        created = datetime.fromisoformat(position[0])
        row_id = str(uuid.UUID(position[1]))
    except (ValueError, IndexError) as exc:
        raise InvalidInput({"page.page_token": "not a token this list gave"}) from exc
    if created.tzinfo is None:
        raise InvalidInput({"page.page_token": "not a token this list gave"})
    return created, row_id


class NotifyServicer(notify_pb2_grpc.NotifyServiceServicer):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], now=None):
        self.sessions = sessions
        self.now = now or (lambda: datetime.now(UTC))

    @requires("delivery:read")
    async def ListDeliveries(self, request, context):
        page = Page.of(request.page)
        filters = store.Filters(
            recipient_user_id=request.recipient_user_id.strip(),
            state=protos.state_from(request.state),
            event_id=request.event_id.strip(),
        )
        after = _after(request.page.page_token)
        async with self.sessions() as session:
            rows = await store.listed(session, filters, after, page.fetch)
        rows, token = page.cut(rows, lambda r: (r.created_at.isoformat(), str(r.id)))
        return pb.ListDeliveriesResponse(
            deliveries=[protos.delivery_to_proto(r) for r in rows],
            page=common_pb2.PageResponse(next_page_token=token),
        )

    @requires("preferences:own")
    async def GetMyPreferences(self, request, context):
        actor = current_actor()
        async with self.sessions() as session:
            chosen = (await acts.of(session, [actor.user_id]))[actor.user_id]
        return protos.preferences_to_proto(chosen)

    @requires("preferences:own")
    async def SetMyPreferences(self, request, context):
        actor = current_actor()
        chosen = protos.preferences_from(request.preferences)
        async with transaction(self.sessions) as session:
            await acts.replace(session, actor, chosen)
        return protos.preferences_to_proto(chosen)

    @requires("citizen-consent:manage")
    async def GiveCitizenConsent(self, request, context):
        async with transaction(self.sessions) as session:
            row = await consent_acts.give(
                session,
                current_actor(),
                self.now(),
                protos.CASE_KINDS_FROM.get(request.case_kind),
                request.case_id,
                request.number,
                request.citizen_user_id,
                protos.consent_channels_from(request.channels),
                request.email,
                request.phone,
                request.wording,
                request.at_any_hour,
            )
            return protos.consent_to_proto(row)

    @requires("citizen-consent:manage")
    async def WithdrawCitizenConsent(self, request, context):
        kind = protos.case_kind_from(request.case_kind, request.case_id)
        async with transaction(self.sessions) as session:
            row = await consent_acts.withdraw(session, current_actor(), self.now(), kind, request.case_id)
            return protos.consent_to_proto(row, kind, request.case_id)

    @requires("citizen-consent:manage")
    async def GetCitizenConsent(self, request, context):
        kind = protos.case_kind_from(request.case_kind, request.case_id)
        async with self.sessions() as session:
            row = await consent_store.of_case(session, kind.value, request.case_id.strip())
            return protos.consent_to_proto(row, kind, request.case_id)

    @requires("citizen-consent:manage")
    async def GetCitizenConsentTerms(self, request, context):
        return protos.consent_terms_to_proto()
