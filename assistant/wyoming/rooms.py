"""The main speaker's standing links to the small speakers, by room: what rings for a
room (a timer set in the kitchen) plays on the kitchen's speaker.

A small speaker keeps one connection open for this and names its room in an `info`
(its satellite's area). When something is due for the kitchen, the voice loop renders
it and hands the audio to `RoomLinks.deliver`; the kitchen's link sends it as
audio-start, audio-chunk..., audio-stop and waits for `played` before the next one.
A room with no link answers False, and the voice loop rings on its own speaker,
naming the room: nothing due is ever dropped for want of a connection.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from wyoming.event import Event

from assistant.wyoming.session import audio_events

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MAX_QUEUED = 4
"""Announcements waiting for one room's speaker (a ring that comes again is not queued)."""
PLAY_TIMEOUT_SECONDS = 30.0
"""How long a room's speaker may take to say `played` before the next announcement goes."""

SEND_TIMEOUT_SECONDS = 10.0
"""How long handing one announcement to a room's connection may take (it is a few hundred
kB on a local network)."""

Send = Callable[[list[Event]], Coroutine[Any, Any, None]]


class RoomLink:
    """One small speaker's standing connection. `offer` is called from the voice loop's
    thread; the sending runs on the connection's event loop."""

    def __init__(self, room: str, loop: asyncio.AbstractEventLoop, send: Send) -> None:
        self.room = room
        self._loop = loop
        self._send = send
        self._queue: asyncio.Queue[list[Event]] = asyncio.Queue()
        self._played = asyncio.Event()
        self._lock = threading.Lock()
        self._outstanding = 0
        self._closed = False
        self._task = loop.create_task(self._run())

    def offer(self, samples: np.ndarray, rate: int, repeat: bool) -> bool:
        """Queue audio for this room; False when the link is gone (ring it elsewhere)."""
        with self._lock:
            if self._closed:
                return False
            if self._outstanding and repeat:
                return True  # still playing the last one there; a ring comes again anyway
            if self._outstanding >= MAX_QUEUED:
                return False  # that speaker is backed up: ring it here rather than never
            self._outstanding += 1
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, audio_events(samples, rate))
        except RuntimeError:  # the event loop has ended
            self.close()
            return False
        return True

    def played(self) -> None:
        self._played.set()

    async def _run(self) -> None:
        while True:
            events = await self._queue.get()
            self._played.clear()
            try:
                await asyncio.wait_for(self._send(events), SEND_TIMEOUT_SECONDS)
            except (TimeoutError, ConnectionError, RuntimeError) as e:
                # A speaker that stopped reading would hold every ring of its room: the link
                # closes, and what is due for that room rings on the main speaker instead.
                log.info("the %s speaker's link closed (%s)", self.room, type(e).__name__)
                with self._lock:
                    self._outstanding -= 1
                self.close()
                return
            try:
                await asyncio.wait_for(self._played.wait(), PLAY_TIMEOUT_SECONDS)
            except TimeoutError:
                log.info("the %s speaker did not say it played an announcement", self.room)
            finally:
                with self._lock:
                    self._outstanding -= 1

    def close(self) -> None:
        with self._lock:
            self._closed = True
        try:
            self._loop.call_soon_threadsafe(self._task.cancel)
        except RuntimeError:
            pass  # the event loop has ended, and its tasks with it


class RoomLinks:
    """The connected small speakers by room (`RoomSpeakers` for the voice loop)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._links: dict[str, RoomLink] = {}

    def attach(self, link: RoomLink, peer: str) -> None:
        """The newest link of a room wins (a speaker that reconnected after a network
        fault, while its old connection has not timed out yet)."""
        with self._lock:
            previous = self._links.get(link.room)
            self._links[link.room] = link
        if previous is not None and previous is not link:
            previous.close()
        log.info("the %s speaker is connected from %s", link.room, peer)

    def detach(self, link: RoomLink) -> None:
        link.close()
        with self._lock:
            if self._links.get(link.room) is link:
                del self._links[link.room]
                log.info("the %s speaker is no longer connected", link.room)

    def connected(self, room: str) -> bool:
        with self._lock:
            return room in self._links

    def deliver(self, room: str, samples: np.ndarray, rate: int, repeat: bool) -> bool:
        """Play on `room`'s speaker; False when it is not connected."""
        with self._lock:
            link = self._links.get(room)
        return link is not None and link.offer(samples, rate, repeat)
