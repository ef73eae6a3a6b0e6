"""The apps under test, started for real: each app with its feed on 127.0.0.1, port 0.

Used by the fixtures in ``conftest.py`` and by the tests that start servers of their own.
"""

from __future__ import annotations

import importlib
import socket
from dataclasses import dataclass
from typing import Any

import tornado.httpserver
import tornado.netutil

#: Short enough that the fault tests wait little, long enough for a loaded 2-core machine.
SERVER_SELECTION_MS = 1500

KINDS = ("legacy", "modern")


def app_modules(kind: str) -> tuple[Any, Any]:
    """``(app module, feed module)`` of one kind; legacy code only after the shims."""
    if kind == "legacy":
        import bridges.compat

        bridges.compat.install()
    return importlib.import_module(f"{kind}.app"), importlib.import_module(f"{kind}.feed")


def make_client(kind: str, uri: str, timeout_ms: int = SERVER_SELECTION_MS) -> Any:
    if kind == "legacy":
        import motor.motor_tornado

        return motor.motor_tornado.MotorClient(uri, serverSelectionTimeoutMS=timeout_ms)
    import pymongo

    return pymongo.AsyncMongoClient(uri, serverSelectionTimeoutMS=timeout_ms)


async def close_client(client: Any) -> None:
    result = client.close()
    if result is not None:  # PyMongo's async client closes with a coroutine, Motor's does not
        await result


@dataclass
class Service:
    """One app and its feed, listening on 127.0.0.1."""

    kind: str
    http_port: int
    feed_port: int
    db: Any  # the app's own database object (Motor or PyMongo async)
    _http: tornado.httpserver.HTTPServer
    _feed: Any
    _client: Any

    async def stop(self) -> None:
        from bridges import to_future

        self._http.stop()
        await self._http.close_all_connections()
        await to_future(self._feed.stopListening())
        await close_client(self._client)


async def start_service(
    kind: str, uri: str, database: str, timeout_ms: int = SERVER_SELECTION_MS
) -> Service:
    from twisted.internet import reactor

    app_module, feed_module = app_modules(kind)
    client = make_client(kind, uri, timeout_ms)
    # Connect now: the client's background tasks then belong to the fixture, not to the test.
    await client.admin.command("ping")
    db = client[database]
    http = tornado.httpserver.HTTPServer(app_module.make_app(db))
    [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    http.add_sockets([sock])
    feed = reactor.listenTCP(0, feed_module.make_factory(db), interface="127.0.0.1")
    return Service(kind, sock.getsockname()[1], feed.getHost().port, db, http, feed, client)
