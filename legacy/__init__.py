"""The messages service as a 2016-2018 team wrote it: Tornado callbacks, Motor 1.x, Twisted 18.

Nothing in this package imports ``bridges`` or anything newer than Tornado 5.1 + Motor 1.3 +
Twisted 18 on Python 3.7; on today's stack it runs unchanged once ``bridges.compat.install()`` has
run (import ``legacy.app`` *after* it: ``@tornado.web.asynchronous`` is looked up at class
definition time). Entry points: ``legacy.app.make_app(db)`` and ``legacy.feed.make_factory(db)``.
"""
