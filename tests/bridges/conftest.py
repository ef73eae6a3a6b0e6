"""Fixtures for the bridges tests: the reactor on the session's loop, and a clean interpreter."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

import bridges


@pytest.fixture
async def reactor() -> Any:
    """Twisted's asyncio reactor, installed by bridges on the loop the test runs on."""
    return bridges.install_reactor(asyncio.get_running_loop())


@pytest.fixture
def python() -> Callable[[str], subprocess.CompletedProcess[str]]:
    """Run a snippet in a fresh interpreter (a reactor cannot be reinstalled or restarted).

    Returns the completed process; output is captured as text. Warnings are errors there too.
    """

    def run(code: str, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONWARNINGS": "error", "PYTHONDEVMODE": ""}
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )

    return run
