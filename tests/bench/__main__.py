"""Run the benchmarks: `python -m tests.bench` (all) or `python -m tests.bench workdays ...`."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import sys
import time
import traceback

from rich.console import Console
from rich.table import Table

import tests.bench as package

PREFIX = "bench_"


def bench_modules(names: list[str]) -> list[str]:
    found = sorted(
        info.name for info in pkgutil.iter_modules(package.__path__) if info.name.startswith(PREFIX)
    )
    if not names:
        return found
    wanted = [name if name.startswith(PREFIX) else PREFIX + name for name in names]
    unknown = [name for name in wanted if name not in found]
    if unknown:
        raise SystemExit(f"no such bench: {', '.join(unknown)} (have: {', '.join(found)})")
    return wanted


def run_module(name: str) -> list[tuple[str, ...]]:
    module = importlib.import_module(f"{package.__name__}.{name}")
    result = module.run()
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    return [tuple(str(cell) for cell in row) for row in result]


def render(console: Console, name: str, rows: list[tuple[str, ...]], seconds: float) -> None:
    module = sys.modules[f"{package.__name__}.{name}"]
    title = getattr(module, "TITLE", name.removeprefix(PREFIX))
    table = Table(title=f"{title}  ({seconds:.1f} s)", title_justify="left")
    table.add_column("measure")
    table.add_column("figure", justify="right")
    width = max((len(row) for row in rows), default=2)
    if width > 2:
        table.add_column("target")
    if width > 3:  # what the machine itself allows, and the figure as a share of it
        table.add_column("limit on this machine (ratio)")
    for row in rows:
        table.add_row(*row, *([""] * (width - len(row))))
    console.print(table)


def main(argv: list[str]) -> int:
    console = Console()
    if not console.is_terminal:  # piped into a log: keep the rows on one line each
        console = Console(width=120)
    failed = []
    for name in bench_modules(argv):
        started = time.perf_counter()
        try:
            rows = run_module(name)
        except Exception:  # one broken bench must not hide the figures of the others
            console.print(f"[red]{name} failed[/red]\n{traceback.format_exc()}")
            failed.append(name)
            continue
        render(console, name, rows, time.perf_counter() - started)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
