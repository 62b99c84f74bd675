"""The wire of responses to public concerns (回应关切, A70): enum maps, timestamps, concern rows →
protos (in full, as events carry them, as a response's public page shows them), page cursors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from services.disclosure.domain import concerns as domain
from services.disclosure.domain.concerns import Limit, Severity, Source, State
from services.disclosure.models import PublicConcern
from shared.convert import decode_page_token
from shared.errors import InvalidInput
from zgov.disclosure.v1 import publications_pb2 as pb

SOURCE_TO_PROTO = {s: pb.ConcernSource.Value(f"CONCERN_SOURCE_{s.name}") for s in Source}
SOURCE_FROM_PROTO = {v: k for k, v in SOURCE_TO_PROTO.items()}
SEVERITY_TO_PROTO = {s: pb.ConcernSeverity.Value(f"CONCERN_SEVERITY_{s.name}") for s in Severity}
SEVERITY_FROM_PROTO = {v: k for k, v in SEVERITY_TO_PROTO.items()}
STATE_TO_PROTO = {s: pb.ConcernState.Value(f"CONCERN_STATE_{s.name}") for s in State}
LIMIT_TO_PROTO = {limit: pb.ConcernLimit.Value(f"CONCERN_LIMIT_{limit.name}") for limit in Limit}


def ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def from_ts(message, name: str) -> datetime | None:
    if not message.HasField(name):
        return None
    return getattr(message, name).ToDatetime(tzinfo=UTC)


def to_proto(row: PublicConcern, now: datetime) -> pb.Concern:
    state = State(row.state)
    return pb.Concern(
        id=str(row.id),
        source=SOURCE_TO_PROTO[Source(row.source)],
        source_detail=row.source_detail,
        summary=row.summary,
        first_seen_at=ts(row.first_seen_at),
        severity=SEVERITY_TO_PROTO[Severity(row.severity)],
        department_code=row.department_code,
        department_name=row.department_name,
        state=STATE_TO_PROTO[state],
        response_due=ts(row.response_due),
        press_conference_due=ts(row.press_conference_due),
        press_conference_at=ts(row.press_conference_at),
        findings=row.findings,
        verified_at=ts(row.verified_at),
        verified_by_name=row.verified_by_name,
        response_publication_id=str(row.response_publication_id) if row.response_publication_id else "",
        responded_at=ts(row.responded_at),
        registered_at=ts(row.registered_at),
        late=domain.is_late(row.response_due, now, row.responded_at),
        press_conference_late=domain.is_late(row.press_conference_due, now, row.press_conference_at),
    )


def event_view(row: PublicConcern, now: datetime) -> pb.Concern:
    """A concern as events carry it: without the department's findings (they may name people) and
    without who recorded them."""
    message = to_proto(row, now)
    message.ClearField("findings")
    message.ClearField("verified_by_name")
    return message


def facts_of(row: PublicConcern) -> pb.ConcernFacts:
    """What a response's public page shows of its concern (no findings, no officers' names)."""
    return pb.ConcernFacts(
        source=SOURCE_TO_PROTO[Source(row.source)],
        summary=row.summary,
        first_seen_at=ts(row.first_seen_at),
        responded_at=ts(row.responded_at),
        department_name=row.department_name or row.department_code,
    )


def cursor(token: str) -> tuple[datetime, uuid.UUID] | None:
    position = decode_page_token(token)
    if position is None:
        return None
    try:
        return datetime.fromisoformat(position[0]), uuid.UUID(position[1])
    except (ValueError, IndexError):
        raise InvalidInput({"page.page_token": "not a page token this service issued"}) from None
