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
