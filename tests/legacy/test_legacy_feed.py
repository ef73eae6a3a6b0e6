"""legacy.feed, unchanged (Deferred chains, @inlineCallbacks + returnValue), under bridges.compat.

The feed listens through Twisted's asyncio reactor on the shared loop; the client is asyncio's
own streams on the same loop; Motor is the real Tornado client against the embedded server.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from bson import ObjectId

HEX = re.compile(rb"OK ([0-9a-f]{24})\Z")


async def test_post_answers_ok_with_the_id_and_stores(feed: Any, motor_db: Any) -> None:
    client = await feed()
    answer = await client.command(b"POST   hello, feed  ")
    match = HEX.match(answer)
    assert match, answer
    doc = await motor_db.messages.find_one({"_id": ObjectId(match.group(1).decode())})
    assert doc == {"_id": ObjectId(match.group(1).decode()), "msg": "hello, feed"}


async def test_list_is_newest_first_then_end(feed: Any, seed: Any) -> None:
    ids = await seed("one", "two", "three")
    client = await feed()
    client.send(b"LIST 2\r\n")
    assert await client.lines_until_end() == [
        f"MSG {ids[2]} three".encode(),
        f"MSG {ids[1]} two".encode(),
        b"END",
    ]
    client.send(b"LIST 100\r\n")
    assert len(await client.lines_until_end()) == 4
    client.send(b"LIST 007\r\n")
    assert len(await client.lines_until_end()) == 4


async def test_list_on_an_empty_collection(feed: Any) -> None:
    client = await feed()
    assert await client.command(b"LIST 5") == b"END"


async def test_list_escapes_line_breaks_and_backslashes(feed: Any, seed: Any) -> None:
    [oid] = await seed("a\r\nb\\n é")
    client = await feed()
    client.send(b"LIST 1\r\n")
    assert await client.lines_until_end() == [
        f"MSG {oid} a\\r\\nb\\\\n é".encode(),
        b"END",
    ]


async def test_pipelined_commands_are_answered_in_order(feed: Any) -> None:
    client = await feed()
    client.send(b"POST first\r\nLIST 1\r\nbogus\r\nPOST second\r\nLIST 2\r\n")
    first = await client.line()
    assert HEX.match(first)
    first_id = first[3:].decode()
    assert await client.lines_until_end() == [f"MSG {first_id} first".encode(), b"END"]
    assert await client.line() == b"ERR unknown command"
    second = await client.line()
    second_id = second[3:].decode()
    assert await client.lines_until_end() == [
        f"MSG {second_id} second".encode(),
        f"MSG {first_id} first".encode(),
        b"END",
    ]


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        (b"", b"ERR empty line"),
        (b"\xff\xfe", b"ERR invalid UTF-8"),
        (b"POST", b"ERR empty message"),
        (b"POST ", b"ERR empty message"),
        (b"POST  \t ", b"ERR empty message"),
        (b"LIST", b"ERR bad n"),
        (b"LIST 0", b"ERR bad n"),
        (b"LIST 101", b"ERR bad n"),
        (b"LIST -1", b"ERR bad n"),
        (b"LIST 5 6", b"ERR bad n"),
        (b"LIST abc", b"ERR bad n"),
        (b"LIST 0001", b"ERR bad n"),
        (b"LIST 5\n", b"ERR bad n"),
        ("LIST ５".encode(), b"ERR bad n"),
        (b"LIST " + b"9" * 5000, b"ERR bad n"),
        (b"post x", b"ERR unknown command"),
        (b"DELETE 1", b"ERR unknown command"),
        (b" POST x", b"ERR unknown command"),
    ],
)
async def test_bad_lines_get_an_err_and_the_connection_stays(
    feed: Any, line: bytes, answer: bytes
) -> None:
    client = await feed()
    assert await client.command(line) == answer
    assert await client.command(b"LIST 1") == b"END"


async def test_line_of_64_kib_is_fine_and_longer_closes(feed: Any, motor_db: Any) -> None:
    client = await feed()
    text = b"x" * (64 * 1024 - len(b"POST "))
    assert HEX.match(await client.command(b"POST " + text))
    assert (await motor_db.messages.find_one())["msg"] == text.decode()
    client.send(b"POST " + text + b"y\r\n")
    assert await client.line() == b"ERR line too long"
    assert await client.closed()
    assert await motor_db.messages.count_documents({}) == 1


async def test_long_line_without_end_closes_too(feed: Any) -> None:
    client = await feed()
    client.send(b"z" * (200 * 1024))
    assert await client.line() == b"ERR line too long"
    assert await client.closed()


async def test_database_trouble_is_err_unavailable(dead_feed: Any) -> None:
    client = await dead_feed()
    assert await client.command(b"POST lost?") == b"ERR unavailable"
    assert await client.command(b"LIST 3") == b"ERR unavailable"
    assert await client.command(b"LIST x") == b"ERR bad n"


async def test_web_and_feed_share_the_collection(feed: Any, web: str) -> None:
    import tornado.httpclient

    client = await feed()
    answer = await client.command(b"POST <from the feed>")
    assert HEX.match(answer)
    response = await tornado.httpclient.AsyncHTTPClient().fetch(web + "/", request_timeout=15)
    assert b"<li>&lt;from the feed&gt;</li>\n" in response.body


# The plugin turns an error logged on "bridges" into a warning; here the log is the point.
@pytest.mark.filterwarnings("ignore::bridges.pytest_plugin.UnhandledErrorWarning")
async def test_unexpected_failure_is_err_internal_error_and_logged(
    feed: Any, motor_db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # A document some other program wrote, with a msg that is not a string.
    await motor_db.messages.insert_one({"_id": ObjectId("f" * 24), "msg": 5})
    client = await feed()
    with caplog.at_level(logging.ERROR):
        assert await client.command(b"LIST 1") == b"ERR internal error"
    assert HEX.match(await client.command(b"POST still serving"))
    assert any("feed command failed" in r.getMessage() for r in caplog.records), caplog.text
