"""The Tornado side: ``gen.coroutine`` may ``yield`` a Deferred.

Tornado's ``gen.convert_yielded`` is a ``functools.singledispatch``; `register` adds Deferred to
it (done by `bridges.install_reactor` when Tornado is importable, so no extra import is needed in
application code). Without it, a Deferred is just an awaitable to Tornado, which wraps it in an
asyncio Task that then fails with "Task got bad yield".

The conversion is `bridges.to_future`: the Deferred's result is not consumed, a fired Deferred
costs no extra loop turn, and cancelling the converted future (which is what Tornado waits on)
cancels the Deferred; the coroutine then ends cancelled.

Limit (Tornado 6.6): cancelling the *coroutine's own* future (the one ``gen.coroutine`` returns)
does not stop the generator or reach what it is waiting on; Tornado's ``Runner`` does not watch
that future, and reaching it would mean patching Tornado. Cancel the Deferred, or move the code
to ``async def`` (where cancelling the Task cancels the awaited `to_future` and so the Deferred).
"""

from __future__ import annotations

import asyncio
from typing import Any

from tornado import gen
from twisted.internet.defer import Deferred

__all__ = ["register"]


def _convert(d: Deferred[Any]) -> asyncio.Future[Any]:
    from bridges._convert import to_future

    return to_future(d)


def register() -> None:
    """Register Deferred on ``tornado.gen.convert_yielded`` (idempotent)."""
    # convert_yielded is a functools.singledispatch (typed as a plain function by Tornado).
    convert: Any = gen.convert_yielded
    if convert.dispatch(Deferred) is not _convert:
        convert.register(Deferred)(_convert)
