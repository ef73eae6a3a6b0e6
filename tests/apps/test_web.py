"""The web routes of both apps (each test runs once per app) against ``docs/contract.md``.

Expected bytes come from ``tests/contract_pages.py``, written from the contract, not imported
from either app, so a test fails when an app drifts from the contract, even if both drift alike.
"""

from __future__ import annotations

import json

import pytest
from appclients import http, oid, seed
from contract_pages import HTML, JSON, error_page, list_page

JSON_HEADERS = {"Content-Type": "application/json"}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_list_page_is_newest_first_and_escaped(service, direct):
    await seed(direct, ["first", "<script>alert('x')</script> & \"q\"", "third\nline"])
    response = await http(service.http_port, "GET", "/")
    assert response.status == 200
    assert response.headers["content-type"] == HTML
    assert "set-cookie" not in response.headers
    assert response.body == list_page(
        "third\nline",
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;",
        "first",
    )


async def test_list_page_of_more_messages_than_one_batch(service, direct):
    # PyMongo and Motor fetch 101 documents first, then the rest with getMore.
    texts = [f"message {i}" for i in range(250)]
    await seed(direct, texts)
    response = await http(service.http_port, "GET", "/")
    assert (response.status, response.body) == (200, list_page(*reversed(texts)))


async def test_empty_list_page(service):
    response = await http(service.http_port, "GET", "/")
    assert (response.status, response.body) == (200, list_page())


async def test_compose_form(service):
    response = await http(service.http_port, "GET", "/compose")
    assert response.status == 200
    assert response.headers["content-type"] == HTML
    assert b'<form method="post" action="compose">\n' in response.body
    assert b'<textarea name="msg" rows="4" cols="60"></textarea>\n' in response.body
    assert response.body.endswith(b'<p><a href="./">Back to the list</a></p>\n</body>\n</html>\n')


async def test_compose_stores_and_redirects_relatively(service, direct):
    response = await http(
        service.http_port, "POST", "/compose", "msg=%20hello+%3Cworld%3E%20", FORM_HEADERS
    )
    assert response.status == 302
    assert response.headers["location"] == "./"
    assert response.body == b""
    assert response.headers["content-length"] == "0"
    stored = [doc["msg"] async for doc in direct.messages.find()]
    assert stored == ["hello <world>"]
    listing = await http(service.http_port, "GET", "/")
    assert listing.body == list_page("hello &lt;world&gt;")


@pytest.mark.parametrize("path", ["/", "/compose"])
async def test_a_matching_conditional_get_is_304(service, direct, path):
    await seed(direct, ["cached"])
    page = await http(service.http_port, "GET", path)
    etag = page.headers["etag"]
    for tag in (etag, "*"):
        again = await http(service.http_port, "GET", path, headers={"If-None-Match": tag})
        assert (again.status, again.body) == (304, b"")
    changed = await http(service.http_port, "GET", path, headers={"If-None-Match": '"other"'})
    assert (changed.status, changed.body) == (200, page.body)


async def test_compose_multipart(service, direct):
    body = '--XyZ\r\nContent-Disposition: form-data; name="msg"\r\n\r\nmulti part\r\n--XyZ--\r\n'
    headers = {"Content-Type": "multipart/form-data; boundary=XyZ"}
    response = await http(service.http_port, "POST", "/compose", body, headers)
    assert response.status == 302
    assert [doc["msg"] async for doc in direct.messages.find()] == ["multi part"]


@pytest.mark.parametrize(
    "body",
    ["", "msg=", "msg=+%20%09", "other=x", "msg=%FF%FE"],
    ids=["no-body", "empty", "whitespace", "missing", "bad-utf8"],
)
async def test_compose_refuses_empty_or_bad_text(service, direct, body):
    response = await http(service.http_port, "POST", "/compose", body, FORM_HEADERS)
    assert response.status == 400
    assert response.headers["content-type"] == HTML
    assert response.body == error_page("400 Bad Request")
    assert await direct.messages.count_documents({}) == 0
    assert (await http(service.http_port, "GET", "/")).status == 200


async def test_search_answers_in_id_order(service, direct):
    ids = await seed(direct, ["a", "b </script>", "c"])
    query = {"id": [str(ids[2]), str(ids[0]).upper(), str(oid(99)), str(ids[2])], "other": 1}
    response = await http(
        service.http_port, "POST", "/svc_vt_info/search", json.dumps(query), JSON_HEADERS
    )
    assert response.status == 200
    assert response.headers["content-type"] == JSON
    assert (
        response.body
        == (
            f'{{"data": [{{"id": "{ids[0]}", "msg": "a"}}, {{"id": "{ids[2]}", "msg": "c"}}]}}'
        ).encode()
    )


async def test_search_json_is_tornado_encoded(service, direct):
    ids = await seed(direct, ["</b> é"])
    body = json.dumps({"id": [str(ids[0])]})
    response = await http(service.http_port, "POST", "/svc_vt_info/search", body, JSON_HEADERS)
    assert (
        response.body == b'{"data": [{"id": "%s", "msg": "<\\/b> \\u00e9"}]}' % str(ids[0]).encode()
    )


async def test_search_with_no_ids_and_with_a_charset(service):
    headers = {"Content-Type": "Application/JSON ; charset=utf-8"}
    response = await http(service.http_port, "POST", "/svc_vt_info/search", '{"id": []}', headers)
    assert (response.status, response.body) == (200, b'{"data": []}')


ERR_IDS = "id must be a list of ObjectId hex strings"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{", "body is not valid JSON"),
        (b"", "body is not valid JSON"),
        (b'{"id": ["\xff"]}', "body is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "body is not valid JSON"),
        (b"[]", ERR_IDS),
        (b"{}", ERR_IDS),
        (b'{"id": "65a000000000000000000001"}', ERR_IDS),
        (b'{"id": {"$gt": ""}}', ERR_IDS),
        (b'{"id": [{"$ne": null}]}', ERR_IDS),
        (b'{"id": [1]}', ERR_IDS),
        (b'{"id": [null]}', ERR_IDS),
        (b'{"id": ["65a00000000000000000000g"]}', ERR_IDS),
        (b'{"id": ["65a0000000000000000000001"]}', ERR_IDS),
        (b'{"id": ["65a00000000000000000000 "]}', ERR_IDS),
        (b'{"id": ["65a00000 0000000000000001"]}', ERR_IDS),
        (json.dumps({"id": ["\uff10" * 24]}).encode(), ERR_IDS),
        (
            json.dumps({"id": ["65a000000000000000000001"] * 1001}).encode(),
            "id must have at most 1000 entries",
        ),
        (json.dumps({"id": ["bad"] * 1001}).encode(), "id must have at most 1000 entries"),
    ],
    ids=[
        "malformed",
        "empty",
        "not-utf8",
        "too-deep",
        "not-object",
        "no-id",
        "id-string",
        "injection-gt",
        "injection-ne",
        "int",
        "null",
        "not-hex",
        "25-chars",
        "trailing-space",
        "inner-space",
        "fullwidth-digits",
        "1001-ids",
        "1001-bad-ids",
    ],
)
async def test_search_bad_input_is_a_json_400(service, direct, body, error):
    await seed(direct, ["secret"])
    response = await http(service.http_port, "POST", "/svc_vt_info/search", body, JSON_HEADERS)
    assert response.status == 400
    assert response.headers["content-type"] == JSON
    assert response.json() == {"error": error}
    assert (await http(service.http_port, "GET", "/")).status == 200


async def test_search_takes_exactly_1000_ids(service, direct):
    ids = await seed(direct, ["x"])
    query = {"id": [str(ids[0])] * 1000}
    response = await http(
        service.http_port, "POST", "/svc_vt_info/search", json.dumps(query), JSON_HEADERS
    )
    assert response.json() == {"data": [{"id": str(ids[0]), "msg": "x"}]}


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/jsonp", "application/x-www-form-urlencoded"]
)
async def test_search_needs_json_content_type(service, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = await http(service.http_port, "POST", "/svc_vt_info/search", '{"id": []}', headers)
    assert response.status == 415
    assert response.headers["content-type"] == JSON
    assert response.json() == {"error": "Content-Type must be application/json"}


async def test_search_other_method_is_a_json_405(service):
    response = await http(service.http_port, "GET", "/svc_vt_info/search")
    assert (response.status, response.json()) == (405, {"error": "method not allowed"})


@pytest.mark.parametrize(("method", "path"), [("POST", "/"), ("PUT", "/compose"), ("DELETE", "/")])
async def test_other_methods_are_405_pages(service, method, path):
    response = await http(service.http_port, method, path, "msg=x", FORM_HEADERS)
    assert response.status == 405
    assert response.body == error_page("405 Method Not Allowed")


async def test_unknown_path_is_404(service):
    response = await http(service.http_port, "GET", "/nope/")
    assert response.status == 404
    assert response.headers["content-type"] == HTML
    assert response.body == error_page("404 Not Found")


MIB = 1024 * 1024


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_body_over_1_mib_is_413(service, direct, chunked):
    form = b"msg=" + b"a" * (MIB - 3)  # one byte over
    response = await http(
        service.http_port, "POST", "/compose", form, FORM_HEADERS, chunked=chunked
    )
    assert response.status == 413
    assert response.body == error_page("413 Content Too Large")
    search = b'{"id": [], "pad": "' + b" " * MIB + b'"}'
    response = await http(
        service.http_port, "POST", "/svc_vt_info/search", search, JSON_HEADERS, chunked=chunked
    )
    assert (response.status, response.json()) == (413, {"error": "body over 1 MiB"})
    assert await direct.messages.count_documents({}) == 0
    assert (await http(service.http_port, "GET", "/")).status == 200


async def test_body_of_exactly_1_mib_is_accepted(service, direct):
    form = b"msg=" + b"a" * (MIB - 4)
    response = await http(service.http_port, "POST", "/compose", form, FORM_HEADERS)
    assert response.status == 302
    assert len((await direct.messages.find_one())["msg"]) == MIB - 4
