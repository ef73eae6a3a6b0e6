"""The ``asyncmigrate`` command line: ``scan``, ``rewrite`` and ``demo``.

Each command lives in its own module (``asyncmigrate/_cmd_<name>.py``) exposing
``add_arguments(parser)`` and ``run(args) -> int``; it is imported only when chosen, so that
``asyncmigrate demo`` and ``scan`` do not need libcst and ``scan`` does not need Twisted.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "scan": "inventory the legacy async patterns of a tree",
    "rewrite": "rewrite legacy Tornado and Twisted coroutines to async/await",
    "demo": "serve the legacy and the modern app side by side on one loop",
}

#: Exit status for usage errors, as argparse uses.
USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asyncmigrate", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        _module(name).add_arguments(command)
    return parser


def _module(name: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"asyncmigrate._cmd_{name}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(_module(args.command).run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
