"""shared.sweep.run_every: the loop behind the background sweeps (acting clock, countersign clock,
overdue, lapse and concern sweeps) — failures logged and survived, full batches drained at once,
cancellation honoured."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from structlog.testing import capture_logs

from shared import sweep
from shared.sweep import run_every


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Record the loop's sleeps instead of waiting them out (only shared.sweep's own asyncio name is
    replaced; the event loop and everything else keep the real asyncio.sleep)."""
    real_sleep = asyncio.sleep
    recorded: list[float] = []

    async def sleep(seconds: float) -> None:
        recorded.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(sweep, "asyncio", SimpleNamespace(sleep=sleep))
    return recorded


async def _stop(task: asyncio.Task) -> None:
    """Cancel the loop as the server's drain does; it must end promptly with CancelledError."""
    task.cancel()
    await asyncio.wait({task}, timeout=2)  # a loop that swallowed the cancellation fails here, not hangs
    assert task.done(), "the loop went on after it was cancelled"
    with pytest.raises(asyncio.CancelledError):
        await task


class Script:
    """A round that does as told, round by round (a count handled, or an exception to raise), then
    parks in one more round until cancelled; `parked` is set when it gets there."""

    def __init__(self, *steps: int | Exception, before_each=None):
        self._steps = iter(steps)
        self._before_each = before_each
        self.rounds = 0
        self.parked = asyncio.Event()

    async def __call__(self) -> int:
        self.rounds += 1
        if self._before_each:
            self._before_each()
        step = next(self._steps, None)
        if step is None:
            self.parked.set()
            await asyncio.Event().wait()
        if isinstance(step, Exception):
            raise step
        return step


async def run_script(script: Script, interval: float, **kwargs) -> None:
    """run_every over `script` until it parks, then cancelled as the drain does."""
    task = asyncio.create_task(run_every(interval, script, **{"name": "test sweep", **kwargs}))
    async with asyncio.timeout(2):
        await script.parked.wait()
    await _stop(task)


async def test_a_failing_round_is_logged_and_the_next_round_runs_after_the_interval(sleeps):
    script = Script(RuntimeError("database is down"))
    with capture_logs() as logs:
        await run_script(script, 30.0, batch=10)

    assert script.rounds == 2
    assert sleeps == [30.0]  # a failed round does not go again at once, even with a batch
    failures = [entry for entry in logs if entry["log_level"] == "error"]
    assert [entry["event"] for entry in failures] == ["test sweep round failed; retrying next round"]
    assert failures[0]["exc_info"] is True  # log.exception: the traceback goes with it


async def test_a_full_batch_goes_again_at_once_and_a_partial_one_sleeps_the_interval(sleeps):
    trace: list[str] = []
    # batch 5: full, more than full, partial, empty, full, partial
    script = Script(5, 7, 2, 0, 5, 4, before_each=lambda: trace.append(f"sleeps so far {len(sleeps)}"))
    await run_script(script, 0.5, batch=5)

    # rounds 1-3 back to back, sleep after the partial 3rd and the empty 4th, 5th full so 6th at once
    assert trace == [
        "sleeps so far 0",
        "sleeps so far 0",
        "sleeps so far 0",
        "sleeps so far 1",
        "sleeps so far 2",
        "sleeps so far 2",
        "sleeps so far 3",
    ]
    assert sleeps == [0.5, 0.5, 0.5]


async def test_without_a_batch_every_round_is_followed_by_the_interval(sleeps):
    # however much a round wrote, a clock without a batch waits
    await run_script(Script(1000, 1000, 1000), 60.0, name="test clock")

    assert sleeps == [60.0, 60.0, 60.0]


async def test_the_real_interval_is_waited_between_partial_rounds():
    """No fake sleep: with 0.05 s between rounds, 0.3 s hold about six rounds, not hundreds."""
    rounds = 0

    async def one_round() -> int:
        nonlocal rounds
        rounds += 1
        return 0

    task = asyncio.create_task(run_every(0.05, one_round, name="test sweep", batch=1))
    await asyncio.sleep(0.3)
    await _stop(task)

    assert 2 <= rounds <= 8


async def test_cancelling_during_a_round_ends_the_loop():
    """The drain at shutdown cancels the background task: CancelledError is not swallowed as a
    failed round (which would log it and carry on)."""
    in_round = asyncio.Event()

    async def one_round() -> int:
        in_round.set()
        await asyncio.Event().wait()
        return 0

    with capture_logs() as logs:
        task = asyncio.create_task(run_every(0.01, one_round, name="test sweep"))
        async with asyncio.timeout(2):
            await in_round.wait()
            await _stop(task)

    assert task.cancelled()
    assert not [entry for entry in logs if entry["log_level"] == "error"]


async def test_cancelling_during_the_sleep_ends_the_loop():
    rounds = 0
    first_round = asyncio.Event()

    async def one_round() -> int:
        nonlocal rounds
        rounds += 1
        first_round.set()
        return 0

    task = asyncio.create_task(run_every(3600.0, one_round, name="test sweep"))
    async with asyncio.timeout(2):
        await first_round.wait()
        await asyncio.sleep(0)  # into the hour's sleep
        await _stop(task)

    assert task.cancelled()
    assert rounds == 1
