import contextlib
import json
import os
import subprocess
import sys
import time

import pymongo
import pytest

from asyncmigrate.embedded_mongo import EmbeddedMongo, EmbeddedMongoError


def test_data_survives_restart_on_sqlite(tmp_path):
    with EmbeddedMongo(sqlite=tmp_path / "db.sqlite3") as server:
        client = pymongo.MongoClient(server.uri, serverSelectionTimeoutMS=5000)
        try:
            client.db.messages.insert_one({"_id": 1, "msg": "kept"})
            port = server.port
            server.restart()
            assert server.port == port
            assert list(client.db.messages.find()) == [{"_id": 1, "msg": "kept"}]
        finally:
            client.close()
    assert not server.running


def test_port_in_use_is_a_clear_error():
    with EmbeddedMongo() as first, pytest.raises(EmbeddedMongoError, match="cannot listen"):
        EmbeddedMongo(port=first.port).start()


def alive(pid):
    """Running, or stopped but not yet reaped: anything but gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the child's state in /proc")
def test_the_child_stops_when_its_parent_dies():
    code = (
        "import time\n"
        "from asyncmigrate.embedded_mongo import EmbeddedMongo\n"
        "server = EmbeddedMongo()\n"
        "server.start()\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    with parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert alive(child)
        parent.kill()  # no clean-up runs: only the closing of the child's stdin tells it
    deadline = time.monotonic() + 15
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


@contextlib.contextmanager
def started_by_hand(*args, env=None):
    """``python -m asyncmigrate.embedded_mongo ARGS &``: stdin /dev/null, which epoll refuses."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "asyncmigrate.embedded_mongo", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("READY mongodb://127.0.0.1:"), line or proc.stderr.read()
        client = pymongo.MongoClient(line.split()[1], serverSelectionTimeoutMS=5000)
        try:
            assert client.admin.command("ping")["ok"] == 1
        finally:
            client.close()
        yield
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_started_by_hand_with_stdin_from_dev_null():
    with started_by_hand():
        pass


def test_the_code_cache_is_written_once_then_reused(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    cache = (
        tmp_path
        / "cache"
        / "asyncmigrate"
        / f"dataclass-code.{sys.implementation.cache_tag}.marshal"
    )
    with started_by_hand(env=env):
        pass
    written = cache.stat()
    assert written.st_size > 0
    with started_by_hand(env=env):
        pass
    # Rewritten only when a start compiled something the file did not have.
    assert cache.stat().st_mtime_ns == written.st_mtime_ns

    env["XDG_CACHE_HOME"] = str(tmp_path / "unused")
    with started_by_hand("--no-code-cache", env=env):
        pass
    assert not (tmp_path / "unused").exists()


def test_prepare_fills_the_cache_and_serves_nothing(tmp_path):
    # `make venv` runs this, so that the first start after an install is as quick as the next.
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "asyncmigrate.embedded_mongo", "--prepare"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "")
    cache = tmp_path / "cache" / "asyncmigrate"
    [written] = cache.iterdir()
    assert written.name == f"dataclass-code.{sys.implementation.cache_tag}.marshal"
    before = written.stat().st_mtime_ns
    with started_by_hand(env=env):
        pass
    # The first real start found everything it needed: the file was not rewritten.
    assert list(cache.iterdir()) == [written]
    assert written.stat().st_mtime_ns == before


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="counts threads in /proc")
def test_a_memory_server_imports_neither_the_sqlite_engine_nor_usearch():
    code = (
        "import gc, json, os, sys\n"
        "from asyncmigrate._mongo_child import build_server\n"
        "server = build_server(0, None)\n"
        "print(json.dumps([type(server).__name__, gc.isenabled(), gc.get_freeze_count() > 0,\n"
        "    'mongoeco.engines.sqlite' in sys.modules, 'usearch' in sys.modules,\n"
        "    len(os.listdir('/proc/self/task'))]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
    ).stdout
    # One thread: numpy's OpenBLAS was told to start none of its own.
    assert json.loads(out) == ["AsyncMongoEcoProxyServer", True, True, False, False, 1]


CHATTY_CHILD = """\
import os, sys
print("READY mongodb://127.0.0.1:1/", flush=True)
sys.stderr.write("w" * (1 << 20))
sys.stderr.flush()
sys.stdout.write("o" * (1 << 20))
sys.stdout.flush()
open(os.environ["CHATTY_DONE"], "w").close()
sys.stdin.read()
"""


def test_a_child_that_writes_a_lot_after_ready_is_never_blocked(tmp_path, monkeypatch):
    # Not a database: a stand-in child that checks the parent's side of the pipes. Nobody reads
    # them while a server runs; 1 MiB on each would block a child on a pipe of 64 KiB.
    (tmp_path / "chatty_child.py").write_text(CHATTY_CHILD)
    done = tmp_path / "done"
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("CHATTY_DONE", str(done))
    monkeypatch.setattr("asyncmigrate.embedded_mongo.CHILD", "chatty_child")
    server = EmbeddedMongo()
    server.start()
    try:
        deadline = time.monotonic() + 20
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert done.exists(), "the child was blocked writing its output"
    finally:
        server.stop()
    assert not server.running
