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
    """`assistant serve`'s server on its own event loop in a thread of this process."""

    def __init__(self, config_path: Path) -> None:
        from assistant.wyoming.host import Host
        from assistant.wyoming.server import WyomingServer

        self.config = config_module.load(config_path)
        self.host = Host.build(self.config)
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


def client(port: int) -> AsyncTcpClient:
    return AsyncTcpClient("127.0.0.1", port, connect_timeout=5, read_timeout=30)


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
