"""A second opinion on a spoken command: the same audio decoded again, a little faster and
a little slower, with the same compiled grammar.

A misheard command is a near miss: the decoder chose between two close sentences ("열 시"
or "영 시") on evidence that tips either way. Played 10% faster or slower, the same audio
shifts that evidence, and a near miss tends to fall elsewhere; a clear sentence comes out
the same. So a command is acted on only when at least one of the two copies gives the
same intent and slots (assistant.rejection.agrees).

Measured on the recognition benchmark's clips (espeak-ng Korean, 182 commands and 186
sentences of other talk, whole clips, before the listener was involved): without it, 53
commands right and 10 wrong and 8 sentences of other talk answered; with it, 44 right,
2 wrong and 2 answered. On four voices no setting was chosen with: 18 right, 3 wrong, 3
answered (one acted on) without it; 16 right and nothing wrong with it.

The two copies are decoded in parallel (Vosk releases the interpreter lock while it
decodes), and early: in the pause that ends the command (`Ahead`), so an answer is
rarely later for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.listen import Utterance
    from assistant.stt import SpeechModel

log = logging.getLogger(__name__)

LENGTHS = (0.9, 1.1)
"""How long each copy is, against the original. 0.95/1.05 moved too little (more wrong
commands passed)."""


def stretched(pcm: bytes, length: float) -> bytes:
    """16 kHz int16 audio resampled to `length` times its duration, pitch moving with it as
    on a tape: that is the point, the copy must sound a little different."""
    if len(pcm) < 4 or len(pcm) % 2 or not 0 < length < 10:
        return pcm  # nothing to stretch (odd bytes are not int16 audio)
    import numpy as np

    samples = np.frombuffer(pcm, dtype=np.int16)
    count = max(2, int(len(samples) * length))
    positions = np.linspace(0, len(samples) - 1, count)
    stretched = np.interp(positions, np.arange(len(samples)), samples.astype(np.float64))
    return np.round(stretched).astype(np.int16).tobytes()


def heard_by_copies(
    utterance: Utterance, decode: Callable[[bytes], list[str]]
) -> tuple[list[str], float]:
    """What the copies of `utterance` were heard as: asked while listening when that
    covered all of the speech, else decoded now with `decode`; and the milliseconds this
    took after the command ended."""
    if utterance.second_opinion is not None:
        return utterance.second_opinion, utterance.second_opinion_wait_ms
    started = time.perf_counter()
    heard = decode(utterance.pcm)
    return heard, utterance.second_opinion_wait_ms + (time.perf_counter() - started) * 1000


class SecondOpinion:
    """Decodes copies of a command of LENGTHS with `model` (the compiled grammar's model)."""

    def __init__(self, model: SpeechModel, lengths: tuple[float, ...] = LENGTHS) -> None:
        self.model = model
        self.lengths = lengths

    def transcripts(self, pcm: bytes) -> list[str]:
        """The best sentence heard in each copy ("" for a copy in which none was); a
        decoding error is raised here, in the caller's thread."""
        with ThreadPoolExecutor(len(self.lengths), thread_name_prefix="second-opinion") as pool:
            return list(pool.map(lambda length: self._best(stretched(pcm, length)), self.lengths))

    def _best(self, pcm: bytes) -> str:
        from assistant.stt import transcribe

        hypotheses = transcribe(self.model, None, pcm, word_confidences=True)
        return hypotheses[0] if hypotheses else ""


class Ahead:
    """The second opinion asked early: in the pause after a whole sentence, while early end
    waits for that pause to last (0.3 s), which is longer than the copies take to decode.
    So the answer is ready when the command ends, instead of one decode later.

    Each request is keyed by how many loud frames the command had when it was made: if
    speech went on afterwards, the copies missed part of it and their answer is not used.
    One decode runs at a time: a request made while the last one still runs (noise in the
    pause, a sentence that went on) is dropped, and the turn decodes after the end."""

    def __init__(self, decode: Callable[[bytes], list[str]]) -> None:
        self._decode = decode
        self._key: int | None = None
        """The speech the latest request was for."""
        self._started: int | None = None
        """The speech the running (or last) decode is for."""
        self._thread: threading.Thread | None = None
        self._heard: list[list[str]] = []

    def ask(self, audio: Callable[[], bytes], key: int) -> None:
        """Decode copies of `audio()` in the background, unless already asked for `key`,
        or still busy with an earlier request."""
        if key == self._key:
            return
        self._key = key
        if self._thread is not None and self._thread.is_alive():
            return
        heard: list[list[str]] = []
        pcm = audio()
        self._started, self._heard = key, heard

        def decode() -> None:
            try:
                heard.append(self._decode(pcm))
            except Exception as error:  # the turn decodes again, where the error shows
                log.warning("second opinion while listening failed: %s", type(error).__name__)

        self._thread = threading.Thread(target=decode, name="second-opinion", daemon=True)
        self._thread.start()

    def answer(self, key: int) -> list[str] | None:
        """What the copies were heard as (waiting for them if need be), when they were asked
        after the last speech (`key` unchanged); None: never asked, speech went on after,
        or the decoding failed (the caller then asks again and sees the error)."""
        if self._thread is None or key != self._key or key != self._started:
            return None
        self._thread.join()
        return self._heard[0] if self._heard else None
