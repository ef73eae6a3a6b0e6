"""The Motor side of `bridges.compat`: Motor 1.x's callback API on Motor 3's Tornado classes.

Motor 2.0 removed ``callback=`` from every method (and ``count``); Motor 1.x code calls
``coll.insert_one(doc, callback=cb)`` and expects ``cb(result, None)`` or ``cb(None, error)``
later, on the IOLoop, exactly once, with the method itself returning ``None``. This module puts
that back on ``motor.motor_tornado`` classes, for the methods legacy code used most:

- ``MotorCollection``: ``insert_one``, ``find_one``, ``update_one``, ``delete_one`` and ``count``;
- ``MotorCursor``, ``MotorCommandCursor``, ``MotorLatentCommandCursor``: ``to_list(length,
  callback=)``; ``MotorCursor.count(with_limit_and_skip=False, callback=)``.

Without ``callback`` every method behaves as Motor 3's (returns its Future). ``count`` is
mapped onto ``count_documents``, see `collection_count`. ``cursor.each(callback)`` was never
removed and needs no shim. Callbacks are delivered through the IOLoop, so that an exception
in one reaches the ``@asynchronous`` handler that made the call (see `bridges._compat_tornado`).

Imported only by ``bridges.compat.install`` when Motor is wanted, so that ``bridges`` never
needs Motor.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

try:
    import motor.motor_tornado as motor_tornado
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "bridges.compat's Motor shims need Motor: pip install 'asyncmigrate[apps]'"
    ) from exc

__all__ = ["collection_count", "cursor_count", "patches"]

_MotorCallback = Callable[[Any, BaseException | None], Any]


def _deliver(callback: _MotorCallback, future: asyncio.Future[Any]) -> None:
    """Motor 1.x's callback convention: ``(result, None)`` or ``(None, error)``, once."""
    if future.cancelled():
        callback(None, asyncio.CancelledError())
        return
    error = future.exception()
    if error is None:
        callback(future.result(), None)
    else:
        callback(None, error)


def _with_callback(obj: Any, future: Any, callback: _MotorCallback | None) -> Any:
    if callback is None:
        return future
    obj._framework.add_future(obj.get_io_loop(), future, _deliver, callback)
    return None


def _check_callback(callback: object) -> None:
    if callback is not None and not callable(callback):
        raise TypeError("callback must be a callable")


def _callback_method(original: Callable[..., Any]) -> Callable[..., Any]:
    """``method(*args, callback=None, **kwargs)`` on top of Motor 3's ``method(*args, **kw)``."""

    @functools.wraps(original)
    def method(self: Any, *args: Any, callback: _MotorCallback | None = None, **kwargs: Any) -> Any:
        _check_callback(callback)
        return _with_callback(self, original(self, *args, **kwargs), callback)

    return method


def _to_list_method(original: Callable[..., Any]) -> Callable[..., Any]:
    """Motor 1.x's ``to_list(length, callback=None)``, which also took the callback by position."""

    @functools.wraps(original)
    def to_list(
        self: Any, length: int | None = None, callback: _MotorCallback | None = None
    ) -> Any:
        _check_callback(callback)
        return _with_callback(self, original(self, length), callback)

    return to_list


def collection_count(
    self: Any,
    filter: dict[str, Any] | None = None,
    session: Any = None,
    callback: _MotorCallback | None = None,
    **kwargs: Any,
) -> Any:
    """Motor 1.x's ``MotorCollection.count(filter=None, session=None, **kwargs)``.

    Mapped onto ``count_documents(filter or {}, session=session, **kwargs)``, which takes the
    same options 1.x's ``count`` took (``limit``, ``skip``, ``hint``, ``maxTimeMS``,
    ``collation``). The difference: ``count`` ran the ``count`` command (fast, from metadata, and
    possibly wrong after an unclean shutdown or on a sharded cluster); ``count_documents`` runs an
    aggregation and is exact, and refuses the query operators ``$where``, ``$near`` and
    ``$nearSphere`` (use ``$expr`` and ``$geoWithin``).
    """
    _check_callback(callback)
    future = self.count_documents(filter or {}, session=session, **kwargs)
    return _with_callback(self, future, callback)


def cursor_count(
    self: Any, with_limit_and_skip: bool = False, callback: _MotorCallback | None = None
) -> Any:
    """Motor 1.x's ``MotorCursor.count(with_limit_and_skip=False)``.

    Counts the documents the cursor's filter matches, ignoring its ``limit`` and ``skip`` unless
    ``with_limit_and_skip`` (as 1.x did); ``hint``, ``collation`` and ``max_time_ms`` of the
    cursor apply. Mapped onto ``count_documents`` like `collection_count`.
    """
    _check_callback(callback)
    cursor = self.delegate
    options: dict[str, Any] = {}
    if with_limit_and_skip:
        if cursor._skip:
            options["skip"] = cursor._skip
        if cursor._limit:
            options["limit"] = abs(cursor._limit)
    if cursor._hint is not None:
        options["hint"] = cursor._hint
    if cursor._collation is not None:
        options["collation"] = cursor._collation
    if cursor._max_time_ms is not None:
        options["maxTimeMS"] = cursor._max_time_ms
    future = self.collection.count_documents(cursor._spec or {}, session=cursor._session, **options)
    return _with_callback(self, future, callback)


def patches() -> list[tuple[object, str, object]]:
    """``(owner, attribute, replacement)`` for every Motor shim point."""
    collection = motor_tornado.MotorCollection
    result: list[tuple[object, str, object]] = [
        (collection, name, _callback_method(getattr(collection, name)))
        for name in ("insert_one", "find_one", "update_one", "delete_one")
    ]
    result.append((collection, "count", collection_count))
    for cursor_class in (
        motor_tornado.MotorCursor,
        motor_tornado.MotorCommandCursor,
        motor_tornado.MotorLatentCommandCursor,
    ):
        result.append((cursor_class, "to_list", _to_list_method(cursor_class.to_list)))
    result.append((motor_tornado.MotorCursor, "count", cursor_count))
    return result
