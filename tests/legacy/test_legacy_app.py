"""legacy.app, unchanged, under bridges.compat: the cases of its own.

Every route of both apps is checked against docs/contract.md in tests/apps; here are the
legacy app's limits behind other HTTPServer settings, a declared length refused before the
body, and a database that is never reachable. Expected bytes come from
``tests/contract_pages.py``, written from the contract.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import tornado.httpclient
from contract_pages import HTML, JSON, error_page, list_page

MIB = 1024 * 1024


async def request(url: str, **kwargs: Any) -> tornado.httpclient.HTTPResponse:
    kwargs.setdefault("raise_error", False)
    kwargs.setdefault("request_timeout", 15)
    kwargs.setdefault("follow_redirects", False)
    return await tornado.httpclient.AsyncHTTPClient().fetch(url, **kwargs)


async def compose(base: str, body: str | bytes, **kwargs: Any) -> tornado.httpclient.HTTPResponse:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return await request(base + "/compose", method="POST", body=body, headers=headers, **kwargs)


async def search(
    base: str, body: Any, content_type: str = "application/json"
) -> tornado.httpclient.HTTPResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await request(
        base + "/svc_vt_info/search",
        method="POST",
        body=raw,
        headers={"Content-Type": content_type},
    )


def answer(response: tornado.httpclient.HTTPResponse) -> tuple[int, str, bytes]:
    return response.code, response.headers.get("Content-Type", ""), response.body


# Body size, unknown routes, methods ----------------------------------------------------------


async def test_body_over_one_mib_is_a_413_before_the_content_type(web: str) -> None:
    body = b'{"id": []}' + b" " * (MIB - 9)
    response = await search(web, body, content_type="text/plain")
    assert answer(response) == (413, JSON, b'{"error": "body over 1 MiB"}')
    response = await compose(web, "msg=" + "x" * MIB)
    assert answer(response) == (413, HTML, error_page("413 Content Too Large"))


async def test_413_holds_behind_a_bigger_server_limit_and_for_chunked_bodies(
    legacy_modules: Any, motor_db: Any
) -> None:
    import tornado.httpserver
    import tornado.netutil

    app = legacy_modules.app.make_app(motor_db)
    # The HTTPServer would accept 64 MiB and smaller limits would be a 400: the app decides.
    for max_body_size in (64 * MIB, 1000):
        server = tornado.httpserver.HTTPServer(app, max_body_size=max_body_size)
        [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server.add_sockets([sock])
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            small = await search(base, b'{"id": []}' + b" " * 5000)
            assert small.code == 200

            def chunks(write: Any) -> Any:
                async def produce() -> None:
                    for _ in range(20):
                        await write(b" " * 65536)

                return produce()

            response = await request(
                base + "/svc_vt_info/search",
                method="POST",
                body_producer=chunks,
                headers={"Content-Type": "application/json"},
            )
            assert answer(response) == (413, JSON, b'{"error": "body over 1 MiB"}')
        finally:
            server.stop()
            await server.close_all_connections()


async def test_declared_length_over_the_limit_is_refused_before_the_body(web: str) -> None:
    # A client that declares 100 MiB and sends nothing still gets its answer at once.
    host, port = web.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST /svc_vt_info/search HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
        )
        data = await asyncio.wait_for(reader.read(), 15)  # the server closes after answering
    finally:
        writer.close()
    assert data.startswith(b"HTTP/1.1 413 ")
    assert data.endswith(b'{"error": "body over 1 MiB"}')


# Database trouble ----------------------------------------------------------------------------


async def test_database_trouble_is_a_503_everywhere(dead_web: str) -> None:
    assert answer(await request(dead_web + "/")) == (
        503,
        HTML,
        error_page("503 Service Unavailable"),
    )
    assert answer(await compose(dead_web, "msg=hi")) == (
        503,
        HTML,
        error_page("503 Service Unavailable"),
    )
    assert answer(await search(dead_web, {"id": []})) == (
        503,
        JSON,
        b'{"error": "database unavailable"}',
    )
    # Validation still comes first.
    assert (await search(dead_web, {"id": 1})).code == 400
    assert (await compose(dead_web, "msg=")).code == 400


async def test_the_server_keeps_serving_after_errors(web: str, seed: Any) -> None:
    await seed("still here")
    await search(web, b"{")
    await compose(web, "")
    await request(web + "/nope")
    assert (await request(web + "/")).body == list_page("still here")
