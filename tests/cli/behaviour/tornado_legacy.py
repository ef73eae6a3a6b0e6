"""Tornado 4 style coroutines (``@gen.coroutine``), as a legacy module has them.

Read by tests/cli/test_rewrite_behaviour.py: imported as it is (with ``bridges.compat`` for
``gen.Task``) and rewritten by ``asyncmigrate rewrite``; both must behave the same.
"""

from tornado import gen
from tornado.ioloop import IOLoop


class NotFoundError(Exception):
    pass


def legacy_lookup(key, callback):
    """A callback-style API: answers on a later loop turn."""
    IOLoop.current().add_callback(callback, key * 2)


@gen.coroutine
def double(x):
    yield gen.moment
    raise gen.Return(x * 2)


@gen.coroutine
def total(xs):
    values = yield [double(x) for x in xs]
    named = yield {"a": double(1), "b": double(2)}
    raise gen.Return((sum(values), named))


@gen.coroutine
def via_task(key):
    value = yield gen.Task(legacy_lookup, key)
    raise gen.Return(value)


@gen.coroutine
def fails(key):
    yield gen.sleep(0)
    raise NotFoundError(key)


@gen.coroutine
def catches(key):
    try:
        yield fails(key)
    except NotFoundError as exc:
        message = f"missing {exc}"
    raise gen.Return(message)


@gen.coroutine
def early_return(flag):
    if flag:
        raise gen.Return("early")
    yield gen.moment
    raise gen.Return("late")


@gen.coroutine
def nothing():
    yield gen.moment


@gen.coroutine
def nested(x):
    @gen.coroutine
    def inner(y):
        value = yield double(y)
        raise gen.Return(value + 1)

    results = yield [inner(x), inner(x + 1)]
    raise gen.Return(results)


@gen.coroutine
def swallowing(x):
    """A trap: gen.Return is an Exception, so the handler runs; left unchanged."""
    try:
        yield gen.moment
        raise gen.Return(x)
    except Exception:
        return "swallowed"
