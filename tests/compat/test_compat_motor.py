"""Motor 1.x's callback API on Motor 3, against the embedded MongoDB wire server.

Each shim point: the callback gets ``(result, None)`` or ``(None, error)``, exactly once, on a
later loop turn (never inside the call), and the method returns ``None``; without a callback
the method is Motor 3's. ``cursor.each`` is Motor 3's own and is checked against 1.x behaviour.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pymongo.errors
import pymongo.results
import pytest
import tornado.httpclient
import tornado.web
from bson import ObjectId

pytestmark = pytest.mark.usefixtures("compat")


class Recorder:
    """A Motor 1.x callback that remembers its calls and whether they came after the call."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, Any]] = []
        self.done = asyncio.get_running_loop().create_future()

    def __call__(self, result: Any, error: Any) -> None:
        self.calls.append((result, error))
        if not self.done.done():
            self.done.set_result(None)

    async def wait(self) -> tuple[Any, Any]:
        await asyncio.wait_for(self.done, 15)
        await asyncio.sleep(0.01)  # a second call would show up here
        assert len(self.calls) == 1, self.calls
        return self.calls[0]


async def call(method: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    recorder = Recorder()
    assert method(*args, callback=recorder, **kwargs) is None
    assert recorder.calls == []  # delivered later, on the loop
    return await recorder.wait()


async def seed(db: Any, n: int) -> list[ObjectId]:
    ids = [ObjectId(f"{i + 1:024x}") for i in range(n)]
    await db.messages.insert_many([{"_id": i, "msg": f"m{k}"} for k, i in enumerate(ids)])
    return ids


async def test_insert_one(motor_db: Any) -> None:
    result, error = await call(motor_db.messages.insert_one, {"msg": "hi"})
    assert error is None
    assert isinstance(result, pymongo.results.InsertOneResult)
    assert await motor_db.messages.find_one({"_id": result.inserted_id}) == {
        "_id": result.inserted_id,
        "msg": "hi",
    }


async def test_find_one(motor_db: Any) -> None:
    [oid] = await seed(motor_db, 1)
    assert await call(motor_db.messages.find_one, {"_id": oid}) == (
        {"_id": oid, "msg": "m0"},
        None,
    )
    assert await call(motor_db.messages.find_one, {"_id": "absent"}) == (None, None)


async def test_update_one(motor_db: Any) -> None:
    [oid] = await seed(motor_db, 1)
    result, error = await call(motor_db.messages.update_one, {"_id": oid}, {"$set": {"msg": "x"}})
    assert (error, result.matched_count, result.modified_count) == (None, 1, 1)
    assert (await motor_db.messages.find_one({"_id": oid}))["msg"] == "x"


async def test_delete_one(motor_db: Any) -> None:
    [oid, _] = await seed(motor_db, 2)
    result, error = await call(motor_db.messages.delete_one, {"_id": oid})
    assert (error, result.deleted_count) == (None, 1)
    assert await motor_db.messages.count_documents({}) == 1


async def test_to_list(motor_db: Any) -> None:
    ids = await seed(motor_db, 5)
    docs, error = await call(motor_db.messages.find().sort([("_id", -1)]).to_list, length=None)
    assert error is None
    assert [d["_id"] for d in docs] == ids[::-1]
    docs, _ = await call(motor_db.messages.find().sort([("_id", 1)]).to_list, 2)
    assert [d["_id"] for d in docs] == ids[:2]


async def test_to_list_takes_the_callback_by_position_too(motor_db: Any) -> None:
    """Motor 1.x's signature was ``to_list(length, callback=None)``."""
    ids = await seed(motor_db, 3)
    got: asyncio.Future[tuple[Any, Any]] = asyncio.get_running_loop().create_future()
    cursor = motor_db.messages.find().sort([("_id", 1)])
    assert cursor.to_list(None, lambda docs, error: got.set_result((docs, error))) is None
    docs, error = await asyncio.wait_for(got, 10)
    assert (error, [d["_id"] for d in docs]) == (None, ids)


async def test_to_list_on_a_command_cursor(motor_db: Any) -> None:
    await seed(motor_db, 3)
    cursor = motor_db.messages.aggregate([{"$sort": {"_id": 1}}, {"$project": {"msg": 1}}])
    docs, error = await call(cursor.to_list, None)
    assert (error, [d["msg"] for d in docs]) == (None, ["m0", "m1", "m2"])


async def test_collection_count(motor_db: Any) -> None:
    await seed(motor_db, 5)
    assert await call(motor_db.messages.count) == (5, None)
    assert await call(motor_db.messages.count, {"msg": {"$in": ["m1", "m3"]}}) == (2, None)
    assert await call(motor_db.messages.count, {}, skip=1, limit=3) == (3, None)


async def test_cursor_count_ignores_limit_and_skip_unless_asked(motor_db: Any) -> None:
    await seed(motor_db, 6)
    cursor = motor_db.messages.find({"msg": {"$ne": "m0"}}).skip(1).limit(3)
    assert await call(cursor.count) == (5, None)
    assert await call(cursor.count, with_limit_and_skip=True) == (3, None)
    assert await call(cursor.count, True) == (3, None)


async def test_count_without_callback_returns_an_awaitable(motor_db: Any) -> None:
    await seed(motor_db, 2)
    assert await motor_db.messages.count() == 2
    assert await motor_db.messages.find().count() == 2


async def test_without_callback_the_methods_are_motor_3s(motor_db: Any) -> None:
    result = await motor_db.messages.insert_one({"msg": "plain"})
    assert await motor_db.messages.find().to_list(None) == [
        {"_id": result.inserted_id, "msg": "plain"}
    ]


async def test_callback_must_be_callable(motor_db: Any) -> None:
    with pytest.raises(TypeError, match="callback must be a callable"):
        motor_db.messages.insert_one({"msg": "x"}, callback="not callable")
    with pytest.raises(TypeError, match="callback must be a callable"):
        motor_db.messages.find().to_list(None, callback=42)


@pytest.mark.parametrize(
    "operation",
    [
        lambda db: (db.messages.insert_one, ({"msg": "x"},), {}),
        lambda db: (db.messages.find_one, ({},), {}),
        lambda db: (db.messages.update_one, ({}, {"$set": {"a": 1}}), {}),
        lambda db: (db.messages.delete_one, ({},), {}),
        lambda db: (db.messages.count, (), {}),
        lambda db: (db.messages.find().count, (), {}),
        lambda db: (db.messages.find().to_list, (None,), {}),
    ],
    ids=["insert_one", "find_one", "update_one", "delete_one", "count", "cursor.count", "to_list"],
)
async def test_database_trouble_is_none_and_the_error_once(
    dead_motor_db: Any, operation: Any
) -> None:
    method, args, kwargs = operation(dead_motor_db)
    result, error = await call(method, *args, **kwargs)
    assert result is None
    assert isinstance(error, pymongo.errors.ServerSelectionTimeoutError)


# cursor.each: Motor 3's own, as 1.x behaved -----------------------------------------------


async def each(cursor: Any, stop_after: int | None = None) -> list[tuple[Any, Any]]:
    calls: list[tuple[Any, Any]] = []
    done = asyncio.get_running_loop().create_future()

    def callback(doc: Any, error: Any) -> Any:
        calls.append((doc, error))
        if doc is None and not done.done():
            done.set_result(None)
        if stop_after is not None and len(calls) == stop_after:
            done.set_result(None)
            return False
        return None

    assert cursor.each(callback) is None
    assert calls == []  # nothing before the first loop turn
    await asyncio.wait_for(done, 15)
    await asyncio.sleep(0.05)
    return calls


async def test_each_gives_every_document_then_none_none(motor_db: Any) -> None:
    ids = await seed(motor_db, 3)
    calls = await each(motor_db.messages.find().sort([("_id", -1)]).batch_size(2))
    assert calls == [
        ({"_id": ids[2], "msg": "m2"}, None),
        ({"_id": ids[1], "msg": "m1"}, None),
        ({"_id": ids[0], "msg": "m0"}, None),
        (None, None),
    ]


async def test_each_on_an_empty_collection(motor_db: Any) -> None:
    assert await each(motor_db.messages.find()) == [(None, None)]


async def test_each_stops_when_the_callback_returns_false(motor_db: Any) -> None:
    await seed(motor_db, 4)
    calls = await each(motor_db.messages.find(), stop_after=2)
    assert len(calls) == 2
    assert all(doc is not None for doc, _ in calls)


async def test_each_reports_database_trouble_once(dead_motor_db: Any) -> None:
    [(doc, error)] = await each(dead_motor_db.messages.find())
    assert doc is None
    assert isinstance(error, pymongo.errors.ServerSelectionTimeoutError)


async def test_exception_in_a_motor_callback_reaches_the_handler(motor_db: Any, serve: Any) -> None:
    await seed(motor_db, 2)

    class Legacy(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            motor_db.messages.find_one({}, callback=self._found)

        def _found(self, doc: Any, error: Any) -> None:
            raise tornado.web.HTTPError(409)

    class LegacyEach(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            motor_db.messages.find().each(self._got)

        def _got(self, doc: Any, error: Any) -> None:
            raise tornado.web.HTTPError(410)

    base = serve([(r"/", Legacy), (r"/each", LegacyEach)])
    client = tornado.httpclient.AsyncHTTPClient()
    response = await client.fetch(base + "/", raise_error=False, request_timeout=10)
    assert response.code == 409
    response = await client.fetch(base + "/each", raise_error=False, request_timeout=10)
    assert response.code == 410
