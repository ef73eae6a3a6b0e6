"""deferred_coroutine: what `asyncmigrate rewrite` turns an @inlineCallbacks function into."""

import asyncio

from twisted.internet import defer, task

import bridges


# --8<-- [start:before]
@defer.inlineCallbacks
def greet_before(name):
    from twisted.internet import reactor

    yield task.deferLater(reactor, 0.01, lambda: None)
    return f"hello {name}"


# --8<-- [end:before]


# --8<-- [start:after]
@bridges.deferred_coroutine
async def greet_after(name):
    from twisted.internet import reactor

    await task.deferLater(reactor, 0.01, lambda: None)  # Deferreds: on any reactor
    await asyncio.sleep(0.01)  # asyncio too, where the asyncio reactor is installed
    return f"hello {name}"


# --8<-- [end:after]


async def main():
    before = greet_before("before")
    after = greet_after("after")  # a Deferred, already running, like @inlineCallbacks
    assert isinstance(after, defer.Deferred)
    print(await bridges.to_future(before))
    print(await bridges.to_future(after))


if __name__ == "__main__":
    bridges.run(main())
