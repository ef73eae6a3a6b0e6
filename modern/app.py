"""The messages web app on native coroutines: the twin of ``legacy/app.py``.

``make_app(db)`` takes a :class:`pymongo.asynchronous.database.AsyncDatabase` (PyMongo's own
async client, the successor of Motor) and returns a :class:`tornado.web.Application` that serves,
at its root:

- ``GET /``: the list page, newest message first;
- ``GET /compose`` and ``POST /compose``: the form, and the store followed by a relative redirect;
- ``POST /svc_vt_info/search``: the JSON lookup by ObjectId.

Every byte it answers is the same as the legacy app's for the same data and the same request
(``docs/contract.md``; ``tests/apps`` checks it). The texts live in :mod:`modern._pages`: legacy
code cannot import anything new, so it keeps its own copy, on purpose.

What changed from the legacy handlers, and why:

- ``async def`` handlers with ``await``, ``async for`` and async comprehensions instead of
  ``@asynchronous`` and callbacks: no ``finish()`` to forget, and an exception anywhere in a
  handler reaches Tornado's error handling without ``stack_context``.
- Database trouble is translated once, in :meth:`BaseHandler.send_error`: a
  :class:`pymongo.errors.ConnectionFailure` (server down, selection timeout, connection reset)
  becomes a 503 within the client's server-selection timeout, instead of a 500 or a hang.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import tornado.httputil
import tornado.web
from bson import ObjectId
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure

from modern import _pages

__all__ = ["make_app"]

log = logging.getLogger(__name__)

_HEX_ID = re.compile(r"[0-9a-fA-F]{24}")
#: The connection's own body limit while a handler counts: above any chunk a client may declare,
#: so that the Application, not the HTTPServer, decides (and answers 413 rather than 400).
_CONNECTION_BODY_LIMIT = 1 << 62


# --8<-- [start:base]
@tornado.web.stream_request_body
class BaseHandler(tornado.web.RequestHandler):
    """The body limit, the error pages and the translation of database trouble.

    Every handler streams its body so that the Application answers 413 itself, whatever
    ``max_body_size`` the HTTPServer was given: a declared ``Content-Length`` over the limit is
    refused before the body is read, a chunked body as soon as it passes the limit. Tornado
    closes the connection after an answer sent before the body was read.
    """

    def initialize(self, db: AsyncDatabase[Any], messages: AsyncCollection[Any]) -> None:
        self.db = db
        #: ``db.messages``, made once by :func:`make_app`: each ``db.messages`` builds a new
        #: collection object, a cost paid on every request otherwise.
        self.messages = messages
        self._chunks: list[bytes] = []
        self._received = 0

    def prepare(self) -> None:
        assert self.request.connection is not None
        self.request.connection.set_max_body_size(_CONNECTION_BODY_LIMIT)  # type: ignore[attr-defined]
        declared = self.request.headers.get("Content-Length")
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and int(declared) > _pages.MAX_BODY
        ):
            raise tornado.web.HTTPError(413)

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self._received += len(chunk)
        if self._received > _pages.MAX_BODY:
            self.send_error(413)
            return
        self._chunks.append(chunk)

    @property
    def body(self) -> bytes:
        """The whole request body (available in the HTTP method, once it has arrived)."""
        return b"".join(self._chunks)

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        if exc_info is not None and isinstance(exc_info[1], ConnectionFailure):
            status_code = 503
        super().send_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: BaseException | None, tb: Any) -> None:
        if isinstance(value, ConnectionFailure):
            log.warning("%s: database unavailable: %s", self._request_summary(), value)
        else:
            super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish(_pages.error_page(status_code, self._reason))


# --8<-- [end:base]


# --8<-- [start:messages]
class MessagesHandler(BaseHandler):
    async def get(self) -> None:
        self.write(_pages.LIST_HEAD)
        cursor = self.messages.find().sort([("_id", -1)])
        # One write for all the items: each write() costs a call into Tornado's buffering.
        self.write("".join([_pages.list_item(message["msg"]) async for message in cursor]))
        self.finish(_pages.LIST_TAIL)


# --8<-- [end:messages]


# --8<-- [start:compose]
class ComposeHandler(BaseHandler):
    def get(self) -> None:
        self.finish(_pages.COMPOSE_FORM)

    async def post(self) -> None:
        # A streamed body is not parsed by Tornado: do what it would have done.
        try:
            tornado.httputil.parse_body_arguments(
                self.request.headers.get("Content-Type", ""),
                self.body,
                self.request.body_arguments,
                self.request.files,
                self.request.headers,
            )
        except Exception:
            raise tornado.web.HTTPError(400) from None
        text = self.get_body_argument("msg", default="")
        if not text:  # get_body_argument strips
            raise tornado.web.HTTPError(400)
        await self.messages.insert_one({"msg": text})
        self.redirect(_pages.AFTER_COMPOSE)


# --8<-- [end:compose]


# --8<-- [start:search]
class SearchHandler(BaseHandler):
    async def post(self) -> None:
        media_type = self.request.headers.get("Content-Type", "").split(";")[0]
        if media_type.strip().lower() != "application/json":
            raise tornado.web.HTTPError(415)
        try:
            ids = _parse_ids(self.body)
        except ValueError as exc:
            self.set_status(400)
            self.finish({"error": str(exc)})
            return
        cursor = self.messages.find({"_id": {"$in": ids}}).sort([("_id", 1)])
        self.finish({"data": [{"id": str(doc["_id"]), "msg": doc["msg"]} async for doc in cursor]})

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish({"error": _pages.JSON_ERRORS.get(status_code, _pages.JSON_ERRORS[500])})


def _parse_ids(body: bytes) -> list[ObjectId]:
    """The ObjectIds a search body asks for, or ValueError with the text the client gets."""
    try:
        query = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        raise ValueError(_pages.ERR_JSON) from None
    if not isinstance(query, dict) or not isinstance(query.get("id"), list):
        raise ValueError(_pages.ERR_IDS)
    hexes = query["id"]
    if len(hexes) > _pages.MAX_IDS:
        raise ValueError(_pages.ERR_TOO_MANY)
    if not all(isinstance(h, str) and _HEX_ID.fullmatch(h) for h in hexes):
        raise ValueError(_pages.ERR_IDS)
    return [ObjectId(h) for h in hexes]


# --8<-- [end:search]


class _NotFoundHandler(BaseHandler):
    def prepare(self) -> None:
        super().prepare()  # the body limit first, as on every route
        raise tornado.web.HTTPError(404)


def make_app(db: AsyncDatabase[Any]) -> tornado.web.Application:
    """The messages app on ``db``, served at its root; mount it anywhere, links are relative."""
    args = {"db": db, "messages": db.messages}
    return tornado.web.Application(
        [
            (r"/", MessagesHandler, args),
            (r"/compose", ComposeHandler, args),
            (r"/svc_vt_info/search", SearchHandler, args),
        ],
        default_handler_class=_NotFoundHandler,
        default_handler_args=args,
    )
