"""State shared by the transformers while one function (and what is nested in it) is rewritten.

Line numbers come from the ``ast`` tree, which is parsed anyway: the ``def`` line of a function
by matching ``def`` s in source order, a line inside a function from LibCST positions computed
on that function alone (``PositionProvider`` over a whole module costs as much as the rest of
the rewrite together).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from asyncmigrate._rewrite._names import Names
from asyncmigrate._rewrite._result import Converted, Trap

if TYPE_CHECKING:
    from asyncmigrate._rewrite._candidates import Def


@dataclass
class Unit:
    """The functions of one file being rewritten."""

    path: str
    names: Names
    #: Conversion ids that may run (``--select`` minus ``--ignore``).
    selected: frozenset[str]
    #: def line -> (trap id, reason) for a function that must stay as it is (whole-tree pass).
    blocked: Mapping[int, tuple[str, str]] = field(default_factory=dict)
    traps: list[Trap] = field(default_factory=list)
    converted: list[Converted] = field(default_factory=list)
    #: Qualified names the converted code refers to: ``asyncio``, ``bridges``, ``tornado.gen``.
    needs: set[str] = field(default_factory=set)
    #: How the count of each name read changed with the conversions (for unused imports).
    name_delta: Counter[str] = field(default_factory=Counter)
    #: The ``ast`` defs of the text being converted, in source order.
    defs: Sequence[Def] = ()
    #: id of each LibCST ``def`` -> its index in source order (filled in by the module converter).
    def_order: dict[int, int] = field(default_factory=dict)

    def def_line(self, fn: cst.FunctionDef) -> int:
        return self.def_info(fn)[0]

    def def_info(self, fn: cst.FunctionDef) -> tuple[int, str]:
        """The ``def`` line of ``fn`` and where it lives (see `Def.scope`)."""
        index = self.def_order.get(id(fn))
        if index is None or index >= len(self.defs):
            return 0, "module"
        found = self.defs[index]
        return found.line, found.scope

    def lines(self, fn: cst.FunctionDef, nodes: Sequence[cst.CSTNode]) -> list[int]:
        """The line of each of ``nodes`` (all inside ``fn``)."""
        start = self.def_line(fn)
        positions = MetadataWrapper(cst.Module(body=[fn]), unsafe_skip_copy=True).resolve(
            PositionProvider
        )
        base = positions[fn].start.line
        return [
            start + positions[node].start.line - base if node in positions else start
            for node in nodes
        ]

    def name_for(self, qualname: str) -> cst.BaseExpression:
        """An expression naming ``qualname`` (``asyncio.sleep``), importing its module if needed."""
        local = self.names.local_for(qualname)
        if local is None:
            module, _, leaf = qualname.rpartition(".")
            if module == "tornado.gen":
                local = f"gen.{leaf}"
                self.needs.add("tornado.gen")
            else:
                local = qualname
                self.needs.add(module)
        expr = _EXPRESSIONS.get(local)
        if expr is None:
            expr = _EXPRESSIONS[local] = cst.parse_expression(local)
        return expr  # LibCST nodes are immutable: one may appear in many places


_EXPRESSIONS: dict[str, cst.BaseExpression] = {}
