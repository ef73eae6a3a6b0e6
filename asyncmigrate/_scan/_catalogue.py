"""The catalogue of legacy patterns ``asyncmigrate scan`` reports.

Each :class:`Pattern` has a stable id (used by ``--select``/``--ignore``, in the JSON output and
as the anchor of its recipe in ``docs/recipes/index.md``), the legacy form, the modern form and
the one-line hint printed next to each finding. Ids never change meaning once released; a new
pattern gets a new id.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FRAMEWORKS", "PATTERNS", "RECIPES_PAGE", "Pattern", "select_patterns"]

#: Where the recipes live, relative to the repository (and ``recipes/`` on the docs site).
RECIPES_PAGE = "docs/recipes/index.md"

FRAMEWORKS = ("tornado", "twisted", "motor", "python")


@dataclass(frozen=True)
class Pattern:
    id: str
    framework: str
    legacy: str
    modern: str

    @property
    def recipe(self) -> str:
        return f"{RECIPES_PAGE}#{self.id}"

    @property
    def hint(self) -> str:
        return f"{self.legacy} -> {self.modern} (recipe: {self.recipe})"


_ALL = (
    # Tornado
    Pattern("gen-coroutine", "tornado", "@gen.coroutine", "async def with await"),
    Pattern("gen-engine", "tornado", "@gen.engine", "async def with await"),
    Pattern("gen-task", "tornado", "gen.Task(f, ...)", "await bridges.from_callback(f, ...)"),
    Pattern("gen-return", "tornado", "raise gen.Return(v)", "return v in an async def"),
    Pattern("yield-list", "tornado", "yield [a, b] in a coroutine", "await asyncio.gather(a, b)"),
    Pattern("yield-dict", "tornado", "yield {k: a} in a coroutine", "await gen.multi({k: a})"),
    Pattern(
        "gen-test-generator",
        "tornado",
        "@gen_test on a generator",
        "@gen_test on an async def test",
    ),
    Pattern(
        "web-asynchronous",
        "tornado",
        "@tornado.web.asynchronous",
        "async def handler method (no self.finish() needed)",
    ),
    Pattern(
        "return-future",
        "tornado",
        "@tornado.concurrent.return_future",
        "async def returning its value",
    ),
    Pattern(
        "ioloop-add-future",
        "tornado",
        "IOLoop.add_future(future, callback)",
        "await the future",
    ),
    Pattern(
        "ioloop-add-callback",
        "tornado",
        "IOLoop.add_callback / spawn_callback",
        "await the call, or asyncio.create_task(coro) kept referenced",
    ),
    Pattern(
        "stack-context",
        "tornado",
        "tornado.stack_context",
        "contextvars and try/except around await",
    ),
    # Callbacks in general (Tornado 4/5 APIs, Motor 1.x, home-grown)
    Pattern(
        "callback-argument",
        "python",
        "f(..., callback=cb)",
        "result = await f(...)",
    ),
    Pattern(
        "callback-parameter",
        "python",
        "def f(..., callback)",
        "async def f(...) returning the result",
    ),
    Pattern(
        "generator-send",
        "python",
        "generator coroutine driven by send()",
        "async def with await, or a plain class",
    ),
    Pattern(
        "asyncio-coroutine",
        "python",
        "@asyncio.coroutine with yield from",
        "async def with await",
    ),
    # Motor
    Pattern(
        "motor-callback",
        "motor",
        "Motor call with callback=",
        "await collection.method(...) (Motor 3 or PyMongo async)",
    ),
    Pattern(
        "motor-cursor-each",
        "motor",
        "cursor.each(callback)",
        "async for doc in cursor",
    ),
    # Twisted
    Pattern(
        "inline-callbacks",
        "twisted",
        "@inlineCallbacks",
        "async def with await, under @bridges.deferred_coroutine for Deferred callers",
    ),
    Pattern("return-value", "twisted", "returnValue(v)", "return v in an async def"),
    Pattern(
        "deferred-callbacks",
        "twisted",
        "d.addCallback/addErrback/addBoth/addCallbacks chain",
        "result = await d with try/except",
    ),
    Pattern("deferred-list", "twisted", "DeferredList([...])", "await asyncio.gather(...)"),
    Pattern("gather-results", "twisted", "gatherResults([...])", "await asyncio.gather(...)"),
    Pattern("defer-later", "twisted", "task.deferLater(reactor, s, f)", "await asyncio.sleep(s)"),
    Pattern("maybe-deferred", "twisted", "maybeDeferred(f)", "await f() if it is a coroutine"),
    Pattern(
        "deferred-by-hand",
        "twisted",
        "Deferred() built and fired by hand",
        "asyncio future or an async def",
    ),
)

#: Every pattern by id, in catalogue order.
PATTERNS: dict[str, Pattern] = {p.id: p for p in _ALL}


def select_patterns(select: list[str] | None, ignore: list[str] | None) -> frozenset[str]:
    """The pattern ids chosen by ``--select``/``--ignore`` (ids or framework names).

    Raises :class:`ValueError` naming an unknown id.
    """
    chosen = set(_expand(select)) if select else set(PATTERNS)
    return frozenset(chosen - set(_expand(ignore or [])))


def _expand(names: list[str]) -> list[str]:
    ids: list[str] = []
    for name in names:
        if name in PATTERNS:
            ids.append(name)
        elif name in FRAMEWORKS:
            ids.extend(p.id for p in _ALL if p.framework == name)
        else:
            raise ValueError(f"unknown pattern id or framework: {name!r}")
    return ids
