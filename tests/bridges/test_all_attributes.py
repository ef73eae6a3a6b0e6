"""The public surface of bridges: exactly these names, each importable and documented."""

from __future__ import annotations

import bridges

EXPECTED = {
    "CallbackCalledTwiceWarning",
    "CallbackStyleError",
    "ReactorMismatchError",
    "async_api",
    "call_from_thread",
    "callback_api",
    "deferred_api",
    "deferred_coroutine",
    "from_callback",
    "install_reactor",
    "run",
    "to_deferred",
    "to_future",
}


def test_all_lists_exactly_the_public_names() -> None:
    assert set(bridges.__all__) == EXPECTED
    assert len(bridges.__all__) == len(EXPECTED)


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in bridges.__all__:
        obj = getattr(bridges, name)
        assert obj.__doc__, name
        # Defined in a private module, re-exported from the package.
        assert obj.__module__.startswith("bridges._"), (name, obj.__module__)


def test_no_other_public_names() -> None:
    public = {
        name
        for name in vars(bridges)
        if not name.startswith("_") and not isinstance(getattr(bridges, name), type(bridges))
    }
    assert public == EXPECTED


def test_import_has_no_side_effect_on_the_reactor(python) -> None:
    proc = python(
        """
        import sys
        import bridges
        assert "twisted.internet.reactor" not in sys.modules, "bridges imported the reactor"
        # The default reactor can still be chosen by the application.
        from twisted.internet import selectreactor
        selectreactor.install()
        from twisted.internet import reactor
        print(type(reactor).__name__)
        """
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "SelectReactor\n", "")
