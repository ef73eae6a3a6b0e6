"""bridges: Twisted, Tornado and native coroutines on one asyncio loop.

Importing this package has no side effect on Twisted's reactor; `install_reactor` (or `run`)
installs Twisted's asyncio reactor on the loop.
"""

from bridges._callback import (
    CallbackCalledTwiceWarning,
    CallbackStyleError,
    callback_api,
    from_callback,
)
from bridges._convert import async_api, deferred_api, deferred_coroutine, to_deferred, to_future
from bridges._exceptions import ReactorMismatchError
from bridges._reactor import install_reactor, run
from bridges._threads import call_from_thread

__all__ = [
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
]
