"""How the benches state a figure: one percentile, one way to write a duration, one CPU reading."""

from __future__ import annotations

import psutil


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank p-th percentile (0-100) of the values: a value that was measured, never an
    interpolation between two."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def cpu_seconds(processes) -> float:
    """User and system CPU seconds the processes have spent so far; one that ended between being
    listed and being read counts nothing (a PostgreSQL backend, a renderer that was stopped)."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total
