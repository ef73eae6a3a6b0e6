"""The embedded MongoDB wire server: mongoeco, run as a child process on 127.0.0.1.

The demo and the tests talk to it with the real Motor and PyMongo clients, over the real
wire protocol. ``MONGODB_URI`` in the environment replaces it with a real MongoDB::

    with database_uri() as uri:          # MONGODB_URI, or a fresh embedded server
        client = pymongo.AsyncMongoClient(uri)

Run by hand: ``python -m asyncmigrate.embedded_mongo [--port N] [--sqlite FILE]
[--no-code-cache]``; it prints ``READY <uri>`` once it accepts connections and stops on SIGINT,
SIGTERM or when its standard input closes (so it never outlives the process that started it).

The child is :mod:`asyncmigrate._mongo_child`. Nearly all of its start-up is importing mongoeco,
which it makes quicker, chiefly by keeping the code compiled for mongoeco's dataclasses in the
user's cache directory (``docs/performance.md``, "Embedded server").
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from asyncmigrate._mongo_child import READY

__all__ = ["EmbeddedMongo", "EmbeddedMongoError", "database_uri"]

#: The child: a module that imports only the standard library before mongoeco (see its docstring).
CHILD = "asyncmigrate._mongo_child"


class EmbeddedMongoError(RuntimeError):
    """The embedded server could not be started (mongoeco missing, port taken, ...)."""


class EmbeddedMongo:
    """A mongoeco wire server in a child process.

    ``sqlite`` keeps the data in that file, so that :meth:`restart` (or a new server on the
    same file) finds it again; without it the data lives in memory and dies with the process.
    After a restart the server listens on the same port, so connected clients reconnect.
    """

    def __init__(self, *, sqlite: str | os.PathLike[str] | None = None, port: int = 0) -> None:
        self.sqlite = Path(sqlite) if sqlite is not None else None
        self.port = port
        self.uri: str | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._errors: IO[bytes] | None = None
        self._drain: threading.Thread | None = None

    def start(self, timeout: float = 15.0) -> str:
        if self._proc is not None:
            raise EmbeddedMongoError("the embedded server is already running")
        cmd = [sys.executable, "-m", CHILD, "--port", str(self.port)]
        if self.sqlite is not None:
            cmd += ["--sqlite", str(self.sqlite)]
        # The child's stderr goes to a file, not a pipe: nobody reads a pipe while the server
        # runs, and a child that filled one would block on its next warning.
        errors = tempfile.TemporaryFile()  # noqa: SIM115  (open while the server runs)
        proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        line = _readline_with_timeout(proc, timeout)
        if not line.startswith(READY):
            proc.kill()
            proc.wait()
            _close_pipes(proc)
            errors.seek(0)
            output = (line + errors.read().decode(errors="replace")).strip()
            errors.close()
            if not line and proc.returncode == -signal.SIGKILL:
                output = f"not ready after {timeout}s" + (f": {output}" if output else "")
            raise EmbeddedMongoError(
                f"the embedded MongoDB server did not start: {output or 'no output'}"
            )
        # Anything it prints after READY is read and dropped, for the same reason.
        assert proc.stdout is not None
        self._drain = threading.Thread(target=proc.stdout.read, daemon=True)
        self._drain.start()
        self._proc, self._errors = proc, errors
        self.uri = line[len(READY) :].strip()
        self.port = int(self.uri.split(":")[2].split("/")[0])
        return self.uri

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._drain is not None:
            self._drain.join(timeout)  # the child is gone: its stdout is at its end
            self._drain = None
        _close_pipes(proc)
        if self._errors is not None:
            self._errors.close()
            self._errors = None

    def restart(self) -> str:
        """Stop and start again on the same port (and the same SQLite file, if any)."""
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs (to signal it in fault tests), else None."""
        return self._proc.pid if self.running and self._proc is not None else None

    def __enter__(self) -> EmbeddedMongo:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _close_pipes(proc: subprocess.Popen[str]) -> None:
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def _readline_with_timeout(proc: subprocess.Popen[str], timeout: float) -> str:
    """The child's first line; "" if it ended first, or was killed after ``timeout``."""
    result: list[str] = []
    assert proc.stdout is not None
    stdout = proc.stdout
    reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not result:
        proc.kill()
        reader.join()
    return result[0] if result else ""


@contextlib.contextmanager
def database_uri(*, sqlite: str | os.PathLike[str] | None = None) -> Iterator[str]:
    """Yield ``MONGODB_URI`` if it is set, else the URI of a fresh embedded server."""
    uri = os.environ.get("MONGODB_URI")
    if uri:
        yield uri
        return
    with EmbeddedMongo(sqlite=sqlite) as server:
        assert server.uri is not None
        yield server.uri


def main(argv: list[str] | None = None) -> None:
    """``python -m asyncmigrate.embedded_mongo``: the same server, started by hand."""
    from asyncmigrate._mongo_child import main as child_main

    child_main(argv, prog="python -m asyncmigrate.embedded_mongo")


if __name__ == "__main__":
    main()
