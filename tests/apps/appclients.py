"""Raw clients for the apps' tests: exact bytes over real loopback sockets.

A hand-written HTTP/1.1 client rather than a library one, so that the tests see the bytes the
server wrote (headers as sent, body unchanged, no redirect following, no retry), and a line
client for the feeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

#: Bounded waits: a server that hangs fails the test instead of blocking the session.
WAIT = 15.0

#: The response headers both apps must agree on. Date and Server are the framework's, Etag is
#: a hash of the body (compared through the body).
HEADERS_THAT_MATTER = ("content-type", "content-length", "location", "set-cookie", "connection")


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    raw_headers: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> object:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8")

    def key(self) -> tuple[int, dict[str, str], bytes]:
        """What the differential tests compare."""
        kept = {name: self.headers[name] for name in HEADERS_THAT_MATTER if name in self.headers}
        return self.status, kept, self.body


async def http(
    port: int,
    method: str,
    path: str,
    body: bytes | str = b"",
    headers: dict[str, str] | None = None,
    *,
    chunked: bool = False,
) -> Response:
    """One request on a fresh connection to 127.0.0.1:port; the whole response."""
    return await asyncio.wait_for(_http(port, method, path, body, headers, chunked), WAIT)


async def _http(
    port: int,
    method: str,
    path: str,
    body: bytes | str,
    headers: dict[str, str] | None,
    chunked: bool,
) -> Response:
    if isinstance(body, str):
        body = body.encode("utf-8")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}")
        if chunked:
            head.append("Transfer-Encoding: chunked")
        elif body or method in ("POST", "PUT"):
            head.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        try:
            if chunked:
                step = 64 * 1024
                for start in range(0, len(body), step):
                    piece = body[start : start + step]
                    writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
            else:
                writer.write(body)
            await writer.drain()
        except ConnectionError:
            pass  # the server answered early and closed (413): read what it said
        return await _read_response(reader, head=method == "HEAD")
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def _read_response(reader: asyncio.StreamReader, *, head: bool = False) -> Response:
    status_line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
    version, status, reason = status_line.split(" ", 2)
    assert version == "HTTP/1.1", status_line
    raw_headers = []
    while True:
        line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        raw_headers.append((name.strip(), value.strip()))
    headers = {name.lower(): value for name, value in raw_headers}
    try:
        if head:  # the answer to HEAD has the headers of a body, not the body
            body = b""
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:
            body = await reader.read()
    except ConnectionError:  # a reset after the answer (413): the answer is what counts
        body = b""
    return Response(int(status), reason, headers, body, raw_headers)


class FeedClient:
    """A line client for a feed: send lines, read the answer lines."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int) -> FeedClient:
        # A MSG line can be 64 KiB long: raise the reader's line limit above that.
        opening = asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        reader, writer = await asyncio.wait_for(opening, WAIT)
        return cls(reader, writer)

    async def send(self, line: bytes | str) -> None:
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.writer.write(line + b"\r\n")
        await self.writer.drain()

    async def line(self) -> bytes:
        """The next answer line, without its CR LF (b"" once the server closed)."""
        data = await asyncio.wait_for(self.reader.readline(), WAIT)
        assert data == b"" or data.endswith(b"\r\n"), data
        return data[:-2]

    async def ask(self, line: bytes | str) -> list[bytes]:
        """Send one command and read its whole answer (up to END for a LIST)."""
        await self.send(line)
        answer = [await self.line()]
        while answer[-1].startswith(b"MSG "):
            answer.append(await self.line())
        return answer

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def oid(n: int) -> ObjectId:
    """An ObjectId the test controls: its order is the order of ``n``."""
    return ObjectId(f"{0x65A00000:08x}{n:016x}")


async def seed(db: Any, texts: list[str]) -> list[ObjectId]:
    """Store ``texts`` with ids in their order (oldest first); returns the ids."""
    ids = [oid(n + 1) for n in range(len(texts))]
    if texts:
        await db.messages.insert_many(
            [{"_id": i, "msg": t} for i, t in zip(ids, texts, strict=True)]
        )
    return ids
