"""How ``scan`` and ``rewrite`` start their worker processes."""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.context import BaseContext

__all__ = ["worker_context"]


def worker_context() -> BaseContext:
    """``fork`` when this process runs one thread, else ``spawn``.

    fork is cheapest (a spawned worker starts a fresh interpreter and imports the package again),
    but forking a process that runs other threads may deadlock the child: it gets only the
    calling thread, and locks the others held stay locked.
    """
    methods = multiprocessing.get_all_start_methods()
    method = "fork" if "fork" in methods and threading.active_count() == 1 else "spawn"
    return multiprocessing.get_context(method)
