"""The messages web app, callback style (Tornado 4.5/5.1, Motor 1.x), as written in 2017.

``make_app(db)`` takes a ``motor.motor_tornado.MotorDatabase`` and serves, at its root:

- ``GET /``: the list page, from ``@tornado.web.asynchronous`` and ``cursor.each(callback)``;
- ``GET /compose`` and ``POST /compose``: the form, then ``insert_one(doc, callback=...)`` and a
  relative redirect;
- ``POST /svc_vt_info/search``: JSON lookup by ObjectId through
  ``find(...).to_list(length=None, callback=...)`` (the talk's Sanic example, ported).

The contract (docs/contract.md) that this app and ``modern/app.py`` both keep, byte for byte:

    Data: collection ``messages``, documents ``{"_id": ObjectId, "msg": str}``, newest first.
    ``GET /`` the list page (``<ul>`` of ``<li>`` with escaped text); ``GET /compose`` the form
    (field ``msg``); ``POST /compose`` stores and answers 302 ``Location: ./`` (relative, so it
    holds under a mount prefix), an empty or whitespace-only ``msg`` is a 400 and stores nothing;
    ``POST /svc_vt_info/search`` needs ``Content-Type: application/json`` (else 415), takes
    ``{"id": [hex, ...]}`` with 0 to 1000 ObjectId hex strings (else 400 with a JSON error) and
    answers ``{"data": [{"id": hex, "msg": text}, ...]}`` in ``_id`` ascending order. A body over
    1 MiB is a 413 answered by the Application itself. No XSRF cookie. Database trouble is a 503.

The page texts below are a deliberate copy of ``modern/_pages.py``: legacy code never imports
anything newer than its own stack, so the two apps cannot share a module; the differential tests
keep the copies equal.

Unlike the example it is modelled on, the message text is HTML-escaped: the original wrote
``message["msg"]`` into the page as it was, an XSS hole.

Runs unchanged on Tornado 5.1.1 + Motor 1.3.1 (Python 3.7), and on Tornado 6.6 + Motor 3.7 once
``bridges.compat.install()`` has restored ``@asynchronous``, the callback API of Motor and
stack_context's "an exception in a callback reaches the handler".
"""

import html
import json
import re

import tornado.httputil
import tornado.web
from bson.objectid import ObjectId
from pymongo.errors import ConnectionFailure

MAX_BODY = 1024 * 1024
MAX_IDS = 1000
# Our own limit decides, not the HTTPServer's max_body_size: while a handler counts the body,
# the connection accepts anything (otherwise a big chunk would be a 400 from the server).
CONNECTION_BODY_LIMIT = 1 << 62
HEX_ID = re.compile(r"[0-9a-fA-F]{24}\Z")

LIST_HEAD = (
    "<!DOCTYPE html>\n"
    "<html>\n"
    '<head><meta charset="utf-8"><title>Messages</title></head>\n'
    "<body>\n"
    "<h1>Messages</h1>\n"
    '<p><a href="compose">Compose a message</a></p>\n'
    "<ul>\n"
)
LIST_ITEM = "<li>%s</li>\n"
LIST_TAIL = "</ul>\n</body>\n</html>\n"

COMPOSE_PAGE = (
    "<!DOCTYPE html>\n"
    "<html>\n"
    '<head><meta charset="utf-8"><title>Compose</title></head>\n'
    "<body>\n"
    "<h1>Compose a message</h1>\n"
    '<form method="post" action="compose">\n'
    '<textarea name="msg" rows="4" cols="60"></textarea>\n'
    '<button type="submit">Send</button>\n'
    "</form>\n"
    '<p><a href="./">Back to the list</a></p>\n'
    "</body>\n"
    "</html>\n"
)

ERROR_PAGE = (
    "<!DOCTYPE html>\n"
    "<html>\n"
    '<head><meta charset="utf-8"><title>%(code)d %(title)s</title></head>\n'
    "<body>\n"
    "<h1>%(code)d %(title)s</h1>\n"
    "</body>\n"
    "</html>\n"
)
ERROR_TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

BAD_JSON = "body is not valid JSON"
BAD_IDS = "id must be a list of ObjectId hex strings"
TOO_MANY_IDS = "id must have at most 1000 entries"
JSON_ERRORS = {
    405: "method not allowed",
    413: "body over 1 MiB",
    415: "Content-Type must be application/json",
    500: "internal error",
    503: "database unavailable",
}


def db_error_status(error):
    """503 for database trouble (server gone, selection timeout), 500 for anything else."""
    if isinstance(error, ConnectionFailure):
        return 503
    return 500


@tornado.web.stream_request_body
class BaseHandler(tornado.web.RequestHandler):
    """Body limit and error pages shared by every handler.

    The handlers stream their bodies so that the Application answers 413 itself, whatever the
    HTTPServer's max_body_size: a declared Content-Length over 1 MiB is refused in prepare(),
    before the body is read; a chunked body as soon as it passes 1 MiB. Tornado closes the
    connection after answering a request whose body it did not read.
    """

    def initialize(self):
        self._chunks = []
        self._received = 0

    @property
    def db(self):
        return self.settings["db"]

    def prepare(self):
        self.request.connection.set_max_body_size(CONNECTION_BODY_LIMIT)
        declared = self.request.headers.get("Content-Length")
        if declared is not None and re.match(r"[0-9]+\Z", declared) and int(declared) > MAX_BODY:
            raise tornado.web.HTTPError(413)

    def data_received(self, chunk):
        if self._finished:
            return
        self._received += len(chunk)
        if self._received > MAX_BODY:
            self.send_error(413)
            return
        self._chunks.append(chunk)

    def body(self):
        return b"".join(self._chunks)

    def write_error(self, status_code, **kwargs):
        title = ERROR_TITLES.get(status_code, self._reason)
        self.write(ERROR_PAGE % {"code": status_code, "title": title})


class NotFoundHandler(BaseHandler):
    def prepare(self):
        super(NotFoundHandler, self).prepare()
        raise tornado.web.HTTPError(404)


class MessagesHandler(BaseHandler):
    @tornado.web.asynchronous
    def get(self):
        self.write(LIST_HEAD)
        self.db.messages.find().sort([("_id", -1)]).each(self._got_message)

    def _got_message(self, message, error):
        if error:
            raise tornado.web.HTTPError(db_error_status(error))
        elif message:
            self.write(LIST_ITEM % html.escape(message["msg"], quote=True))
        else:
            # Iteration complete
            self.write(LIST_TAIL)
            self.finish()


class ComposeHandler(BaseHandler):
    def get(self):
        self.write(COMPOSE_PAGE)

    @tornado.web.asynchronous
    def post(self):
        # A streamed body is not parsed by Tornado: do what it would have done.
        arguments, files = {}, {}
        try:
            tornado.httputil.parse_body_arguments(
                self.request.headers.get("Content-Type", ""),
                self.body(),
                arguments,
                files,
                self.request.headers,
            )
        except Exception:
            raise tornado.web.HTTPError(400)
        self.request.body_arguments.update(arguments)
        msg = self.get_body_argument("msg", None)
        if not msg:
            raise tornado.web.HTTPError(400)
        self.db.messages.insert_one({"msg": msg}, callback=self._inserted)

    def _inserted(self, result, error):
        if error:
            raise tornado.web.HTTPError(db_error_status(error))
        self.redirect("./")


class SearchHandler(BaseHandler):
    @tornado.web.asynchronous
    def post(self):
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise tornado.web.HTTPError(415)
        try:
            query = json.loads(self.body().decode("utf-8"))
        except (ValueError, RecursionError):
            # UnicodeDecodeError and JSONDecodeError are both ValueErrors.
            raise tornado.web.HTTPError(400, BAD_JSON)
        if not isinstance(query, dict) or not isinstance(query.get("id"), list):
            raise tornado.web.HTTPError(400, BAD_IDS)
        if len(query["id"]) > MAX_IDS:
            raise tornado.web.HTTPError(400, TOO_MANY_IDS)
        ids = []
        for hex_id in query["id"]:
            if not isinstance(hex_id, str) or not HEX_ID.match(hex_id):
                raise tornado.web.HTTPError(400, BAD_IDS)
            ids.append(ObjectId(hex_id))
        cursor = self.db.messages.find({"_id": {"$in": ids}}).sort([("_id", 1)])
        cursor.to_list(length=None, callback=self._found)

    def _found(self, messages, error):
        if error:
            raise tornado.web.HTTPError(db_error_status(error))
        self.write({"data": [{"id": str(m["_id"]), "msg": m["msg"]} for m in messages]})
        self.finish()

    def write_error(self, status_code, **kwargs):
        error = kwargs.get("exc_info", (None, None, None))[1]
        if status_code == 400 and isinstance(error, tornado.web.HTTPError) and error.log_message:
            text = error.log_message
        else:
            text = JSON_ERRORS.get(status_code, JSON_ERRORS[500])
        self.write({"error": text})


def make_app(db):
    """The Application serving the messages service at its root, on the Motor database ``db``."""
    return tornado.web.Application(
        [
            (r"/", MessagesHandler),
            (r"/compose", ComposeHandler),
            (r"/svc_vt_info/search", SearchHandler),
        ],
        db=db,
        default_handler_class=NotFoundHandler,
    )
