"""bridges.compat.install / uninstall: idempotent, complete, and optional about Motor."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import motor.motor_tornado
import pytest
import tornado.gen
import tornado.httpclient
import tornado.web
from tornado.ioloop import IOLoop
from twisted.internet import defer

import bridges.compat

pytestmark = pytest.mark.usefixtures("no_compat")

MotorCollection = motor.motor_tornado.MotorCollection
MotorCursor = motor.motor_tornado.MotorCursor


def snapshot() -> dict[str, object]:
    return {
        "asynchronous": vars(tornado.web).get("asynchronous"),
        "Task": vars(tornado.gen).get("Task"),
        "Arguments": vars(tornado.gen).get("Arguments"),
        "_run_callback": vars(IOLoop)["_run_callback"],
        "add_future": vars(IOLoop)["add_future"],
        "spawn_callback": vars(IOLoop)["spawn_callback"],
        "fetch": vars(tornado.httpclient.AsyncHTTPClient)["fetch"],
        "returnValue": defer.returnValue,
        "insert_one": vars(MotorCollection)["insert_one"],
        "find_one": vars(MotorCollection)["find_one"],
        "update_one": vars(MotorCollection)["update_one"],
        "delete_one": vars(MotorCollection)["delete_one"],
        "count": vars(MotorCollection).get("count"),
        "to_list": vars(MotorCursor).get("to_list"),
        "cursor_count": vars(MotorCursor).get("count"),
        "each": vars(MotorCursor).get("each"),
    }


def test_install_patches_every_point_and_uninstall_restores_them() -> None:
    before = snapshot()
    assert before["asynchronous"] is None
    assert before["Task"] is None
    assert before["count"] is None
    assert not bridges.compat.installed()
    bridges.compat.install()
    try:
        during = snapshot()
        assert bridges.compat.installed()
        changed = {name for name in before if during[name] is not before[name]}
        # `each` was never removed from Motor: no shim.
        assert changed == set(before) - {"each"}
    finally:
        bridges.compat.uninstall()
    assert snapshot() == before
    assert not bridges.compat.installed()
    assert not hasattr(tornado.web, "asynchronous")


def test_install_is_idempotent() -> None:
    bridges.compat.install()
    try:
        first = snapshot()
        bridges.compat.install()
        assert snapshot() == first
    finally:
        bridges.compat.uninstall()
    # One uninstall undoes both installs; a second one does nothing.
    bridges.compat.uninstall()
    assert vars(tornado.web).get("asynchronous") is None


def test_motor_false_leaves_motor_alone() -> None:
    before = snapshot()
    bridges.compat.install(motor=False)
    try:
        during = snapshot()
        assert during["insert_one"] is before["insert_one"]
        assert during["to_list"] is None
        assert during["asynchronous"] is not None
    finally:
        bridges.compat.uninstall()


def test_install_after_motor_false_adds_motor() -> None:
    before = snapshot()
    bridges.compat.install(motor=False)
    try:
        bridges.compat.install()
        during = snapshot()
        assert during["to_list"] is not None
        assert during["count"] is not None
    finally:
        bridges.compat.uninstall()
    assert snapshot() == before


def run_without_motor(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where ``import motor`` fails, warnings as errors."""
    prelude = "import sys\nsys.modules['motor'] = None  # import motor -> ImportError\n"
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bridges_and_compat_work_without_motor() -> None:
    proc = run_without_motor(
        """
        import bridges, bridges.compat, tornado.web
        bridges.compat.install()
        assert tornado.web.asynchronous
        bridges.compat.uninstall()
        print("ok")
        """
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "ok\n", "")


def test_motor_true_without_motor_names_the_extra() -> None:
    proc = run_without_motor(
        """
        import bridges.compat
        bridges.compat.install(motor=True)
        """
    )
    assert proc.returncode == 1
    assert "ImportError: bridges.compat's Motor shims need Motor" in proc.stderr
    assert "pip install 'asyncmigrate[apps]'" in proc.stderr
