"""Fixtures for the bridges.compat tests: the shims, a real HTTP server, a real Motor database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import motor.motor_tornado
import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web

import bridges.compat


@pytest.fixture
def compat() -> Iterator[None]:
    """The shims, installed for one test and removed after it."""
    bridges.compat.install()
    try:
        yield
    finally:
        bridges.compat.uninstall()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., str]]:
    """``serve(handlers)``: an Application on 127.0.0.1 (ephemeral port); returns its base URL."""
    servers: list[tornado.httpserver.HTTPServer] = []

    def start(handlers: list[Any], **settings: Any) -> str:
        server = tornado.httpserver.HTTPServer(tornado.web.Application(handlers, **settings))
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
    """A fresh database on the session's server, through Motor's Tornado client."""
    client = motor.motor_tornado.MotorClient(mongo_uri, serverSelectionTimeoutMS=5000)
    db = client[f"compat_{uuid.uuid4().hex[:12]}"]
    try:
        yield db
    finally:
        await client.drop_database(db.name)
        client.close()


@pytest.fixture
async def dead_db() -> AsyncIterator[Any]:
    """A Motor database on a port where nothing listens: every operation fails quickly."""
    [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1")
    port = sock.getsockname()[1]
    sock.close()
    client = motor.motor_tornado.MotorClient(
        f"mongodb://127.0.0.1:{port}", serverSelectionTimeoutMS=300, connectTimeoutMS=300
    )
    try:
        yield client.compat
    finally:
        client.close()
