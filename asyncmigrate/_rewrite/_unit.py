"""Per-file state shared by the transformers: names, positions, traps, imports to add."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange

from asyncmigrate._rewrite._names import Names
from asyncmigrate._rewrite._result import Converted, Trap


@dataclass
class Unit:
    """One file being rewritten."""

    path: str
    module: cst.Module
    names: Names
    positions: Mapping[cst.CSTNode, CodeRange]
    #: Conversion ids that may run (``--select`` minus ``--ignore``).
    selected: frozenset[str]
    #: Function name -> why it must stay as it is (whole-tree pass: un-awaited call sites).
    blocked: Mapping[str, str] = field(default_factory=dict)
    traps: list[Trap] = field(default_factory=list)
    converted: list[Converted] = field(default_factory=list)
    #: Qualified names the converted code refers to: ``asyncio``, ``bridges``, ``tornado.gen``.
    needs: set[str] = field(default_factory=set)

    def line(self, node: cst.CSTNode) -> int:
        where = self.positions.get(node)
        return where.start.line if where is not None else 0

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
        return cst.parse_expression(local)
