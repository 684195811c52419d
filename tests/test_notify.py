"""The sd_notify protocol as systemd sees it: a real Unix datagram socket receives what we send."""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import uuid

import pytest

from assistant.notify import Notifier, Watchdog


class NotifySocket:
    """A bound datagram socket standing in for systemd's notify socket."""

    def __init__(self, address: str, env_value: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.env_value = env_value

    def messages(self, wait: float = 0.0) -> list[dict[str, str]]:
        """Every datagram received so far (waiting up to `wait` s for the first), parsed."""
        select.select([self.sock], [], [], wait)
        received = []
        while True:
            try:
                data = self.sock.recv(4096, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return received
            received.append(dict(line.split("=", 1) for line in data.decode().split("\n")))

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path, monkeypatch):
    path = tmp_path / "notify"
    receiver = NotifySocket(str(path), str(path))
    monkeypatch.setenv("NOTIFY_SOCKET", receiver.env_value)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield receiver
    receiver.close()


def test_ready_status_stopping_reach_the_socket(notify_socket):
    notifier = Notifier.from_environment()
    assert notifier.enabled
    notifier.ready("listening for 'hey jarvis'")
    notifier.status("reloading models")
    notifier.stopping()
    assert notify_socket.messages(wait=2) == [
        {"READY": "1", "STATUS": "listening for 'hey jarvis'"},
        {"STATUS": "reloading models"},
        {"STOPPING": "1"},
    ]


def test_ready_without_status_sends_only_ready(notify_socket):
    Notifier.from_environment().ready()
    assert notify_socket.messages(wait=2) == [{"READY": "1"}]


def test_status_with_newlines_stays_one_field(notify_socket):
    Notifier.from_environment().status("microphone lost\nretrying")
    [message] = notify_socket.messages(wait=2)
    assert message == {"STATUS": "microphone lost retrying"}


def test_reloading_carries_the_monotonic_clock(notify_socket):
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    Notifier.from_environment().reloading()
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    [message] = notify_socket.messages(wait=2)
    assert message["RELOADING"] == "1"
    assert before <= int(message["MONOTONIC_USEC"]) <= after


def test_abstract_socket_address(monkeypatch):
    name = f"assistant-test-{uuid.uuid4().hex}"
    receiver = NotifySocket("\0" + name, "@" + name)
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", receiver.env_value)
        Notifier.from_environment().ready("up")
        assert receiver.messages(wait=2) == [{"READY": "1", "STATUS": "up"}]
    finally:
        receiver.close()


def test_without_notify_socket_everything_is_a_no_op(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    notifier = Notifier.from_environment()
    assert not notifier.enabled
    assert notifier.send("READY=1") is False
    notifier.ready("x")
    notifier.stopping()
    assert notifier.watchdog_interval() is None


def test_a_vanished_socket_does_not_raise(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    notifier = Notifier.from_environment()
    assert notifier.send("STATUS=still here") is False
    notifier.status("again")
    # Said once, not for every message.
    assert len([r for r in caplog.records if "cannot notify" in r.getMessage()]) == 1


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [
        ("30000000", None, 15.0),
        ("30000000", "self", 15.0),
        ("30000000", "1", None),  # the watchdog belongs to another process
        ("0", None, None),
        ("soon", None, None),
        (None, None, None),
    ],
)
def test_watchdog_interval_is_half_of_watchdog_usec(
    notify_socket, monkeypatch, usec, pid, expected
):
    if usec is not None:
        monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid is not None:
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()) if pid == "self" else pid)
    assert Notifier.from_environment().watchdog_interval() == expected


def _watchdog_pings(messages: list[dict[str, str]]) -> int:
    assert all(m == {"WATCHDOG": "1"} for m in messages), messages
    return len(messages)


class SteppedClock:
    """The watchdog's injected clock, moved by the test: the watchdog decides with it
    whether the loop is alive and a ping is due. It counts how often it is read, so a
    test can wait until the watchdog's thread has looked at it instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.reads = 0
        self._changed = threading.Condition()

    def __call__(self) -> float:
        with self._changed:
            self.reads += 1
            self._changed.notify_all()
            return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def wait_for_reads(self, count: int) -> None:
        with self._changed:
            target = self.reads + count
            assert self._changed.wait_for(lambda: self.reads >= target, timeout=10)


# 31250 µs of WATCHDOG_USEC → a ping due every 1/64 s of the clock (exact in binary);
# the thread looks four times per interval, about every 4 ms of real time.
WATCHDOG_USEC = "31250"
INTERVAL = 1 / 64


@pytest.fixture
def stepped_watchdog(notify_socket, monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", WATCHDOG_USEC)
    clock = SteppedClock()
    watchdog = Watchdog(Notifier.from_environment(), stale_after=10 * INTERVAL, clock=clock)
    assert watchdog.interval == INTERVAL
    yield watchdog, clock
    watchdog.stop()


def _no_watchdog_thread() -> bool:
    return not any(t.name == "watchdog" for t in threading.enumerate())


def test_watchdog_pings_while_fed_and_falls_silent_when_not(notify_socket, stepped_watchdog):
    watchdog, clock = stepped_watchdog
    watchdog.feed()
    watchdog.start()
    # An audio loop feeding every frame: one ping per interval of the clock, no more.
    assert _watchdog_pings(notify_socket.messages(wait=5)) == 1
    for _ in range(4):
        clock.advance(1.5 * INTERVAL)
        watchdog.feed()
        assert _watchdog_pings(notify_socket.messages(wait=5)) == 1
    clock.wait_for_reads(8)  # the clock stands still: nothing more is due
    assert notify_socket.messages() == []

    # The loop gets stuck: once its last feed is older than stale_after, pings stop.
    clock.advance(watchdog.stale_after + INTERVAL)
    clock.wait_for_reads(4)
    notify_socket.messages()  # a look begun before the clock moved may still have pinged
    for _ in range(3):
        clock.advance(INTERVAL)
        clock.wait_for_reads(4)
        assert notify_socket.messages() == []

    # The loop recovers: pings resume at once.
    watchdog.feed()
    assert _watchdog_pings(notify_socket.messages(wait=5)) == 1


def test_watchdog_never_pings_before_the_first_feed(notify_socket, monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "100000")
    watchdog = Watchdog(Notifier.from_environment())
    watchdog.start()
    try:
        time.sleep(0.5)
    finally:
        watchdog.stop()
    assert notify_socket.messages() == []


def test_watchdog_without_systemd_watchdog_is_inert(notify_socket):
    watchdog = Watchdog(Notifier.from_environment())
    assert not watchdog.enabled
    watchdog.start()
    watchdog.feed()
    watchdog.stop()
    assert notify_socket.messages() == []


def test_watchdog_stop_ends_the_pings(notify_socket, stepped_watchdog):
    watchdog, clock = stepped_watchdog
    watchdog.feed()
    watchdog.start()
    # Fed and running: it pings, and pings again when the next one is due.
    assert _watchdog_pings(notify_socket.messages(wait=5)) == 1
    clock.advance(INTERVAL)
    assert _watchdog_pings(notify_socket.messages(wait=5)) == 1

    watchdog.stop()
    assert _no_watchdog_thread()
    notify_socket.messages()  # anything sent before stop() returned
    # Still fed and long overdue, but stopped: nothing is sent any more.
    reads = clock.reads
    clock.advance(100 * INTERVAL)
    watchdog.feed()
    assert notify_socket.messages(wait=8 * INTERVAL) == []
    assert clock.reads == reads + 1  # only the feed above: nobody looks at the clock
