"""The messages apps under load: legacy against modern, and the cost of the feed on the loop.

``python -m bench apps``. This process starts the embedded database and serves both apps and
both feeds on one loop (``bridges.run``, the demo's ``serve_apps``: the apps mounted under
``/legacy/`` and ``/modern/``). The load comes from separate processes running this module with
``--load-http`` or ``--load-feed``: small asyncio clients on raw keep-alive sockets, so the
server's loop is the only thing measured here, and the two apps get the same client.

Figures: each the median over ``ROUNDS`` rounds of ``SECONDS`` seconds. The two sides of a
ratio are measured back to back (legacy and modern in alternating order) and the ratio shown is
the median of the per-round ratios, so that a busy moment of a shared machine hits both sides:

- requests per second of ``GET /`` (the list of ``MESSAGES`` messages) and of
  ``POST /svc_vt_info/search`` (``SEARCH_IDS`` ids), legacy and modern, from ``CONNECTIONS``
  concurrent connections and from one; target: modern at least 1.0x legacy;
- this process's CPU time (all threads: Motor runs PyMongo in a thread pool) per request of each;
- requests per second of the modern ``GET /compose`` alone, and while the modern feed serves
  ``FEED_RATE`` commands per second from ``FEED_CLIENTS`` connections on the same loop, once
  ``LIST 10`` (a find each) and once ``LIST 0`` (answered without the database); target: the feed
  costs Tornado at most 5%.

Prints a Markdown table with PASS/FAIL per target; exits 1 if a load client saw an error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Any

ROUNDS = 5
SECONDS = 2.0
WARMUP = 0.3
CONNECTIONS = 8
MESSAGES = 20
SEARCH_IDS = 10
FEED_CLIENTS = 4
FEED_RATE = 50  # LIST commands per second, all feed clients together
#: The Tornado page measured against the feed: the compose form needs no database, so the figure
#: is about sharing the loop, not about sharing the database server.
TORNADO_ONLY = "/modern/compose"
#: The feed loads: ``LIST 10`` runs a find; ``LIST 0`` is answered ``ERR bad n`` at once, so that
#: row is the cost of the protocol and the bridge alone.
FEED_COMMANDS = ("LIST 10", "LIST 0")
#: Requests in flight on each connection for the feed rows (see ``_http_rps``): with one at a time,
#: the server waited in epoll for the load client about a third of the time.
FEED_ROWS_PIPELINE = 16


# ----- load clients (run in their own process) --------------------------------------------------


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
    port: int, method: str, path: str, body: str, seconds: float, connections: int, pipeline: int
) -> dict[str, Any]:
    payload = body.encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    if payload:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    request = head.encode() + b"\r\n" + payload
    tally = {"ok": 0, "errors": 0, "total": 0}
    start = time.monotonic()
    count_from, deadline = start + WARMUP, start + WARMUP + seconds
    await asyncio.gather(
        *(
            _http_client(port, request, pipeline, deadline, count_from, tally)
            for _ in range(connections)
        )
    )
    return {"rps": tally["ok"] / (time.monotonic() - count_from), **tally}


async def _feed_client(
    port: int, command: bytes, interval: float, deadline: float, tally: dict[str, int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        next_at = time.monotonic()
        while next_at < deadline:
            writer.write(command + b"\r\n")
            while (line := await reader.readline()) and line.startswith(b"MSG "):
                pass
            tally["ok" if line in (b"END\r\n", b"ERR bad n\r\n") else "errors"] += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        writer.close()


async def _load_feed(port: int, command: bytes, seconds: float) -> dict[str, Any]:
    tally = {"ok": 0, "errors": 0}
    start = time.monotonic()
    interval = FEED_CLIENTS / FEED_RATE
    await asyncio.gather(
        *(
            _feed_client(port, command, interval, start + seconds, tally)
            for _ in range(FEED_CLIENTS)
        )
    )
    return {"per_second": tally["ok"] / (time.monotonic() - start), **tally}


# ----- the server side (this process) -----------------------------------------------------------


#: CPUs for the load clients, or None to leave them to the scheduler; see ``_pinned``.
_client_cpus: set[int] | None = None


async def _run_load(*args: str) -> dict[str, Any]:
    cpus = _client_cpus
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bench_apps",
        *args,
        stdout=asyncio.subprocess.PIPE,
        env=os.environ if cpus is None else {**os.environ, "BENCH_CPUS": ",".join(map(str, cpus))},
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load client {args} failed with status {proc.returncode}")
    result: dict[str, Any] = json.loads(out)
    if result["errors"]:
        raise RuntimeError(f"load client {args} saw {result['errors']} errors")
    return result


async def _http_rps(
    port: int,
    method: str,
    path: str,
    body: str = "",
    connections: int = CONNECTIONS,
    pipeline: int = 1,
) -> tuple[float, float]:
    """Requests per second, and this process's CPU seconds (all threads) per request.

    ``pipeline`` requests go out at once on each connection (HTTP/1.1 pipelining, which Tornado
    answers in order): a Python client waiting for each answer is slower than the server, and
    the figure would then be the client's.
    """
    cpu = time.process_time()
    result = await _run_load(
        "--load-http",
        str(port),
        method,
        path,
        body,
        str(SECONDS),
        str(connections),
        str(pipeline),
    )
    return float(result["rps"]), (time.process_time() - cpu) / result["total"]


async def _with_feed_load(port: int, feed_port: int, command: str) -> tuple[float, float, float]:
    """Tornado's requests per second and CPU per request while the feed is loaded; feed rate."""
    # The feed load starts before the HTTP load and ends after it.
    args = ("--load-feed", str(feed_port), command, str(SECONDS + 1.0))
    feed = asyncio.ensure_future(_run_load(*args))
    await asyncio.sleep(0.2)
    rps, cpu = await _http_rps(port, "GET", TORNADO_ONLY, pipeline=FEED_ROWS_PIPELINE)
    return rps, cpu, float((await feed)["per_second"])


async def _measure(uri: str) -> list[str]:
    from bson import ObjectId

    from asyncmigrate._demo import serve_apps

    servers = await serve_apps(uri, database="bench_apps")
    try:
        db = servers.modern_db
        await db.messages.delete_many({})
        ids = [ObjectId(f"65b{n:021x}") for n in range(1, MESSAGES + 1)]
        await db.messages.insert_many([{"_id": i, "msg": f"message {i} <&>"} for i in ids])
        search = json.dumps({"id": [str(i) for i in ids[:SEARCH_IDS]]})
        port = servers.http_port

        figures: dict[str, list[float]] = {}

        def add(name: str, value: float) -> None:
            figures.setdefault(name, []).append(value)

        async def endpoint(kind: str, name: str, conns: int) -> tuple[float, float]:
            if name == "list":
                return await _http_rps(port, "GET", f"/{kind}/", "", conns)
            return await _http_rps(port, "POST", f"/{kind}/svc_vt_info/search", search, conns)

        for round_ in range(ROUNDS):
            # Each pair is measured back to back, in alternating order, and its ratio kept: a
            # busy moment of the machine then hits both sides of a ratio alike.
            kinds = ("legacy", "modern") if round_ % 2 == 0 else ("modern", "legacy")
            for name in ("list", "search"):
                for conns in (CONNECTIONS, 1):
                    got = {}
                    for kind in kinds:
                        rps, cpu = await endpoint(kind, name, conns)
                        got[kind] = rps
                        add(f"{name} {kind} {conns}", rps)
                        add(f"{name} cpu {kind} {conns}", cpu)
                    add(f"{name} ratio {conns}", got["modern"] / got["legacy"])
            with _pinned():
                for command in FEED_COMMANDS:
                    alone, cpu_alone = await _http_rps(
                        port, "GET", TORNADO_ONLY, pipeline=FEED_ROWS_PIPELINE
                    )
                    rps, cpu, feed_rate = await _with_feed_load(
                        port, servers.modern_feed_port, command
                    )
                    add(f"alone {command}", alone)
                    add(f"with feed {command}", rps)
                    add(f"feed rate {command}", feed_rate)
                    add(f"feed ratio {command}", rps / alone)
                    add(f"cpu alone {command}", cpu_alone)
                    add(f"cpu with feed {command}", cpu)
                    add(f"cpu feed ratio {command}", cpu / cpu_alone)
        med = {name: statistics.median(values) for name, values in figures.items()}
        return _table(med)
    finally:
        await servers.close()


@contextlib.contextmanager
def _pinned() -> Iterator[None]:
    """The loop's thread on the first CPU, the load clients on the others, for the feed figures.

    Unpinned, three busy processes (this server, the HTTP load, the feed load) share two cores,
    and the scheduler's choices, not the loop, decide how much of a core the server gets while the
    feed load runs. Pinned, the server's throughput is bounded by its own core, so the figure
    measures what the feed's work on the same loop takes from Tornado.
    """
    global _client_cpus
    available = os.sched_getaffinity(0)
    if len(available) < 2:
        yield
        return
    server, *clients = sorted(available)
    os.sched_setaffinity(0, {server})  # this thread only: the loop's
    _client_cpus = set(clients)
    try:
        yield
    finally:
        _client_cpus = None
        os.sched_setaffinity(0, available)


def _table(med: dict[str, float]) -> list[str]:
    rows = [
        "| Figure | Baseline | Candidate | Ratio | Target | |",
        "|---|---|---|---|---|---|",
    ]
    for endpoint, label in (("list", "`GET /` (list)"), ("search", "`POST /svc_vt_info/search`")):
        for conns in (CONNECTIONS, 1):
            legacy, modern = med[f"{endpoint} legacy {conns}"], med[f"{endpoint} modern {conns}"]
            ratio = med[f"{endpoint} ratio {conns}"]
            rows.append(
                f"| {label} req/s, {conns} connection{'s' if conns > 1 else ''} "
                f"| legacy {legacy:,.0f} | modern {modern:,.0f} | {ratio:.2f}x "
                f"| >= 1.00x | {'PASS' if ratio >= 1.0 else 'FAIL'} |"
            )
            legacy = med[f"{endpoint} cpu legacy {conns}"]
            modern = med[f"{endpoint} cpu modern {conns}"]
            rows.append(
                f"| {label} server CPU per request, {conns} connection{'s' if conns > 1 else ''} "
                f"| legacy {legacy * 1e3:.2f} ms | modern {modern * 1e3:.2f} ms "
                f"| {modern / legacy:.2f}x | (lower is better) | |"
            )
    for command in FEED_COMMANDS:
        alone, shared = med[f"alone {command}"], med[f"with feed {command}"]
        cost = 1 - med[f"feed ratio {command}"]
        what = "needing the database" if command == "LIST 10" else "answered without the database"
        rate = med[f"feed rate {command}"]
        verdict = "PASS" if cost <= 0.05 else "FAIL"
        rows.append(
            f"| `GET {TORNADO_ONLY}` req/s, the modern feed serving {rate:.0f} `{command}`/s "
            f"({what}) on the same loop, pinned | alone {alone:,.0f} | with feed {shared:,.0f} "
            f"| cost {cost:.1%} | <= 5% | {verdict} |"
        )
        alone, shared = med[f"cpu alone {command}"], med[f"cpu with feed {command}"]
        cost = med[f"cpu feed ratio {command}"] - 1
        verdict = "PASS" if cost <= 0.05 else "FAIL"
        rows.append(
            f"| the same, server CPU per Tornado request (the feed's work included) "
            f"| alone {alone * 1e6:.0f} µs | with feed {shared * 1e6:.0f} µs "
            f"| cost {cost:.1%} | <= 5% | {verdict} |"
        )
    return rows


async def _bench(uri: str) -> int:
    rows = await _measure(uri)
    print(
        f"Python {platform.python_version()}, {platform.machine()}; medians of {ROUNDS} rounds of "
        f"{SECONDS:.0f} s; {CONNECTIONS} (or 1) keep-alive connections from a separate process; "
        f"{MESSAGES} messages listed, {SEARCH_IDS} ids searched.\n"
    )
    print("\n".join(rows))
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_apps")
    parser.add_argument(
        "--load-http",
        nargs=7,
        metavar=("PORT", "METHOD", "PATH", "BODY", "SECONDS", "CONNECTIONS", "PIPELINE"),
    )
    parser.add_argument("--load-feed", nargs=3, metavar=("PORT", "COMMAND", "SECONDS"))
    args = parser.parse_args(argv)
    if os.environ.get("BENCH_CPUS"):  # a load client, kept off the server's CPU (see _pinned)
        os.sched_setaffinity(0, {int(cpu) for cpu in os.environ["BENCH_CPUS"].split(",")})
    if args.load_http:
        port, method, path, body, seconds, conns, pipeline = args.load_http
        load = _load_http(int(port), method, path, body, float(seconds), int(conns), int(pipeline))
        print(json.dumps(asyncio.run(load)))
        return 0
    if args.load_feed:
        port, command, seconds = args.load_feed
        print(json.dumps(asyncio.run(_load_feed(int(port), command.encode(), float(seconds)))))
        return 0

    import logging

    import bridges
    from asyncmigrate.embedded_mongo import database_uri

    logging.getLogger("tornado.access").setLevel(logging.ERROR)
    with database_uri() as uri:
        return bridges.run(_bench(uri))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
