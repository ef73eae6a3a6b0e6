"""Which qualified name an expression stands for, from the module's imports.

A cheap stand-in for LibCST's ``QualifiedNameProvider``: the rewrite only needs to know whether
``g.coroutine`` or ``ic`` means ``tornado.gen.coroutine`` or
``twisted.internet.defer.inlineCallbacks``, and a full scope analysis of every file costs more
than the rest of the rewrite together. The imports are read from the ``ast`` tree
(``_source.import_aliases``: the rewrite parses only the functions it converts with LibCST).
Imports at module level (also inside top-level ``try``, ``if`` and ``with`` blocks) count; a
name rebound later is not followed.
"""

from __future__ import annotations

import libcst as cst


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


class Names:
    """Qualified-name lookups for one module."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """``tornado.gen.coroutine`` for ``gen.coroutine`` after ``from tornado import gen``."""
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def is_(self, node: cst.BaseExpression, *qualnames: str) -> bool:
        return self.qualified(node) in qualnames

    def called(self, node: cst.BaseExpression, *qualnames: str) -> bool:
        """Whether ``node`` is a call of one of ``qualnames``."""
        return isinstance(node, cst.Call) and self.is_(node.func, *qualnames)

    def local_for(self, qualname: str) -> str | None:
        """An expression (as text) that names ``qualname`` in this module, if one is bound."""
        for local, target in self.aliases.items():
            if target == qualname:
                return local
        parent, _, leaf = qualname.rpartition(".")
        for local, target in self.aliases.items():
            if target == parent:
                return f"{local}.{leaf}"
        head = qualname.split(".")[0]
        if self.aliases.get(head) == head:
            return qualname
        return None
