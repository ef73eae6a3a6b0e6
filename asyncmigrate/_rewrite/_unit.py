"""Per-file state shared by the transformers: names, line numbers, traps, imports to add.

Line numbers are worked out only for the functions that need them (LibCST's
``PositionProvider`` over a whole module costs as much as the rest of the rewrite): the ``def``
line comes from the ``ast`` tree, which is parsed anyway, matched by source order; a line inside
a function comes from positions computed on that function alone.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from asyncmigrate._rewrite._names import Names
from asyncmigrate._rewrite._result import Converted, Trap


@dataclass
class Unit:
    """One file being rewritten."""

    path: str
    module: cst.Module
    tree: ast.Module
    names: Names
    #: Conversion ids that may run (``--select`` minus ``--ignore``).
    selected: frozenset[str]
    #: def line -> why that function must stay as it is (whole-tree pass: un-awaited call sites).
    blocked: Mapping[int, tuple[str, str]] = field(default_factory=dict)
    traps: list[Trap] = field(default_factory=list)
    converted: list[Converted] = field(default_factory=list)
    #: Qualified names the converted code refers to: ``asyncio``, ``bridges``, ``tornado.gen``.
    needs: set[str] = field(default_factory=set)
    #: How the count of each name read changed with the conversions (for unused imports).
    name_delta: Counter[str] = field(default_factory=Counter)
    #: id of each ``def`` -> its index in source order (filled in by the module converter).
    def_order: dict[int, int] = field(default_factory=dict)
    _def_lines: list[tuple[int, str]] | None = None

    def def_line(self, fn: cst.FunctionDef) -> int:
        return self.def_info(fn)[0]

    def def_info(self, fn: cst.FunctionDef) -> tuple[int, str]:
        """The ``def`` line of ``fn`` and where it lives: ``module``, ``class:START:END`` (a
        method of the class on those lines) or ``local:START:END`` (nested in a function)."""
        if self._def_lines is None:
            found: list[tuple[int, int, str]] = []

            def walk(node: ast.AST, scope: str) -> None:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                        found.append((child.lineno, child.col_offset, scope))
                        walk(child, f"local:{child.lineno}:{child.end_lineno}")
                    elif isinstance(child, ast.ClassDef):
                        inner = scope if scope.startswith("local:") else "class"
                        walk(child, f"{inner}:{child.lineno}:{child.end_lineno}")
                    else:
                        walk(child, scope)

            walk(self.tree, "module")
            found.sort()
            self._def_lines = [(line, scope) for line, _, scope in found]
        index = self.def_order.get(id(fn))
        if index is None or index >= len(self._def_lines):
            return 0, "module"
        return self._def_lines[index]

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
        return cst.parse_expression(local)
