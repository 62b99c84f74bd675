"""Retries with exponential backoff (失败重试): the n-th failed attempt waits base·2^(n-1), capped,
and after `max_attempts` the delivery is given up (failed, seen by the office)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    max_attempts: int = 8

    def next_attempt(self, attempts: int, now: datetime) -> datetime | None:
        """After `attempts` failed attempts: when to try again, or None to give up."""
        if attempts >= self.max_attempts:
            return None
        delay = min(self.base_seconds * 2 ** (attempts - 1), self.cap_seconds)
        return now + timedelta(seconds=delay)
