"""``asyncmigrate rewrite``: convert legacy Tornado and Twisted coroutines to async/await.

Shows a unified diff by default; ``--write`` applies it (atomically, file by file), ``--check``
exits 1 if anything would change. Traps (places not converted, or converted with a caveat) go
to stderr as ``path:line: id: reason``. Exit status: 0 nothing to change or all written, 1 with
``--check`` when something would change, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
import sys
from typing import Any

USAGE_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to rewrite")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="apply the changes to the files")
    mode.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if anything would change"
    )
    parser.add_argument(
        "--select",
        metavar="IDS",
        help="comma-separated conversion ids to run (default: all): "
        "coroutine, gen-test, inline-callbacks",
    )
    parser.add_argument("--ignore", metavar="IDS", help="comma-separated conversion ids to skip")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: diff on stdout, traps on stderr; json: one report on stdout",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: one per 8 files, up to the CPU count)",
    )


def _ids(value: str | None, known: dict[str, str]) -> set[str]:
    if value is None:
        return set()
    ids = {part.strip() for part in value.split(",") if part.strip()}
    unknown = ids - set(known)
    if unknown:
        raise ValueError(
            f"unknown conversion id(s): {', '.join(sorted(unknown))}; known: {', '.join(known)}"
        )
    return ids


def run(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("libcst") is None:  # an extra; imported only when converting
        print(
            "asyncmigrate rewrite needs libcst: pip install 'asyncmigrate[rewrite]'",
            file=sys.stderr,
        )
        return USAGE_ERROR
    from asyncmigrate import _rewrite as rw

    try:
        selected = _ids(args.select, rw.CONVERSIONS) or set(rw.CONVERSIONS)
        selected -= _ids(args.ignore, rw.CONVERSIONS)
    except ValueError as exc:
        print(f"asyncmigrate rewrite: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if args.jobs is not None and args.jobs < 1:
        print("asyncmigrate rewrite: --jobs must be at least 1", file=sys.stderr)
        return USAGE_ERROR
    try:
        report = rw.rewrite_paths(args.paths, selected=frozenset(selected), workers=args.jobs)
    except FileNotFoundError as exc:
        print(f"asyncmigrate rewrite: no such file or folder: {exc.filename}", file=sys.stderr)
        return USAGE_ERROR

    write_errors: list[str] = []
    if args.write:
        for result in report.changed:
            try:
                rw.write_atomically(result)
            except OSError as exc:
                write_errors.append(f"{result.path}: not written: {exc.strerror or exc}")

    if args.format == "json":
        json.dump(_as_json(report, args, write_errors), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        if not args.write and not args.check:
            for result in report.changed:
                sys.stdout.writelines(_diff(result))
        for failure in report.failures:
            print(f"{failure.path}: skipped: {failure.reason}", file=sys.stderr)
        for trap in report.traps:
            if trap.id != "syntax":
                print(trap.format(), file=sys.stderr)
        for line in write_errors:
            print(line, file=sys.stderr)
        print(_summary(report, args), file=sys.stderr)
    if write_errors:
        return 1
    if args.check and report.changed:
        return 1
    return 0


def _diff(result: Any) -> list[str]:
    lines = difflib.unified_diff(
        result.old.splitlines(keepends=True),
        result.new.splitlines(keepends=True),
        fromfile=f"a/{result.path.lstrip('/')}",
        tofile=f"b/{result.path.lstrip('/')}",
    )
    return [
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    ]


def _summary(report: Any, args: argparse.Namespace) -> str:
    verb = "rewritten" if args.write else "would be rewritten"
    converted = report.converted
    left = [t for t in report.traps if not t.converted]
    return (
        f"{len(report.changed)} file(s) {verb}, {len(converted)} function(s) converted, "
        f"{len(left)} trap(s) left unchanged, {len(report.traps) - len(left)} converted "
        f"with a caveat, {len(report.failures)} file(s) skipped"
    )


def _as_json(report: Any, args: argparse.Namespace, write_errors: list[str]) -> dict[str, Any]:
    """Schema version 1: see docs/cli/rewrite.md."""
    return {
        "version": 1,
        "mode": "write" if args.write else "check" if args.check else "diff",
        "files": [
            {
                "path": r.path,
                "status": type(r).__name__.lower(),
                "changed": r.changed,
                "reason": getattr(r, "reason", None),
                "diff": "".join(_diff(r)) if r.changed else None,
            }
            for r in report.results
        ],
        "converted": [
            {"path": c.path, "line": c.line, "name": c.name, "conversion": c.conversion}
            for c in report.converted
        ],
        "traps": [
            {
                "path": t.path,
                "line": t.line,
                "id": t.id,
                "reason": t.reason,
                "converted": t.converted,
            }
            for t in report.traps
        ],
        "errors": write_errors,
        "summary": {
            "files": len(report.results),
            "changed": len(report.changed),
            "converted": len(report.converted),
            "traps": len(report.traps),
            "failures": len(report.failures),
        },
    }
