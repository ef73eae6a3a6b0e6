"""contextvars for Twisted's timed calls.

Twisted's asyncio reactor (26.10) keeps its own list of timed calls and runs all that are due
from one asyncio timer callback; that callback runs in whichever context happened to arm the
timer, so a ``reactor.callLater`` callback sees some *other* caller's ``contextvars`` values.
`preserve_context` fixes this on the reactor instance when bridges installs or adopts it: every
``callLater`` (and so ``callFromThread``, ``deferLater``, ``addTimeout``, which go through it)
runs its callable in a copy of the context current at scheduling time, like
``loop.call_later`` does.

The visible difference: ``DelayedCall.func`` is ``Context.run`` and the real callable is the
first of ``DelayedCall.args``.
"""

from __future__ import annotations

import contextvars
from typing import Any

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.base import DelayedCall

__all__ = ["preserve_context"]

_MARK = "_bridges_preserves_context"


def preserve_context(reactor: AsyncioSelectorReactor) -> None:
    """Make ``reactor.callLater`` run callables in the scheduling context (idempotent)."""
    if getattr(reactor.callLater, _MARK, False):
        return
    schedule: Any = reactor.callLater

    def callLater(delay: float, callable: Any, /, *args: Any, **kwargs: Any) -> DelayedCall:
        call: DelayedCall = schedule(
            delay, contextvars.copy_context().run, callable, *args, **kwargs
        )
        return call

    setattr(callLater, _MARK, True)
    callLater.__doc__ = schedule.__doc__
    reactor.callLater = callLater  # type: ignore[method-assign,assignment]
