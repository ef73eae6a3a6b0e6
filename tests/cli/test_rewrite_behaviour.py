"""Rewritten modules behave as the originals: same results, same errors, same contracts.

Each legacy module in ``tests/cli/behaviour/`` is imported as it is (``bridges.compat`` gives
it ``gen.Task`` and a quiet ``returnValue`` on today's Tornado and Twisted) and, rewritten by
``asyncmigrate rewrite --write`` into ``tmp_path``, imported again; both run on the real loop
with Twisted's asyncio reactor (the bridges pytest plugin).
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from twisted.internet import defer

import bridges
from asyncmigrate.__main__ import main

HERE = Path(__file__).parent / "behaviour"
_counter = itertools.count()


def load(path: Path) -> ModuleType:
    name = f"_behaviour_{path.stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["original", "rewritten"])
def variant(request: pytest.FixtureRequest) -> str:
    return request.param


def module_pair(name: str, tmp_path: Path, variant: str) -> ModuleType:
    source = HERE / f"{name}.py"
    if variant == "original":
        return load(source)
    target = tmp_path / f"{name}.py"
    shutil.copy(source, target)
    assert main(["rewrite", "--write", str(target)]) == 0
    return load(target)


@pytest.fixture
def tornado_mod(compat: None, tmp_path: Path, variant: str) -> ModuleType:
    return module_pair("tornado_legacy", tmp_path, variant)


@pytest.fixture
def twisted_mod(compat: None, tmp_path: Path, variant: str) -> ModuleType:
    return module_pair("twisted_legacy", tmp_path, variant)


def test_the_rewrite_converted_what_it_should(tmp_path: Path) -> None:
    for name in ("tornado_legacy", "twisted_legacy"):
        shutil.copy(HERE / f"{name}.py", tmp_path / f"{name}.py")
    assert main(["rewrite", "--write", str(tmp_path)]) == 0
    tornado_text = (tmp_path / "tornado_legacy.py").read_text()
    twisted_text = (tmp_path / "twisted_legacy.py").read_text()
    assert tornado_text.count("async def") == 9
    # swallowing, suppressing, ended_by_helper: traps, left as they were
    assert tornado_text.count("\n@gen.coroutine\ndef ") == 3
    assert "\n@gen.coroutine\ndef swallowing(x):" in tornado_text
    assert "\n@gen.coroutine\ndef suppressing(x):" in tornado_text
    assert "\n@gen.coroutine\ndef ended_by_helper(x):" in tornado_text
    assert "await bridges.from_callback(legacy_lookup, key)" in tornado_text
    assert twisted_text.count("@bridges.deferred_coroutine\nasync def") == 6
    assert "@defer.inlineCallbacks" not in twisted_text
    assert "returnValue(" not in twisted_text


async def test_tornado_results(tornado_mod: ModuleType) -> None:
    m = tornado_mod
    assert await m.double(21) == 42
    assert await m.total([1, 2, 3]) == (12, {"a": 2, "b": 4})
    assert await m.via_task(5) == 10
    assert await m.catches("k") == "missing k"
    assert await m.early_return(True) == "early"
    assert await m.early_return(False) == "late"
    assert await m.nothing() is None
    assert await m.nested(1) == [3, 5]
    assert await m.swallowing(1) == "swallowed"
    assert await m.suppressing(1) == "after suppress"
    assert await m.ended_by_helper(1) == 2


async def test_tornado_errors(tornado_mod: ModuleType) -> None:
    with pytest.raises(tornado_mod.NotFoundError, match="gone"):
        await tornado_mod.fails("gone")


async def test_tornado_functions_run_under_gather_and_wait_for(tornado_mod: ModuleType) -> None:
    results = await asyncio.wait_for(
        asyncio.gather(tornado_mod.double(1), tornado_mod.via_task(2)), timeout=10
    )
    assert results == [2, 4]


async def test_twisted_results(twisted_mod: ModuleType) -> None:
    m = twisted_mod
    assert await bridges.to_future(m.add(1, 2)) == 3
    assert await bridges.to_future(m.recover("no")) == "recovered no"
    assert await bridges.to_future(m.already_fired()) == 7
    assert await bridges.to_future(m.caller()) == 30


async def test_twisted_errors(twisted_mod: ModuleType) -> None:
    with pytest.raises(twisted_mod.RefusedError, match="nope"):
        await bridges.to_future(twisted_mod.refuse("nope"))


async def test_twisted_deferred_contract(twisted_mod: ModuleType) -> None:
    log: list[str] = []
    d = twisted_mod.starts_at_once(log)
    assert isinstance(d, defer.Deferred)
    assert log == ["started"]  # ran at once, up to its first wait, as inlineCallbacks did
    seen: list[Any] = []
    d.addCallback(seen.append)
    await bridges.to_future(d)
    assert seen == [2]
    assert log == ["started", "resumed"]

    fired = twisted_mod.already_fired()
    assert isinstance(fired, defer.Deferred)
    assert fired.called  # nothing to wait for: fired before returning, as before
    values: list[int] = []
    fired.addCallback(values.append)
    assert values == [7]


async def test_twisted_cancel_reaches_the_body(twisted_mod: ModuleType) -> None:
    log: list[str] = []
    d = twisted_mod.waits_forever(log)
    failures: list[Any] = []
    d.addErrback(failures.append)
    d.cancel()  # cancels the Deferred the body waits on: the body sees CancelledError at once
    assert log == ["cancelled"]
    [failure] = failures
    assert failure.check(defer.CancelledError)
