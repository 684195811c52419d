"""Telling systemd that a Wyoming command is up and its event loop alive (Type=notify,
WatchdogSec= in the unit): a stuck loop stops the pings and systemd restarts it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

HEARTBEAT_SECONDS = 1.0


@contextlib.asynccontextmanager
async def supervised(status: str) -> AsyncIterator[None]:
    from assistant.notify import Notifier, Watchdog

    notifier = Notifier.from_environment()
    watchdog = Watchdog(notifier)

    async def heartbeat() -> None:
        while True:
            watchdog.feed()
            await asyncio.sleep(HEARTBEAT_SECONDS)

    beating = asyncio.get_running_loop().create_task(heartbeat())
    watchdog.start()
    notifier.ready(status)
    try:
        yield
    finally:
        notifier.stopping()
        beating.cancel()
        watchdog.stop()
        notifier.close()
