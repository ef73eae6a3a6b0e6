"""How soon the embedded MongoDB server answers: ``EmbeddedMongo().start()`` to a first ping.

``python -m bench mongo``. Each round starts a fresh child (``asyncmigrate._mongo_child``) and
times, from this process, the call to ``EmbeddedMongo().start()`` until a new PyMongo client's
first ``ping`` is answered; the child's CPU time at that moment is read from ``/proc`` (in
10 ms steps). Median of
``ROUNDS`` rounds, the kinds of start alternating:

- with the dataclass code cache filled (``asyncmigrate._dataclass_cache``): every start after
  the first on a machine; the cache lives in a temporary ``XDG_CACHE_HOME``, filled by one
  unmeasured start, so the user's own cache is neither used nor touched;
- with an empty cache: the first start after an install (it compiles and writes the cache);
- the child's import share: ``build_server()`` alone (importing mongoeco and making the server,
  cache filled) in a fresh interpreter, timed inside it, wall and CPU. The share is given in CPU
  time, which another job on the machine disturbs less than the wall clock.

Target: ready in under 1000 ms with the cache filled. Exits 1 if it is missed.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import pymongo

from asyncmigrate.embedded_mongo import EmbeddedMongo

ROUNDS = 7
TARGET_MS = 1000.0
IMPORT_ONLY = (
    "import time\n"
    "wall, cpu = time.perf_counter(), time.process_time()\n"
    "from asyncmigrate._mongo_child import build_server\n"
    "from asyncmigrate._dataclass_cache import default_cache_path\n"
    "build_server(0, None, default_cache_path())\n"
    "print(time.perf_counter() - wall, time.process_time() - cpu)\n"
)


@contextlib.contextmanager
def cache_home(path: str) -> Iterator[None]:
    """Children started inside keep their dataclass code cache under ``path``."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = path
    try:
        yield
    finally:
        if before is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = before


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process (10 ms steps), NaN without ``/proc``."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ready_once() -> tuple[float, float]:
    """Seconds from ``start()`` to the first ping answered, and the child's CPU seconds then."""
    started = time.perf_counter()
    server = EmbeddedMongo()
    server.start()
    try:
        assert server.uri is not None
        client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
            server.uri, serverSelectionTimeoutMS=5000
        )
        try:
            client.admin.command("ping")
            elapsed = time.perf_counter() - started
            assert server._proc is not None
            return elapsed, cpu_seconds(server._proc.pid)
        finally:
            client.close()
    finally:
        server.stop()


def import_only() -> tuple[float, float]:
    """Wall and CPU seconds of ``build_server()`` in a fresh interpreter, timed inside it."""
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_ONLY], capture_output=True, text=True, check=True
    ).stdout
    wall, cpu = out.split()
    return float(wall), float(cpu)


def main() -> int:
    runs: dict[str, list[tuple[float, float]]] = {"warm": [], "empty": [], "import": []}
    with tempfile.TemporaryDirectory(prefix="bench-mongo-") as tmp:
        warm_home = os.path.join(tmp, "warm")
        with cache_home(warm_home):
            ready_once()  # fills the cache
        for round_ in range(ROUNDS):
            kinds = ["warm", "empty", "import"]
            for kind in kinds if round_ % 2 == 0 else reversed(kinds):
                if kind == "empty":
                    with cache_home(os.path.join(tmp, f"empty-{round_}")):
                        runs[kind].append(ready_once())
                else:
                    with cache_home(warm_home):
                        runs[kind].append(ready_once() if kind == "warm" else import_only())

    def ms(kind: str, column: int = 0, pick: str = "median") -> float:
        values = [run[column] * 1000 for run in runs[kind]]
        if pick == "min":
            return min(values)
        if pick == "max":
            return max(values)
        return statistics.median(values)

    load = os.getloadavg()[0]
    print(
        f"Cold starts (a new child each), median of {ROUNDS}; {os.cpu_count()} cores, load "
        f"average {load:.1f}; Python {sys.version.split()[0]}."
    )
    print()
    print("| start | ready ms (median) | min | max | child CPU ms (median) |")
    print("|---|---:|---:|---:|---:|")
    for kind, name in (
        ("warm", "dataclass code cache filled (every start after the first)"),
        ("empty", "dataclass code cache empty (the first start; it writes the cache)"),
    ):
        print(
            f"| {name} | {ms(kind):.0f} | {ms(kind, pick='min'):.0f} | "
            f"{ms(kind, pick='max'):.0f} | {ms(kind, 1):.0f} |"
        )
    print(
        f"| the child's import alone (`build_server()` in a fresh interpreter, cache filled) | "
        f"{ms('import'):.0f} | {ms('import', pick='min'):.0f} | {ms('import', pick='max'):.0f} | "
        f"{ms('import', 1):.0f} |"
    )
    ready = ms("warm")
    ok = ready < TARGET_MS
    print()
    print(
        f"embedded server ready: {ready:.0f} ms (target < {TARGET_MS:.0f} ms): "
        f"{'PASS' if ok else 'FAIL'}; the child's import is {ms('import', 1):.0f} ms of the "
        f"{ms('warm', 1):.0f} ms of CPU the child has used when ready "
        f"({ms('import', 1) / ms('warm', 1):.0%})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
