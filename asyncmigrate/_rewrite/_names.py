"""Which qualified name an expression stands for, from the module's imports.

A cheap stand-in for LibCST's ``QualifiedNameProvider``: the rewrite only needs to know whether
``g.coroutine`` or ``ic`` means ``tornado.gen.coroutine`` or
``twisted.internet.defer.inlineCallbacks``, and a full scope analysis of every file costs more
than the rest of the rewrite together. Imports at module level (also inside top-level ``try``,
``if`` and ``with`` blocks) count; a name rebound later in the module is not followed.
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


def _import_statements(body: object) -> list[cst.Import | cst.ImportFrom]:
    found: list[cst.Import | cst.ImportFrom] = []
    for stmt in body:  # type: ignore[attr-defined]
        if isinstance(stmt, cst.SimpleStatementLine):
            found.extend(s for s in stmt.body if isinstance(s, cst.Import | cst.ImportFrom))
        elif isinstance(stmt, cst.If | cst.With):
            found.extend(_import_statements(stmt.body.body))
            if isinstance(stmt, cst.If) and stmt.orelse is not None:
                found.extend(_import_statements([stmt.orelse]))
        elif isinstance(stmt, cst.Else):
            found.extend(_import_statements(stmt.body.body))
        elif isinstance(stmt, cst.Try):
            found.extend(_import_statements(stmt.body.body))
            for handler in stmt.handlers:
                found.extend(_import_statements(handler.body.body))
    return found


def import_aliases(module: cst.Module) -> dict[str, str]:
    """Map each name bound by an import to the qualified name it stands for."""
    aliases: dict[str, str] = {}
    for stmt in _import_statements(module.body):
        if isinstance(stmt, cst.Import):
            for alias in stmt.names:
                full = _dotted(alias.name)
                if full is None:
                    continue
                if alias.asname is not None:
                    local = _dotted(alias.asname.name)  # type: ignore[arg-type]
                    if local:
                        aliases[local] = full
                else:
                    head = full.split(".")[0]
                    aliases[head] = head
        else:
            if stmt.relative or stmt.module is None or isinstance(stmt.names, cst.ImportStar):
                continue
            base = _dotted(stmt.module)
            for alias in stmt.names:
                name = _dotted(alias.name)
                if base is None or name is None:
                    continue
                local = name
                if alias.asname is not None:
                    local = _dotted(alias.asname.name) or name  # type: ignore[arg-type]
                aliases[local] = f"{base}.{name}"
    return aliases


class Names:
    """Qualified-name lookups for one module."""

    def __init__(self, module: cst.Module) -> None:
        self.aliases = import_aliases(module)

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
