"""Fixtures of the differential suite: each app with its feed, on real loopback sockets.

``service`` is parametrised over ``legacy`` and ``modern``: a test that uses it runs once per
app, against a fresh database of the session's embedded server (``mongo_uri``), with the real
Motor client for the legacy app and PyMongo's async client for the modern one. ``both`` starts
the two side by side on one database, for the tests that compare them byte for byte.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from appservers import KINDS, Service, start_service


@pytest.fixture
def database() -> str:
    """A database name of its own for each test."""
    return f"apps_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def direct(mongo_uri: str, database: str) -> AsyncIterator[Any]:
    """The test's database through PyMongo's async client, to seed and to check."""
    import pymongo

    client = pymongo.AsyncMongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    await client.admin.command("ping")
    try:
        yield client[database]
    finally:
        await client.drop_database(database)
        await client.close()


@pytest.fixture(params=KINDS)
async def service(
    request: pytest.FixtureRequest, mongo_uri: str, database: str
) -> AsyncIterator[Service]:
    started = await start_service(request.param, mongo_uri, database)
    try:
        yield started
    finally:
        await started.stop()


@pytest.fixture
async def both(mongo_uri: str, database: str) -> AsyncIterator[dict[str, Service]]:
    started = {kind: await start_service(kind, mongo_uri, database) for kind in KINDS}
    try:
        yield started
    finally:
        for one in started.values():
            await one.stop()
