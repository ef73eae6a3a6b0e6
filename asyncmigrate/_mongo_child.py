"""The child side of :mod:`asyncmigrate.embedded_mongo`: run mongoeco's wire server.

:class:`~asyncmigrate.embedded_mongo.EmbeddedMongo` runs ``python -m asyncmigrate._mongo_child
--port N [--sqlite FILE]`` and waits for the line ``READY <uri>``; ``python -m
asyncmigrate.embedded_mongo`` (the server started by hand) runs :func:`main` too. The server stops
on SIGINT, SIGTERM, or when its standard input closes, so that it never outlives its parent.

Nearly all of the start-up is importing mongoeco: about 700 modules, with PyMongo, numpy, shapely
and jsonschema, which its wire server needs at import time (``docs/performance.md``, "Embedded
server"). So this module imports only the standard library until :func:`build_server`, which

- reuses the code of the methods ``@dataclass`` adds to mongoeco's 300-odd dataclasses, compiled
  by an earlier run (:mod:`asyncmigrate._dataclass_cache`): compiling it was a third of the import;
- imports the SQLite engine only when ``--sqlite`` asks for it (it brings usearch with it);
- runs the imports with the cyclic garbage collector off, then freezes what they made: those
  objects (modules, classes, functions) live as long as the process, so collecting during the
  import is work for nothing, and frozen, the server's own collections never walk them again;
- gives numpy's OpenBLAS one thread (unless ``OPENBLAS_NUM_THREADS`` says otherwise): its extra
  threads spin on the cores for a while after they start, beside the import.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import sys
from pathlib import Path
from typing import Any

from asyncmigrate._dataclass_cache import default_cache_path, reused_dataclass_code

READY = "READY "


def build_server(port: int, sqlite: str | None, code_cache: Path | None = None) -> Any:
    """Import mongoeco and make its wire server (not listening yet) on 127.0.0.1:``port``.

    ``sqlite``: the file to keep the data in (None: in memory). ``code_cache``: the file of
    :func:`~asyncmigrate._dataclass_cache.reused_dataclass_code` (None: compile afresh). Making
    the server is part of the import: it imports the in-memory engine when it needs it. Raises
    :class:`SystemExit` with the install hint if mongoeco is missing.
    """
    reuse = reused_dataclass_code(code_cache) if code_cache else contextlib.nullcontext()
    # numpy's OpenBLAS starts a thread per core that spins for a while after start-up (about
    # 0.1 s of a core here), for matrix work a test server never does much of.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with reuse:
            from mongoeco.wire import AsyncMongoEcoProxyServer

            engine = None
            if sqlite is not None:
                from mongoeco.engines import SQLiteEngine

                engine = SQLiteEngine(sqlite)
            return AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=port)
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SystemExit(
            "mongoeco is not installed: pip install 'asyncmigrate[apps]' "
            "(mongoeco[wire] needs Python 3.13), or set MONGODB_URI to a real MongoDB"
        ) from exc
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


async def serve(port: int, sqlite: str | None, code_cache: Path | None = None) -> None:
    """Serve on 127.0.0.1:``port`` (0: any free port), print ``READY <uri>``, run until stopped."""
    server = build_server(port, sqlite, code_cache)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Standard input closing means the parent is gone: stop with it. Only a pipe, a socket or a
    # terminal can say so; a regular file or /dev/null (a server started by hand, in the
    # background) cannot be watched, and then the signals alone stop the server.
    with contextlib.suppress(OSError, ValueError):
        loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.read(1) else None)
    try:
        address = await server.start()
    except OSError as exc:
        raise SystemExit(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc
    print(READY + address.uri, flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


def main(
    argv: list[str] | None = None, *, prog: str = "python -m asyncmigrate._mongo_child"
) -> None:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--sqlite", help="keep the data in this SQLite file (default: memory)")
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument(
        "--code-cache",
        type=Path,
        default=default_cache_path(),
        metavar="FILE",
        help="keep the code compiled for mongoeco's dataclasses here, for a faster next start "
        "(default: %(default)s)",
    )
    cache.add_argument(
        "--no-code-cache",
        dest="code_cache",
        action="store_const",
        const=None,
        help="compile it afresh and keep nothing",
    )
    parser.add_argument(
        "--prepare",
        action="store_true",
        help="import what the server needs, fill the code cache, and exit without serving "
        "(so that the first real start is as quick as the next ones)",
    )
    args = parser.parse_args(argv)
    if args.prepare:
        build_server(0, args.sqlite, args.code_cache)
        return
    asyncio.run(serve(args.port, args.sqlite, args.code_cache))


if __name__ == "__main__":
    main()
