"""Twisted 18 style ``@inlineCallbacks`` code, as a legacy module has it.

Read by tests/cli/test_rewrite_behaviour.py: imported as it is (with ``bridges.compat`` so that
``returnValue`` does not warn) and rewritten by ``asyncmigrate rewrite``; both must behave the
same, and still return Deferreds that have started running.
"""

from twisted.internet import defer, reactor, task


class RefusedError(Exception):
    pass


def later(value):
    """A Deferred that fires on a later reactor turn."""
    return task.deferLater(reactor, 0, lambda: value)


@defer.inlineCallbacks
def add(a, b):
    x = yield later(a)
    y = yield later(b)
    defer.returnValue(x + y)


@defer.inlineCallbacks
def refuse(value):
    yield later(None)
    raise RefusedError(value)


@defer.inlineCallbacks
def recover(value):
    try:
        yield refuse(value)
    except RefusedError as exc:
        defer.returnValue(f"recovered {exc}")


@defer.inlineCallbacks
def starts_at_once(log):
    log.append("started")
    yield later(None)
    log.append("resumed")
    defer.returnValue(len(log))


@defer.inlineCallbacks
def already_fired():
    value = yield defer.succeed(7)
    defer.returnValue(value)


@defer.inlineCallbacks
def waits_forever(log):
    try:
        yield defer.Deferred()
    except defer.CancelledError:
        log.append("cancelled")
        raise


def caller():
    """Unconverted code chaining on the Deferred, as callers do."""
    return add(1, 2).addCallback(lambda total: total * 10)
