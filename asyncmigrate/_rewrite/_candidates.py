"""Find, with ``ast``, the functions a conversion applies to, and where each one lives.

This is what lets the rewrite parse only those functions with LibCST (the costly part) and
decide the whole-tree call check before any rewriting.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from asyncmigrate._rewrite._source import DECORATORS, qualified_ast


@dataclass
class Def:
    """A ``def`` in source order: its line, where it lives, and the defs nested in it."""

    node: ast.FunctionDef | ast.AsyncFunctionDef
    #: ``module``, ``class:START:END`` (a method) or ``local:START:END`` (nested in a function).
    scope: str
    conversion: str | None
    inner: list[Def] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.node.lineno

    @property
    def first_line(self) -> int:
        """The first line of its text: the first decorator's."""
        lines = [d.lineno for d in self.node.decorator_list]
        return min([self.node.lineno, *lines])

    def flat(self) -> list[Def]:
        """This def and every def nested in it, in source order."""
        out = [self]
        for inner in self.inner:
            out += inner.flat()
        return out


def conversion_of(
    node: ast.FunctionDef | ast.AsyncFunctionDef, aliases: dict[str, str], selected: frozenset[str]
) -> str | None:
    if isinstance(node, ast.AsyncFunctionDef):
        return None
    for decorator in node.decorator_list:
        expr = decorator.func if isinstance(decorator, ast.Call) else decorator
        conversion = DECORATORS.get(qualified_ast(expr, aliases) or "")
        if conversion is not None and conversion in selected:
            return conversion
    return None


def find_defs(tree: ast.Module, aliases: dict[str, str], selected: frozenset[str]) -> list[Def]:
    """Top-level tree of every def (module level first), with conversion and scope."""
    roots: list[Def] = []

    def walk(node: ast.AST, scope: str, into: list[Def]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                found = Def(child, scope, conversion_of(child, aliases, selected))
                into.append(found)
                walk(child, f"local:{child.lineno}:{child.end_lineno}", found.inner)
            elif isinstance(child, ast.ClassDef):
                walk(child, f"class:{child.lineno}:{child.end_lineno}", into)
            elif isinstance(child, ast.stmt | ast.ExceptHandler | ast.match_case):
                walk(child, scope, into)

    walk(tree, "module", roots)
    return roots


def outermost_candidates(roots: list[Def]) -> list[Def]:
    """The candidates not nested in another candidate, in source order (each is parsed alone,
    with the candidates nested in it)."""
    out: list[Def] = []

    def visit(defs: list[Def]) -> None:
        for d in defs:
            if d.conversion is not None:
                out.append(d)
            else:
                visit(d.inner)

    visit(roots)
    return out


def all_candidates(roots: list[Def]) -> list[Def]:
    return [d for root in roots for d in root.flat() if d.conversion is not None]
