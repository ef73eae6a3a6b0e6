"""The legacy app, unchanged, under bridges.compat on the shared loop (its feed: tests/apps)."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId


def oid(n: int) -> ObjectId:
    """An ObjectId we choose: tests never depend on the time or process that made an id."""
    return ObjectId(f"{n:024x}")


@pytest.fixture
def seed(motor_db: Any) -> Any:
    """``await seed(*texts)``: store ``texts`` with ids 1, 2, ... (the last is the newest)."""

    async def store(*texts: str) -> list[ObjectId]:
        ids = [oid(i + 1) for i in range(len(texts))]
        if texts:
            docs = [{"_id": i, "msg": t} for i, t in zip(ids, texts, strict=True)]
            await motor_db.messages.insert_many(docs)
        return ids

    return store


@pytest.fixture
def legacy_modules(compat: None) -> Any:
    """``legacy.app`` and ``legacy.feed``, imported after ``bridges.compat.install()``."""
    import legacy.app
    import legacy.feed

    return legacy


@pytest.fixture
async def web(legacy_modules: Any, motor_db: Any, serve: Any) -> str:
    """Base URL of the legacy web app on a fresh database."""
    return serve(legacy_modules.app.make_app(motor_db))  # type: ignore[no-any-return]


@pytest.fixture
async def dead_web(legacy_modules: Any, dead_motor_db: Any, serve: Any) -> str:
    """Base URL of the legacy web app whose database is unreachable."""
    return serve(legacy_modules.app.make_app(dead_motor_db))  # type: ignore[no-any-return]
