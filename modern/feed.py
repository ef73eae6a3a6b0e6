"""The messages feed on native coroutines: the twin of ``legacy/feed.py``.

A Twisted line protocol (``POST <text>``, ``LIST <n>``; ``docs/contract.md`` has every byte)
whose command handler is an ``async def`` bridged with :func:`bridges.deferred_api`: Twisted
gets the Deferred it expects, the handler awaits PyMongo's async client directly. It runs on
Twisted's asyncio reactor, on the same loop as the web apps, so both see the same database.

What changed from the legacy feed, and why:

- one ``async def`` per connection step instead of a chain of ``addCallback``/``addErrback``
  and an ``@inlineCallbacks`` generator with ``returnValue``;
- errors are translated once, in :meth:`FeedProtocol._serve`: a
  :class:`pymongo.errors.ConnectionFailure` answers ``ERR unavailable`` within the client's
  server-selection timeout, anything else ``ERR internal error`` (and is logged);
- commands are answered one at a time, in order: the protocol stops reading while a command is
  in flight (``pauseProducing``) and reads on once it is answered; a client that half-closes
  still gets every answer (``readConnectionLost``), as in the legacy feed.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.internet.protocol import Factory
from twisted.protocols.basic import LineReceiver
from zope.interface import implementer

from bridges import deferred_api
from modern import _pages

__all__ = ["FeedProtocol", "make_factory"]

log = logging.getLogger(__name__)

_LIST_N = re.compile(r"[0-9]{1,3}")


# --8<-- [start:protocol]
@implementer(IHalfCloseableProtocol)
class FeedProtocol(LineReceiver):
    delimiter = b"\r\n"
    MAX_LENGTH = _pages.FEED_MAX_LINE

    def __init__(
        self, db: AsyncDatabase[Any], messages: AsyncCollection[Any] | None = None
    ) -> None:
        self.db = db
        #: ``db.messages``; the factory makes it once (each ``db.messages`` builds a new object).
        self.messages = db.messages if messages is None else messages
        self._connected = False

    def connectionMade(self) -> None:
        self._connected = True

    def connectionLost(self, reason: object = None) -> None:
        # A command in flight still completes (a POST already sent is stored, as in the legacy
        # feed); its answer goes nowhere.
        self._connected = False

    def lineReceived(self, line: bytes) -> None:
        self.pauseProducing()
        self._serve(line)

    def lineLengthExceeded(self, line: bytes) -> None:
        self._send(_pages.FEED_ERR_TOO_LONG)
        self.transport.loseConnection()

    def readConnectionLost(self) -> None:
        # The client sent all it will; reading is paused while a command is in flight, so every
        # command read is answered by now: close once the answers are written.
        self.transport.loseConnection()

    def writeConnectionLost(self) -> None:
        self.transport.loseConnection()

    @deferred_api
    async def _serve(self, line: bytes) -> None:
        """Answer one line, then read the next one."""
        try:
            answer = await self._answer(line)
        except ConnectionFailure as exc:
            log.warning("feed: database unavailable: %s", exc)
            answer = [_pages.FEED_ERR_UNAVAILABLE]
        except Exception:
            log.exception("feed: cannot answer %r", line[:80])
            answer = [_pages.FEED_ERR_INTERNAL]
        if self._connected:
            # One write for all the lines: each write is a call into the transport.
            self.transport.write(b"".join(text.encode("utf-8") + self.delimiter for text in answer))
            self.resumeProducing()

    async def _answer(self, line: bytes) -> list[str]:
        if not line:
            return [_pages.FEED_ERR_EMPTY_LINE]
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return [_pages.FEED_ERR_UTF8]
        command, _, argument = text.partition(" ")
        if command == "POST":
            return [await self._post(argument)]
        if command == "LIST":
            return await self._list(argument)
        return [_pages.FEED_ERR_UNKNOWN]

    async def _post(self, argument: str) -> str:
        message = argument.strip()
        if not message:
            return _pages.FEED_ERR_EMPTY_MESSAGE
        result = await self.messages.insert_one({"msg": message})
        return f"OK {result.inserted_id}"

    async def _list(self, argument: str) -> list[str]:
        if not _LIST_N.fullmatch(argument) or not 1 <= int(argument) <= _pages.FEED_MAX_N:
            return [_pages.FEED_ERR_BAD_N]
        cursor = self.messages.find().sort([("_id", -1)]).limit(int(argument))
        lines = [f"MSG {doc['_id']} {_pages.feed_text(doc['msg'])}" async for doc in cursor]
        return [*lines, "END"]

    def _send(self, text: str) -> None:
        self.sendLine(text.encode("utf-8"))


# --8<-- [end:protocol]


class _FeedFactory(Factory):
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.db = db
        self.messages = db.messages

    def buildProtocol(self, addr: object) -> FeedProtocol:
        protocol = FeedProtocol(self.db, self.messages)
        protocol.factory = self
        return protocol


def make_factory(db: AsyncDatabase[Any]) -> Factory:
    """A factory of feed connections on ``db`` (``reactor.listenTCP(port, make_factory(db))``)."""
    return _FeedFactory(db)
