"""Legacy against modern, byte for byte: the same requests on one database, answers compared.

Both apps (and both feeds) run side by side on the shared loop against ONE database. Every
request goes to the legacy app, then at once to the modern one, with nothing in between that
changes the data, and the two answers must be equal: status line, every header but ``Date``
(so ``Etag``, ``Content-Length``, ``Location``... and their order), and the body.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from appclients import FeedClient, http, oid, seed

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def comparable(response):
    headers = [(name, value) for name, value in response.raw_headers if name.lower() != "date"]
    return response.status, response.reason, headers, response.body


def requests(ids):
    """Every route and error of the contract, as (method, path, body, headers, chunked)."""
    hexes = [str(i) for i in ids]
    search = "/svc_vt_info/search"
    return [
        ("GET", "/", b"", {}, False),
        ("HEAD", "/", b"", {}, False),
        ("GET", "/compose", b"", {}, False),
        # Tornado's Etag: a conditional GET that matches answers 304 without a body.
        ("GET", "/", b"", {"If-None-Match": "*"}, False),
        ("GET", "/compose", b"", {"If-None-Match": "*"}, False),
        ("POST", "/compose", "msg=%3Ci%3Enew%3C%2Fi%3E+%26+%22q%22", FORM, False),
        ("GET", "/", b"", {}, False),
        ("POST", "/compose", "msg=+", FORM, False),
        ("POST", "/compose", "nothing=here", FORM, False),
        ("POST", "/compose", "msg=%FF", FORM, False),
        (
            "POST",
            "/compose",
            "--b\r\nbroken",
            {"Content-Type": "multipart/form-data; boundary=b"},
            False,
        ),
        ("POST", "/compose", b"msg=" + b"z" * (1 << 20), FORM, False),
        ("POST", "/compose", b"msg=" + b"z" * (1 << 20), FORM, True),
        ("POST", "/", "msg=x", FORM, False),
        ("DELETE", "/compose", b"", {}, False),
        ("GET", "/missing", b"", {}, False),
        ("POST", "/missing", b"x" * ((1 << 20) + 1), FORM, False),
        ("POST", search, json.dumps({"id": [*hexes[::-1], str(oid(77))]}), JSON, False),
        ("POST", search, json.dumps({"id": [h.upper() for h in hexes]}), JSON, True),
        ("POST", search, '{"id": []}', {"Content-Type": "application/json; charset=utf-8"}, False),
        ("POST", search, '{"id": []}', {"Content-Type": "text/json"}, False),
        ("POST", search, '{"id": []}', {}, False),
        ("POST", search, "{nope", JSON, False),
        ("POST", search, b'{"id": ["\xc3"]}', JSON, False),
        ("POST", search, "[" * 5000 + "]" * 5000, JSON, False),
        ("POST", search, '{"id": {"$gt": ""}}', JSON, False),
        ("POST", search, '{"id": [{"$ne": null}]}', JSON, False),
        ("POST", search, '{"id": ["' + "0" * 23 + '"]}', JSON, False),
        ("POST", search, json.dumps({"id": hexes * 334}), JSON, False),  # 1,002 entries
        ("POST", search, json.dumps({"id": [hexes[0]] * 1000}), JSON, False),
        ("POST", search, '{"id": [], "pad": "' + " " * (1 << 20) + '"}', JSON, False),
        ("PUT", search, "{}", JSON, False),
        ("GET", search, b"", {}, False),
    ]


async def test_web_answers_are_byte_identical(both, direct):
    ids = await seed(direct, ["plain", "<b>bold</b> & 'quoted'", "multi\nline", "snow ☃"])
    legacy, modern = both["legacy"], both["modern"]
    for method, path, body, headers, chunked in requests(ids):
        old = await http(legacy.http_port, method, path, body, headers, chunked=chunked)
        new = await http(modern.http_port, method, path, body, headers, chunked=chunked)
        assert comparable(old) == comparable(new), (method, path)
    # Both posts landed, once each, and nothing else was stored.
    texts = [doc["msg"] async for doc in direct.messages.find().sort("_id", 1)]
    assert texts[4:] == ['<i>new</i> & "q"'] * 2
    assert (await http(legacy.http_port, "GET", "/")).body == (
        await http(modern.http_port, "GET", "/")
    ).body


ID = re.compile(rb"\b[0-9a-f]{24}\b")


async def test_feed_answers_are_byte_identical(both, direct):
    await seed(direct, ["seeded \\ one", "seeded\r\ntwo"])
    lines = [
        b"LIST 5",
        b"LIST 1",
        b"POST  hello  ",
        b"LIST 3",
        b"POST",
        b"POST \t",
        b"LIST",
        b"LIST 0",
        b"LIST 101",
        b"LIST 100",
        b"LIST 07",
        b"LIST 1 2",
        b"",
        b"\xff",
        b"HELLO",
        b"post lower",
    ]
    clients = {kind: await FeedClient.connect(service.feed_port) for kind, service in both.items()}
    try:
        for line in lines:
            old = await clients["legacy"].ask(line)
            new = await clients["modern"].ask(line)
            if line.startswith(b"POST ") and line.strip() != b"POST":
                # Each feed stored its own copy: same answer but for the new id.
                assert (
                    [ID.sub(b"<id>", x) for x in old]
                    == [ID.sub(b"<id>", x) for x in new]
                    == [b"OK <id>"]
                )
            else:
                assert old == new, line
        for client in clients.values():
            await client.send(b"LIST " + b"9" * (1 << 16))
        assert [await c.line() for c in clients.values()] == [b"ERR line too long"] * 2
        assert [await c.line() for c in clients.values()] == [b""] * 2
    finally:
        for client in clients.values():
            await client.close()


async def _raw(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        return await asyncio.wait_for(reader.read(), 15)
    finally:
        writer.close()


@pytest.mark.parametrize("length", [b"\xb2", b"\xd9\xa3", b"+5", b"1e9", b"-1"])
async def test_malformed_content_length_gets_the_same_answer(both, length):
    # "²".isdigit() is True while int("²") fails: neither app may turn such a header into a 500.
    request = (
        b"POST /svc_vt_info/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + length + b"\r\n\r\n"
    )
    old = await _raw(both["legacy"].http_port, request)
    new = await _raw(both["modern"].http_port, request)
    assert old.startswith(b"HTTP/1.1 400 ")
    assert re.sub(rb"Date: [^\r]*", b"", old) == re.sub(rb"Date: [^\r]*", b"", new)
