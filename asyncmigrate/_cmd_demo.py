"""``asyncmigrate demo``: the legacy and the modern app side by side, on one loop.

One process, one asyncio loop started with :func:`bridges.run` (Twisted's asyncio reactor on
it). It starts the embedded MongoDB wire server (or uses ``MONGODB_URI``), serves the legacy app
under ``/legacy/``, the modern app under ``/modern/`` and an index page at ``/``, listens with
both Twisted feeds, seeds a few messages into an empty database, prints the URLs and runs until
Ctrl-C (SIGINT) or SIGTERM, then stops everything and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asyncmigrate._demo import DemoServers

#: The messages an empty database starts with, with fixed ids (oldest first).
SEED = [
    ("65a000000000000000000001", "Hello from the seed data."),
    ("65a000000000000000000002", "Messages are escaped: <b>this is not bold</b>."),
    (
        "65a000000000000000000003",
        "Post through either app or either feed: all four share one database.",
    ),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8888, help="HTTP port (default: %(default)s; 0: any free)"
    )
    parser.add_argument(
        "--feed-ports",
        type=_feed_ports,
        default=(8889, 8890),
        metavar="LEGACY,MODERN",
        help="ports of the legacy and the modern feed (default: 8889,8890; 0 picks a free one)",
    )
    parser.add_argument(
        "--sqlite",
        metavar="FILE",
        help="keep the embedded server's data in this SQLite file (default: in memory; "
        "ignored when MONGODB_URI is set)",
    )


def _feed_ports(text: str) -> tuple[int, int]:
    try:
        legacy, modern = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            "expected two ports, LEGACY,MODERN (such as 8889,8890)"
        ) from None
    return legacy, modern


def run(args: argparse.Namespace) -> int:
    import bridges
    from asyncmigrate.embedded_mongo import EmbeddedMongoError, database_uri

    try:
        with database_uri(sqlite=args.sqlite) as uri:
            return bridges.run(_serve(args, uri))
    except (EmbeddedMongoError, OSError) as exc:
        print(f"asyncmigrate demo: {exc}", file=sys.stderr)
        return 1


async def _serve(args: argparse.Namespace, uri: str) -> int:
    from asyncmigrate._demo import serve_apps

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Twisted's own chatter ("Starting factory ...") reaches the "bridges" logger at INFO.
    logging.getLogger("bridges").setLevel(logging.WARNING)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        servers = await serve_apps(uri, host=args.host, port=args.port, feed_ports=args.feed_ports)
    except OSError as exc:
        print(f"asyncmigrate demo: {exc}", file=sys.stderr)
        return 1
    try:
        await _seed(servers)
        base = servers.base_url
        print(
            f"asyncmigrate demo, database {_display(uri)}\n"
            f"  index        {base}\n"
            f"  legacy app   {base}legacy/\n"
            f"  modern app   {base}modern/\n"
            f"  legacy feed  {servers.host}:{servers.legacy_feed_port}\n"
            f"  modern feed  {servers.host}:{servers.modern_feed_port}\n"
            "Ctrl-C stops.",
            flush=True,
        )
        await stop.wait()
        print("stopping", flush=True)
    finally:
        await servers.close()
    return 0


async def _seed(servers: DemoServers) -> None:
    from bson import ObjectId

    db = servers.modern_db
    if await db.messages.count_documents({}, limit=1) == 0:
        await db.messages.insert_many([{"_id": ObjectId(oid), "msg": msg} for oid, msg in SEED])


def _display(uri: str) -> str:
    """The URI without a password."""
    scheme, sep, rest = uri.partition("://")
    credentials, at, hostpart = rest.rpartition("@")
    if at and ":" in credentials:
        credentials = credentials.split(":", 1)[0] + ":***"
    return f"{scheme}{sep}{credentials}{at}{hostpart}"
