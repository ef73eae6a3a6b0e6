"""Opt-in shims: unchanged Tornado 4/5, Motor 1.x and Twisted 18 code on today's stack.

``install()`` patches the installed Tornado, Motor and Twisted so that legacy callback code runs
unedited; ``uninstall()`` puts every patched attribute back (for tests). Nothing is patched on
import. What comes back, with the old semantics (details in ``docs/compat.md``):

- Tornado (`bridges._compat_tornado`): ``tornado.web.asynchronous``; exceptions in callbacks
  scheduled by an ``@asynchronous`` handler reach that handler (500 + log, as stack_context
  did); ``tornado.gen.Task`` and ``gen.Arguments``; ``callback=`` on
  ``AsyncHTTPClient.fetch``.
- Motor (`bridges._compat_motor`), on ``motor.motor_tornado`` classes: ``callback=`` with
  ``(result, error)`` on ``to_list``, ``insert_one``, ``find_one``, ``update_one``,
  ``delete_one``, and ``count`` on collections and cursors (as ``count_documents``).
- Twisted (`bridges._compat_twisted`): ``defer.returnValue`` without its deprecation warning.

Import legacy modules *after* ``install()``: ``@tornado.web.asynchronous`` is looked up when the
class body runs. New code should not lean on these shims: `bridges.from_callback` awaits a
callback API and `bridges.callback_api` serves legacy callers, without patching anything.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["install", "installed", "uninstall"]

_MISSING = object()
_lock = threading.Lock()
#: What ``install`` replaced, in order: ``(owner, attribute, previous value or _MISSING)``.
_saved: list[tuple[Any, str, Any]] = []
#: The shim groups in place: "core" (Tornado and Twisted) and "motor".
_parts: set[str] = set()


def install(*, motor: bool | None = None) -> None:
    """Install every shim; a second call installs only what is not in place yet.

    ``motor``: ``None`` patches Motor if it is installed, ``True`` requires it (an
    ``ImportError`` naming the ``apps`` extra if it is missing), ``False`` leaves Motor alone
    (a later ``install()`` adds its shims).
    """
    with _lock:
        patches = []
        if "core" not in _parts:
            from bridges import _compat_tornado, _compat_twisted

            patches += [("core", *p) for p in _compat_tornado.patches() + _compat_twisted.patches()]
        if motor is not False and "motor" not in _parts:
            try:
                from bridges import _compat_motor
            except ImportError:
                if motor:
                    raise
            else:
                patches += [("motor", *p) for p in _compat_motor.patches()]
        for part, owner, name, replacement in patches:
            _saved.append((owner, name, vars(owner).get(name, _MISSING)))
            setattr(owner, name, replacement)
            _parts.add(part)


def uninstall() -> None:
    """Put back everything ``install`` replaced (removing what it added); idempotent."""
    with _lock:
        while _saved:
            owner, name, previous = _saved.pop()
            if previous is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, previous)
        _parts.clear()


def installed() -> bool:
    """Whether the shims are installed."""
    return bool(_parts)
