"""`assistant serve`: the Wyoming services and this speaker's own voice loop, on one
assistant.

The voice loop is `assistant run`'s service (the microphone reopened when it goes
away, the control socket for `assistant ask`, SIGHUP reloads, the watchdog). The
Wyoming server runs on its own event loop in a thread and reaches the assistant the
service is serving now through a `Host`. Every turn takes the assistant's turn lock,
so a peer's turn, a typed one and a spoken one come one after another, never at once.

With `wyoming.microphone: false` the loop has no microphone: it only rings, on this
speaker, what is due here (and what is due in a room whose speaker is not connected).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from typing import TYPE_CHECKING, Any

from assistant.audio import AudioSink, AudioSource
from assistant.notify import Notifier, Watchdog

if TYPE_CHECKING:
    import numpy as np

    from assistant.config import Config

log = logging.getLogger(__name__)

FRAME_SECONDS = 0.08
TICK_SECONDS = 1.0


class NoMicrophone(AudioSource):
    """A source with no sound: a tick every 80 ms, so the voice loop still rings what is
    due, feeds the watchdog and sees a stop request."""

    def __init__(self) -> None:
        self._closed = threading.Event()

    def open(self) -> None:
        self._closed.clear()

    def frames(self) -> Iterator[np.ndarray | None]:
        while not self._closed.wait(FRAME_SECONDS):
            yield None

    def close(self) -> None:
        self._closed.set()


class LoopThread:
    """An asyncio event loop on a thread of its own; coroutines are run on it from here.
    It notes the time every second, so a stuck loop can be told from a live one."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.last_tick = time.monotonic()
        self._thread = threading.Thread(target=self.loop.run_forever, name="wyoming", daemon=True)
        self._thread.start()
        self.loop.call_soon_threadsafe(self._tick)

    def _tick(self) -> None:
        self.last_tick = time.monotonic()
        self.loop.call_later(TICK_SECONDS, self._tick)

    def alive_within(self, seconds: float) -> bool:
        return time.monotonic() - self.last_tick <= seconds

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float | None = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


class BothLoopsWatchdog(Watchdog):
    """systemd's watchdog is pinged only while the voice loop feeds it and the Wyoming
    event loop ticks: either one stuck and the service is restarted."""

    def __init__(self, notifier: Notifier, events: LoopThread) -> None:
        super().__init__(notifier)
        self._events = events

    def is_fresh(self) -> bool:
        stale_after = self.stale_after or 0
        return super().is_fresh() and self._events.alive_within(max(stale_after, 2 * TICK_SECONDS))


def make_devices(config: Config) -> tuple[AudioSource, AudioSink]:
    """This speaker's microphone (none with `wyoming.microphone: false`) and speaker."""
    from assistant.audio import MicrophoneSource, SpeakerSink

    sink = SpeakerSink(config.audio.output_device)
    if not config.wyoming.microphone:
        return NoMicrophone(), sink
    return MicrophoneSource(config.audio.input_device), sink


def serve(config_path: str | None, config: Config) -> int:
    """Until SIGTERM or Ctrl-C (SIGHUP reloads the configuration, as for `run`)."""
    from assistant.service import Service
    from assistant.wyoming.discovery import announce_if_asked
    from assistant.wyoming.host import Host
    from assistant.wyoming.rooms import RoomLinks
    from assistant.wyoming.server import WyomingServer

    def tell(line: str) -> None:
        if config.wyoming.microphone:
            print(line, file=sys.stderr, flush=True)

    rooms = RoomLinks()
    service = Service(config_path, make_devices, config=config, tell=tell, rooms=rooms)
    host = Host(config, lambda: service.assistant)
    server = WyomingServer(host, config.wyoming, rooms=rooms)
    events = LoopThread()
    service.watchdog = BothLoopsWatchdog(service.notifier, events)
    serving = False
    try:
        events.run(start_listening(server, config))  # a port in use is reported before loading
        host.prepare()
        log.info("Wyoming service ready")
        announced = events.run(announce_if_asked(config.wyoming, "assistant"))
        service.install_signal_handlers()
        serving = True
        service.serve()  # closes its assistant when it ends
        del announced  # kept registered until here
    finally:
        if not serving:
            service.assistant.close()
        events.run(server.stop())
        events.close()
    return 0


async def start_listening(server: Any, config: Config) -> None:
    """Start `server` on the configured port; a port in use or refused is a one-line error."""
    import os

    from assistant.errors import AssistantError

    try:
        await server.start()
    except OSError as e:
        where = f"{config.wyoming.host} port {config.wyoming.port}"
        reason = os.strerror(e.errno) if e.errno else str(e)
        raise AssistantError(f"cannot listen on {where}: {reason}") from None
