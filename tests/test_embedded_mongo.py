import subprocess
import sys

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


def test_started_by_hand_with_stdin_from_dev_null():
    # `python -m asyncmigrate.embedded_mongo &` gets /dev/null as stdin, which epoll refuses.
    proc = subprocess.Popen(
        [sys.executable, "-m", "asyncmigrate.embedded_mongo"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
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
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
