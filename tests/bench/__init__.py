"""Benchmarks that print figures (`make bench`); never asserted in tests.

Each module `tests/bench/bench_<name>.py` exposes `run()` (plain or async) returning rows
`(measure, figure)` or `(measure, figure, target)`, all strings; an optional `TITLE`
names its table. `python -m tests.bench [name ...]` runs all of them, or those named.
"""
