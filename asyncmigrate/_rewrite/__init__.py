"""The engine of ``asyncmigrate rewrite``: legacy Tornado and Twisted coroutines to async/await.

Public names::

    rewrite_text(path, data, *, selected=..., blocked=...) -> Success | Failure | Skip
    rewrite_paths(paths, *, selected=..., workers=None) -> Report
    write_atomically(result)
    CONVERSIONS   # conversion id -> what it converts
    TRAPS         # trap id -> what it means

One module per job: ``_tornado.py`` and ``_twisted.py`` hold each framework's rules,
``_convert.py`` the function transformer they share, ``_imports.py`` the import upkeep,
``_callsites.py`` the whole-tree check for un-awaited calls, ``_helpers.py`` the
functions that raise ``gen.Return`` for their callers, ``_module.py`` one file,
``_driver.py`` a tree.
"""

from typing import Any

from asyncmigrate._rewrite._driver import Report, rewrite_paths, write_atomically
from asyncmigrate._rewrite._result import Converted, Failure, Result, Skip, Success, Trap
from asyncmigrate._rewrite._source import CONVERSIONS


def rewrite_text(path: str, data: bytes, **options: Any) -> Result:
    """Rewrite the source ``data`` of ``path`` (see ``_module.rewrite_text``); never raises
    for bad input. Imports LibCST on first use."""
    from asyncmigrate._rewrite._module import rewrite_text as rewrite

    return rewrite(path, data, **options)


#: Every trap id the rewrite reports, with its meaning (also in ``docs/cli/rewrite.md``).
TRAPS = {
    "return-swallowed": (
        "raise gen.Return / returnValue inside a try whose except, or a contextlib.suppress "
        "that, would catch it"
    ),
    "return-helper": "raise gen.Return in a plain function, ending the coroutine that calls it",
    "return-nested": "returnValue / gen.Return raised from a nested function or lambda",
    "return-misplaced": "returnValue(...) used inside an expression",
    "yield-moment": "bare yield, yield None or yield gen.moment",
    "yield-literal": "yield of a literal or other value that is not awaitable",
    "yield-container-variable": "yield of a variable that may hold a list or dict",
    "yield-concurrent-future": "yield of a concurrent.futures.Future (executor.submit)",
    "yield-nested": "yield inside a nested function, lambda or comprehension",
    "yield-from": "yield from inside a coroutine",
    "with-timeout": "gen.with_timeout: a deadline, and it does not cancel",
    "gen-task-stored": "gen.Task(...) outside a yield",
    "not-awaited": "a converted function called without being awaited",
    "add-future": "a converted function passed to IOLoop.add_future / add_done_callback",
    "generator-protocol": "a converted function driven with send/throw/close",
    "add-callbacks": "addCallbacks(cb, eb) differs from addCallback(cb).addErrback(eb)",
    "not-a-generator": "@inlineCallbacks on a function without yield",
    "syntax": "the file does not compile under this Python (Python 2 only syntax?)",
}

__all__ = [
    "CONVERSIONS",
    "TRAPS",
    "Converted",
    "Failure",
    "Report",
    "Result",
    "Skip",
    "Success",
    "Trap",
    "rewrite_paths",
    "rewrite_text",
    "write_atomically",
]
