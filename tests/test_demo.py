"""``asyncmigrate demo`` as a user runs it: a subprocess, real HTTP and feed clients, a signal.

The demo runs on free ports (``--port 0 --feed-ports 0,0``) and prints where it listens; the test
reads that, uses the index page, both apps under their prefixes (links and the relative redirect
after posting included) and both feeds, then stops it with SIGINT or SIGTERM and checks that it
exits 0, printed no traceback, and stopped its embedded database server.
"""

from __future__ import annotations

import http.client
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.parse

import pytest

WAIT = 30.0


class Demo:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "asyncmigrate",
                "demo",
                "--port",
                "0",
                "--feed-ports",
                "0,0",
                *args,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.banner = self._read_banner()
        self.base = re.search(r"index\s+(http://\S+/)", self.banner).group(1)
        self.feeds = {
            kind: int(re.search(rf"{kind} feed\s+127\.0\.0\.1:(\d+)", self.banner).group(1))
            for kind in ("legacy", "modern")
        }
        self.db_port = int(
            re.search(r"database mongodb://127\.0\.0\.1:(\d+)", self.banner).group(1)
        )

    def _read_banner(self) -> str:
        lines: list[str] = []

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.append(line)
                if line.startswith("Ctrl-C stops"):
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(WAIT)
        if not lines or not lines[-1].startswith("Ctrl-C stops"):
            self.proc.kill()
            _, err = self.proc.communicate()
            pytest.fail(f"the demo did not start: {''.join(lines)}{err}")
        return "".join(lines)

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path)

    def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ):
        url = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=WAIT)
        try:
            conn.request(method, path, body=body.encode(), headers=headers or {})
            response = conn.getresponse()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            conn.close()

    def feed(self, kind: str, line: str) -> list[str]:
        """Send one command on a new connection; its answer lines (up to END for a LIST)."""
        with socket.create_connection(("127.0.0.1", self.feeds[kind]), timeout=WAIT) as sock:
            sock.sendall(line.encode() + b"\r\n")
            lines = sock.makefile("rb")
            answer = [lines.readline().decode().removesuffix("\r\n")]
            while answer[-1].startswith("MSG "):
                answer.append(lines.readline().decode().removesuffix("\r\n"))
        return answer

    def stop(self, sig: signal.Signals) -> tuple[int, str, str]:
        self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            pytest.fail(f"the demo did not stop on {sig.name}: {err}")
        return self.proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_demo_serves_both_apps_and_feeds_then_stops_cleanly(sig, tmp_path):
    demo = Demo("--sqlite", str(tmp_path / "demo.sqlite3")) if sig == signal.SIGTERM else Demo()
    try:
        status, headers, index = demo.get("/")
        assert status == 200
        assert b'<a href="legacy/">' in index
        assert b'<a href="modern/">' in index
        for port in demo.feeds.values():
            assert f":{port}</code>".encode() in index

        pages = {kind: demo.get(f"/{kind}/") for kind in ("legacy", "modern")}
        assert (pages["legacy"][0], pages["legacy"][2]) == (pages["modern"][0], pages["modern"][2])
        status, headers, body = pages["modern"]
        assert status == 200
        assert b"<li>Messages are escaped: &lt;b&gt;this is not bold&lt;/b&gt;.</li>" in body
        assert b'<a href="compose">' in body

        # Without the slash, the apps' relative links would escape the prefix: redirected.
        status, headers, _ = demo.get("/legacy")
        assert (status, headers["location"]) == (301, "/legacy/")

        for kind in ("legacy", "modern"):
            status, _, form = demo.get(f"/{kind}/compose")
            assert status == 200
            assert b'action="compose"' in form
            status, headers, _ = demo.request(
                "POST",
                f"/{kind}/compose",
                f"msg=posted+to+{kind}",
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert (status, headers["location"]) == (302, "./")
            # The browser resolves ./ against /<kind>/compose: back to that app's list.
            target = urllib.parse.urljoin(f"{demo.base}{kind}/compose", headers["location"])
            assert target == f"{demo.base}{kind}/"

        status, _, legacy_list = demo.get("/legacy/")
        status, _, modern_list = demo.get("/modern/")
        assert legacy_list == modern_list
        assert b"<li>posted to modern</li>\n<li>posted to legacy</li>\n" in modern_list

        assert demo.get("/elsewhere")[0] == 404
        assert demo.get("/legacy/nope")[0] == 404
        status, headers, body = demo.get("/favicon.ico")  # asked by every browser: no 404
        assert (status, body) == (204, b"")

        for kind in ("legacy", "modern"):
            [ok] = demo.feed(kind, f"POST via the {kind} feed")
            assert re.fullmatch(r"OK [0-9a-f]{24}", ok)
        assert demo.feed("legacy", "LIST 2") == demo.feed("modern", "LIST 2")
        assert demo.feed("modern", "LIST 2")[0].endswith(" via the modern feed")
    finally:
        code, out, err = demo.stop(sig)

    assert code == 0, err
    assert "Traceback" not in err
    assert "Error" not in err
    assert "stopping" in out
    with pytest.raises(ConnectionRefusedError):  # its embedded database server is gone too
        socket.create_connection(("127.0.0.1", demo.db_port), timeout=2).close()

    if sig == signal.SIGTERM:
        # --sqlite kept the data: a second demo on the same file finds it, and seeds nothing.
        again = Demo("--sqlite", str(tmp_path / "demo.sqlite3"))
        try:
            status, _, body = again.get("/modern/")
        finally:
            code, _, err = again.stop(signal.SIGTERM)
        assert code == 0, err
        assert status == 200
        assert b"<li>posted to legacy</li>" in body
        assert body.count(b"<li>Hello from the seed data.</li>") == 1


@pytest.mark.parametrize("which", ["http", "feed"])
def test_a_busy_port_is_a_clear_error(which):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        ports = ["--port", port, "--feed-ports", "0,0"]
        if which == "feed":
            ports = ["--port", "0", "--feed-ports", f"0,{port}"]
        done = subprocess.run(
            [sys.executable, "-m", "asyncmigrate", "demo", *ports],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"asyncmigrate demo: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
