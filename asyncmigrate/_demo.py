"""The demo server: the legacy and the modern messages apps side by side, on one loop.

:func:`serve_apps` starts, on the running loop (Twisted's asyncio reactor installed on it):

- one Tornado HTTP server whose router sends ``/legacy/...`` to the legacy app,
  ``/modern/...`` to the modern app and everything else to a small index app;
- the legacy and the modern Twisted feeds, each on its own port.

Both apps read and write the same database, so a message posted through one shows in the other.
``asyncmigrate demo``, the tests and the benchmarks use it.

Mounting: ``make_app(db)`` takes no prefix and serves at its root. :class:`Mount` strips the
prefix from the request path while the app picks its handler and puts it back before the handler
runs, so logs show the real path; the apps' links and redirects are relative (``compose``,
``./``) and so stay under the prefix.
"""

from __future__ import annotations

import html
import importlib
from dataclasses import dataclass, field
from typing import Any

import tornado.httpserver
import tornado.httputil
import tornado.netutil
import tornado.routing
import tornado.web

__all__ = ["DemoServers", "Mount", "client_options", "make_router", "serve_apps"]

#: The database both apps use.
DATABASE = "asyncmigrate_demo"


def client_options(timeout: float) -> dict[str, Any]:
    """MongoDB client settings under which no request waits for the database much past ``timeout``.

    ``serverSelectionTimeoutMS`` bounds the wait for a server that is down; it alone does not
    bound a server that accepts connections and never answers (frozen, or cut off by a
    network fault): PyMongo would wait for its monitor to notice, some 20 seconds.
    ``connectTimeoutMS`` and ``socketTimeoutMS`` bound the handshake and each reply (one batch
    of a cursor, not a whole list); either failure is a ``ConnectionFailure``: 503 or
    ``ERR unavailable``.
    """
    ms = int(timeout * 1000)
    return {"serverSelectionTimeoutMS": ms, "connectTimeoutMS": ms, "socketTimeoutMS": ms}


# --8<-- [start:mount]
class Mount(tornado.routing.Router):
    """Serve ``app`` (which routes from its root) under ``prefix`` (such as ``/legacy``)."""

    def __init__(self, prefix: str, app: tornado.web.Application) -> None:
        self.prefix = prefix.rstrip("/")
        self.app = app

    def find_handler(
        self, request: tornado.httputil.HTTPServerRequest, **kwargs: Any
    ) -> tornado.httputil.HTTPMessageDelegate | None:
        path, uri = request.path, request.uri
        assert path.startswith(self.prefix + "/"), path  # the rule's PathMatches guarantees it
        request.path = path[len(self.prefix) :]
        if uri is not None:
            request.uri = uri[len(self.prefix) :]
        try:
            return self.app.find_handler(request, **kwargs)
        finally:
            request.path, request.uri = path, uri


# --8<-- [end:mount]


class _IndexHandler(tornado.web.RequestHandler):
    def initialize(self, feeds: dict[str, int]) -> None:
        self.feeds = feeds

    def get(self) -> None:
        host = html.escape(self.request.host_name)
        feeds = "".join(
            f"<li>{name} feed: <code>{host}:{port}</code></li>\n"
            for name, port in self.feeds.items()
        )
        self.finish(
            "<!DOCTYPE html>\n<html>\n"
            '<head><meta charset="utf-8"><title>asyncmigrate demo</title>\n'
            "<style>body{font-family:sans-serif;max-width:44em;margin:2em auto;line-height:1.5}"
            "code{background:#eee;padding:0 .3em}</style></head>\n"
            "<body>\n<h1>asyncmigrate demo</h1>\n"
            "<p>One process, one asyncio loop: the same messages service written twice, "
            "served side by side against one database.</p>\n<ul>\n"
            '<li><a href="legacy/">Legacy app</a>: <code>@tornado.web.asynchronous</code> '
            "handlers and Motor callbacks, run unchanged through <code>bridges.compat</code></li>\n"
            '<li><a href="modern/">Modern app</a>: <code>async def</code> handlers and '
            "PyMongo's async client</li>\n"
            f"{feeds}</ul>\n"
            "<p>Talk to a feed with <code>LIST 5</code> or <code>POST hello</code> "
            "(lines end with CR LF), for example <code>nc -C HOST PORT</code>.</p>\n"
            "</body>\n</html>\n"
        )


class _NoIconHandler(tornado.web.RequestHandler):
    """Browsers ask every site for ``/favicon.ico``; answering 204 (cacheable for a day) keeps
    a 404 warning per page view out of the demo's log."""

    def get(self) -> None:
        self.set_status(204)
        self.set_header("Cache-Control", "max-age=86400")


def make_router(
    legacy_app: tornado.web.Application,
    modern_app: tornado.web.Application,
    feeds: dict[str, int] | None = None,
) -> tornado.routing.RuleRouter:
    """``/legacy/`` and ``/modern/`` to the two apps, ``/`` to the index page."""
    index = tornado.web.Application(
        [
            (r"/", _IndexHandler, {"feeds": feeds or {}}),
            (r"/favicon\.ico", _NoIconHandler),
            # Without the slash, the apps' relative links would leave the prefix.
            (r"/(legacy|modern)", tornado.web.RedirectHandler, {"url": "/{0}/"}),
        ]
    )
    return tornado.routing.RuleRouter(
        [
            tornado.routing.Rule(
                tornado.routing.PathMatches(r"/legacy/.*"), Mount("/legacy", legacy_app)
            ),
            tornado.routing.Rule(
                tornado.routing.PathMatches(r"/modern/.*"), Mount("/modern", modern_app)
            ),
            tornado.routing.Rule(tornado.routing.AnyMatches(), index),
        ]
    )


@dataclass
class DemoServers:
    """What :func:`serve_apps` started; :meth:`close` stops it all."""

    host: str
    http_port: int
    legacy_feed_port: int
    modern_feed_port: int
    #: The legacy app's Motor database and the modern app's PyMongo async database.
    legacy_db: Any
    modern_db: Any
    _http: tornado.httpserver.HTTPServer
    _listening: list[Any] = field(default_factory=list)
    _clients: list[Any] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.http_port}/"

    async def close(self) -> None:
        from bridges import to_future

        self._http.stop()
        await self._http.close_all_connections()
        for port in self._listening:
            await to_future(port.stopListening())
        motor_client, pymongo_client = self._clients
        motor_client.close()
        await pymongo_client.close()


def _legacy_modules() -> tuple[Any, Any]:
    """Import the legacy package only once its shims are in place."""
    import bridges.compat

    bridges.compat.install()
    return importlib.import_module("legacy.app"), importlib.import_module("legacy.feed")


async def serve_apps(
    uri: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    feed_ports: tuple[int, int] = (0, 0),
    database: str = DATABASE,
    server_selection_timeout: float = 5.0,
) -> DemoServers:
    """Start both apps and both feeds on the running loop; port 0 picks a free one.

    A port that cannot be listened on raises :class:`OSError` naming it, after closing whatever
    was already started.

    ``server_selection_timeout`` (seconds) bounds how long a request waits for a database that
    is down, or does not answer, before it answers 503 / ``ERR unavailable`` (see
    :func:`client_options`).
    """
    import motor.motor_tornado
    import pymongo
    from twisted.internet import reactor
    from twisted.internet.error import CannotListenError

    import modern.app
    import modern.feed
    from bridges import install_reactor, to_future

    install_reactor()
    # Twisted's zope interfaces declare methods without ``self``; mypy (without the zope
    # plugin) reads listenTCP's arguments shifted by one.
    listen_tcp: Any = reactor.listenTCP
    legacy_app, legacy_feed = _legacy_modules()
    options = client_options(server_selection_timeout)
    motor_client: Any = motor.motor_tornado.MotorClient(uri, **options)
    pymongo_client: Any = pymongo.AsyncMongoClient(uri, **options)
    legacy_db, modern_db = motor_client[database], pymongo_client[database]

    listening: list[Any] = []
    try:
        feeds = {}
        for name, feed_port, factory in (
            ("Legacy", feed_ports[0], legacy_feed.make_factory(legacy_db)),
            ("Modern", feed_ports[1], modern.feed.make_factory(modern_db)),
        ):
            try:
                listening.append(listen_tcp(feed_port, factory, interface=host))
            except CannotListenError as exc:
                reason = getattr(exc.socketError, "strerror", exc.socketError)
                raise OSError(f"cannot listen on {host}:{feed_port}: {reason}") from exc
            feeds[name] = listening[-1].getHost().port
        router = make_router(legacy_app.make_app(legacy_db), modern.app.make_app(modern_db), feeds)
        try:
            sockets = tornado.netutil.bind_sockets(port, host)
        except OSError as exc:
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    except BaseException:
        for started in listening:
            await to_future(started.stopListening())
        motor_client.close()
        await pymongo_client.close()
        raise
    http = tornado.httpserver.HTTPServer(router)
    http.add_sockets(sockets)
    return DemoServers(
        host=host,
        http_port=sockets[0].getsockname()[1],
        legacy_feed_port=feeds["Legacy"],
        modern_feed_port=feeds["Modern"],
        legacy_db=legacy_db,
        modern_db=modern_db,
        _http=http,
        _listening=listening,
        _clients=[motor_client, pymongo_client],
    )
