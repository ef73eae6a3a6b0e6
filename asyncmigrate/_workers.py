"""How ``scan`` and ``rewrite`` start their worker processes."""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.context import ForkContext, SpawnContext

__all__ = ["worker_context"]


def worker_context() -> ForkContext | SpawnContext:
    """``fork`` when this process runs one thread, else ``spawn``.

    fork is cheapest (a spawned worker starts a fresh interpreter and imports the package again),
    but forking a process that runs other threads may deadlock the child: it gets only the
    calling thread, and locks the others held stay locked.
    """
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
