"""Run every ``bench/bench_*.py`` module in its own process, one after the other.

Each module prints its own Markdown table (ratios against a baseline measured in the same run)
and exits non-zero if it could not measure. ``python -m bench NAME...`` runs only those
(``python -m bench bridges`` runs ``bench/bench_bridges.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    if argv:
        unknown = [name for name in argv if f"bench_{name}" not in modules]
        if unknown:
            print(
                f"unknown benchmark(s): {', '.join(unknown)}; have: "
                f"{', '.join(m.removeprefix('bench_') for m in modules)}",
                file=sys.stderr,
            )
            return 2
        modules = [f"bench_{name}" for name in argv]
    failed = []
    for module in modules:
        print(f"\n## {module.removeprefix('bench_')}\n", flush=True)
        if subprocess.call([sys.executable, "-m", f"bench.{module}"]) != 0:
            failed.append(module)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
