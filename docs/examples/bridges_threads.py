"""call_from_thread: a worker thread runs a coroutine on the loop and waits for its result."""

import asyncio
import threading

import bridges


async def fetch_price(item):
    await asyncio.sleep(0.01)
    return {"apple": 3}[item]


# --8<-- [start:worker]
def worker():
    """Runs in a plain thread (a blocking library, a legacy callback thread...)."""
    print("price", bridges.call_from_thread(fetch_price, "apple", timeout=10))
    try:
        bridges.call_from_thread(fetch_price, "pear", timeout=10)
    except KeyError as exc:
        print("error", exc)


# --8<-- [end:worker]


async def main():
    thread = threading.Thread(target=worker)
    thread.start()
    await asyncio.to_thread(thread.join)


if __name__ == "__main__":
    bridges.run(main())
