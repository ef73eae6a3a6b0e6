"""bridges conversions against Twisted's adapters and plain asyncio (`python -m bench bridges`).

Every figure is the median, over ``REPEATS`` rounds in this one process, of the time per
operation of a batch of ``BATCH`` operations; candidate and baseline alternate within a round so
that a slow moment of a shared machine hits both. Ratios are what the targets are about:

- ``await to_future(d)``, ``d`` already fired: at most 0.25x ``await d.asFuture(loop)``;
- ``await to_future(d)``, ``d`` fired by ``call_soon`` while awaited: at most 1.0x ``asFuture``;
- ``to_deferred(coro)`` until the Deferred fires: at most 1.0x
  ``Deferred.fromFuture(asyncio.ensure_future(coro))``.

Both Deferred rows are also shown against awaiting a plain asyncio future resolved by
``call_soon`` (what any await of a not-yet-done future costs). Prints a Markdown table and
PASS/FAIL per target; exits 1 if a target is missed.
"""

from __future__ import annotations

import asyncio
import gc
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from twisted.internet.defer import Deferred

import bridges

BATCH = 2_000
REPEATS = 25

_Round = Callable[[], Awaitable[float]]


async def _settled(start: float) -> float:
    """Seconds since ``start`` once the loop has run what the batch left scheduled.

    ``asFuture`` schedules a done callback per call even on a fired Deferred; it runs on the
    next loop pass and is part of its cost, not of whatever round comes next.
    """
    await asyncio.sleep(0)
    return time.perf_counter() - start


async def _fired_to_future() -> float:
    deferreds = [Deferred() for _ in range(BATCH)]
    for d in deferreds:
        d.callback(1)
    start = time.perf_counter()
    for d in deferreds:
        await bridges.to_future(d)
    return await _settled(start)


async def _fired_as_future() -> float:
    loop = asyncio.get_running_loop()
    deferreds = [Deferred() for _ in range(BATCH)]
    for d in deferreds:
        d.callback(1)
    start = time.perf_counter()
    for d in deferreds:
        await d.asFuture(loop)
    return await _settled(start)


async def _pending_to_future() -> float:
    loop = asyncio.get_running_loop()
    deferreds = [Deferred() for _ in range(BATCH)]
    start = time.perf_counter()
    for d in deferreds:
        loop.call_soon(d.callback, 1)
        await bridges.to_future(d)
    return await _settled(start)


async def _pending_as_future() -> float:
    loop = asyncio.get_running_loop()
    deferreds = [Deferred() for _ in range(BATCH)]
    start = time.perf_counter()
    for d in deferreds:
        loop.call_soon(d.callback, 1)
        await d.asFuture(loop)
    return await _settled(start)


async def _plain_future() -> float:
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    for _ in range(BATCH):
        future = loop.create_future()
        loop.call_soon(future.set_result, 1)
        await future
    return await _settled(start)


async def _work() -> int:
    return 1


async def _until_all_fired(make: Callable[[], Deferred[Any]]) -> float:
    loop = asyncio.get_running_loop()
    all_fired = loop.create_future()
    remaining = BATCH

    def fired(_: object) -> None:
        nonlocal remaining
        remaining -= 1
        if not remaining:
            all_fired.set_result(None)

    start = time.perf_counter()
    for _ in range(BATCH):
        make().addCallback(fired)
    await all_fired
    return time.perf_counter() - start


async def _to_deferred() -> float:
    return await _until_all_fired(lambda: bridges.to_deferred(_work()))


async def _from_future() -> float:
    return await _until_all_fired(lambda: Deferred.fromFuture(asyncio.ensure_future(_work())))


ROUNDS: dict[str, _Round] = {
    "fired: to_future": _fired_to_future,
    "fired: asFuture": _fired_as_future,
    "pending: to_future": _pending_to_future,
    "pending: asFuture": _pending_as_future,
    "plain asyncio future": _plain_future,
    "to_deferred": _to_deferred,
    "fromFuture(ensure_future)": _from_future,
}

# (what, candidate, baseline, target ratio or None)
ROWS: list[tuple[str, str, str, float | None]] = [
    ("`await to_future(d)`, d fired", "fired: to_future", "fired: asFuture", 0.25),
    ("`await to_future(d)`, d fired", "fired: to_future", "plain asyncio future", None),
    ("`await to_future(d)`, d pending", "pending: to_future", "pending: asFuture", 1.0),
    ("`await to_future(d)`, d pending", "pending: to_future", "plain asyncio future", None),
    ("`to_deferred(coro)`", "to_deferred", "fromFuture(ensure_future)", 1.0),
]

BASELINE_TEXT = {
    "fired: asFuture": "`await d.asFuture(loop)`",
    "pending: asFuture": "`await d.asFuture(loop)`",
    "plain asyncio future": "`await` a plain future set by `call_soon`",
    "fromFuture(ensure_future)": "`Deferred.fromFuture(asyncio.ensure_future(coro))`",
}


async def measure() -> dict[str, float]:
    """Median seconds per operation of every round."""
    samples: dict[str, list[float]] = {name: [] for name in ROUNDS}
    for run in ROUNDS.values():  # warm up
        await run()
    for repeat in range(REPEATS):
        names = list(ROUNDS)
        if repeat % 2:
            names.reverse()
        for name in names:
            gc.collect()
            samples[name].append(await ROUNDS[name]() / BATCH)
    return {name: statistics.median(values) for name, values in samples.items()}


def table(medians: dict[str, float]) -> tuple[str, bool]:
    lines = [
        "| operation | against | bridges µs/op | baseline µs/op | ratio | target | result |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    ok = True
    for what, candidate, baseline, target in ROWS:
        ratio = medians[candidate] / medians[baseline]
        if target is None:
            verdict, target_text = "", ""
        else:
            passed = ratio <= target
            ok = ok and passed
            verdict, target_text = ("PASS" if passed else "FAIL"), f"≤ {target:.2f}x"
        lines.append(
            f"| {what} | {BASELINE_TEXT[baseline]} | {medians[candidate] * 1e6:.2f} "
            f"| {medians[baseline] * 1e6:.2f} | {ratio:.2f}x | {target_text} | {verdict} |"
        )
    return "\n".join(lines), ok


def main() -> int:
    medians = bridges.run(measure())
    text, ok = table(medians)
    print(text)
    print(
        f"\nMedians of {REPEATS} rounds of {BATCH} operations; Python "
        f"{platform.python_version()}, {platform.machine()}, "
        f"{platform.system()} {platform.release()}."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
