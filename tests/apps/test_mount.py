"""The demo's router (``asyncmigrate._demo.make_router``): both apps under their prefixes.

The apps take no prefix; ``Mount`` hides it from them while they pick a handler. Their answers
under ``/legacy/`` and ``/modern/`` must be the bytes they give at their own root, the relative
links and redirect must resolve under the prefix, and the request the handler sees (hence the
access log) keeps its real path.
"""

from __future__ import annotations

import logging
import socket
import urllib.parse

import pytest
import tornado.httpserver
import tornado.netutil
from appclients import http, seed
from appservers import KINDS, app_modules

from asyncmigrate._demo import make_router

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def mounted(mongo_uri, database, direct):
    import motor.motor_tornado
    import pymongo

    legacy_client = motor.motor_tornado.MotorClient(mongo_uri, serverSelectionTimeoutMS=5000)
    modern_client = pymongo.AsyncMongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    await legacy_client.admin.command("ping")
    await modern_client.admin.command("ping")
    apps = {kind: app_modules(kind)[0] for kind in KINDS}
    router = make_router(
        apps["legacy"].make_app(legacy_client[database]),
        apps["modern"].make_app(modern_client[database]),
        {"Legacy": 1, "Modern": 2},
    )
    server = tornado.httpserver.HTTPServer(router)
    [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    server.add_sockets([sock])
    try:
        yield sock.getsockname()[1]
    finally:
        server.stop()
        await server.close_all_connections()
        legacy_client.close()
        await modern_client.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_an_app_under_its_prefix(mounted, direct, kind, caplog):
    await seed(direct, ["<seeded>"])
    listing = await http(mounted, "GET", f"/{kind}/")
    assert listing.status == 200
    assert b"<li>&lt;seeded&gt;</li>\n" in listing.body
    assert b'<a href="compose">' in listing.body

    with caplog.at_level(logging.INFO, logger="tornado.access"):
        posted = await http(mounted, "POST", f"/{kind}/compose", "msg=mounted", FORM)
    assert (posted.status, posted.headers["location"]) == (302, "./")
    assert urllib.parse.urljoin(f"http://h/{kind}/compose", "./") == f"http://h/{kind}/"
    assert f"POST /{kind}/compose" in caplog.text  # the log shows the real path

    search = await http(
        mounted,
        "POST",
        f"/{kind}/svc_vt_info/search",
        '{"id": []}',
        {"Content-Type": "application/json"},
    )
    assert (search.status, search.body) == (200, b'{"data": []}')
    assert (await http(mounted, "GET", f"/{kind}/nope")).status == 404
    # The app's own root paths are not reachable without the prefix.
    assert (await http(mounted, "GET", "/compose")).status == 404


async def test_both_prefixes_answer_the_same_bytes(mounted, direct):
    await seed(direct, ["one", "two & three"])
    old = await http(mounted, "GET", "/legacy/")
    new = await http(mounted, "GET", "/modern/")
    assert (old.status, old.body) == (new.status, new.body)


@pytest.mark.parametrize("kind", KINDS)
async def test_prefix_without_slash_redirects(mounted, kind):
    response = await http(mounted, "GET", f"/{kind}")
    assert (response.status, response.headers["location"]) == (301, f"/{kind}/")


async def test_index_links_both_apps_and_feeds(mounted):
    index = await http(mounted, "GET", "/")
    assert index.status == 200
    assert b'<a href="legacy/">' in index.body
    assert b'<a href="modern/">' in index.body
    assert b"Legacy feed: <code>127.0.0.1:1</code>" in index.body
