"""Render a :class:`ScanResult` as a readable report or as JSON (``schema_version`` 1).

The JSON shape is described by ``asyncmigrate/scan-schema.json`` and documented in
``docs/cli/scan.md``. Within schema version 1 fields are only ever added, never renamed,
removed or given a new meaning.
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import metadata
from typing import Any

from ._catalogue import PATTERNS
from ._model import FileResult, ScanResult

__all__ = ["SCHEMA_VERSION", "render_json", "render_text", "to_json"]

SCHEMA_VERSION = 1


def _version() -> str:
    try:
        return metadata.version("asyncmigrate")
    except metadata.PackageNotFoundError:
        return "unknown"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _module_progress(file: FileResult) -> float | None:
    legacy = sum(file.legacy.values())
    total = file.native + legacy
    return file.native / total if total else None


def to_json(result: ScanResult) -> dict[str, Any]:
    """The JSON document as Python data (see ``scan-schema.json``)."""
    by_pattern = Counter(f.pattern for _, f in result.findings)
    modules_by_pattern: dict[str, set[str]] = {}
    for path, finding in result.findings:
        modules_by_pattern.setdefault(finding.pattern, set()).add(path)
    parsed = [f for f in result.files if f.error_kind is None]
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "asyncmigrate",
        "version": _version(),
        "paths": list(result.paths),
        "selected": sorted(result.selected),
        "summary": {
            "clean": result.clean,
            "files_seen": result.files_seen,
            "files_parsed": result.files_parsed,
            "files_with_findings": sum(1 for f in parsed if f.findings),
            "findings": len(result.findings),
            "errors": len(result.errors),
            "by_pattern": {p: by_pattern[p] for p in PATTERNS if by_pattern[p]},
            "functions": {
                "native": result.native,
                "legacy": result.legacy,
                "legacy_by_kind": result.legacy_by_kind,
                "progress": result.progress,
            },
        },
        "patterns": [
            {
                "id": pattern.id,
                "framework": pattern.framework,
                "legacy": pattern.legacy,
                "modern": pattern.modern,
                "recipe": pattern.recipe,
                "findings": by_pattern[pattern.id],
                "modules": len(modules_by_pattern[pattern.id]),
            }
            for pattern in PATTERNS.values()
            if by_pattern[pattern.id]
        ],
        "findings": [
            {
                "path": path,
                "line": f.line,
                "column": f.column,
                "pattern": f.pattern,
                "symbol": f.symbol,
                "code": f.code,
                "message": PATTERNS[f.pattern].hint,
            }
            for path, f in result.findings
        ],
        "modules": [
            {
                "path": f.path,
                "findings": len(f.findings),
                "native": f.native,
                "legacy": sum(f.legacy.values()),
                "progress": _module_progress(f),
            }
            for f in parsed
            if f.findings or f.native or f.legacy
        ],
        "errors": [
            {"path": f.path, "kind": f.error_kind, "message": f.error, "line": f.error_line}
            for f in result.errors
        ],
    }


def render_json(result: ScanResult) -> str:
    return json.dumps(to_json(result), indent=2) + "\n"


def render_text(result: ScanResult) -> str:
    """Findings grouped by module (``path:line:col: id  hint``), then tables and the figures."""
    data = to_json(result)
    out: list[str] = []
    current = None
    for f in data["findings"]:
        if f["path"] != current:
            if current is not None:
                out.append("")
            current = f["path"]
        location = f"{f['path']}:{f['line']}:{f['column']}:"
        out.append(f"{location} {f['pattern']}: {f['message']}")
        out.append(f"    {f['code']}")
    if data["findings"]:
        out.append("")

    if data["patterns"]:
        out.append("By pattern")
        rows: list[tuple[str, ...]] = [("pattern", "findings", "modules", "modern form")]
        rows += [
            (p["id"], str(p["findings"]), str(p["modules"]), p["modern"]) for p in data["patterns"]
        ]
        out += _table(rows, right={1, 2})
        out.append("")

    modules = [m for m in data["modules"] if m["findings"] or m["legacy"] or m["native"]]
    if modules:
        out.append("By module")
        rows = [("module", "findings", "native", "legacy", "progress")]
        rows += [
            (
                m["path"],
                str(m["findings"]),
                str(m["native"]),
                str(m["legacy"]),
                _percent(m["progress"]),
            )
            for m in modules
        ]
        out += _table(rows, right={1, 2, 3, 4})
        out.append("")

    if data["errors"]:
        n = len(data["errors"])
        out.append(
            f"Could not parse ({n} file{'' if n == 1 else 's'}; the scan went on without them)"
        )
        for e in data["errors"]:
            where = f"{e['path']}:{e['line']}" if e["line"] else e["path"]
            out.append(f"  {where}: {e['kind']} error: {e['message']}")
        out.append("")

    summary = data["summary"]
    functions = summary["functions"]
    total = functions["native"] + functions["legacy"]
    kinds = ", ".join(f"{k} {n}" for k, n in functions["legacy_by_kind"].items())
    if total:
        line = (
            f"Migration progress: {functions['native']} of {total} coroutine functions are native"
            f" async def ({_percent(functions['progress'])})"
        )
        out.append(line + (f"; legacy: {kinds}." if kinds else "."))
    else:
        out.append("Migration progress: n/a (no coroutine functions, native or legacy).")
    verdict = (
        "no legacy async patterns"
        if not summary["findings"]
        else f"{summary['findings']} findings of {len(data['patterns'])} patterns"
        f" in {summary['files_with_findings']} modules"
    )
    errors = f", {summary['errors']} could not be parsed" if summary["errors"] else ""
    out.append(
        f"Scanned {summary['files_seen']} files ({summary['files_parsed']} parsed{errors}):"
        f" {verdict}."
    )
    return "\n".join(out) + "\n"


def _table(rows: list[tuple[str, ...]], *, right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines
