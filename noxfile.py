"""The bridges test-suite on the other CPythons bridges supports (``make other-pythons``).

``.venv`` (Python 3.13) runs the whole suite; this runs ``tests/bridges`` on every other CPython
from 3.11 up, each in a fresh virtualenv with the ``test`` extra only (no ``apps``: mongoeco
needs 3.13; no ``rewrite``). Interpreters are found the way the Makefile finds 3.13:
``scripts/find-python X.Y`` (PATH first, then pyenv's versions, which are usually not on PATH;
pyenv's shims are, but fail for versions that are not active). A version that is absent is
skipped with a notice (``make`` passes ``--no-error-on-missing-interpreters``).

``legacy2018`` runs ``legacy/`` unchanged on the stack it was written for (Python 3.7, Tornado
5.1.1, Motor 1.3.1, PyMongo 3, Twisted 18.9) against the embedded server, which this process
starts (mongoeco needs 3.13, the interpreter nox runs on).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
# 3.13 is .venv's interpreter, tested by `make pytest`. 3.14 is run where a machine has it.
OTHER_PYTHONS = ["3.11", "3.12", "3.14"]
#: The stack legacy/ was written for: the last releases of 2018 that it names.
LEGACY_PYTHON = "3.7"
LEGACY_STACK = ["tornado==5.1.1", "motor==1.3.1", "pymongo>=3.7,<4", "Twisted==18.9.0"]

nox.options.sessions = ["bridges", "legacy2018"]
# Never download an interpreter (python-build-standalone): test only what the machine has.
nox.options.download_python = "never"
# Reuse each virtualenv between runs; `pip install` below still brings it up to date.
nox.options.reuse_venv = "yes"


def _find_python(version: str) -> str | None:
    """The path of CPython ``version``, or ``None`` (after printing why) if there is none."""
    found = subprocess.run(
        [str(ROOT / "scripts" / "find-python"), version],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode == 0:
        return found.stdout.strip()
    print(
        f"noxfile: no Python {version} on this machine, its session will be skipped: "
        f"{found.stderr.strip()}",
        file=sys.stderr,
    )
    return None


def _put_on_path(versions: list[str]) -> None:
    """Make ``pythonX.Y`` name the interpreter find-python found, and nothing if it found none.

    nox looks interpreters up by name on PATH; a pyenv shim would answer for an inactive version
    and then fail, so the shims go and each found interpreter's directory comes first.
    """
    dirs = [p for p in os.environ.get("PATH", "").split(os.pathsep) if not p.endswith("/shims")]
    for version in versions:
        path = _find_python(version)
        if path is not None:
            dirs.insert(0, str(Path(path).parent))
    os.environ["PATH"] = os.pathsep.join(dirs)


_put_on_path([*OTHER_PYTHONS, LEGACY_PYTHON])


def _install(session: nox.Session) -> None:
    """``pip install -e '.[test]'``, skipped while the project's metadata is unchanged.

    The install is editable, so code changes need no reinstall; only the dependencies and entry
    points (setup.cfg, pyproject.toml) do. This saves most of a minute per session on a rerun.
    """
    metadata = hashlib.sha256()
    for name in ("setup.cfg", "pyproject.toml"):
        metadata.update((ROOT / name).read_bytes())
    stamp = Path(session.virtualenv.location) / ".asyncmigrate-installed"
    if stamp.exists() and stamp.read_text() == metadata.hexdigest():
        session.log("project metadata unchanged since the last install: not reinstalling")
        return
    session.install("--disable-pip-version-check", "--quiet", "-e", ".[test]")
    stamp.write_text(metadata.hexdigest())


@nox.session(python=OTHER_PYTHONS)
def bridges(session: nox.Session) -> None:
    """Run tests/bridges (warnings are errors, as in setup.cfg)."""
    _install(session)
    session.run("python", "-m", "pytest", "-q", "tests/bridges", *session.posargs)


# virtualenv no longer seeds environments for 3.7; the stdlib venv of 3.7 itself does.
@nox.session(python=LEGACY_PYTHON, venv_backend="venv")
def legacy2018(session: nox.Session) -> None:
    """legacy/ with no shims on its own 2018 stack: every answer as docs/contract.md says."""
    from asyncmigrate.embedded_mongo import database_uri

    session.install("--disable-pip-version-check", "--quiet", *LEGACY_STACK)
    with database_uri() as uri:
        session.run("python", "tests/legacy_2018/check_legacy_2018.py", uri, str(ROOT))
