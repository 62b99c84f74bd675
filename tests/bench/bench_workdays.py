"""Deadline arithmetic: docs/design.md target "a million working-day computations under 1 s"."""

from __future__ import annotations

import datetime as dt
import random
import time

from shared.workdays import WorkingCalendar

TITLE = "working days (shared.workdays)"
COUNT = 1_000_000


def starts(count: int) -> list[dt.date]:
    """Start days spread over 2020..2029, so known and provisional years both occur."""
    rng = random.Random(7)
    first = dt.date(2020, 1, 1).toordinal()
    return [dt.date.fromordinal(first + rng.randrange(3650)) for _ in range(count)]


def timed(action, repeats: int = 3) -> float:
    """Best of `repeats`: the figure least disturbed by whatever else the machine is doing."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} ops/s ({seconds:.3f} s)"


def run() -> list[tuple[str, str, str]]:
    build = timed(WorkingCalendar, repeats=1)
    calendar = WorkingCalendar()
    days = starts(COUNT)
    limits = [1 + i % 30 for i in range(COUNT)]  # 1..30 working days

    def singles():
        add = calendar.add_working_days
        for start, n in zip(days, limits):
            add(start, n)

    def batch():
        calendar.add_working_days_many(days, 15)

    def backwards():
        add = calendar.add_working_days
        for start, n in zip(days, limits):
            add(start, -n)

    def at_least():
        check = calendar.is_at_least_working_days_before
        meeting = dt.date(2025, 6, 30)
        for start, n in zip(days, limits):
            check(start, meeting, n)

    target = "1,000,000 in < 1 s (best of 3)"
    return [
        ("build the calendar (2000-2100)", f"{build * 1000:.0f} ms", ""),
        ("add_working_days, 1M calls", rate(COUNT, timed(singles)), target),
        ("add_working_days_many, 1M starts", rate(COUNT, timed(batch)), target),
        ("add_working_days negative, 1M calls", rate(COUNT, timed(backwards)), ""),
        ("is_at_least_working_days_before, 1M", rate(COUNT, timed(at_least)), ""),
    ]
