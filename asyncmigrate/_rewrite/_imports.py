"""Import upkeep after a conversion: drop the imports it made unused, add the ones it needs.

Only module-level import lines are edited. An import is removed only when its name was used
before the rewrite and is not used after it (so an import that was already unused, maybe on
purpose, stays), and only for the modules the rewrite replaces.
"""

from __future__ import annotations

import ast

import libcst as cst

from asyncmigrate._rewrite._names import _dotted

#: Modules whose imported names a conversion may leave unused.
REPLACED = ("tornado.gen", "twisted.internet.defer")


def used_names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _replaced(qualified: str) -> bool:
    return any(qualified == m or qualified.startswith(m + ".") for m in REPLACED)


def _keep_alias(alias: cst.ImportAlias, base: str | None, unused: set[str]) -> bool:
    full = _dotted(alias.name) or ""
    if alias.asname is not None:
        local = _dotted(alias.asname.name) or ""  # type: ignore[arg-type]
    else:
        local = full if base is not None else full.split(".")[0]
    qualified = f"{base}.{full}" if base is not None else full
    return not (local in unused and _replaced(qualified))


def _prune(stmt: cst.SimpleStatementLine, unused: set[str]) -> cst.SimpleStatementLine | None:
    body: list[cst.BaseSmallStatement] = []
    for small in stmt.body:
        if isinstance(small, cst.Import):
            names = [a for a in small.names if _keep_alias(a, None, unused)]
        elif (
            isinstance(small, cst.ImportFrom)
            and not small.relative
            and small.module is not None
            and not isinstance(small.names, cst.ImportStar)
        ):
            base = _dotted(small.module)
            names = [a for a in small.names if _keep_alias(a, base, unused)]
        else:
            body.append(small)
            continue
        if not names:
            continue
        if len(names) != len(small.names):
            names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            if isinstance(small, cst.ImportFrom) and small.lpar is not None and len(names) > 1:
                # keep a trailing comma in a parenthesised, one-per-line import
                last = small.names[-1]  # type: ignore[index]
                names[-1] = names[-1].with_changes(comma=last.comma)
            small = small.with_changes(names=names)
        body.append(small)
    if not body:
        return None
    if body != list(stmt.body):
        body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return stmt.with_changes(body=body)
    return stmt


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Import | cst.ImportFrom) for s in stmt.body
    )


def _is_preamble(stmt: cst.CSTNode) -> bool:
    """A docstring or ``from __future__`` line: new imports go after these."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    small = stmt.body[0]
    if isinstance(small, cst.Expr) and isinstance(
        small.value, cst.SimpleString | cst.ConcatenatedString
    ):
        return True
    return (
        isinstance(small, cst.ImportFrom) and _dotted(small.module or cst.Name("x")) == "__future__"
    )


def fix_imports(
    module: cst.Module, used_before: set[str], used_after: set[str], needs: set[str]
) -> cst.Module:
    unused = used_before - used_after
    body: list[cst.CSTNode] = []
    for stmt in module.body:
        if unused and _is_import_line(stmt):
            pruned = _prune(stmt, unused)  # type: ignore[arg-type]
            if pruned is None:
                continue
            stmt = pruned
        body.append(stmt)
    if needs:
        anchor = 0
        for index, stmt in enumerate(body):
            if _is_import_line(stmt) or _is_preamble(stmt):
                anchor = index + 1
            elif isinstance(stmt, cst.FunctionDef | cst.ClassDef):
                break
        new = [_import_line(need) for need in sorted(needs)]
        body[anchor:anchor] = new
    return module.with_changes(body=body)


def _import_line(qualname: str) -> cst.SimpleStatementLine:
    parent, _, leaf = qualname.rpartition(".")
    code = f"from {parent} import {leaf}\n" if parent else f"import {qualname}\n"
    stmt = cst.parse_statement(code)
    assert isinstance(stmt, cst.SimpleStatementLine)
    return stmt
