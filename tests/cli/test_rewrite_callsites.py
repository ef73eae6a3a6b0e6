"""The whole-tree check of `asyncmigrate rewrite`: which calls block a conversion, which do not."""

from __future__ import annotations

import textwrap
from pathlib import Path

from asyncmigrate._rewrite import rewrite_paths


def converted(tmp_path: Path, **files: str) -> set[str]:
    for name, text in files.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text))
    return {c.name for c in rewrite_paths([tmp_path], workers=1).converted}


SERVICE = """\
    from tornado import gen


    class Service:
        @gen.coroutine
        def get(self):
            yield self.db.ping()

        @gen.coroutine
        def fetch(self):
            yield self.db.ping()

        @gen.coroutine
        def refresh(self):
            yield self.db.ping()

        def kick(self):
            self.refresh()
    """


def test_methods_are_matched_by_self_calls_and_by_uncommon_names(tmp_path: Path) -> None:
    user = """\
        def use(service, cache):
            cache.get("key")      # dict.get: not taken for Service.get
            service.fetch()       # fetch is not an everyday method name: blocks Service.fetch
        """
    assert converted(tmp_path, service=SERVICE, user=user) == {"get"}


def test_a_self_call_in_another_class_does_not_block(tmp_path: Path) -> None:
    other = """\
        class Other:
            def refresh(self):
                return 1

            def go(self):
                self.refresh()
        """
    assert converted(tmp_path, service=SERVICE.replace("self.refresh()", "pass"), other=other) == {
        "get",
        "fetch",
        "refresh",
    }


def test_nested_functions_are_matched_only_inside_their_parent(tmp_path: Path) -> None:
    code = """\
        from tornado import gen


        @gen.coroutine
        def outer(client):
            @gen.coroutine
            def step():
                yield client.ping()

            yield step()


        def elsewhere():
            step()  # another `step`: not the nested one
        """
    assert converted(tmp_path, code=code) == {"outer", "step"}


def test_module_functions_called_through_a_module_and_as_callbacks(tmp_path: Path) -> None:
    lib = """\
        from tornado import gen


        @gen.coroutine
        def notify(client):
            yield client.ping()


        @gen.coroutine
        def on_close(client):
            yield client.ping()


        @gen.coroutine
        def tick(client):
            yield client.ping()
        """
    app = """\
        import functools

        import lib
        from tornado.ioloop import IOLoop


        def wire(client, stream):
            lib.notify(client)                                   # fire and forget: blocks
            stream.set_close_callback(lib.on_close)              # callback not awaited: blocks
            IOLoop.current().add_callback(functools.partial(lib.tick, client))  # awaited: fine
        """
    assert converted(tmp_path, lib=lib, app=app) == {"tick"}


def test_twisted_callers_that_chain_do_not_block(tmp_path: Path) -> None:
    code = """\
        from twisted.internet.defer import inlineCallbacks


        @inlineCallbacks
        def fetch(d):
            yield d


        def use(d):
            fetch(d)                          # fire and forget: the Deferred still runs
            return fetch(d).addCallback(len)  # the Deferred contract is kept
        """
    assert converted(tmp_path, code=code) == {"fetch"}


def test_functions_that_return_the_call_hand_the_check_to_their_callers(tmp_path: Path) -> None:
    lib = """\
        from tornado import gen


        @gen.coroutine
        def _read(stream):
            yield stream.read()


        def read(stream):
            return _read(stream)


        @gen.coroutine
        def _write(stream):
            yield stream.write()


        def write(stream):
            return _write(stream)


        def use(stream):
            read(stream)  # the coroutine read() returns is dropped: _read must stay
            return write(stream)  # handed on again: use()'s callers decide
        """
    app = """\
        import lib


        async def main(stream):
            await lib.use(stream)
        """
    assert converted(tmp_path, lib=lib, app=app) == {"_write"}
    report = rewrite_paths([tmp_path], workers=1)
    [trap] = [t for t in report.traps if t.path.endswith("lib.py") and t.line == 5]
    assert trap.id == "not-awaited"
    assert "returned by `read`" in trap.reason
    assert "lib.py:23" in trap.reason


def test_a_call_with_callback_matches_even_an_everyday_name(tmp_path: Path) -> None:
    """Tornado 4.5's simple_httpclient calls TCPClient.connect(..., callback=...): gen.coroutine
    took a callback, so such a call is a coroutine call even though `connect` is a socket
    method name."""
    lib = """\
        from tornado import gen


        class TCPClient:
            @gen.coroutine
            def connect(self, host, port):
                yield self.resolver.resolve(host, port)

            @gen.coroutine
            def close(self):
                yield self.stream.close()
        """
    user = """\
        def start(client, sock, on_connect):
            sock.connect(("h", 1))                       # a socket: not taken for TCPClient
            client.close()                               # an everyday name: not matched
            client.connect("h", 1, callback=on_connect)  # a coroutine call: blocks connect
        """
    assert converted(tmp_path, lib=lib, user=user) == {"close"}


def test_other_names_for_a_function_are_followed(tmp_path: Path) -> None:
    lib = """\
        from tornado import gen


        @gen.coroutine
        def notify(client):
            yield client.ping()


        @gen.coroutine
        def close(client):
            yield client.ping()


        @gen.coroutine
        def flush(client):
            yield client.ping()


        @gen.coroutine
        def ping(client):
            yield client.ping()
        """
    app = """\
        import functools

        from lib import close as shut, notify as tell, flush, ping as check


        class Wiring:
            def __init__(self, client):
                self.on_flush = functools.partial(flush, client)
                self.client = client

            def wire(self):
                tell(self.client)        # notify, by its imported alias, fire and forget: blocks
                later = shut
                later(self.client)       # close, through two names: blocks
                self.on_flush()          # flush, through an attribute: blocks


        async def fine(client):
            await check(client)          # ping, awaited under its alias: converts
        """
    assert converted(tmp_path, lib=lib, app=app) == {"ping"}


def test_an_alias_is_reported_with_the_name_it_was_called_by(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text(
        "from tornado import gen\n\n\n"
        "@gen.coroutine\ndef notify(client):\n    yield client.ping()\n"
    )
    (tmp_path / "app.py").write_text(
        "from lib import notify as tell\n\n\ndef go(c):\n    tell(c)\n"
    )
    traps = rewrite_paths([tmp_path], workers=1).traps
    # Reported at the call and at the function left unconverted, both naming the alias.
    assert [(Path(t.path).name, t.line, t.id) for t in traps] == [
        ("app.py", 5, "not-awaited"),
        ("lib.py", 5, "not-awaited"),
    ]
    assert all("under the name `tell`, called as a statement" in t.reason for t in traps)
