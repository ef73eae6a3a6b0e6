"""contextvars: reactor.callLater callbacks run in the context that scheduled them."""

from __future__ import annotations

import asyncio
import contextvars

from twisted.internet import defer, task, threads

import bridges

user: contextvars.ContextVar[str] = contextvars.ContextVar("user", default="nobody")


async def test_call_later_runs_in_the_scheduling_context(reactor) -> None:
    seen: dict[str, str] = {}
    done = defer.Deferred()

    def record(name: str) -> None:
        seen[name] = user.get()
        if len(seen) == 3:
            done.callback(None)

    async def schedule(name: str, delay: float) -> None:
        user.set(name)
        reactor.callLater(delay, record, name)

    # Three tasks, three contexts; the timer is armed by the first and serves all three.
    await asyncio.gather(schedule("alice", 0.003), schedule("bob", 0.001), schedule("carol", 0))
    await asyncio.wait_for(bridges.to_future(done), 10)
    assert seen == {"alice": "alice", "bob": "bob", "carol": "carol"}


async def test_context_is_a_copy(reactor) -> None:
    user.set("before")
    seen: list[str] = []
    done = defer.Deferred()

    def change() -> None:
        user.set("inside")
        seen.append(user.get())
        done.callback(None)

    reactor.callLater(0, change)
    await bridges.to_future(done)
    assert seen == ["inside"]
    assert user.get() == "before"


async def test_defer_later_and_call_from_thread_keep_context(reactor) -> None:
    user.set("later")
    assert await bridges.to_future(task.deferLater(reactor, 0, user.get)) == "later"

    # callFromThread runs in the context of the thread that called it.
    seen: defer.Deferred[str] = defer.Deferred()

    def in_worker() -> None:
        user.set("worker")
        reactor.callFromThread(lambda: seen.callback(user.get()))

    await bridges.to_future(threads.deferToThread(in_worker))
    assert await asyncio.wait_for(bridges.to_future(seen), 10) == "worker"
    assert user.get() == "later"


async def test_installing_twice_does_not_wrap_twice(reactor) -> None:
    first = reactor.callLater
    bridges.install_reactor()
    assert reactor.callLater is first
    call = reactor.callLater(60, print)
    try:
        # func is Context.run, the real callable comes first in args.
        assert call.args[0] is print
    finally:
        call.cancel()
