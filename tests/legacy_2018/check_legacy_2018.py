"""legacy/ unchanged on its own 2018 stack: Tornado 5.1.1, Motor 1.3.1, PyMongo 3, Twisted 18.9.

Run by ``nox -s legacy2018`` on Python 3.7 (``make test`` does), against the embedded server
whose URI is the first argument; the repository root is the second. No bridges, no shims: this
is how the code ran in production before the migration began. It is a script, not a pytest
module, because the 2018 stack predates the pytest this project pins, and pytest's warnings as
errors would only report that stack's own ``DeprecationWarning``s.

Exits non-zero (an ``AssertionError`` with what differed) unless every answer is the contract's.
"""

import asyncio
import json
import logging
import sys

from twisted.internet import asyncioreactor

asyncioreactor.install(asyncio.get_event_loop())

import motor.motor_tornado
import tornado.httpclient
import tornado.httpserver
import tornado.ioloop
import tornado.netutil
from twisted.internet import reactor

URI, ROOT = sys.argv[1], sys.argv[2]
logging.basicConfig()
logging.getLogger("tornado").setLevel(logging.ERROR)  # the 4xx below are expected
sys.path.insert(0, ROOT)

from legacy.app import make_app
from legacy.feed import make_factory

LIST_PAGE = (
    '<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"><title>Messages</title></head>\n'
    '<body>\n<h1>Messages</h1>\n<p><a href="compose">Compose a message</a></p>\n<ul>\n'
    "<li>&lt;b&gt;hi&lt;/b&gt; &amp; more</li>\n</ul>\n</body>\n</html>\n"
)
JSON = {"Content-Type": "application/json"}


async def check():
    client = motor.motor_tornado.MotorClient(URI, serverSelectionTimeoutMS=5000)
    db = client.legacy_2018
    await db.messages.delete_many({})
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(make_app(db))
    server.add_sockets(sockets)
    base = "http://127.0.0.1:%d" % sockets[0].getsockname()[1]
    feed = reactor.listenTCP(0, make_factory(db), interface="127.0.0.1")
    http = tornado.httpclient.AsyncHTTPClient()

    async def fetch(path, **kwargs):
        kwargs.setdefault("raise_error", False)
        return await http.fetch(base + path, follow_redirects=False, **kwargs)

    try:
        r = await fetch("/compose", method="POST", body="msg=%3Cb%3Ehi%3C%2Fb%3E+%26+more")
        assert (r.code, r.headers.get("Location")) == (302, "./"), (r.code, r.headers)
        r = await fetch("/")
        assert (r.code, r.body.decode("utf-8")) == (200, LIST_PAGE), r.body
        r = await fetch("/compose", method="POST", body="msg=+")
        assert r.code == 400, r.code
        assert len(await db.messages.find().to_list(None)) == 1  # Motor 1.x: no count_documents

        (doc,) = await db.messages.find().to_list(None)
        hex_id = str(doc["_id"])
        r = await fetch(
            "/svc_vt_info/search",
            method="POST",
            headers=JSON,
            body=json.dumps({"id": [hex_id, "0" * 24]}),
        )
        assert r.code == 200, r.code
        assert json.loads(r.body) == {"data": [{"id": hex_id, "msg": "<b>hi</b> & more"}]}
        for body, status in (
            ('{"id": {"$gt": ""}}', 400),
            ('{"id": [{"$ne": null}]}', 400),
            ("{nope", 400),
        ):
            r = await fetch("/svc_vt_info/search", method="POST", headers=JSON, body=body)
            assert r.code == status, (body, r.code, r.body)
            assert "error" in json.loads(r.body), (body, r.body)
        r = await fetch(
            "/svc_vt_info/search",
            method="POST",
            body='{"id": []}',
            headers={"Content-Type": "text/plain"},
        )
        assert r.code == 415, r.code

        reader, writer = await asyncio.open_connection("127.0.0.1", feed.getHost().port)
        answers = []
        for line in (b"POST from the feed", b"LIST 5", b"BOGUS", b"LIST 0"):
            writer.write(line + b"\r\n")
            while True:
                answer = await asyncio.wait_for(reader.readline(), 10)
                answers.append(answer.decode("utf-8"))
                if not answer.startswith(b"MSG "):
                    break
        writer.close()
        new_id = answers[0].split()[1]
        assert answers == [
            "OK %s\r\n" % new_id,
            "MSG %s from the feed\r\n" % new_id,
            "MSG %s <b>hi</b> & more\r\n" % hex_id,
            "END\r\n",
            "ERR unknown command\r\n",
            "ERR bad n\r\n",
        ], answers

        # A client that half-closes (nc -N) still gets its answers, then the connection closes.
        reader, writer = await asyncio.open_connection("127.0.0.1", feed.getHost().port)
        writer.write(b"LIST 1\r\nBOGUS\r\n")
        writer.write_eof()
        everything = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert everything == b"MSG %s from the feed\r\nEND\r\nERR unknown command\r\n" % (
            new_id.encode()
        ), everything
    finally:
        feed.stopListening()
        server.stop()
        await db.messages.delete_many({})
        client.close()


tornado.ioloop.IOLoop.current().run_sync(check, timeout=60)
print(
    "legacy/ on Tornado %s, Motor %s, Twisted %s, Python %s: every answer as the contract"
    % (tornado.version, motor.version, __import__("twisted").__version__, sys.version.split()[0])
)
