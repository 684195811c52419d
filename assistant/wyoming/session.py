"""The main assistant's side of a spoken turn whose microphone and speaker are a peer's.

A small speaker streams the command's audio; `PeerFrames` turns it into the 80 ms
frames the voice loop listens to, and `PeerSink` sends the replies back as Wyoming
audio. The turn itself is the voice loop's (`Host.converse`).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from wyoming.asr import Transcribe
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event

from assistant.audio import AudioSink
from assistant.wyoming.host import SessionCancelled

if TYPE_CHECKING:
    import numpy as np

CHUNK_SAMPLES = 1024
"""Samples per audio chunk sent to a peer (what Wyoming's own programs send)."""
PEER_SILENCE_SECONDS = 10.0
"""A peer that sends no audio for this long in the middle of a command has gone away."""
SEND_TIMEOUT_SECONDS = 30.0

_END = object()
_CANCEL = object()


def audio_events(samples: np.ndarray, rate: int) -> list[Event]:
    """int16 mono samples as audio-start, audio-chunk..., audio-stop."""
    raw = samples.astype("<i2").tobytes()
    step = CHUNK_SAMPLES * 2
    chunks = [AudioChunk(rate=rate, width=2, channels=1, audio=raw[i : i + step]).event()
              for i in range(0, len(raw), step)]  # fmt: skip
    return [AudioStart(rate=rate, width=2, channels=1).event(), *chunks, AudioStop().event()]


def listen_again(language: str) -> Event:
    """Sent to a small speaker after a question: stream the answer, no wake word needed
    (Home Assistant asks its satellites the same way when a conversation goes on)."""
    return Transcribe(language=language).event()


class PeerFrames:
    """80 ms frames of a peer's audio, fed from the event loop, read by the voice loop's
    listener on the worker thread. The end of a stream (audio-stop) ends one listening;
    the peer going away raises SessionCancelled in the listener."""

    def __init__(self, silence_seconds: float = PEER_SILENCE_SECONDS) -> None:
        import numpy as np

        self._queue: queue.Queue[Any] = queue.Queue()
        self._partial = np.zeros(0, dtype=np.int16)
        self._silence_seconds = silence_seconds

    def push(self, pcm: bytes) -> None:
        """16 kHz mono int16 audio, any length."""
        import numpy as np

        from assistant.audio import FRAME_SAMPLES

        samples = np.concatenate([self._partial, np.frombuffer(pcm, dtype="<i2")])
        whole = len(samples) - len(samples) % FRAME_SAMPLES
        for start in range(0, whole, FRAME_SAMPLES):
            self._queue.put(samples[start : start + FRAME_SAMPLES].copy())
        self._partial = samples[whole:]

    def end_stream(self) -> None:
        self._queue.put(_END)

    def cancel(self) -> None:
        self._queue.put(_CANCEL)

    def discard(self) -> None:
        """Forget audio sent before now (what the peer streamed while a reply was coming)."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is _CANCEL:
                self._queue.put(_CANCEL)
                return

    def __iter__(self) -> PeerFrames:
        return self

    def __next__(self) -> np.ndarray:
        try:
            item = self._queue.get(timeout=self._silence_seconds)
        except queue.Empty:
            raise SessionCancelled("the peer stopped sending audio") from None
        if item is _CANCEL:
            self._queue.put(_CANCEL)  # every later read fails the same way
            raise SessionCancelled("the peer went away")
        if item is _END:
            raise StopIteration
        return item


class PeerSink(AudioSink):
    """Replies go to the peer as Wyoming audio. The voice loop waits on the sink before
    it listens for the answer to a question: that is when the peer, once it has played
    the question, is asked to stream again."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        send: Callable[[list[Event]], Coroutine[Any, Any, None]],
        frames: PeerFrames,
        language: str,
    ) -> None:
        self._language = language
        self._loop = loop
        self._send = send
        self._frames = frames
        self.played = threading.Event()
        self.played.set()
        self.gone = threading.Event()

    def _send_now(self, events: list[Event]) -> None:
        if self.gone.is_set():
            raise ConnectionError("the peer went away")
        future = asyncio.run_coroutine_threadsafe(self._send(events), self._loop)
        future.result(timeout=SEND_TIMEOUT_SECONDS)

    def play(self, samples: np.ndarray, rate: int) -> None:
        self.played.clear()
        self._send_now(audio_events(samples, rate))

    def wait(self, timeout: float | None = None) -> None:
        self.played.wait(timeout)
        self._frames.discard()
        if not self.gone.is_set():
            self._send_now([listen_again(self._language)])

    @property
    def playing(self) -> bool:
        return not self.played.is_set()

    def release(self) -> None:
        """The peer is gone: nothing waits for it any more."""
        self.gone.set()
        self.played.set()
        self._frames.cancel()
