"""The messages apps under load: legacy against modern, and the cost of the feed on the loop.

``python -m bench apps``. This process starts the embedded database and serves both apps and
both feeds on one loop (``bridges.run``, the demo's ``serve_apps``: the apps mounted under
``/legacy/`` and ``/modern/``). The load comes from two long-lived worker processes running this
module with ``--load-worker`` (one for HTTP, one for the feed): small asyncio clients on raw
keep-alive sockets, told what to do one sample at a time over a pipe, so the two apps get the
same client and a sample costs no process start.

Method, built to resolve a few per cent on a shared two-core machine:

- **Layout.** With two CPUs or more, this process (the loop and every thread, Motor's pool
  included) runs on the first CPU; the database server and the load workers on the others. Each
  app then has one core for all of its own work, the database stands for a server on another
  machine, and the load clients cannot take the server's core.
- **Paired, interleaved samples.** Each comparison is a pair of short samples (``SAMPLE``
  seconds after ``WARMUP``), baseline and candidate back to back, in ABBA order over the
  rounds; every comparison gets one pair per round (``FEED_PAIRS`` for the feed rows) and the
  ``ROUNDS`` rounds run one after the other, so a slow spell of the machine (or a drift) falls
  on both sides of a pair and on every comparison alike.
- **Figures.** For each pair, the ratio candidate/baseline of requests per second, and of this
  process's CPU time (all threads) per request, a clock that other jobs disturb far less than
  the wall clock. The table gives the median of the per-pair ratios with a distribution-free
  95% confidence interval of that median (order statistics of the binomial), and the verdict
  from the interval: PASS when all of it meets the target, FAIL when all of it misses, "within
  noise" when it straddles the target.
- **Contention.** How long other processes kept the loop waiting for its CPU (``_sched``) is
  printed for each side; above ``CONTENDED`` the requests-per-second verdict reads "contended".
- **An upper bound of the feed's cost**: its own CPU per command, measured with the feed the
  only load, times ``FEED_RATE``; it can show the 5% target met, never missed.

Comparisons:

- requests per second of ``GET /`` (the list of ``MESSAGES`` messages) and of
  ``POST /svc_vt_info/search`` (``SEARCH_IDS`` ids), legacy (baseline) and modern, from
  ``CONNECTIONS`` concurrent connections and from one; target: modern at least 1.0x legacy;
- requests per second of the modern ``GET /compose`` (no database, so the figure is about the
  loop) alone, and while the modern feed serves ``FEED_RATE`` commands per second from
  ``FEED_CLIENTS`` connections on the same loop, once ``LIST 10`` (a find each) and once
  ``LIST 0`` (answered without the database); target: the feed costs Tornado at most 5%;
- the sharing itself: the same ``GET /compose`` load while the modern feed serves ``SHARED`` at
  ``FEED_RATE`` on the same loop, against while the same feed serves it from a process of its
  own (``--feed-server``) on the server's CPU: the same work, the loop shared or not; the CPU
  figure counts both processes. Target: sharing the loop costs at most 5%.

Prints a Markdown table; exits 1 if a target is missed beyond noise (a FAIL) or a load client saw
an error. "within noise", "contended" and "not shown" do not fail the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROUNDS = 20
SAMPLE = 0.5
WARMUP = 0.1
CONNECTIONS = 8
MESSAGES = 20
SEARCH_IDS = 10
FEED_CLIENTS = 4
DATABASE = "bench_apps"
FEED_RATE = 50  # LIST commands per second, all feed clients together
#: The Tornado page measured against the feed: the compose form needs no database, so the figure
#: is about sharing the loop, not about sharing the database server.
TORNADO_ONLY = "/modern/compose"
#: The feed loads: ``LIST 10`` runs a find; ``LIST 0`` is answered ``ERR bad n`` at once, so that
#: row is the cost of the protocol and the bridge alone.
FEED_COMMANDS = ("LIST 10", "LIST 0")
#: The sharing row's feed load: the database-backed one, served on the loop against served beside.
SHARED = "LIST 10"
#: The rows that get ``FEED_PAIRS`` pairs a round.
FEED_ROWS = {*(f"feed {command}" for command in FEED_COMMANDS), "sharing"}
#: Requests in flight on each connection for the feed rows (HTTP/1.1 pipelining, which Tornado
#: answers in order): with one at a time, the server waits in epoll for the Python load client
#: for part of the time, and the figure would partly be the client's.
FEED_ROWS_PIPELINE = 16
#: Pairs per round for the feed rows (the app rows get one).
FEED_PAIRS = 3
#: Two-sided level of the confidence intervals.
CONFIDENCE = 0.95
#: When other processes kept the server's loop waiting for its CPU more than this share of the
#: time (median of either side; see ``_sched``), the requests-per-second verdict says
#: "contended" instead of PASS or FAIL: the scheduler, not the code, then decides much of the
#: throughput (see docs/performance.md).
CONTENDED = 0.05


# ----- load worker (its own process) -------------------------------------------------------------


async def _http_client(
    port: int,
    request: bytes,
    pipeline: int,
    deadline: float,
    count_from: float,
    tally: dict[str, int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < deadline:
            writer.write(request * pipeline)
            for _ in range(pipeline):
                status = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                if not status.startswith(b"HTTP/1.1 200 "):
                    tally["errors"] += 1
                elif time.monotonic() >= count_from:
                    tally["ok"] += 1
                tally["total"] += 1
    finally:
        writer.close()


async def _load_http(
    port: int, method: str, path: str, body: str, connections: int, pipeline: int
) -> dict[str, Any]:
    payload = body.encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    if payload:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    request = head.encode() + b"\r\n" + payload
    tally = {"ok": 0, "errors": 0, "total": 0}
    start = time.monotonic()
    count_from, deadline = start + WARMUP, start + WARMUP + SAMPLE
    await asyncio.gather(
        *(
            _http_client(port, request, pipeline, deadline, count_from, tally)
            for _ in range(connections)
        )
    )
    return {"rps": tally["ok"] / (time.monotonic() - count_from), **tally}


async def _feed_client(
    port: int, command: bytes, interval: float, stop: asyncio.Event, tally: dict[str, int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        next_at = time.monotonic()
        while not stop.is_set():
            writer.write(command + b"\r\n")
            while (line := await reader.readline()) and line.startswith(b"MSG "):
                pass
            tally["ok" if line in (b"END\r\n", b"ERR bad n\r\n") else "errors"] += 1
            next_at += interval
            if interval:
                with _suppress_timeout():
                    await asyncio.wait_for(stop.wait(), max(0.0, next_at - time.monotonic()))
    finally:
        writer.close()


class _suppress_timeout:
    def __enter__(self) -> None:
        pass

    def __exit__(self, typ: Any, value: Any, tb: Any) -> bool:
        return typ is TimeoutError


async def _worker() -> None:
    """Serve load requests read from stdin, one JSON object a line; answer each on stdout."""
    loop = asyncio.get_running_loop()
    feed: tuple[asyncio.Future[Any], asyncio.Event, dict[str, int], float] | None = None
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        job = json.loads(line)
        answer: dict[str, Any]
        if job["op"] == "http":
            answer = await _load_http(
                job["port"],
                job["method"],
                job["path"],
                job["body"],
                job["connections"],
                job["pipeline"],
            )
        elif job["op"] == "feed-start":
            stop, tally = asyncio.Event(), {"ok": 0, "errors": 0}
            # A rate: commands spaced evenly; none: each client sends as soon as answered.
            interval = FEED_CLIENTS / job["rate"] if job["rate"] else 0.0
            clients = asyncio.gather(
                *(
                    _feed_client(job["port"], job["command"].encode(), interval, stop, tally)
                    for _ in range(FEED_CLIENTS)
                )
            )
            feed = (clients, stop, tally, time.monotonic())
            await asyncio.sleep(0.05)  # connected, and the first commands answered
            answer = {}
        else:  # feed-stop
            assert feed is not None
            clients, stop, tally, started = feed
            stop.set()
            await clients
            answer = {"per_second": tally["ok"] / (time.monotonic() - started), **tally}
            feed = None
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


# ----- the feed in a process of its own ----------------------------------------------------------


async def _feed_server(uri: str) -> None:
    """Serve the modern feed alone, on this process's loop; print its port, stop when stdin closes.

    The "beside" arrangement of the sharing row: the same feed, the same database work, on the
    server's CPU but on a loop of its own.
    """
    import pymongo
    from twisted.internet import reactor

    import modern.feed
    from bridges import install_reactor, to_future

    install_reactor()
    client: Any = pymongo.AsyncMongoClient(uri)
    listen_tcp: Any = reactor.listenTCP  # zope's interfaces confuse mypy, as in _demo
    port = listen_tcp(0, modern.feed.make_factory(client[DATABASE]), interface="127.0.0.1")
    try:
        sys.stdout.write(json.dumps({"port": port.getHost().port}) + "\n")
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
    finally:
        await to_future(port.stopListening())
        await client.close()


# ----- the server side (this process) -----------------------------------------------------------


class _Worker:
    """A helper process (a load worker, or the feed beside) on the given CPUs (None: anywhere)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, cpus: set[int] | None, *args: str) -> _Worker:
        """This module run as ``args`` (``--load-worker`` when none) on ``cpus``."""
        env = dict(os.environ)
        if cpus is not None:
            env["BENCH_CPUS"] = ",".join(map(str, sorted(cpus)))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.bench_apps",
            *(args or ["--load-worker"]),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        return cls(proc)

    async def call(self, **job: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(job).encode() + b"\n")
        await self.proc.stdin.drain()
        return await self.answer(job)

    async def answer(self, job: object = None) -> dict[str, Any]:
        """The next line the process writes, a JSON object."""
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"helper process exited with status {await self.proc.wait()}")
        answer: dict[str, Any] = json.loads(line)
        if answer.get("errors"):
            raise RuntimeError(f"load worker saw {answer['errors']} errors on {job}")
        return answer

    async def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        await self.proc.wait()


@dataclass
class _Sample:
    rps: float
    cpu: float  # this process's CPU seconds (all threads) per request
    busy: float  # this process's CPU seconds per wall second
    kept_waiting: float  # seconds the loop waited for other processes' work, per wall second


@dataclass
class _Comparison:
    """A pair of loads, measured back to back once a round."""

    label: str
    baseline: str
    candidate: str
    pairs: list[tuple[_Sample, _Sample]] = field(default_factory=list)
    feed_rates: list[float] = field(default_factory=list)


def _thread_ids(pid: int | str = "self") -> list[int]:
    return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]


def _schedstat(pid: int | str, tid: int) -> tuple[int, int] | None:
    """One thread's ``schedstat``: nanoseconds running, nanoseconds ready but waiting for a CPU.

    None for a thread gone meanwhile, or where the kernel keeps no schedstat.
    """
    try:
        with open(f"/proc/{pid}/task/{tid}/schedstat") as file:
            ran, wait, _ = map(int, file.read().split())
    except (OSError, ValueError):
        return None
    return ran, wait


def _sched(*helpers: int) -> tuple[float, float]:
    """The loop thread's run-queue wait and the server's other CPU time, in seconds.

    The loop's wait minus what the server's other threads ran (Motor's pool, and the processes
    in ``helpers``: the feed served beside the loop, on its CPU) is what other processes kept it
    waiting: the part of the wall clock the scheduler, not the code, took from the server.
    (0, 0) where the kernel keeps no schedstat.
    """
    loop, waited, others = threading.get_native_id(), 0, 0
    for pid in ("self", *helpers):
        for tid in _thread_ids(pid):
            if (stat := _schedstat(pid, tid)) is None:
                continue
            if pid == "self" and tid == loop:
                waited = stat[1]
            else:
                others += stat[0]
    return waited / 1e9, others / 1e9


def _cpu_time(pid: int) -> float:
    """CPU seconds process ``pid`` used: its threads' schedstat, else its stat (clock ticks)."""
    stats = [_schedstat(pid, tid) for tid in _thread_ids(pid)]
    if any(stats):
        return sum(stat[0] for stat in stats if stat is not None) / 1e9
    with open(f"/proc/{pid}/stat") as file:
        fields = file.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children() -> list[int]:
    """This process's child processes (the embedded database, when it is ours)."""
    pids = []
    for tid in _thread_ids():
        with open(f"/proc/self/task/{tid}/children") as file:
            pids += [int(pid) for pid in file.read().split()]
    return pids


def _pin(pid: int | str, cpus: set[int]) -> None:
    """Every thread of ``pid`` on ``cpus`` (threads started later inherit their starter's)."""
    for tid in _thread_ids(pid):
        os.sched_setaffinity(tid, cpus)


def _layout() -> tuple[set[int] | None, str]:
    """Pin this process to the first CPU and our child processes to the others.

    Returns the CPUs for the load workers (None when unpinned) and a description.
    """
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2 or not Path("/proc/self/task").is_dir():
        return None, f"unpinned ({len(available)} CPU)"
    server, clients = {available[0]}, set(available[1:])
    _pin("self", server)
    database = _children()
    for pid in database:
        _pin(pid, clients)
    where = "the database and " if database else ""
    return clients, (
        f"this process (loop and threads) on CPU {available[0]}, {where}the load workers on "
        f"CPU {','.join(map(str, sorted(clients)))}"
    )


def _median_ci(values: list[float]) -> tuple[float, float, float]:
    """Median and a distribution-free ``CONFIDENCE`` interval of it (binomial order statistics)."""
    ordered, n = sorted(values), len(values)
    tail, k, cumulative = (1 - CONFIDENCE) / 2, 0, 0.0
    while k < n and cumulative + math.comb(n, k) / 2**n <= tail:
        cumulative += math.comb(n, k) / 2**n
        k += 1
    if k == 0:  # too few pairs for this level: the whole range
        return statistics.median(values), ordered[0], ordered[-1]
    return statistics.median(values), ordered[k - 1], ordered[n - k]


def _verdict(low: float, high: float, meets: Any) -> str:
    if meets(low) and meets(high):
        return "PASS"
    if not meets(low) and not meets(high):
        return "FAIL"
    return "within noise"


async def _measure(uri: str) -> tuple[list[str], str]:
    from bson import ObjectId

    from asyncmigrate._demo import serve_apps

    servers = await serve_apps(uri, database=DATABASE)
    client_cpus, layout = _layout()
    workers = [await _Worker.start(client_cpus) for _ in range(2)]
    http, feed = workers
    # The same feed on a loop of its own, on the server's CPU: the baseline of the sharing row.
    beside = await _Worker.start(os.sched_getaffinity(0), "--feed-server", uri)
    workers.append(beside)
    try:
        beside_port = (await beside.answer())["port"]
        db = servers.modern_db
        await db.messages.delete_many({})
        ids = [ObjectId(f"65b{n:021x}") for n in range(1, MESSAGES + 1)]
        await db.messages.insert_many([{"_id": i, "msg": f"message {i} <&>"} for i in ids])
        search = json.dumps({"id": [str(i) for i in ids[:SEARCH_IDS]]})
        port = servers.http_port

        def load(path: str, body: str, connections: int, pipeline: int = 1) -> dict[str, Any]:
            method = "POST" if body else "GET"
            return dict(
                method=method, path=path, body=body, connections=connections, pipeline=pipeline
            )

        loads: dict[str, dict[str, Any]] = {}
        comparisons = []
        for name, path, body in (("list", "/", ""), ("search", "/svc_vt_info/search", search)):
            for conns in (CONNECTIONS, 1):
                for kind in ("legacy", "modern"):
                    loads[f"{name} {kind} {conns}"] = load(f"/{kind}{path}", body, conns)
                comparisons.append(
                    _Comparison(
                        f"{name} {conns}", f"{name} legacy {conns}", f"{name} modern {conns}"
                    )
                )
        loads["alone"] = load(TORNADO_ONLY, "", CONNECTIONS, FEED_ROWS_PIPELINE)
        for command in FEED_COMMANDS:
            loads[f"with {command}"] = {**loads["alone"], "feed": command}
            comparisons.append(_Comparison(f"feed {command}", "alone", f"with {command}"))
        loads[f"beside {SHARED}"] = {**loads["alone"], "feed": SHARED, "feed_port": beside_port}
        comparisons.append(_Comparison("sharing", f"beside {SHARED}", f"with {SHARED}"))

        async def sample(name: str, comparison: _Comparison) -> _Sample:
            job = dict(loads[name])
            command = job.pop("feed", None)
            feed_port = job.pop("feed_port", servers.modern_feed_port)
            # The sharing row counts the server's CPU in both of its processes.
            helpers = [beside.proc.pid] if comparison.label == "sharing" else []
            if command is not None:
                await feed.call(op="feed-start", port=feed_port, command=command, rate=FEED_RATE)
            waited, threads = _sched(*helpers)
            wall, cpu = time.monotonic(), time.process_time() + sum(map(_cpu_time, helpers))
            result = await http.call(op="http", port=port, **job)
            wall = time.monotonic() - wall
            cpu = time.process_time() + sum(map(_cpu_time, helpers)) - cpu
            now_waited, now_threads = _sched(*helpers)
            kept_waiting = max(0.0, (now_waited - waited) - (now_threads - threads))
            if command is not None:
                comparison.feed_rates.append((await feed.call(op="feed-stop"))["per_second"])
            return _Sample(result["rps"], cpu / result["total"], cpu / wall, kept_waiting / wall)

        async def feed_alone(command: str) -> float:
            """This process's CPU seconds per feed command, the feed its only load."""
            cpu = time.process_time()
            await feed.call(
                op="feed-start", port=servers.modern_feed_port, command=command, rate=None
            )
            await asyncio.sleep(SAMPLE)
            tally = await feed.call(op="feed-stop")
            return (time.process_time() - cpu) / tally["ok"]

        feed_cpu: dict[str, list[float]] = {command: [] for command in FEED_COMMANDS}

        for comparison in comparisons:  # one unrecorded pair each: connections, caches, JIT-free
            for name in (comparison.baseline, comparison.candidate):
                await sample(name, comparison)
            comparison.feed_rates.clear()
        for _round in range(ROUNDS):
            for comparison in comparisons:
                # The feed rows must resolve a few per cent: they get more pairs.
                for _ in range(FEED_PAIRS if comparison.label in FEED_ROWS else 1):
                    got = {}
                    order = (comparison.baseline, comparison.candidate)
                    for name in order if len(comparison.pairs) % 2 == 0 else order[::-1]:
                        got[name] = await sample(name, comparison)
                    comparison.pairs.append((got[comparison.baseline], got[comparison.candidate]))
            for command in FEED_COMMANDS:
                feed_cpu[command].append(await feed_alone(command))
        return _table(comparisons, feed_cpu), layout
    finally:
        for worker in workers:
            await worker.close()
        await servers.close()


def _table(comparisons: list[_Comparison], feed_cpu: dict[str, list[float]]) -> list[str]:
    rows = [
        "| Figure | Baseline | Candidate | Ratio or cost (95% CI) | Target | |",
        "|---|---|---|---|---|---|",
    ]
    labels = {"list": "`GET /` (list)", "search": "`POST /svc_vt_info/search`"}
    for comparison in comparisons:
        rps = _median_ci([c.rps / b.rps for b, c in comparison.pairs])
        cpu = _median_ci([c.cpu / b.cpu for b, c in comparison.pairs])
        base, cand = (
            {
                key: statistics.median(getattr(pair[side], key) for pair in comparison.pairs)
                for key in ("rps", "cpu", "busy", "kept_waiting")
            }
            for side in (0, 1)
        )
        others = max(base["kept_waiting"], cand["kept_waiting"])
        server = (
            f"server busy {base['busy']:.0%} / {cand['busy']:.0%} of the time, "
            f"kept waiting by other processes {base['kept_waiting']:.0%} / "
            f"{cand['kept_waiting']:.0%}"
        )

        if comparison.label == "sharing":
            rows += _cost_rows(
                f"the modern feed serving {statistics.median(comparison.feed_rates):.0f} "
                f"`{SHARED}`/s on the same loop, against the same feed on a loop of its own (a "
                "process on the same CPU)",
                f"both processes and the feed's work included ({server})",
                ("beside", "on the loop"),
                (rps, cpu, base, cand),
                others > CONTENDED,
            )
            continue
        if comparison.label.startswith("feed "):
            command = comparison.label.removeprefix("feed ")
            what = "a find each" if command == "LIST 10" else "answered without the database"
            rows += _cost_rows(
                f"the modern feed serving {statistics.median(comparison.feed_rates):.0f} "
                f"`{command}`/s ({what}) on the same loop",
                f"the feed's work included ({server})",
                ("alone", "with feed"),
                (rps, cpu, base, cand),
                others > CONTENDED,
            )
            per_command = _median_ci(feed_cpu[command])
            share = tuple(FEED_RATE * c for c in per_command)
            # An upper bound: on an otherwise idle loop each command pays its own wake-ups. So
            # it can show the target met, never missed.
            bound = "PASS" if share[2] <= 0.05 else "not shown"
            rows.append(
                f"| the same, upper bound from the feed's own work: server CPU per `{command}` "
                f"with the feed the only load ({FEED_CLIENTS} connections, back to back), times "
                f"{FEED_RATE}/s | | {per_command[0] * 1e6:.0f} µs per command "
                f"| {_cost(*share)} of the core | <= 5% | {bound} |"
            )
            continue
        name, conns = comparison.label.split()
        plural = "s" if conns != "1" else ""
        verdict = _verdict(rps[1], rps[2], lambda r: r >= 1.0)
        rows.append(
            f"| {labels[name]} req/s, {conns} connection{plural} "
            f"| legacy {base['rps']:,.0f} | modern {cand['rps']:,.0f} "
            f"| {rps[0]:.2f}x ({rps[1]:.2f} .. {rps[2]:.2f}) | >= 1.00x "
            f"| {verdict if others <= CONTENDED else 'contended'} |"
        )
        rows.append(
            f"| {labels[name]} server CPU per request, {conns} connection{plural} ({server}) "
            f"| legacy {base['cpu'] * 1e3:.2f} ms | modern {cand['cpu'] * 1e3:.2f} ms "
            f"| {cpu[0]:.2f}x ({cpu[1]:.2f} .. {cpu[2]:.2f}) | <= 1.00x "
            f"| {_verdict(cpu[1], cpu[2], lambda r: r <= 1.0)} |"
        )
    return rows


def _cost_rows(
    load: str,
    cpu_note: str,
    sides: tuple[str, str],
    figures: tuple[Any, Any, dict[str, float], dict[str, float]],
    contended: bool,
) -> list[str]:
    """A cost row of Tornado's requests per second under ``load``, and of its CPU per request."""
    rps, cpu, base, cand = figures
    verdict = _verdict(1 - rps[2], 1 - rps[1], lambda c: c <= 0.05)
    return [
        f"| `GET {TORNADO_ONLY}` req/s, {load} | {sides[0]} {base['rps']:,.0f} "
        f"| {sides[1]} {cand['rps']:,.0f} | {_cost(1 - rps[0], 1 - rps[2], 1 - rps[1])} "
        f"| <= 5% | {'contended' if contended else verdict} |",
        f"| the same, server CPU per Tornado request, {cpu_note} "
        f"| {sides[0]} {base['cpu'] * 1e6:.0f} µs | {sides[1]} {cand['cpu'] * 1e6:.0f} µs "
        f"| {_cost(cpu[0] - 1, cpu[1] - 1, cpu[2] - 1)} | <= 5% "
        f"| {_verdict(cpu[1] - 1, cpu[2] - 1, lambda c: c <= 0.05)} |",
    ]


def _cost(median: float, low: float, high: float) -> str:
    return f"cost {median:+.1%} ({low:+.1%} .. {high:+.1%})"


def _priority() -> str:
    """The scheduling priority the bench ran with (see docs/performance.md)."""
    try:
        with open("/proc/self/autogroup") as file:
            group = file.read().split()  # "/autogroup-31 nice -10"
        return f"autogroup nice {group[-1]}, process nice {os.getpriority(os.PRIO_PROCESS, 0)}"
    except (OSError, IndexError):
        return f"nice {os.getpriority(os.PRIO_PROCESS, 0)}"


async def _bench(uri: str) -> int:
    started = time.monotonic()
    rows, layout = await _measure(uri)
    print(
        f"Python {platform.python_version()}, {platform.machine()}; {ROUNDS} rounds, each one "
        f"pair of {SAMPLE:g} s samples per row ({FEED_PAIRS} for the feed rows), in ABBA order; "
        f"ratios and costs: median of the per-pair figures and its {CONFIDENCE:.0%} confidence "
        f"interval; {CONNECTIONS} (or 1) keep-alive connections; {MESSAGES} messages listed, "
        f"{SEARCH_IDS} ids searched; {layout}; {_priority()}; load average "
        f"{os.getloadavg()[0]:.2f} at the end; {time.monotonic() - started:.0f} s.\n"
    )
    print("\n".join(rows))
    return 1 if any(row.endswith("| FAIL |") for row in rows) else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_apps")
    parser.add_argument("--load-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--feed-server", metavar="URI", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if os.environ.get("BENCH_CPUS"):  # a helper process, on the CPUs _measure chose
        os.sched_setaffinity(0, {int(cpu) for cpu in os.environ["BENCH_CPUS"].split(",")})
    if args.load_worker:
        asyncio.run(_worker())
        return 0

    import logging

    import bridges

    if args.feed_server:
        bridges.run(_feed_server(args.feed_server))
        return 0
    from asyncmigrate.embedded_mongo import database_uri

    logging.getLogger("tornado.access").setLevel(logging.ERROR)
    with database_uri() as uri:
        return bridges.run(_bench(uri))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
