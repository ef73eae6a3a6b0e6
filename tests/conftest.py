"""Fixtures shared by the whole test-suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[object]:
    """One in-memory embedded MongoDB wire server (mongoeco) for the whole session.

    Imported lazily so that ``tests/bridges`` still collects on Python versions where the
    ``apps`` extra (mongoeco needs 3.13) is not installed. Started only when a test asks for it
    (directly, or through ``mongo_uri`` without ``MONGODB_URI``). Do not stop or restart it: a
    test that needs that starts an ``EmbeddedMongo`` of its own.
    """
    from asyncmigrate.embedded_mongo import EmbeddedMongo

    server = EmbeddedMongo()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mongo_uri(request: pytest.FixtureRequest) -> str:
    """``MONGODB_URI`` if set, else the URI of the session's embedded server."""
    uri = os.environ.get("MONGODB_URI")
    if uri:
        return uri
    server = request.getfixturevalue("mongo_server")
    return server.uri  # type: ignore[attr-defined,no-any-return]
