"""What the system and timer skills may change about the running assistant.

`Controls` holds the reply volume (remembered across restarts), the microphone mute,
and the last reply; `Announcements` is the queue through which a skill speaks outside
a request (a timer that rings), and decides when a ringing one rings again. The
pipeline asks it what is due between frames and plays that.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.paths import write_private_file

if TYPE_CHECKING:
    from assistant.measure import UnixClock

log = logging.getLogger(__name__)

VOLUME_STEPS = 10
RING_INTERVAL_SECONDS = 2.0
"""A ringing timer or alarm repeats this long after it was last said."""
RING_LIMIT = 15
"""A ringing announcement repeats at most this many times when nobody says "stop"."""


class Controls:
    def __init__(self, state_file: Path, clock: UnixClock) -> None:
        self._state_file = state_file
        self._clock = clock
        self._muted_until = 0.0
        self.last_reply: str | None = None
        self.volume = self._load_volume()

    def _load_volume(self) -> int:
        try:
            value = json.loads(self._state_file.read_text())["volume"]
            return max(0, min(VOLUME_STEPS, int(value)))
        except (OSError, ValueError, KeyError, TypeError):
            return VOLUME_STEPS

    @property
    def gain(self) -> float:
        """Software gain applied to reply audio, 0.0 to 1.0."""
        return self.volume / VOLUME_STEPS

    def set_volume(self, level: int) -> int:
        self.volume = max(0, min(VOLUME_STEPS, int(level)))
        try:
            write_private_file(self._state_file, json.dumps({"volume": self.volume}).encode())
        except OSError as e:
            log.warning("cannot save the volume setting: %s", e.strerror or e)
        return self.volume

    def mute_microphone(self, seconds: float) -> float:
        """Stop listening for the wake word for `seconds`; returns when it unmutes."""
        self._muted_until = self._clock.time() + seconds
        return self._muted_until

    @property
    def microphone_muted(self) -> bool:
        return self._clock.time() < self._muted_until


@dataclass
class Announcement:
    text: str
    earcon: str | None = None
    repeat: bool = False
    room: str | None = None
    """The room it was set in, where it rings (None: the assistant's own speaker)."""


class Announcements:
    """Thread-safe hand-over from skills (any thread) to the pipeline thread.

    `monotonic` is the clock the ring interval is measured on (tests pass their own).
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._queue: queue.Queue[Announcement] = queue.Queue()
        self._ringing: Announcement | None = None
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._last_said = -RING_INTERVAL_SECONDS
        self._rings = 0

    def announce(
        self, text: str, earcon: str | None = None, repeat: bool = False, room: str | None = None
    ) -> None:
        self._queue.put(Announcement(text, earcon, repeat, room))

    def stop(self) -> bool:
        """Silence what is ringing and anything queued; True if something was."""
        with self._lock:
            was_ringing = self._ringing is not None
            self._ringing = None
        drained = 0
        while True:
            try:
                self._queue.get_nowait()
                drained += 1
            except queue.Empty:
                break
        return was_ringing or drained > 0

    def next(self) -> Announcement | None:
        """The next thing to say: a new announcement, else the one still ringing."""
        try:
            item = self._queue.get_nowait()
        except queue.Empty:
            with self._lock:
                return self._ringing
        if item.repeat:
            with self._lock:
                self._ringing = item
        return item

    @property
    def ringing(self) -> bool:
        with self._lock:
            return self._ringing is not None

    def due(self) -> Announcement | None:
        """What to say now, at an idle moment: a new announcement, or the ringing one
        again once RING_INTERVAL_SECONDS have passed; a ring nobody stops ends by
        itself after RING_LIMIT repeats."""
        now = self._monotonic()
        if self.ringing and now - self._last_said < RING_INTERVAL_SECONDS:
            return None
        item = self.next()
        if item is None:
            self._rings = 0
            return None
        if item.repeat:
            self._rings += 1
            if self._rings > RING_LIMIT:
                self.stop()
                self._rings = 0
                return None
        self._last_said = now
        return item
