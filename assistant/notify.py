"""Telling systemd how the service is doing: the sd_notify datagram protocol, self-written.

systemd passes a Unix datagram socket in `$NOTIFY_SOCKET` (a path, or `@name` for the
abstract namespace). Each message is newline-separated `KEY=value` lines: READY=1 when
the audio loop runs, STATUS=... for `systemctl status`, WATCHDOG=1 as a keep-alive,
RELOADING=1 / STOPPING=1 around a reload and a shutdown.

The keep-alive is the point of `Watchdog`: the audio loop calls `feed()` for every
frame, and a background thread sends WATCHDOG=1 only while those feeds keep coming. A
thread that pinged unconditionally would keep a stuck microphone loop "alive" forever;
this one falls silent, and systemd restarts the service after `WatchdogSec=`.

Outside systemd (no `$NOTIFY_SOCKET`) every call is a no-op, so the same code runs from
a terminal. STATUS texts are process-log material: never put what a person said in them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

__all__ = ["Notifier", "Watchdog"]

log = logging.getLogger(__name__)


def _socket_address(value: str) -> str | None:
    """`$NOTIFY_SOCKET` → an address for AF_UNIX sendto, or None if unusable."""
    if value.startswith("@"):
        # Abstract namespace: a leading NUL byte instead of the '@'.
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    # systemd also knows vsock: addresses (for VMs); a Raspberry Pi service never gets one.
    return None


def _parse_watchdog_usec(usec: str | None, pid: str | None, own_pid: int) -> int | None:
    """Microseconds from `$WATCHDOG_USEC`, or None when the watchdog is not ours or off."""
    if not usec:
        return None
    if pid:
        # WATCHDOG_PID names the process meant to ping; a child that inherited the
        # environment must not ping on the service's behalf.
        try:
            if int(pid) != own_pid:
                return None
        except ValueError:
            return None
    try:
        value = int(usec)
    except ValueError:
        log.warning("ignoring WATCHDOG_USEC=%r: not a whole number of microseconds", usec)
        return None
    return value if value > 0 else None


class Notifier:
    """Sends sd_notify messages; a no-op when the service manager gave no socket."""

    def __init__(self, socket_path: str | None = None, watchdog_usec: int | None = None) -> None:
        self._address = _socket_address(socket_path) if socket_path else None
        self._watchdog_usec = watchdog_usec
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._warned = False

    @classmethod
    def from_environment(cls) -> Notifier:
        path = os.environ.get("NOTIFY_SOCKET") or None
        usec = _parse_watchdog_usec(
            os.environ.get("WATCHDOG_USEC"), os.environ.get("WATCHDOG_PID"), os.getpid()
        )
        return cls(path, usec)

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def send(self, *fields: str) -> bool:
        """Send one message made of `KEY=value` fields; True if it was delivered."""
        if self._address is None:
            return False
        message = "\n".join(fields).encode("utf-8")
        with self._lock:
            try:
                if self._socket is None:
                    self._socket = socket.socket(
                        socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                    )
                self._socket.sendto(message, self._address)
                return True
            except OSError as e:
                # Losing a status line must never take the assistant down; say so once.
                if not self._warned:
                    log.warning("cannot notify the service manager: %s", e.strerror or e)
                    self._warned = True
                return False

    def ready(self, status: str = "") -> None:
        fields = ["READY=1"]
        if status:
            fields.append(_status_field(status))
        self.send(*fields)

    def status(self, text: str) -> None:
        self.send(_status_field(text))

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def reloading(self) -> None:
        # MONOTONIC_USEC lets systemd (253+, Type=notify-reload) tell this reload from
        # an older one; earlier versions ignore it. Send ready() when the reload is done.
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.send("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def watchdog(self) -> None:
        self.send("WATCHDOG=1")

    def watchdog_interval(self) -> float | None:
        """Seconds between keep-alive pings (half of WATCHDOG_USEC), None if disabled."""
        if self._address is None or not self._watchdog_usec:
            return None
        return self._watchdog_usec / 2 / 1_000_000

    def close(self) -> None:
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None


def _status_field(text: str) -> str:
    # One message is newline-separated fields: a newline in the text would start a new one.
    return "STATUS=" + " ".join(text.split("\n")).strip()


class Watchdog:
    """Pings the service manager only while the audio loop has fed it recently.

    `interval` is the time between pings (default: the notifier's, i.e. half of
    WatchdogSec); `stale_after` is how long the loop may go without feeding before the
    pings stop (default: one interval). A loop that stops feeding is restarted by
    systemd between `stale_after` and `stale_after + WatchdogSec` later. Without a
    watchdog (interval None) `start()` does nothing and `feed()` stays cheap.
    """

    def __init__(
        self,
        notifier: Notifier,
        interval: float | None = None,
        stale_after: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._notifier = notifier
        self.interval = interval if interval is not None else notifier.watchdog_interval()
        if self.interval is not None and self.interval <= 0:
            raise ValueError("watchdog interval must be greater than 0")
        self.stale_after = stale_after if stale_after is not None else self.interval
        self._clock = clock
        self._last_feed: float | None = None
        self._last_ping: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.interval is not None

    def feed(self) -> None:
        """Called by the audio loop for every frame it processes."""
        # A single float store: atomic under the GIL, cheap enough for 80 ms frames.
        self._last_feed = self._clock()

    def is_fresh(self) -> bool:
        last = self._last_feed
        return last is not None and self._clock() - last <= (self.stale_after or 0)

    def start(self) -> None:
        if self.interval is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        assert self.interval is not None
        # Look several times per interval so that a loop that paused briefly is pinged
        # for again promptly, instead of a whole interval later (which could add up to
        # WatchdogSec without a ping although the loop is alive again).
        tick = self.interval / 4
        while not self._stop.wait(tick):
            self._maybe_ping()

    def _maybe_ping(self) -> None:
        if not self.is_fresh():
            return
        now = self._clock()
        if self._last_ping is None or now - self._last_ping >= self.interval:  # type: ignore[operator]
            self._notifier.watchdog()
            self._last_ping = now
