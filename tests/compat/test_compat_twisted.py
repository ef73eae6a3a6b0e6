"""defer.returnValue, as Twisted 18 code calls it, without Twisted 24.7's deprecation warning."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from twisted.internet import defer

import bridges.compat


@defer.inlineCallbacks
def legacy_double(value: int) -> Any:
    doubled = yield defer.succeed(value * 2)
    defer.returnValue(doubled)


def helper(value: object) -> None:
    defer.returnValue(value)


@defer.inlineCallbacks
def legacy_non_local() -> Any:
    yield defer.succeed(None)
    helper("from a helper")


def result_of(d: defer.Deferred[Any]) -> Any:
    results: list[Any] = []
    d.addBoth(results.append)
    [result] = results
    return result


def test_without_the_shim_twisted_warns(no_compat: None) -> None:
    with pytest.warns(DeprecationWarning, match="returnValue was deprecated"):
        assert result_of(legacy_double(21)) == 42


def test_with_the_shim_it_returns_without_warning(compat: None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert result_of(legacy_double(21)) == 42


def test_twisteds_non_local_check_still_counts_the_frames_right(compat: None) -> None:
    # Twisted counts the frames between the generator and the raise to tell a returnValue
    # called from a helper; the shim keeps the count, so that warning still comes.
    with pytest.warns(DeprecationWarning, match="returnValue should only be invoked by functions"):
        assert result_of(legacy_non_local()) == "from a helper"


def test_uninstall_restores_the_deprecated_one(no_compat: None) -> None:
    original = defer.returnValue
    bridges.compat.install()
    assert defer.returnValue is not original
    bridges.compat.uninstall()
    assert defer.returnValue is original
