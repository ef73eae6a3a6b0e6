"""The messages feed: a Twisted line protocol in Deferred style (Twisted 18, Motor 1.x), 2018.

``make_factory(db)`` takes the same ``motor.motor_tornado.MotorDatabase`` as the web app and
returns a protocol factory. The protocol (docs/contract.md), ``\\r\\n`` line endings, UTF-8:

    ``POST <text>`` stores the message and answers ``OK <hex id>``; ``LIST <n>`` with
    1 <= n <= 100 answers one ``MSG <hex id> <text>`` line per message, newest first, then
    ``END``; anything else answers ``ERR <reason>``: an unknown command, a bad n, an empty line,
    invalid UTF-8, a line over 64 KiB (which also closes the connection). Database trouble
    answers ``ERR unavailable``. One command at a time, answers in order. A client that
    half-closes (``nc -N``, a shell pipe) still gets every answer before the connection closes.

How Motor met Twisted in 2018: Motor 1.x offered Tornado and asyncio clients, none for
Twisted, so the feed and the Tornado app shared one process and one loop
(``tornado.platform.asyncio`` with Twisted's ``asyncioreactor``, or ``tornado.platform.twisted``
before that) and the feed used the Motor *Tornado* client. Its ``callback=`` API is the one thing
every Motor 1.x method had, whatever the Tornado version, so ``motor_deferred`` wraps it in a
Deferred by hand: no dependency on how Tornado futures and Deferreds convert (which changed
between Tornado 4 and 5), and exactly one place where Motor's ``(result, error)`` becomes a
callback or an errback.

The texts are a deliberate copy of ``modern/feed.py``'s (legacy code imports nothing new).
"""

import re

from pymongo.errors import ConnectionFailure
from twisted.internet import defer, protocol
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.protocols import basic
from twisted.python import log
from zope.interface import implementer

MAX_LINE = 64 * 1024
MAX_LIST = 100
LIST_ARG = re.compile(r"[0-9]{1,3}\Z")


def motor_deferred(method, *args, **kwargs):
    """Call a Motor method with ``callback=`` and return a Deferred of its result."""
    d = defer.Deferred()

    def callback(result, error):
        if error is not None:
            d.errback(error)
        else:
            d.callback(result)

    method(*args, callback=callback, **kwargs)
    return d


def escape_text(text):
    """One message on one line: backslash, CR and LF written as two-character escapes."""
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


@implementer(IHalfCloseableProtocol)
class FeedProtocol(basic.LineReceiver):
    delimiter = b"\r\n"
    MAX_LENGTH = MAX_LINE

    def connectionMade(self):
        self.gone = False

    def connectionLost(self, reason=protocol.connectionDone):
        self.gone = True

    def lineReceived(self, line):
        # One command at a time: stop reading lines until this one is answered, so that the
        # answers keep the order of the commands (and a LIST sees the POST before it).
        self.pauseProducing()
        d = defer.maybeDeferred(self.handle_line, line)
        d.addErrback(self.internal_error)
        d.addCallback(self.send_lines)
        d.addBoth(self.next_line)

    def lineLengthExceeded(self, line):
        self.sendLine(b"ERR line too long")
        self.transport.loseConnection()

    def readConnectionLost(self):
        # The client sent all it will (a shell pipe into nc, say). Reading is paused while a
        # command is answered, so this comes once every command read is answered: close after
        # writing the answers. Without it Twisted closes at once and the answers are lost.
        self.transport.loseConnection()

    def writeConnectionLost(self):
        self.transport.loseConnection()

    def handle_line(self, line):
        if not line:
            return ["ERR empty line"]
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return ["ERR invalid UTF-8"]
        command, _, argument = text.partition(" ")
        if command == "POST":
            message = argument.strip()
            if not message:
                return ["ERR empty message"]
            return self.post(message)
        if command == "LIST":
            if not LIST_ARG.match(argument) or not 1 <= int(argument) <= MAX_LIST:
                return ["ERR bad n"]
            return self.list_messages(int(argument))
        return ["ERR unknown command"]

    def post(self, message):
        d = motor_deferred(self.factory.db.messages.insert_one, {"msg": message})
        d.addCallback(lambda result: ["OK %s" % result.inserted_id])
        d.addErrback(self.database_error)
        return d

    @defer.inlineCallbacks
    def list_messages(self, n):
        try:
            cursor = self.factory.db.messages.find().sort([("_id", -1)]).limit(n)
            messages = yield motor_deferred(cursor.to_list, length=n)
        except ConnectionFailure:
            defer.returnValue(["ERR unavailable"])
        lines = ["MSG %s %s" % (m["_id"], escape_text(m["msg"])) for m in messages]
        lines.append("END")
        defer.returnValue(lines)

    def database_error(self, failure):
        failure.trap(ConnectionFailure)
        return ["ERR unavailable"]

    def internal_error(self, failure):
        log.err(failure, "feed command failed")
        return ["ERR internal error"]

    def send_lines(self, lines):
        if not self.gone:
            for line in lines:
                self.sendLine(line.encode("utf-8"))

    def next_line(self, _):
        if not self.gone:
            self.resumeProducing()


class FeedFactory(protocol.Factory):
    protocol = FeedProtocol

    def __init__(self, db):
        self.db = db


def make_factory(db):
    """The protocol factory of the feed, on the Motor database ``db``."""
    return FeedFactory(db)
