"""A single background thread that calls callbacks at given Unix times.

Timers and alarms use it through the skill context. Callbacks run on this thread and
must be quick: they hand work (an announcement) to the pipeline through a queue.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, clock=time) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._counter = itertools.count()
        self._wakeup = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def call_at(self, when: float, callback: Callable[[], None]) -> int:
        handle = next(self._counter)
        with self._wakeup:
            heapq.heappush(self._heap, (when, handle, callback))
            self._wakeup.notify()
        return handle

    def cancel(self, handle: object) -> None:
        with self._wakeup:
            self._cancelled.add(handle)  # type: ignore[arg-type]
            self._wakeup.notify()

    def stop(self) -> None:
        with self._wakeup:
            self._stopped = True
            self._wakeup.notify()
        self._thread.join(timeout=2)

    def _loop(self) -> None:
        while True:
            with self._wakeup:
                while not self._stopped and not self._due():
                    timeout = self._heap[0][0] - self._clock.time() if self._heap else None
                    # Poll at least once a second so a clock that jumps (tests, NTP) is noticed.
                    self._wakeup.wait(timeout=min(timeout, 1.0) if timeout is not None else 1.0)
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
