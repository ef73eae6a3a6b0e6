"""bridges: Twisted, Tornado and native coroutines on one asyncio loop."""

__all__: list[str] = []
