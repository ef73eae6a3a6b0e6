"""Import upkeep after a conversion: drop the imports it made unused, add the ones it needs.

Works on the file's text with ``ast`` coordinates; only a module-level import statement that
has lines of its own is edited (re-parsed alone with LibCST, so that its formatting is kept).
An import is removed only when its name was read before the rewrite and is not read after it
(so an import that was already unused, maybe on purpose, stays), and only for the modules the
rewrite replaces. New imports go after the leading block of imports (or the docstring).
"""

from __future__ import annotations

import ast

import libcst as cst

from asyncmigrate._rewrite._names import _dotted

#: Modules whose imported names a conversion may leave unused.
REPLACED = ("tornado.gen", "twisted.internet.defer")

#: An edit of the file's lines: replace lines [start, end) (0-based) with text.
Edit = tuple[int, int, str]


def _replaced(qualified: str) -> bool:
    return any(qualified == m or qualified.startswith(m + ".") for m in REPLACED)


def _keep_alias(alias: cst.ImportAlias, base: str | None, unused: set[str]) -> bool:
    full = _dotted(alias.name) or ""
    if alias.asname is not None:
        local = _dotted(alias.asname.name) or ""
    else:
        local = full if base is not None else full.split(".")[0]
    qualified = f"{base}.{full}" if base is not None else full
    return not (local in unused and _replaced(qualified))


def _prune(stmt: cst.SimpleStatementLine, unused: set[str]) -> cst.SimpleStatementLine | None:
    body: list[cst.BaseSmallStatement] = []
    for small in stmt.body:
        if isinstance(small, cst.Import):
            count = len(small.names)
            names = [a for a in small.names if _keep_alias(a, None, unused)]
        elif (
            isinstance(small, cst.ImportFrom)
            and not small.relative
            and small.module is not None
            and not isinstance(small.names, cst.ImportStar)
        ):
            base = _dotted(small.module)
            count = len(small.names)
            names = [a for a in small.names if _keep_alias(a, base, unused)]
        else:
            body.append(small)
            continue
        if not names:
            continue
        if len(names) != count:
            names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            small = small.with_changes(names=names)
        body.append(small)
    if not body:
        return None
    if len(body) != len(stmt.body):
        body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return stmt.with_changes(body=body)


def _binds(stmt: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(stmt, ast.Import):
        return {a.asname or a.name.split(".")[0] for a in stmt.names}
    return {a.asname or a.name for a in stmt.names}


def import_edits(
    tree: ast.Module,
    lines: list[str],
    unused: set[str],
    needs: set[str],
    newline: str,
) -> list[Edit]:
    """The line edits that remove ``unused`` imports and add ``needs`` (qualified names)."""
    edits: list[Edit] = []
    body = tree.body
    if unused:
        for index, stmt in enumerate(body):
            if not isinstance(stmt, ast.Import | ast.ImportFrom) or not (_binds(stmt) & unused):
                continue
            start, end = stmt.lineno, stmt.end_lineno or stmt.lineno
            shares = (index > 0 and (body[index - 1].end_lineno or 0) >= start) or (
                index + 1 < len(body) and body[index + 1].lineno <= end
            )
            if shares or stmt.col_offset != 0:
                continue  # `import a; import b` on one line: left as it is
            text = "".join(lines[start - 1 : end])
            try:
                module = cst.parse_module(text)
            except cst.ParserSyntaxError:
                continue
            [line] = module.body
            assert isinstance(line, cst.SimpleStatementLine)
            pruned = _prune(line, unused)
            new = "" if pruned is None else module.with_changes(body=[pruned]).code
            if new != text:
                edits.append((start - 1, end, new))
    if needs:
        anchor = None
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                break
            preamble = (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            )
            if isinstance(stmt, ast.Import | ast.ImportFrom) or preamble:
                anchor = stmt.end_lineno
        if anchor is None:
            first = body[0]
            decorators = getattr(first, "decorator_list", [])
            anchor = min([first.lineno, *(d.lineno for d in decorators)]) - 1
        text = "".join(_import_line(need) + newline for need in sorted(needs))
        edits.append((anchor, anchor, text))
    return edits


def _import_line(qualname: str) -> str:
    parent, _, leaf = qualname.rpartition(".")
    return f"from {parent} import {leaf}" if parent else f"import {qualname}"
