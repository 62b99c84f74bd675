"""A person's own preferences: read (defaults when never set) and replace (a recorded act)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.domain import preferences as domain
from services.notify.domain.notices import Channel, Kind
from services.notify.models import Preference
from services.notify.store import preferences as store
from shared.audit import record_act
from shared.identity import Actor


def from_row(row: Preference | None) -> domain.Preferences:
    if row is None:
        return domain.Preferences()
    channels = {
        Kind(kind): tuple(Channel(c) for c in chosen) for kind, chosen in (row.channels or {}).items()
    }
    return domain.Preferences(
        channels=channels,
        quiet_start=domain.parse_clock(row.quiet_start, "quiet_start"),
        quiet_end=domain.parse_clock(row.quiet_end, "quiet_end"),
        daily_digest=row.daily_digest,
        digest_time=domain.parse_clock(row.digest_time, "digest_time") or domain.DEFAULT_DIGEST_TIME,
    )


def _clock(value) -> str:
    return value.strftime("%H:%M") if value is not None else ""


async def of(session: AsyncSession, user_ids: list[str]) -> dict[str, domain.Preferences]:
    rows = await store.of(session, user_ids)
    return {user_id: from_row(rows.get(user_id)) for user_id in user_ids}


async def replace(session: AsyncSession, actor: Actor, chosen: domain.Preferences) -> domain.Preferences:
    domain.check(chosen)
    await store.put(
        session,
        actor.user_id,
        {
            "channels": {
                kind.value: [c.value for c in channels] for kind, channels in chosen.channels.items()
            },
            "quiet_start": _clock(chosen.quiet_start),
            "quiet_end": _clock(chosen.quiet_end),
            "daily_digest": chosen.daily_digest,
            "digest_time": _clock(chosen.digest_time),
        },
    )
    await record_act(session, f"preferences/{actor.user_id}", "preferences.set", actor)
    return chosen
