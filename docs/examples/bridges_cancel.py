"""Cancellation and timeouts cross the bridge both ways."""

import asyncio

from twisted.internet import defer

import bridges


async def main():
    from twisted.internet import reactor

    # --8<-- [start:timeout]
    # Twisted's addTimeout on asyncio work: defer.TimeoutError, and the task is cancelled.
    d = bridges.to_deferred(asyncio.sleep(60))
    d.addTimeout(0.01, reactor)
    try:
        await bridges.to_future(d)
    except defer.TimeoutError:
        print("Twisted timeout on an asyncio task")
    # --8<-- [end:timeout]

    # --8<-- [start:wait_for]
    # asyncio's timeout on a Deferred: the Deferred's canceller runs.
    def canceller(d):
        print("Deferred cancelled")

    try:
        await asyncio.wait_for(bridges.to_future(defer.Deferred(canceller)), 0.01)
    except TimeoutError:
        print("asyncio timeout on a Deferred")
    # --8<-- [end:wait_for]


if __name__ == "__main__":
    bridges.run(main())
