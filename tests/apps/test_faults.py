"""Database trouble, both apps: 503 / ``ERR unavailable`` instead of a hang, then recovery.

Each test has an embedded server of its own on a SQLite file, so that stopping and restarting it
(on the same port) keeps the data, and clients with a short server-selection timeout. Every
request is bounded (``appclients.WAIT``): an app that hangs fails the test instead of blocking.
No write an app acknowledged (302, ``OK <id>``) may be missing afterwards.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal

import pymongo
import pytest
from appclients import FeedClient, http
from appservers import KINDS, start_service
from bson import ObjectId

from asyncmigrate._demo import serve_apps
from asyncmigrate.embedded_mongo import EmbeddedMongo

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
UNAVAILABLE_PAGE = (
    b"<!DOCTYPE html>\n<html>\n"
    b'<head><meta charset="utf-8"><title>503 Service Unavailable</title></head>\n'
    b"<body>\n<h1>503 Service Unavailable</h1>\n</body>\n</html>\n"
)
OK = re.compile(rb"OK ([0-9a-f]{24})")


@pytest.fixture
async def sqlite_server(tmp_path):
    server = EmbeddedMongo(sqlite=tmp_path / "faults.sqlite3")
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def write_both_ways(service, feed, text):
    """Store ``text`` through the web form and the feed; the feed's id if acknowledged."""
    response = await http(service.http_port, "POST", "/compose", f"msg={text}+web", FORM)
    [answer] = await feed.ask(f"POST {text} feed")
    match = OK.fullmatch(answer)
    return response, answer, (ObjectId(match.group(1).decode()) if match else None)


@pytest.mark.parametrize("kind", KINDS)
async def test_database_down_then_back(kind, sqlite_server):
    service = await start_service(kind, sqlite_server.uri, "faults", timeout_ms=1000)
    feed = await FeedClient.connect(service.feed_port)
    acknowledged_texts, acknowledged_ids = [], []
    try:
        response, answer, oid = await write_both_ways(service, feed, "before")
        assert response.status == 302
        assert oid is not None, answer
        acknowledged_texts.append("before web")
        acknowledged_ids.append(oid)

        port = sqlite_server.port
        await asyncio.to_thread(sqlite_server.stop)

        # All at once: each waits out the server-selection timeout, none hangs.
        other_feed = await FeedClient.connect(service.feed_port)
        listing, search, listed, (response, answer, oid) = await asyncio.gather(
            http(service.http_port, "GET", "/"),
            http(service.http_port, "POST", "/svc_vt_info/search", '{"id": []}', JSON),
            other_feed.ask("LIST 5"),
            write_both_ways(service, feed, "during"),
        )
        await other_feed.close()
        assert (listing.status, listing.body) == (503, UNAVAILABLE_PAGE)
        assert (search.status, search.json()) == (503, {"error": "database unavailable"})
        assert listed == [b"ERR unavailable"]
        assert response.status == 503
        assert answer == b"ERR unavailable"
        # The app is not stuck: what does not need the database still answers.
        assert (await http(service.http_port, "GET", "/compose")).status == 200
        assert await feed.ask("LIST 0") == [b"ERR bad n"]

        await asyncio.to_thread(sqlite_server.start)
        assert sqlite_server.port == port

        # Back: the same feed connection and new requests work again.
        response, answer, oid = await write_both_ways(service, feed, "after")
        assert response.status == 302
        assert oid is not None, answer
        acknowledged_texts.append("after web")
        acknowledged_ids.append(oid)
        listing = await http(service.http_port, "GET", "/")
        assert listing.status == 200
        for text in (b"before web", b"before feed", b"after web", b"after feed"):
            assert b"<li>%s</li>" % text in listing.body
        [*msgs, end] = await feed.ask("LIST 100")
        assert end == b"END"
        assert {m.split(b" ", 2)[2] for m in msgs} >= {
            b"before web",
            b"before feed",
            b"after web",
            b"after feed",
        }
    finally:
        await feed.close()
        await service.stop()

    # Checked against the server itself, through a client that saw none of the above.
    client = pymongo.AsyncMongoClient(sqlite_server.uri, serverSelectionTimeoutMS=5000)
    try:
        docs = await client.faults.messages.find().to_list(None)
    finally:
        await client.close()
    texts = {doc["msg"] for doc in docs}
    assert set(acknowledged_texts) <= texts
    assert set(acknowledged_ids) <= {doc["_id"] for doc in docs}
    assert {"before feed", "after feed"} <= texts


async def test_a_database_that_does_not_answer_is_unavailable_not_a_hang(sqlite_server):
    """A frozen server accepts connections and never replies: server selection alone would not
    notice it for some 20 seconds, longer than any client waits (``appclients.WAIT``)."""
    servers = await serve_apps(sqlite_server.uri, database="faults", server_selection_timeout=1.0)
    feeds = [
        await FeedClient.connect(port)
        for port in (servers.legacy_feed_port, servers.modern_feed_port)
    ]
    pid = sqlite_server.pid
    try:
        for feed in feeds:  # connected and served once: the pools hold live connections
            assert (await feed.ask("LIST 1"))[-1] == b"END"
        os.kill(pid, signal.SIGSTOP)
        try:
            pages = await asyncio.gather(
                *(http(servers.http_port, "GET", f"/{kind}/") for kind in KINDS),
                *(
                    http(
                        servers.http_port, "POST", f"/{kind}/svc_vt_info/search", '{"id": []}', JSON
                    )
                    for kind in KINDS
                ),
                *(feed.ask("LIST 5") for feed in feeds),
            )
        finally:
            os.kill(pid, signal.SIGCONT)
        assert [(page.status, page.body) for page in pages[:2]] == [(503, UNAVAILABLE_PAGE)] * 2
        assert [(page.status, page.json()) for page in pages[2:4]] == [
            (503, {"error": "database unavailable"})
        ] * 2
        assert pages[4:] == [[b"ERR unavailable"]] * 2
        # Back once the server answers again: the clients may first have to find it again.
        for kind in KINDS:
            for _attempt in range(10):
                page = await http(servers.http_port, "GET", f"/{kind}/")
                if page.status != 503:
                    break
                await asyncio.sleep(0.2)
            assert page.status == 200
        for feed in feeds:
            assert (await feed.ask("LIST 1"))[-1] == b"END"
    finally:
        for feed in feeds:
            await feed.close()
        await servers.close()
