"""Tornado gen.coroutine code yielding Deferreds, once the reactor is installed."""

from tornado import gen
from twisted.internet import task

import bridges


# --8<-- [start:tornado]
@gen.coroutine
def tornado_handler():
    from twisted.internet import reactor

    # No import of tornado.platform.twisted needed: install_reactor() registered Deferred.
    value = yield task.deferLater(reactor, 0.01, lambda: 21)
    return value * 2


# --8<-- [end:tornado]


async def main():
    print(await tornado_handler())


if __name__ == "__main__":
    bridges.run(main())
