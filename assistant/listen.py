"""Command capture after the wake word: audio streams into Vosk until its endpoint
(trailing silence), a maximum length, or a no-speech timeout.

Time is counted in audio (frames), not on the wall clock, so a recording behaves
exactly like the microphone it was made with.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from assistant.audio import FRAME_SECONDS
from assistant.config import ListenConfig
from assistant.stt import SpeechModel, Transcriber

if TYPE_CHECKING:
    import numpy as np


class EndedBy(StrEnum):
    ENDPOINT = "endpoint"
    MAX_LENGTH = "max_length"
    NO_SPEECH = "no_speech"
    END_OF_INPUT = "end_of_input"
    STOPPED = "stopped"


@dataclass
class Utterance:
    text: str
    pcm: bytes
    """The command audio, 16 kHz mono int16."""
    ended_by: EndedBy
    decode_ms: float
    """Wall time of the final decode once the end was known."""

    @property
    def audio_seconds(self) -> float:
        return len(self.pcm) / 32000


class CommandListener:
    def __init__(self, model: SpeechModel, phrases: list[str] | None, config: ListenConfig) -> None:
        self.model = model
        self.phrases = phrases
        self.config = config

    def listen(
        self,
        frames: Iterator[np.ndarray | None],
        no_speech_seconds: float | None = None,
        should_stop=lambda: False,
    ) -> Utterance:
        """Consume frames from `frames` until the utterance ends; `None` frames are
        pauses in a live stream (no audio yet) and count for nothing."""
        transcriber = Transcriber(self.model, self.phrases)
        no_speech_limit = int((no_speech_seconds or self.config.no_speech_seconds) / FRAME_SECONDS)
        max_frames = int(self.config.max_command_seconds / FRAME_SECONDS)
        chunks: list[bytes] = []
        heard_speech = False
        ended_by = EndedBy.END_OF_INPUT
        for frame in frames:
            if should_stop():
                ended_by = EndedBy.STOPPED
                break
            if frame is None:
                continue
            pcm = frame.tobytes()
            chunks.append(pcm)
            if transcriber.accept(pcm):
                started = time.perf_counter()
                text = transcriber.result()
                if text:
                    return Utterance(text, b"".join(chunks), EndedBy.ENDPOINT, _ms_since(started))
                # Vosk closed a segment with nothing in it (silence or noise): keep waiting.
            heard_speech = heard_speech or bool(transcriber.partial())
            if not heard_speech and len(chunks) >= no_speech_limit:
                return Utterance("", b"".join(chunks), EndedBy.NO_SPEECH, 0.0)
            if len(chunks) >= max_frames:
                ended_by = EndedBy.MAX_LENGTH
                break
        started = time.perf_counter()
        text = transcriber.final()
        if not text and ended_by in (EndedBy.END_OF_INPUT, EndedBy.MAX_LENGTH):
            ended_by = EndedBy.NO_SPEECH
        return Utterance(text, b"".join(chunks), ended_by, _ms_since(started))


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
