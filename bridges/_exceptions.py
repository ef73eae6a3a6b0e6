"""Exceptions raised by bridges.

Exception tree (every one subclasses a built-in a caller already catches)::

    RuntimeError
    └── ReactorMismatchError   a reactor other than "Twisted's asyncio reactor on this
                               loop" is already installed

Errors of the bridged code itself are never wrapped: a Deferred's failure reaches the
awaiting coroutine as the same exception object (same type, same traceback frames), and a
coroutine's exception reaches the Deferred's errbacks the same way. Cancellation is mapped,
never swallowed: ``asyncio.CancelledError`` on one side becomes
``twisted.internet.defer.CancelledError`` on the other, and back.
"""

from __future__ import annotations

__all__ = ["ReactorMismatchError"]


class ReactorMismatchError(RuntimeError):
    """Twisted's reactor is already installed, but not as the asyncio reactor of this loop.

    Raised by `install_reactor` and `run` when ``twisted.internet.reactor`` was imported (which
    installs the default reactor) before bridges could install the asyncio reactor, or when the
    asyncio reactor is installed on another event loop. A process has exactly one reactor and it
    cannot move to another loop, so the fix is always in the program's start-up order: call
    ``bridges.install_reactor()`` (or use ``bridges.run()``) before anything imports
    ``twisted.internet.reactor``.
    """
