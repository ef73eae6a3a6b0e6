"""The cache of dataclass code the embedded server's child imports mongoeco with."""

from __future__ import annotations

import dataclasses
import inspect
import marshal

import pytest

from asyncmigrate import _dataclass_cache
from asyncmigrate._dataclass_cache import HEADER, default_cache_path, reused_dataclass_code


def make_class() -> type:
    """A dataclass using most of what ``@dataclass`` generates methods for."""

    @dataclasses.dataclass(frozen=True, order=True, slots=True)
    class Point:
        x: int
        y: int = 0
        tags: list[str] = dataclasses.field(default_factory=list, compare=False)

    return Point


def check_behaviour(cls: type) -> None:
    p = cls(1)
    assert (p.x, p.y, p.tags) == (1, 0, [])
    assert repr(p) == "make_class.<locals>.Point(x=1, y=0, tags=[])"
    assert p == cls(1, 0, ["other"])
    assert cls(1, 2) < cls(2, 0)
    assert hash(p) == hash(cls(1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 3
    assert cls.__match_args__ == ("x", "y", "tags")
    signature = "(x: 'int', y: 'int' = 0, tags: 'list[str]' = <factory>) -> None"
    assert str(inspect.signature(cls)) == signature


def test_second_run_reuses_the_code_for_the_same_class(tmp_path):
    path = tmp_path / "cache.marshal"
    with reused_dataclass_code(path) as first:
        compiled = make_class()
    assert (first.hits, first.written) == (0, True)
    assert first.misses >= 1
    assert path.read_bytes().startswith(HEADER)

    with reused_dataclass_code(path) as second:
        reused = make_class()
    assert (second.hits, second.misses, second.written) == (first.misses, 0, False)

    fresh = make_class()  # outside any block: compiled by dataclasses itself
    for cls in (compiled, reused, fresh):
        check_behaviour(cls)
    for name in ("__init__", "__repr__", "__eq__", "__lt__", "__setattr__"):
        assert getattr(reused, name).__code__ == getattr(fresh, name).__code__, name
    assert not hasattr(dataclasses, "exec"), "the stand-in must not outlive the block"


def test_an_error_inside_the_block_still_restores_dataclasses(tmp_path):
    with pytest.raises(KeyError), reused_dataclass_code(tmp_path / "cache.marshal"):
        raise KeyError("boom")
    assert not hasattr(dataclasses, "exec")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a cache at all",
        HEADER + b"\x00garbage",
        HEADER + marshal.dumps(["a list", "not a dict"]),
        b"\x00\x00\r\n" + HEADER[4:] + marshal.dumps({}),  # written by another Python
    ],
    ids=["empty", "garbage", "bad-marshal", "not-a-dict", "other-python"],
)
def test_a_file_it_cannot_use_counts_as_empty_and_is_replaced(tmp_path, content):
    path = tmp_path / "cache.marshal"
    path.write_bytes(content)
    with reused_dataclass_code(path) as stats:
        check_behaviour(make_class())
    assert stats.hits == 0
    assert stats.written
    with reused_dataclass_code(path) as again:
        make_class()
    assert again.misses == 0


def test_entries_of_the_wrong_type_are_dropped(tmp_path):
    path = tmp_path / "cache.marshal"
    with reused_dataclass_code(path) as first:
        make_class()
    table = marshal.loads(path.read_bytes()[len(HEADER) :])
    source = next(iter(table))
    table[source] = "a string where code should be"
    path.write_bytes(HEADER + marshal.dumps(table))
    with reused_dataclass_code(path) as stats:
        check_behaviour(make_class())
    assert stats.misses == 1
    assert stats.hits == first.misses - 1


def test_a_place_it_cannot_write_costs_only_time(tmp_path):
    (tmp_path / "a-file").write_text("in the way")
    with reused_dataclass_code(tmp_path / "a-file" / "cache.marshal") as stats:
        check_behaviour(make_class())
    assert stats.misses >= 1
    assert not stats.written
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_keeps_other_runs_entries_up_to_the_bound(tmp_path, monkeypatch):
    path = tmp_path / "cache.marshal"
    others = {f"x = {i}\n": compile(f"x = {i}\n", "<string>", "exec") for i in range(10)}
    path.write_bytes(HEADER + marshal.dumps(others))
    with reused_dataclass_code(path) as stats:
        make_class()
    kept = marshal.loads(path.read_bytes()[len(HEADER) :])
    assert len(kept) == stats.misses + 10
    assert others.keys() <= kept.keys()

    monkeypatch.setattr(_dataclass_cache, "MAX_ENTRIES", stats.misses + 3)
    path.write_bytes(HEADER + marshal.dumps(others))
    with reused_dataclass_code(path):
        make_class()
    kept = marshal.loads(path.read_bytes()[len(HEADER) :])
    assert len(kept) == stats.misses + 3, "this run's entries first, then others up to the bound"


def test_exec_given_a_namespace_runs_there(tmp_path):
    namespace: dict[str, object] = {}
    with reused_dataclass_code(tmp_path / "cache.marshal") as stats:
        dataclasses.exec("y = 6 * 7", namespace)  # type: ignore[attr-defined]
    assert namespace["y"] == 42
    assert stats.misses == 1


def test_default_path_follows_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = default_cache_path()
    assert path is not None
    assert path.parent == tmp_path / "asyncmigrate"
    assert path.name.startswith("dataclass-code.cpython-")
