"""The feed of both apps (each test runs once per app) against ``docs/contract.md``."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from appclients import WAIT, FeedClient, http, seed
from bson import ObjectId

OK = re.compile(rb"OK ([0-9a-f]{24})")


@pytest.fixture
async def feed(service):
    client = await FeedClient.connect(service.feed_port)
    try:
        yield client
    finally:
        await client.close()


async def test_post_stores_and_answers_the_id(service, direct, feed):
    [answer] = await feed.ask("POST   hello feed  ")
    match = OK.fullmatch(answer)
    assert match, answer
    doc = await direct.messages.find_one()
    assert doc == {"_id": ObjectId(match.group(1).decode()), "msg": "hello feed"}


async def test_list_newest_first_at_most_n(service, direct, feed):
    ids = await seed(direct, ["one", "two", "three"])
    assert await feed.ask("LIST 2") == [
        b"MSG %s three" % str(ids[2]).encode(),
        b"MSG %s two" % str(ids[1]).encode(),
        b"END",
    ]
    assert await feed.ask("LIST 100") == [
        *(
            b"MSG %s %s" % (str(i).encode(), t)
            for i, t in zip(ids[::-1], [b"three", b"two", b"one"], strict=True)
        ),
        b"END",
    ]


async def test_list_of_an_empty_collection(service, feed):
    assert await feed.ask("LIST 1") == [b"END"]


async def test_list_escapes_line_breaks_and_backslashes(service, direct, feed):
    ids = await seed(direct, ["a\\b\r\nc\nd <é>"])
    assert await feed.ask("LIST 1") == [
        b"MSG %s a\\\\b\\r\\nc\\nd <\xc3\xa9>" % str(ids[0]).encode(),
        b"END",
    ]


async def test_a_web_post_shows_in_the_feed_and_back(service, feed):
    response = await http(
        service.http_port,
        "POST",
        "/compose",
        "msg=from+the+web",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 302
    [line, end] = await feed.ask("LIST 1")
    assert line.endswith(b" from the web")
    assert end == b"END"
    [ok] = await feed.ask("POST from the feed")
    assert OK.fullmatch(ok)
    assert (
        b"<li>from the feed</li>\n<li>from the web</li>\n"
        in (await http(service.http_port, "GET", "/")).body
    )


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        (b"", b"ERR empty line"),
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
        (b"LIST \xd9\xa3", b"ERR bad n"),  # ARABIC-INDIC DIGIT THREE: a digit, not an ASCII one
        (b"list 5", b"ERR unknown command"),
        (b"GET /", b"ERR unknown command"),
        (b"POST\tx", b"ERR unknown command"),
        (b"POST \xff\xfe", b"ERR invalid UTF-8"),
        (b"\xc3", b"ERR invalid UTF-8"),
        (b"\xff\xfe", b"ERR invalid UTF-8"),
        (b"LIST 5\n", b"ERR bad n"),
        ("LIST \uff15".encode(), b"ERR bad n"),  # FULLWIDTH DIGIT FIVE
        (b"LIST " + b"9" * 5000, b"ERR bad n"),
        (b"post x", b"ERR unknown command"),
        (b"DELETE 1", b"ERR unknown command"),
        (b" POST x", b"ERR unknown command"),
    ],
)
async def test_bad_lines_answer_err_and_keep_serving(service, direct, feed, line, answer):
    assert await feed.ask(line) == [answer]
    assert await feed.ask("LIST 001") == [b"END"]
    assert await direct.messages.count_documents({}) == 0


async def test_line_over_64_kib_closes_after_err(service, direct, feed):
    await feed.send(b"POST " + b"x" * (64 * 1024))  # 65,541 bytes
    assert await feed.line() == b"ERR line too long"
    assert await feed.line() == b""  # closed
    assert await direct.messages.count_documents({}) == 0
    again = await FeedClient.connect(service.feed_port)
    try:
        assert await again.ask("LIST 1") == [b"END"]
    finally:
        await again.close()


async def test_a_long_line_without_an_end_closes_too(service, feed):
    feed.writer.write(b"z" * (200 * 1024))  # no CR LF: the limit holds for a line still coming
    await feed.writer.drain()
    assert await feed.line() == b"ERR line too long"
    assert await feed.line() == b""  # closed


async def test_line_of_exactly_64_kib_is_served(service, direct, feed):
    text = b"y" * (64 * 1024 - len(b"POST "))
    [ok] = await feed.ask(b"POST " + text)
    assert OK.fullmatch(ok)
    [line, end] = await feed.ask("LIST 1")
    assert line.endswith(b" " + text)
    assert end == b"END"


async def test_pipelined_commands_are_answered_in_order(service, feed):
    feed.writer.write(b"POST first\r\nLIST 5\r\nbogus\r\nPOST second\r\nLIST 1\r\n")
    await feed.writer.drain()
    first = await feed.line()
    assert OK.fullmatch(first)
    assert await feed.line() == b"MSG %s first" % first[3:]
    assert await feed.line() == b"END"
    assert await feed.line() == b"ERR unknown command"
    second = await feed.line()
    assert OK.fullmatch(second)
    assert await feed.line() == b"MSG %s second" % second[3:]
    assert await feed.line() == b"END"


async def test_a_client_that_half_closes_gets_every_answer(service, direct):
    """``printf 'POST x\r\nLIST 1\r\n' | nc -N host port``: all sent, then the write side shut."""
    client = await FeedClient.connect(service.feed_port)
    try:
        client.writer.write(b"POST half-closed\r\nLIST 1\r\nHELLO\r\nLIST 0")
        client.writer.write_eof()
        answers = (await asyncio.wait_for(client.reader.read(), WAIT)).split(b"\r\n")
    finally:
        await client.close()
    [stored] = await direct.messages.find().to_list(None)
    assert answers == [
        b"OK %s" % str(stored["_id"]).encode(),
        b"MSG %s half-closed" % str(stored["_id"]).encode(),
        b"END",
        b"ERR unknown command",
        b"",  # the unterminated "LIST 0" is no command: the connection closes after the answers
    ]


# The plugin turns an error logged on "bridges" into a warning; here the log is the point.
@pytest.mark.filterwarnings("ignore::bridges.pytest_plugin.UnhandledErrorWarning")
async def test_an_unexpected_failure_is_err_internal_error_logged_and_serving_goes_on(
    service, direct, feed, caplog
):
    # A document some other program wrote, with a msg that is not a string.
    await direct.messages.insert_one({"_id": ObjectId("f" * 24), "msg": 5})
    with caplog.at_level(logging.ERROR):
        assert await feed.ask("LIST 1") == [b"ERR internal error"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR], "nothing was logged"
    [ok] = await feed.ask("POST still serving")
    assert OK.fullmatch(ok)
