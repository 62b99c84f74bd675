"""Generated downloads, kept `ttl` seconds: a harvester or a crowd downloading a dataset costs one
generation from the live services per period, and concurrent requests wait for the one under way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.portal.open_data.catalogue import Dataset, to_csv, to_json


@dataclass(frozen=True)
class Generated:
    rows: list[dict]
    csv: bytes
    json: bytes
    generated_at: datetime
    made_at: float  # monotonic


class DownloadCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.ttl, self.clock = ttl, clock
        self._kept: dict[str, Generated] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def modified(self, name: str) -> datetime | None:
        kept = self._kept.get(name)
        return kept.generated_at if kept else None

    async def get(self, dataset: Dataset, generate: Callable[[], Awaitable[list[dict]]]) -> Generated:
        kept = self._kept.get(dataset.name)
        if kept is not None and self.clock() - kept.made_at < self.ttl:
            return kept
        async with self._locks.setdefault(dataset.name, asyncio.Lock()):
            kept = self._kept.get(dataset.name)
            if kept is not None and self.clock() - kept.made_at < self.ttl:
                return kept
            rows = await generate()
            now = datetime.now(UTC).replace(microsecond=0)
            kept = Generated(rows, to_csv(dataset, rows), to_json(dataset, rows, now), now, self.clock())
            self._kept[dataset.name] = kept
            return kept
