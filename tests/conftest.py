"""Fixtures shared by the whole test-suite."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[object]:
    """One in-memory embedded MongoDB wire server (mongoeco) for the whole session.

    Imported lazily so that ``tests/bridges`` still collects on Python versions where the
    ``apps`` extra (mongoeco needs 3.13) is not installed. Started only when a test asks for it
    (directly, or through ``mongo_uri`` without ``MONGODB_URI``). Do not stop or restart it: a
    test that needs that starts an ``EmbeddedMongo`` of its own.
    """
    from asyncmigrate.embedded_mongo import EmbeddedMongo

    server = EmbeddedMongo()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mongo_uri(request: pytest.FixtureRequest) -> str:
    """``MONGODB_URI`` if set, else the URI of the session's embedded server."""
    uri = os.environ.get("MONGODB_URI")
    if uri:
        return uri
    server = request.getfixturevalue("mongo_server")
    return server.uri  # type: ignore[attr-defined,no-any-return]


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def compat() -> Iterator[None]:
    """``bridges.compat`` installed for one test (and uninstalled after it, unless it was in)."""
    import bridges.compat

    was_installed = bridges.compat.installed()
    bridges.compat.install()
    try:
        yield
    finally:
        if not was_installed:
            bridges.compat.uninstall()


@pytest.fixture
def no_compat() -> Iterator[None]:
    """``bridges.compat`` uninstalled for one test, then put back as it was.

    Other suites (tests/apps) install the shims for the rest of the session; a test that needs
    the unpatched libraries asks for this.
    """
    import bridges.compat

    was_installed = bridges.compat.installed()
    bridges.compat.uninstall()
    try:
        yield
    finally:
        bridges.compat.uninstall()
        if was_installed:
            bridges.compat.install()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., str]]:
    """``serve(app_or_handlers)``: a Tornado server on 127.0.0.1:0; returns its base URL."""
    import tornado.httpserver
    import tornado.netutil
    import tornado.web

    servers: list[Any] = []

    def start(app: Any, **settings: Any) -> str:
        if not isinstance(app, tornado.web.Application):
            app = tornado.web.Application(app, **settings)
        server = tornado.httpserver.HTTPServer(app)
        [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server.add_sockets([sock])
        servers.append(server)
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for server in servers:
        server.stop()
        await server.close_all_connections()


@pytest.fixture
async def motor_db(mongo_uri: str) -> AsyncIterator[Any]:
    """A fresh database on the session's server, through Motor's Tornado client (legacy)."""
    import motor.motor_tornado

    client = motor.motor_tornado.MotorClient(mongo_uri, serverSelectionTimeoutMS=5000)
    db = client[f"t_{uuid.uuid4().hex[:12]}"]
    try:
        yield db
    finally:
        await client.drop_database(db.name)
        client.close()


@pytest.fixture
async def dead_motor_db() -> AsyncIterator[Any]:
    """A Motor database on a port where nothing listens: operations fail within 0.3 s."""
    import motor.motor_tornado

    client = motor.motor_tornado.MotorClient(
        f"mongodb://127.0.0.1:{free_port()}",
        serverSelectionTimeoutMS=300,
        connectTimeoutMS=300,
    )
    try:
        yield client.messages_db
    finally:
        client.close()
