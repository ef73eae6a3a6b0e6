"""legacy.app, unchanged, under bridges.compat: every route against docs/contract.md, byte for byte.

The expected bytes are written here from the contract, not imported from the app, so that a
change in the app's texts fails here.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import pytest
import tornado.httpclient
from bson import ObjectId

HTML = "text/html; charset=UTF-8"
JSON = "application/json; charset=UTF-8"
MIB = 1024 * 1024


def list_page(*items: str) -> bytes:
    lis = "".join(f"<li>{item}</li>\n" for item in items)
    return (
        "<!DOCTYPE html>\n<html>\n"
        '<head><meta charset="utf-8"><title>Messages</title></head>\n'
        "<body>\n<h1>Messages</h1>\n"
        '<p><a href="compose">Compose a message</a></p>\n'
        f"<ul>\n{lis}</ul>\n</body>\n</html>\n"
    ).encode()


def error_page(code: int, title: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html>\n"
        f'<head><meta charset="utf-8"><title>{code} {title}</title></head>\n'
        f"<body>\n<h1>{code} {title}</h1>\n</body>\n</html>\n"
    ).encode()


COMPOSE_PAGE = (
    b"<!DOCTYPE html>\n<html>\n"
    b'<head><meta charset="utf-8"><title>Compose</title></head>\n'
    b"<body>\n<h1>Compose a message</h1>\n"
    b'<form method="post" action="compose">\n'
    b'<textarea name="msg" rows="4" cols="60"></textarea>\n'
    b'<button type="submit">Send</button>\n'
    b"</form>\n"
    b'<p><a href="./">Back to the list</a></p>\n'
    b"</body>\n</html>\n"
)


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


def hex_of(oid: ObjectId) -> bytes:
    return str(oid).encode()


def answer(response: tornado.httpclient.HTTPResponse) -> tuple[int, str, bytes]:
    return response.code, response.headers.get("Content-Type", ""), response.body


# GET / ---------------------------------------------------------------------------------------


async def test_empty_list(web: str) -> None:
    assert answer(await request(web + "/")) == (200, HTML, list_page())


async def test_list_is_newest_first_and_escaped(web: str, seed: Any) -> None:
    await seed("first", "<script>alert('x')</script> & \"q\"", "line\nbreak")
    response = await request(web + "/")
    assert answer(response) == (
        200,
        HTML,
        list_page(
            "line\nbreak",
            "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;",
            "first",
        ),
    )
    assert "Set-Cookie" not in response.headers


async def test_list_of_many_messages_spans_batches(web: str, seed: Any) -> None:
    texts = [f"message {i}" for i in range(250)]
    await seed(*texts)
    response = await request(web + "/")
    assert response.body == list_page(*reversed(texts))


# /compose ------------------------------------------------------------------------------------


async def test_compose_form(web: str) -> None:
    assert answer(await request(web + "/compose")) == (200, HTML, COMPOSE_PAGE)


async def test_compose_stores_and_redirects_relatively(web: str, motor_db: Any) -> None:
    response = await compose(web, urlencode({"msg": "  hello <b>world</b>  "}))
    assert (response.code, response.headers["Location"], response.body) == (302, "./", b"")
    [doc] = await motor_db.messages.find().to_list(None)
    assert set(doc) == {"_id", "msg"}
    assert isinstance(doc["_id"], ObjectId)
    assert doc["msg"] == "hello <b>world</b>"
    listing = await request(web + "/")
    assert listing.body == list_page("hello &lt;b&gt;world&lt;/b&gt;")


async def test_compose_multipart(web: str, motor_db: Any) -> None:
    boundary = "xYzZy"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="msg"\r\n\r\n'
        f"multi part\r\n--{boundary}--\r\n"
    )
    response = await request(
        web + "/compose",
        method="POST",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.code == 302
    assert [d["msg"] for d in await motor_db.messages.find().to_list(None)] == ["multi part"]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "msg=",
        "msg=+++",
        "msg=%09%0D%0A",
        "other=field",
        "msg=%FF%FE",  # not UTF-8
    ],
    ids=["no body", "empty", "spaces", "whitespace", "no msg", "bad utf-8"],
)
async def test_compose_refuses_an_empty_message(web: str, motor_db: Any, body: str) -> None:
    response = await compose(web, body)
    assert answer(response) == (400, HTML, error_page(400, "Bad Request"))
    assert await motor_db.messages.count_documents({}) == 0


# POST /svc_vt_info/search --------------------------------------------------------------------


async def test_search_answers_in_id_order(web: str, seed: Any) -> None:
    ids = await seed("a", "b </script>", "c")
    response = await search(web, {"id": [str(ids[2]), str(ids[0]).upper(), "f" * 24, str(ids[2])]})
    assert answer(response) == (
        200,
        JSON,
        b'{"data": [{"id": "' + hex_of(ids[0]) + b'", "msg": "a"}, '
        b'{"id": "' + hex_of(ids[2]) + b'", "msg": "c"}]}',
    )
    response = await search(web, {"id": [str(ids[1])], "ignored": True})
    assert response.body == b'{"data": [{"id": "' + hex_of(ids[1]) + b'", "msg": "b <\\/script>"}]}'


async def test_search_empty_list_and_limits(web: str, seed: Any) -> None:
    await seed("only")
    assert answer(await search(web, {"id": []})) == (200, JSON, b'{"data": []}')
    thousand = [f"{i:024x}" for i in range(1000)]
    response = await search(web, {"id": thousand})
    assert response.code == 200
    assert json.loads(response.body)["data"] == [{"id": f"{1:024x}", "msg": "only"}]


BAD_JSON = b'{"error": "body is not valid JSON"}'
BAD_IDS = b'{"error": "id must be a list of ObjectId hex strings"}'
TOO_MANY = b'{"error": "id must have at most 1000 entries"}'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{", BAD_JSON),
        (b"", BAD_JSON),
        (b'{"id": ["\xff"]}', BAD_JSON),
        (b"[" * 100_000 + b"]" * 100_000, BAD_JSON),
        ([], BAD_IDS),
        ({}, BAD_IDS),
        ({"id": "0" * 24}, BAD_IDS),
        ({"id": {"$gt": ""}}, BAD_IDS),
        ({"id": [{"$ne": None}]}, BAD_IDS),
        ({"id": [1]}, BAD_IDS),
        ({"id": ["xyz"]}, BAD_IDS),
        ({"id": ["0" * 23 + "g"]}, BAD_IDS),
        ({"id": ["0" * 25]}, BAD_IDS),
        ({"id": ["０" * 24]}, BAD_IDS),
        ({"id": [" " + "0" * 23]}, BAD_IDS),
        ({"id": [f"{i:024x}" for i in range(1001)]}, TOO_MANY),
        ({"id": ["bad"] * 1001}, TOO_MANY),
    ],
    ids=[
        "truncated",
        "empty",
        "not utf-8",
        "too deep",
        "array",
        "no id",
        "id string",
        "operator",
        "operator entry",
        "number",
        "short",
        "non-hex",
        "long",
        "fullwidth digits",
        "space",
        "1001",
        "1001 bad",
    ],
)
async def test_search_bad_input_is_a_400_with_a_json_error(
    web: str, body: Any, expected: bytes
) -> None:
    assert answer(await search(web, body)) == (400, JSON, expected)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", ""]
)
async def test_search_needs_json_content_type(web: str, content_type: str) -> None:
    response = await search(web, {"id": []}, content_type=content_type)
    assert answer(response) == (415, JSON, b'{"error": "Content-Type must be application/json"}')


async def test_search_content_type_parameters_and_case(web: str) -> None:
    response = await search(web, {"id": []}, content_type="Application/JSON; charset=utf-8")
    assert response.code == 200


async def test_search_get_is_a_json_405(web: str) -> None:
    response = await request(web + "/svc_vt_info/search")
    assert answer(response) == (405, JSON, b'{"error": "method not allowed"}')


# Body size, unknown routes, methods ----------------------------------------------------------


async def test_body_of_exactly_one_mib_is_accepted(web: str) -> None:
    body = b'{"id": []}' + b" " * (MIB - 10)
    assert len(body) == MIB
    assert (await search(web, body)).code == 200


async def test_body_over_one_mib_is_a_413_before_the_content_type(web: str) -> None:
    body = b'{"id": []}' + b" " * (MIB - 9)
    response = await search(web, body, content_type="text/plain")
    assert answer(response) == (413, JSON, b'{"error": "body over 1 MiB"}')
    response = await compose(web, "msg=" + "x" * MIB)
    assert answer(response) == (413, HTML, error_page(413, "Content Too Large"))


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


async def test_unknown_path_is_an_html_404(web: str) -> None:
    for path in ("/nope", "/compose/", "/svc_vt_info"):
        response = await request(web + path)
        assert answer(response) == (404, HTML, error_page(404, "Not Found"))


async def test_wrong_method_is_an_html_405(web: str) -> None:
    response = await request(web + "/", method="POST", body=b"")
    assert answer(response) == (405, HTML, error_page(405, "Method Not Allowed"))
    response = await request(web + "/compose", method="PUT", body=b"")
    assert answer(response) == (405, HTML, error_page(405, "Method Not Allowed"))


# Database trouble ----------------------------------------------------------------------------


async def test_database_trouble_is_a_503_everywhere(dead_web: str) -> None:
    assert answer(await request(dead_web + "/")) == (
        503,
        HTML,
        error_page(503, "Service Unavailable"),
    )
    assert answer(await compose(dead_web, "msg=hi")) == (
        503,
        HTML,
        error_page(503, "Service Unavailable"),
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


@pytest.mark.parametrize("length", [b"\xb2", b"+5", b"1e9", b"-1"])
async def test_malformed_content_length_is_a_400_not_a_crash(web: str, length: bytes) -> None:
    # "²".isdigit() is True but int("²") fails: the app must leave such a header to Tornado.
    host, port = web.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST /svc_vt_info/search HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + length + b"\r\n\r\n"
        )
        data = await asyncio.wait_for(reader.read(), 15)
    finally:
        writer.close()
    assert data.startswith(b"HTTP/1.1 400 ")
