"""A Tornado 4 handler and a Twisted helper, as `asyncmigrate scan` sees them."""

import tornado.web
from tornado import gen
from twisted.internet import defer


class ItemHandler(tornado.web.RequestHandler):
    @gen.coroutine
    def get(self, item_id):
        item, stock = yield [self.db.items.find_one(item_id), self.stock(item_id)]
        raise gen.Return((item, stock))

    def stock(self, item_id, callback=None):
        self.db.stock.find_one({"_id": item_id}, callback=callback)


@defer.inlineCallbacks
def fetch(agent, url):
    response = yield agent.request(b"GET", url)
    defer.returnValue(response.code)
