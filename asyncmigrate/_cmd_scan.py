"""``asyncmigrate scan PATH...``: inventory the legacy async patterns of a tree.

Exit status: 0 when the tree is clean, 1 when legacy patterns remain or a file could not be
parsed (it may hide some), 2 on usage errors (missing path, bad option, unknown pattern id).
The scan needs nothing beyond the standard library. See ``docs/cli/scan.md``.
"""

from __future__ import annotations

import argparse
import os
import sys

USAGE_ERROR = 2
LEGACY_FOUND = 1
CLEAN = 0


def _id_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


EPILOG = """\
exit status: 0 when clean, 1 when legacy patterns remain or a file could not be parsed,
2 on usage errors. Pattern ids, the JSON schema and the progress figure: docs/cli/scan.md;
a recipe for each pattern: docs/recipes/index.md."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to scan")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="report format (default: text; json follows asyncmigrate/scan-schema.json)",
    )
    parser.add_argument(
        "--select",
        type=_id_list,
        action="extend",
        metavar="IDS",
        help="report only these pattern ids or frameworks (comma-separated, repeatable)",
    )
    parser.add_argument(
        "--ignore",
        type=_id_list,
        action="extend",
        metavar="IDS",
        help="do not report these pattern ids or frameworks (comma-separated, repeatable)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for big trees (default: the CPU count; 1: no workers)",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="never draw the progress bar (it is drawn only when stderr is a terminal)",
    )


def run(args: argparse.Namespace) -> int:
    from asyncmigrate import _scan

    try:
        selected = _scan.select_patterns(args.select, args.ignore)
    except ValueError as exc:
        known = ", ".join(_scan.PATTERNS)
        print(f"asyncmigrate scan: error: {exc} (known: {known})", file=sys.stderr)
        return USAGE_ERROR
    if args.jobs is not None and args.jobs < 1:
        print("asyncmigrate scan: error: --jobs must be at least 1", file=sys.stderr)
        return USAGE_ERROR

    progress = _scan.ProgressBar(sys.stderr, enabled=not args.no_progress)
    try:
        result = _scan.scan_paths(
            args.paths,
            selected=selected,
            jobs=args.jobs,
            on_start=progress.start,
            on_file=progress.advance,
        )
    except FileNotFoundError as exc:
        print(
            f"asyncmigrate scan: error: no such file or directory: {exc.filename}", file=sys.stderr
        )
        return USAGE_ERROR
    finally:
        progress.close()

    render = _scan.render_json if args.format == "json" else _scan.render_text
    status = CLEAN if result.clean else LEGACY_FOUND
    try:
        sys.stdout.write(render(result))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`asyncmigrate scan . | head`): not an error of the scan. Point
        # stdout at devnull so that the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return status
