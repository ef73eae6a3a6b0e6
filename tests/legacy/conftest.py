"""The legacy app and feed, unchanged, under bridges.compat on the shared loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bson import ObjectId

from bridges import to_future


def oid(n: int) -> ObjectId:
    """An ObjectId we choose: tests never depend on the time or process that made an id."""
    return ObjectId(f"{n:024x}")


@pytest.fixture
def seed(motor_db: Any) -> Any:
    """``await seed(*texts)``: store ``texts`` with ids 1, 2, ... (the last is the newest)."""

    async def store(*texts: str) -> list[ObjectId]:
        ids = [oid(i + 1) for i in range(len(texts))]
        if texts:
            docs = [{"_id": i, "msg": t} for i, t in zip(ids, texts, strict=True)]
            await motor_db.messages.insert_many(docs)
        return ids

    return store


@pytest.fixture
def legacy_modules(compat: None) -> Any:
    """``legacy.app`` and ``legacy.feed``, imported after ``bridges.compat.install()``."""
    import legacy.app
    import legacy.feed

    return legacy


@pytest.fixture
async def web(legacy_modules: Any, motor_db: Any, serve: Any) -> str:
    """Base URL of the legacy web app on a fresh database."""
    return serve(legacy_modules.app.make_app(motor_db))  # type: ignore[no-any-return]


@pytest.fixture
async def dead_web(legacy_modules: Any, dead_motor_db: Any, serve: Any) -> str:
    """Base URL of the legacy web app whose database is unreachable."""
    return serve(legacy_modules.app.make_app(dead_motor_db))  # type: ignore[no-any-return]


class FeedClient:
    """A line client on asyncio streams (the same loop as the reactor)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def command(self, line: bytes) -> bytes:
        self.send(line + b"\r\n")
        return await self.line()

    async def line(self) -> bytes:
        data = await asyncio.wait_for(self.reader.readuntil(b"\r\n"), 15)
        return data[:-2]

    async def lines_until_end(self) -> list[bytes]:
        lines = []
        while True:
            line = await self.line()
            lines.append(line)
            if line == b"END" or line.startswith(b"ERR"):
                return lines

    async def closed(self) -> bool:
        return await asyncio.wait_for(self.reader.read(), 15) == b""

    def close(self) -> None:
        self.writer.close()


async def _listen(factory: Any) -> AsyncIterator[Any]:
    from twisted.internet import reactor

    port = reactor.listenTCP(0, factory, interface="127.0.0.1")  # type: ignore[attr-defined]
    clients: list[FeedClient] = []

    async def connect() -> FeedClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port.getHost().port)
        client = FeedClient(reader, writer)
        clients.append(client)
        return client

    try:
        yield connect
    finally:
        for client in clients:
            client.close()
        await to_future(port.stopListening())


@pytest.fixture
async def feed(legacy_modules: Any, motor_db: Any) -> AsyncIterator[Any]:
    """``await feed()``: a client connected to the legacy feed on a fresh database."""
    async for connect in _listen(legacy_modules.feed.make_factory(motor_db)):
        yield connect


@pytest.fixture
async def dead_feed(legacy_modules: Any, dead_motor_db: Any) -> AsyncIterator[Any]:
    """``await dead_feed()``: a client of the legacy feed whose database is unreachable."""
    async for connect in _listen(legacy_modules.feed.make_factory(dead_motor_db)):
        yield connect
