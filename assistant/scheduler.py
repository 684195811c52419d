"""A single background thread that calls callbacks at given Unix times.

Timers and alarms use it through the skill context. Callbacks run on this thread and
must be quick: they hand work (an announcement) to the pipeline through a queue.

The thread starts with `start()`, not on construction: an assistant that is built but
never switched to (a rejected reload) must leave nothing running behind it.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.measure import UnixClock

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
"""The thread looks at the clock at least this often, so a clock that jumps is noticed."""


class Scheduler:
    def __init__(self, clock: UnixClock = time, poll_seconds: float = POLL_SECONDS) -> None:
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._counter = itertools.count()
        self._wakeup = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def start(self) -> None:
        """Begin calling what is due (callbacks may be added before)."""
        if not self._stopped and not self._thread.is_alive():
            self._thread.start()

    def call_at(self, when: float, callback: Callable[[], None]) -> int:
        handle = next(self._counter)
        with self._wakeup:
            heapq.heappush(self._heap, (when, handle, callback))
            self._wakeup.notify()
        return handle

    def cancel(self, handle: object) -> None:
        if not isinstance(handle, int):
            return
        with self._wakeup:
            self._cancelled.add(handle)
            self._wakeup.notify()

    def stop(self) -> None:
        with self._wakeup:
            self._stopped = True
            self._wakeup.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while True:
            with self._wakeup:
                while not self._stopped and not self._due():
                    timeout = self._heap[0][0] - self._clock.time() if self._heap else None
                    poll = self._poll_seconds
                    wait = min(timeout, poll) if timeout is not None else poll
                    self._wakeup.wait(timeout=wait)
                if self._stopped:
                    return
                _, handle, callback = heapq.heappop(self._heap)
                if handle in self._cancelled:
                    self._cancelled.discard(handle)
                    continue
            try:
                callback()
            except Exception as e:
                # The type only: a message may quote what was said (a timer's name).
                log.error("scheduled callback failed: %s", type(e).__name__)
                log.debug("scheduled callback traceback", exc_info=True)

    def _due(self) -> bool:
        return bool(self._heap) and self._heap[0][0] <= self._clock.time()
