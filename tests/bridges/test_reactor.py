"""install_reactor and run: Twisted's asyncio reactor on an asyncio loop, without reactor.run()."""

from __future__ import annotations

import asyncio

import pytest
from twisted.internet import defer, protocol, threads
from twisted.internet.asyncioreactor import AsyncioSelectorReactor

import bridges


async def test_installed_on_the_running_loop(reactor) -> None:
    assert isinstance(reactor, AsyncioSelectorReactor)
    assert reactor._asyncioEventloop is asyncio.get_running_loop()
    from twisted.internet import reactor as global_reactor

    assert global_reactor is reactor


async def test_idempotent_for_the_same_loop(reactor) -> None:
    assert bridges.install_reactor() is reactor
    assert bridges.install_reactor(asyncio.get_running_loop()) is reactor


async def test_another_loop_is_a_mismatch(reactor) -> None:
    other = asyncio.new_event_loop()
    try:
        with pytest.raises(bridges.ReactorMismatchError, match="another event loop") as info:
            bridges.install_reactor(other)
        assert "AsyncioSelectorReactor" in str(info.value)
        assert "before anything imports twisted.internet.reactor" in str(info.value)
        assert isinstance(info.value, RuntimeError)
    finally:
        other.close()


async def test_call_later(reactor) -> None:
    d = defer.Deferred()
    reactor.callLater(0.001, d.callback, "later")
    assert await bridges.to_future(d) == "later"


async def test_thread_pool(reactor) -> None:
    assert await bridges.to_future(threads.deferToThread(sum, [1, 2, 3])) == 6


async def test_name_resolution(reactor) -> None:
    address = await asyncio.wait_for(bridges.to_future(reactor.resolve("localhost")), 30)
    assert address.startswith("127.") or address == "::1"


async def test_tcp_listen_and_connect(reactor) -> None:
    class Echo(protocol.Protocol):
        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    class Client(protocol.Protocol):
        def __init__(self) -> None:
            self.received: defer.Deferred[bytes] = defer.Deferred()

        def connectionMade(self) -> None:
            self.transport.write(b"ping")

        def dataReceived(self, data: bytes) -> None:
            self.received.callback(data)
            self.transport.loseConnection()

    server = protocol.Factory.forProtocol(Echo)
    port = reactor.listenTCP(0, server, interface="127.0.0.1")
    try:
        client = await bridges.to_future(
            protocol.ClientCreator(reactor, Client).connectTCP("127.0.0.1", port.getHost().port)
        )
        assert await asyncio.wait_for(bridges.to_future(client.received), 10) == b"ping"
        # The asyncio side of the same loop can talk to the Twisted server too.
        reader, writer = await asyncio.open_connection("127.0.0.1", port.getHost().port)
        writer.write(b"pong")
        assert await asyncio.wait_for(reader.readexactly(4), 10) == b"pong"
        writer.close()
        await writer.wait_closed()
    finally:
        await bridges.to_future(port.stopListening())


def test_install_reactor_outside_a_coroutine_needs_a_loop() -> None:
    with pytest.raises(RuntimeError, match="pass the loop explicitly"):
        bridges.install_reactor()


# -- in a fresh interpreter: a reactor cannot be reinstalled or restarted --------------------


def _clean(proc) -> None:
    assert (proc.returncode, proc.stderr, proc.stdout) == (0, "", ""), proc


def test_other_reactor_already_installed_is_a_mismatch(python) -> None:
    proc = python(
        """
        import asyncio, bridges
        from twisted.internet import reactor  # installs the default reactor: too early
        async def main():
            try:
                bridges.install_reactor()
            except bridges.ReactorMismatchError as exc:
                assert "EPollReactor" in str(exc) or "PollReactor" in str(exc), exc
                assert "before anything imports twisted.internet.reactor" in str(exc), exc
            else:
                raise AssertionError("no error")
        asyncio.run(main())
        async def unused():
            raise AssertionError("must not run")
        try:
            bridges.run(unused())
        except bridges.ReactorMismatchError as exc:
            assert "installed before bridges.run()" in str(exc), exc
        else:
            raise AssertionError("no error")
        """
    )
    _clean(proc)


def test_run_returns_the_result_and_shuts_down_cleanly(python) -> None:
    proc = python(
        """
        import asyncio, socket, threading, bridges
        from twisted.internet import defer, protocol, threads

        phases = []
        state = {}

        async def main():
            from twisted.internet import reactor
            def before():
                phases.append("before")
                d = defer.Deferred()
                reactor.callLater(0.01, d.callback, None)  # a before trigger may wait
                return d
            reactor.addSystemEventTrigger("before", "shutdown", before)
            reactor.addSystemEventTrigger("during", "shutdown", phases.append, "during")
            reactor.addSystemEventTrigger("after", "shutdown", phases.append, "after")
            port = reactor.listenTCP(0, protocol.Factory.forProtocol(protocol.Protocol),
                                     interface="127.0.0.1")
            state["port"] = port.getHost().port
            assert await bridges.to_future(threads.deferToThread(lambda: 41)) == 41
            await bridges.to_future(reactor.resolve("localhost"))
            assert threading.active_count() > 1  # the reactor's pool is running
            return 42

        assert bridges.run(main()) == 42
        assert phases == ["before", "during", "after"], phases
        assert threading.enumerate() == [threading.main_thread()], threading.enumerate()
        probe = socket.socket()
        try:
            probe.connect(("127.0.0.1", state["port"]))
        except ConnectionRefusedError:
            pass
        else:
            raise AssertionError("the listening port is still open")
        finally:
            probe.close()
        """
    )
    _clean(proc)


def test_run_propagates_the_exception_after_shutdown(python) -> None:
    proc = python(
        """
        import bridges
        phases = []
        async def main():
            from twisted.internet import reactor
            reactor.addSystemEventTrigger("after", "shutdown", phases.append, "after")
            raise KeyError("mine")
        try:
            bridges.run(main())
        except KeyError as exc:
            assert exc.args == ("mine",)
        assert phases == ["after"]
        """
    )
    _clean(proc)


def test_run_prints_nothing_for_bridges_still_pending_at_exit(python) -> None:
    proc = python(
        """
        import asyncio, gc, logging, bridges
        logging.basicConfig(level=logging.WARNING)
        @bridges.deferred_api
        async def fire_and_forget():
            await asyncio.sleep(100)
        async def main():
            bridges.to_deferred(asyncio.sleep(100))  # left pending: asyncio.run cancels it
            fire_and_forget()
        bridges.run(main())
        gc.collect()
        print("done")
        """
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "done\n", "")


def test_run_twice_is_a_clear_error(python) -> None:
    proc = python(
        """
        import bridges
        async def main():
            return 1
        assert bridges.run(main()) == 1
        try:
            bridges.run(main())
        except RuntimeError as exc:
            assert "cannot restart" in str(exc), exc
        else:
            raise AssertionError("no error")
        """
    )
    _clean(proc)


def test_run_needs_a_coroutine(python) -> None:
    proc = python(
        """
        import bridges
        async def main():
            return 1
        try:
            bridges.run(main)
        except TypeError as exc:
            assert "coroutine" in str(exc)
        else:
            raise AssertionError("no error")
        assert bridges.run(main()) == 1  # the bad call did not use up the one run()
        """
    )
    _clean(proc)


def test_plain_asyncio_run_with_install_reactor(python) -> None:
    # The documented alternative to run(): install_reactor() inside asyncio.run, no stop().
    proc = python(
        """
        import asyncio, bridges
        from twisted.internet import threads
        async def main():
            bridges.install_reactor()
            from twisted.internet import reactor
            addr = await bridges.to_future(reactor.resolve("localhost"))
            return await bridges.to_future(threads.deferToThread(str, addr))
        assert asyncio.run(main()).startswith("127.")
        """
    )
    assert proc.returncode == 0, proc
    assert proc.stdout == ""


async def test_private_helpers_for_the_pytest_plugin(reactor) -> None:
    from bridges import _reactor

    loop = asyncio.get_running_loop()
    assert _reactor.installed_loop() is loop
    assert _reactor.is_installed_on(loop)
    assert _reactor.install_on(loop) is reactor  # adopting again is a no-op
    other = asyncio.new_event_loop()
    try:
        assert not _reactor.is_installed_on(other)
    finally:
        other.close()


def test_install_on_a_loop_that_is_not_running_yet(python) -> None:
    # What a test runner owning a long-lived loop does: install first, run the loop later.
    proc = python(
        """
        import asyncio
        from bridges import _reactor
        from twisted.internet import threads
        import bridges
        loop = asyncio.new_event_loop()
        reactor = _reactor.install_on(loop)
        assert _reactor.is_installed_on(loop)
        async def main():
            assert bridges.install_reactor() is reactor
            return await bridges.to_future(threads.deferToThread(lambda: "pool works"))
        assert loop.run_until_complete(main()) == "pool works"
        reactor.threadpool.stop()
        loop.close()
        """
    )
    assert (proc.returncode, proc.stderr, proc.stdout) == (0, "", ""), proc


async def test_run_inside_a_running_loop_is_a_clear_error() -> None:
    async def never() -> None:
        raise AssertionError("must not run")

    with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
        bridges.run(never())
