"""The service and systemd's notify protocol, end to end.

A bound Unix datagram socket stands in for systemd's `$NOTIFY_SOCKET`; `WATCHDOG_USEC`
is 1 s, so the service pings every half second while its audio loop runs, and must
fall silent when that loop is stuck.
"""

from __future__ import annotations

import select
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from running import Running
from test_service_faults import MIC_OPEN

from assistant.audio import FRAME_SAMPLES, FRAME_SECONDS, AudioSource, WavFileSink

pytestmark = [pytest.mark.audio, pytest.mark.slow]

WATCHDOG_USEC = "1000000"


class NotifyReceiver:
    """What systemd's side of `$NOTIFY_SOCKET` sees: one dict per datagram."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages: list[tuple[float, dict[str, str]]] = []

    def receive(self, seconds: float) -> None:
        """Collect every datagram that arrives in the next `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.sock], [], [], left)
            if readable:
                data = self.sock.recv(4096)
                fields = dict(line.split("=", 1) for line in data.decode().split("\n") if line)
                self.messages.append((time.monotonic(), fields))

    def wait_for(self, key: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.has(key) and time.monotonic() < deadline:
            self.receive(0.2)
        assert self.has(key), f"no {key}=1 within {timeout} s; got {self.messages}"

    def has(self, key: str) -> bool:
        return any(key in m for _, m in self.messages)

    def count(self, key: str, since: float = 0.0) -> int:
        return sum(key in m for t, m in self.messages if t >= since)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def receiver(tmp_path):
    r = NotifyReceiver(tmp_path / "notify")
    yield r
    r.close()


def test_ready_then_watchdog_pings_while_listening_then_stopping_even_during_a_reload(
    pulse_server, ko_config, receiver
):
    assistant = Running(
        ko_config,
        {
            "PULSE_SERVER": pulse_server,
            "NOTIFY_SOCKET": receiver.path,
            "WATCHDOG_USEC": WATCHDOG_USEC,
        },
    )
    try:
        receiver.wait_for("READY", timeout=60)
        assistant.wait_for_log(MIC_OPEN)
        ready = next(m for _, m in receiver.messages if "READY" in m)
        assert ready["STATUS"] == "listening"

        listening_since = time.monotonic()
        receiver.receive(3.0)
        # Every half second while the loop runs (6 expected); at least a few, however busy
        # the machine is.
        assert receiver.count("WATCHDOG", since=listening_since) >= 3

        # SIGTERM in the middle of a reload (SIGHUP) is not lost: the service stops
        # once the reload is done instead of listening on with the new configuration.
        assistant.process.send_signal(signal.SIGHUP)
        receiver.wait_for("RELOADING", timeout=10)
        code, _ = assistant.stop(signal.SIGTERM)
    finally:
        assistant.kill()
    receiver.receive(0.5)
    assert code == 0
    assert receiver.has("STOPPING")


class HungAudioDriverSource(AudioSource):
    """A fake for what this machine cannot do on demand: an audio driver whose read call
    never returns. Delivers silence at the pace of a microphone until `hang` is set, then
    blocks inside `frames()` (as a wedged driver call would) until `release` is set."""

    realtime = True

    def __init__(self) -> None:
        self.hang = threading.Event()
        self.stuck = threading.Event()
        self.release = threading.Event()

    def frames(self) -> Iterator[np.ndarray]:
        while not self.hang.is_set():
            time.sleep(FRAME_SECONDS)
            yield np.zeros(FRAME_SAMPLES, np.int16)
        self.stuck.set()
        self.release.wait()


def test_watchdog_pings_stop_while_the_audio_loop_is_stuck(
    ko_config, receiver, monkeypatch, tmp_path
):
    from assistant.service import Service

    monkeypatch.setenv("NOTIFY_SOCKET", receiver.path)
    monkeypatch.setenv("WATCHDOG_USEC", WATCHDOG_USEC)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    source = HungAudioDriverSource()
    service = Service(
        str(ko_config), lambda config: (source, WavFileSink(tmp_path / "replies.wav"))
    )
    serving = threading.Thread(target=service.serve, daemon=True)
    serving.start()
    try:
        receiver.wait_for("READY", timeout=60)
        healthy_since = time.monotonic()
        receiver.receive(2.0)
        assert receiver.count("WATCHDOG", since=healthy_since) >= 2

        source.hang.set()
        assert source.stuck.wait(5)
        # A ping already on its way may still arrive: the loop counts as alive until one
        # interval (0.5 s) after its last frame.
        receiver.receive(1.0)
        stuck_since = time.monotonic()
        receiver.receive(2.5)
        assert receiver.count("WATCHDOG", since=stuck_since) == 0
    finally:
        service.stop()
        source.release.set()
        serving.join(timeout=15)
    assert not serving.is_alive()
    receiver.receive(0.5)
    assert receiver.has("STOPPING")
