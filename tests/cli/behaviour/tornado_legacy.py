"""Tornado 4 style coroutines (``@gen.coroutine``), as a legacy module has them.

Read by tests/cli/test_rewrite_behaviour.py: imported as it is (with ``bridges.compat`` for
``gen.Task``) and rewritten by ``asyncmigrate rewrite``; both must behave the same.
"""

import contextlib

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


@gen.coroutine
def suppressing(x):
    """A trap: contextlib.suppress(Exception) swallows gen.Return too; left unchanged."""
    with contextlib.suppress(Exception):
        yield gen.moment
        raise gen.Return(x)
    raise gen.Return("after suppress")


def end_with(value):
    """Not a coroutine: its gen.Return ends the coroutine that calls it (a trap)."""
    raise gen.Return(value)


@gen.coroutine
def ended_by_helper(x):
    """A trap: calls end_with, whose gen.Return ends this one; left unchanged."""
    yield gen.moment
    end_with(x + 1)
    raise gen.Return("not reached")
