"""bridges quick start: Twisted, Tornado and asyncio code awaiting each other on one loop."""

import asyncio

from twisted.internet import defer, task, threads

import bridges


# --8<-- [start:legacy]
@defer.inlineCallbacks
def legacy_lookup(name):
    """Old Twisted code: returns a Deferred."""
    from twisted.internet import reactor

    address = yield reactor.resolve(name)
    yield task.deferLater(reactor, 0.01, lambda: None)
    return f"{name} is {address}"


# --8<-- [end:legacy]


# --8<-- [start:modern]
@bridges.deferred_api
async def modern_lookup(name):
    """New asyncio code that legacy callers still get a Deferred from."""
    await asyncio.sleep(0.01)
    address = await bridges.to_future(threads.deferToThread(lambda: "127.0.0.1"))
    return f"{name} is {address}"


# --8<-- [end:modern]


# --8<-- [start:main]
async def main():
    # A Deferred awaited from asyncio: to_future, never a bare `await d`.
    print(await bridges.to_future(legacy_lookup("localhost")))
    # An async def called by Twisted code: it hands back a Deferred.
    d = modern_lookup("example")
    d.addCallback(str.upper)
    print(await bridges.to_future(d))


if __name__ == "__main__":
    bridges.run(main())  # asyncio.run + the reactor installed on that loop + clean shutdown
# --8<-- [end:main]
