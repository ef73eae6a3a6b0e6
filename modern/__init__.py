"""The messages service on native coroutines: the twin of the ``legacy`` package.

- :mod:`modern.app`: ``make_app(db)``, the Tornado web app (``async def`` handlers);
- :mod:`modern.feed`: ``make_factory(db)``, the Twisted line protocol (an ``async def`` handler
  bridged with :func:`bridges.deferred_api`).

``db`` is a :class:`pymongo.asynchronous.database.AsyncDatabase`. Both answer byte for byte what
their legacy twins answer (``docs/contract.md``); ``tests/apps`` compares them. The submodules
are imported on demand: importing ``modern`` alone pulls in neither Tornado, Twisted nor PyMongo.
"""

__all__ = ["app", "feed"]
