"""The wire: proto ↔ typed values of the notify service (enum maps, converters); no rules."""

from __future__ import annotations

from datetime import datetime

from google.protobuf import timestamp_pb2

from services.notify.domain import consent as consent_domain
from services.notify.domain import preferences as domain
from services.notify.domain.consent import CaseKind
from services.notify.domain.notices import Channel, Kind, Urgency, mask
from services.notify.models import CitizenConsent, Delivery
from shared.errors import InvalidInput
from zgov.notify.v1 import notify_pb2 as pb

CHANNELS = {
    Channel.EMAIL: pb.CHANNEL_EMAIL,
    Channel.SMS: pb.CHANNEL_SMS,
    Channel.WECOM_ROBOT: pb.CHANNEL_WECOM_ROBOT,
    Channel.WECOM_APP: pb.CHANNEL_WECOM_APP,
    Channel.DINGTALK_ROBOT: pb.CHANNEL_DINGTALK_ROBOT,
}
KINDS = {k: pb.NoticeKind.Value(f"NOTICE_KIND_{k.name}") for k in Kind}
URGENCIES = {u: pb.Urgency.Value(f"URGENCY_{u.name}") for u in Urgency}
STATES = {
    "pending": pb.DELIVERY_STATE_PENDING,
    "sent": pb.DELIVERY_STATE_SENT,
    "failed": pb.DELIVERY_STATE_FAILED,
}
CHANNELS_FROM = {v: k for k, v in CHANNELS.items()}
KINDS_FROM = {v: k for k, v in KINDS.items()}
STATES_FROM = {v: k for k, v in STATES.items()}


def stamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(value)
    return result


def delivery_to_proto(row: Delivery) -> pb.Delivery:
    return pb.Delivery(
        id=str(row.id),
        event_id=row.event_id,
        event_subject=row.event_subject,
        kind=KINDS[Kind(row.kind)],
        urgency=URGENCIES[Urgency(row.urgency)],
        recipient_user_id=row.recipient_user_id,
        recipient_name=row.recipient_name,
        acting_for_user_id=row.acting_for_user_id,
        body_code=row.body_code,
        channel=CHANNELS[Channel(row.channel)],
        address=mask(row.address) if row.address else "",
        title=row.title,
        state=STATES[row.state],
        attempts=row.attempts,
        last_error=row.last_error,
        digest=row.digest,
        create_time=stamp(row.created_at),
        next_attempt_time=stamp(row.next_attempt_at) if row.state == "pending" else None,
        sent_time=stamp(row.sent_at),
    )


def state_from(value: int) -> str:
    if value and value not in STATES_FROM:
        raise InvalidInput({"state": f"unknown delivery state {value}"})
    return STATES_FROM.get(value, "")


def preferences_from(message: pb.Preferences) -> domain.Preferences:
    channels: dict[Kind, tuple[Channel, ...]] = {}
    for i, choice in enumerate(message.channels):
        where = f"preferences.channels[{i}]"
        if choice.kind not in KINDS_FROM:
            raise InvalidInput({f"{where}.kind": "choose a kind of message (NOTICE_KIND_…)"})
        if KINDS_FROM[choice.kind] in channels:
            raise InvalidInput({f"{where}.kind": "each kind of message once"})
        unknown = [c for c in choice.channels if c not in CHANNELS_FROM]
        if unknown or not choice.channels:
            raise InvalidInput({f"{where}.channels": "one or more known channels (CHANNEL_…)"})
        channels[KINDS_FROM[choice.kind]] = tuple(dict.fromkeys(CHANNELS_FROM[c] for c in choice.channels))
    return domain.Preferences(
        channels=channels,
        quiet_start=domain.parse_clock(message.quiet_start, "preferences.quiet_start"),
        quiet_end=domain.parse_clock(message.quiet_end, "preferences.quiet_end"),
        daily_digest=message.daily_digest,
        digest_time=domain.parse_clock(message.digest_time, "preferences.digest_time")
        or domain.DEFAULT_DIGEST_TIME,
    )


def _clock(value) -> str:
    return value.strftime("%H:%M") if value is not None else ""


def preferences_to_proto(chosen: domain.Preferences) -> pb.Preferences:
    return pb.Preferences(
        channels=[
            pb.KindChannels(kind=KINDS[k], channels=[CHANNELS[c] for c in cs])
            for k, cs in sorted(chosen.channels.items())
        ],
        quiet_start=_clock(chosen.quiet_start),
        quiet_end=_clock(chosen.quiet_end),
        daily_digest=chosen.daily_digest,
        digest_time=_clock(chosen.digest_time),
    )


CASE_KINDS = {
    CaseKind.PETITION: pb.CITIZEN_CASE_KIND_PETITION,
    CaseKind.APPLICATION: pb.CITIZEN_CASE_KIND_APPLICATION,
}
CASE_KINDS_FROM = {v: k for k, v in CASE_KINDS.items()}


def case_kind_from(value: int, case_id: str) -> CaseKind:
    kind = CASE_KINDS_FROM.get(value)
    bad = {}
    if kind is None:
        bad["case_kind"] = "a petition or an application"
    if not case_id.strip():
        bad["case_id"] = "the case"
    if bad:
        raise InvalidInput(bad)
    return kind


def consent_channels_from(values) -> list[Channel]:
    """Unknown values are kept out and reported by the rule (e-mail and/or SMS only)."""
    return [CHANNELS_FROM.get(v, Channel.WECOM_ROBOT) for v in values]


def consent_to_proto(
    row: CitizenConsent | None, kind: CaseKind | None = None, case_id: str = ""
) -> pb.CitizenConsent:
    """The consent as the portal shows it: addresses masked; state NONE when never given."""
    if row is None:
        return pb.CitizenConsent(
            case_kind=CASE_KINDS.get(kind, 0), case_id=case_id.strip(), state=pb.CONSENT_STATE_NONE
        )
    return pb.CitizenConsent(
        case_kind=CASE_KINDS[CaseKind(row.case_kind)],
        case_id=row.case_id,
        number=row.number,
        state=pb.CONSENT_STATE_WITHDRAWN if row.withdrawn_at else pb.CONSENT_STATE_GIVEN,
        channels=[CHANNELS[Channel(c)] for c in row.channels],
        email=mask(row.email) if row.email else "",
        phone=mask(row.phone) if row.phone else "",
        wording=row.wording,
        give_time=stamp(row.given_at),
        withdraw_time=stamp(row.withdrawn_at),
        at_any_hour=row.at_any_hour,
    )


def consent_terms_to_proto() -> pb.CitizenConsentTerms:
    """The wording and quiet hours as notify keeps them (domain/consent.py), for the portal to show."""
    return pb.CitizenConsentTerms(
        wording=consent_domain.WORDING,
        text=consent_domain.WORDING_TEXT,
        quiet_start=_clock(consent_domain.QUIET_START),
        quiet_end=_clock(consent_domain.QUIET_END),
    )
