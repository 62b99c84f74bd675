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


async def test_a_failing_round_is_logged_and_the_next_round_runs_after_the_interval(sleeps):
    rounds = 0
    second_round = asyncio.Event()

    async def one_round() -> int:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            raise RuntimeError("database is down")
        second_round.set()
        await asyncio.Event().wait()  # stay in the second round until cancelled
        return 0

    with capture_logs() as logs:
        task = asyncio.create_task(run_every(30.0, one_round, name="test sweep", batch=10))
        async with asyncio.timeout(2):
            await second_round.wait()
        await _stop(task)

    assert rounds == 2
    assert sleeps == [30.0]  # a failed round does not go again at once, even with a batch
    failures = [entry for entry in logs if entry["log_level"] == "error"]
    assert [entry["event"] for entry in failures] == ["test sweep round failed; retrying next round"]
    assert failures[0]["exc_info"] is True  # log.exception: the traceback goes with it


async def test_a_full_batch_goes_again_at_once_and_a_partial_one_sleeps_the_interval(sleeps):
    handled = iter([5, 7, 2, 0, 5, 4])  # batch 5: full, more than full, partial, empty, full, partial
    trace: list[str] = []
    done = asyncio.Event()

    async def one_round() -> int:
        trace.append(f"sleeps so far {len(sleeps)}")
        count = next(handled, None)
        if count is None:
            done.set()
            await asyncio.Event().wait()
        return count

    task = asyncio.create_task(run_every(0.5, one_round, name="test sweep", batch=5))
    async with asyncio.timeout(2):
        await done.wait()
    await _stop(task)

    # rounds 1-3 back to back, sleep after the partial 3rd and the empty 4th, 5th full so 6th at once
    assert trace == ["sleeps so far 0", "sleeps so far 0", "sleeps so far 0", "sleeps so far 1",
                     "sleeps so far 2", "sleeps so far 2", "sleeps so far 3"]
    assert sleeps == [0.5, 0.5, 0.5]


async def test_without_a_batch_every_round_is_followed_by_the_interval(sleeps):
    rounds = 0
    done = asyncio.Event()

    async def one_round() -> int:
        nonlocal rounds
        rounds += 1
        if rounds == 4:
            done.set()
            await asyncio.Event().wait()
        return 1000  # however much a round wrote, a clock without a batch waits

    task = asyncio.create_task(run_every(60.0, one_round, name="test clock"))
    async with asyncio.timeout(2):
        await done.wait()
    await _stop(task)

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
