"""The Twisted side of `bridges.compat`: ``defer.returnValue`` without its deprecation warning.

Twisted 24.7 deprecated ``returnValue`` (a plain ``return`` works in generators since Python
3.3); every call now warns, and under ``-W error`` (as in this project's tests) the warning is an
exception inside the ``@inlineCallbacks`` generator, so unchanged Twisted 18 code fails. The
shim calls the undecorated function, keeping the frame depth Twisted's "returnValue called from
a non-inlineCallbacks function" check counts on. Everything else legacy Twisted code uses still
works as it did; the reactor is the asyncio one that ``bridges.install_reactor`` installs.
"""

from __future__ import annotations

import functools
from typing import Any, NoReturn

from twisted.internet import defer

__all__ = ["patches", "returnValue"]

# ``twisted.python.deprecate.deprecated`` keeps the undecorated function as ``__wrapped__``.
_undecorated = getattr(defer.returnValue, "__wrapped__", defer.returnValue)


@functools.wraps(_undecorated)
def returnValue(val: object) -> NoReturn:
    """Return ``val`` from an ``@inlineCallbacks`` generator, without warning (Twisted 18)."""
    _undecorated(val)
    raise AssertionError("unreachable: returnValue always raises")  # pragma: no cover


def patches() -> list[tuple[object, str, Any]]:
    """``(owner, attribute, replacement)`` for every Twisted shim point."""
    return [(defer, "returnValue", returnValue)]
