"""Helpers for the Wyoming tests: a free loopback port, the server running in this
process, and plain clients made of the `wyoming` library's own classes."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event

from assistant import config as config_module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wyoming_config(path: Path, data_dir: Path, port: int, extra: str = "", language="ko") -> Path:
    path.write_text(
        f"language: {language}\ndata_dir: {data_dir}\naudio:\n  earcon: false\n"
        f"wyoming:\n  enabled: true\n  port: {port}\n{extra}",
        encoding="utf-8",
    )
    return path


class ServerThread:
    """`assistant serve`'s server on its own event loop in a thread of this process;
    `prepare`: load the models first (text requests need none)."""

    def __init__(self, config_path: Path, prepare: bool = True) -> None:
        from assistant.wyoming.host import Host
        from assistant.wyoming.server import WyomingServer

        self.config = config_module.load(config_path)
        self.host = Host.build(self.config)
        if prepare:
            self.host.prepare()
        self.loop = asyncio.new_event_loop()
        self.server = WyomingServer(self.host, self.config.wyoming)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)

    @property
    def port(self) -> int:
        return self.config.wyoming.port

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.host.close()


def client(port: int, local: str | None = None) -> AsyncTcpClient:
    """A Wyoming client on loopback; `local`: the address it connects from (127.0.0.2...),
    to be another peer of the allow-list and permissions."""
    if local is None:
        return AsyncTcpClient("127.0.0.1", port, connect_timeout=5, read_timeout=30)
    return _ClientFrom(local, port)


class _ClientFrom(AsyncTcpClient):
    def __init__(self, local: str, port: int) -> None:
        super().__init__("127.0.0.1", port, connect_timeout=5, read_timeout=30)
        self.local = local

    async def connect(self) -> None:
        connect = asyncio.open_connection(self.host, self.port, local_addr=(self.local, 0))
        self._reader, self._writer = await asyncio.wait_for(connect, self.connect_timeout)


def audio_stream(samples: np.ndarray, rate: int = 16000, chunk: int = 1024) -> list[Event]:
    raw = np.asarray(samples, dtype="<i2").tobytes()
    chunks = [
        AudioChunk(rate=rate, width=2, channels=1, audio=raw[i : i + 2 * chunk]).event()
        for i in range(0, len(raw), 2 * chunk)
    ]
    return [AudioStart(rate=rate, width=2, channels=1).event(), *chunks, AudioStop().event()]


async def read_until(c: AsyncTcpClient, *types: str) -> tuple[Event, list[Event]]:
    """Read events until one of `types`; returns it and everything read before it."""
    before = []
    while True:
        event = await c.read_event()
        assert event is not None, (
            f"connection closed before {types}; got {[e.type for e in before]}"
        )
        if event.type in types:
            return event, before
        before.append(event)


def pcm_of(events: list[Event]) -> np.ndarray:
    return np.frombuffer(
        b"".join(e.payload or b"" for e in events if e.type == "audio-chunk"), dtype="<i2"
    )


class Proc:
    """An `assistant` command in the background, its stderr collected by line."""

    def __init__(self, config: Path, *command: str, env: dict | None = None) -> None:
        import os
        import subprocess

        from conftest import ASSISTANT, REPO

        self.process = subprocess.Popen(
            [*ASSISTANT, "--log-level", "info", "--config", str(config), *command],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})}, cwd=REPO,
        )  # fmt: skip
        self.stderr: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line.rstrip("\n"))

    def count(self, text: str) -> int:
        return sum(text in line for line in self.stderr)

    def wait_for_log(self, text: str, count: int = 1, timeout: float = 90) -> None:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count(text) >= count:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} in the log; stderr:\n" + "\n".join(self.stderr))

    def maps(self) -> str:
        return Path(f"/proc/{self.process.pid}/maps").read_text()

    def stop(self) -> int:
        import signal

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def journal_entries(config_path: Path, at_least: int, timeout: float = 60) -> list:
    """The journal's newest entries, once it holds at least `at_least` of them."""
    import time

    from assistant.journal import Journal

    deadline = time.monotonic() + timeout
    while True:
        with Journal.open(config_module.load(config_path), sweep_every=None) as journal:
            entries = journal.last(50)
        if len(entries) >= at_least or time.monotonic() > deadline:
            return entries
        time.sleep(0.5)


def is_the_time_question(text: str) -> bool:
    """ "지금 몇 시야" as the compiled grammar writes what it heard: the ending may be a word
    of its own ("시 야") or the polite one ("시 예요"); all are the same ClockTime sentence."""
    return text.replace(" ", "") in ("지금몇시야", "지금몇시예요")
