"""Command capture after the wake word: audio streams into Vosk until its endpoint
(trailing silence), a maximum length, or a no-speech timeout, or, with a compiled
grammar, until the words so far make a whole sentence and a short pause follows.

Early end: Vosk's endpoint waits about a second of silence. When the partial transcript
is a sentence of the grammar that no longer sentence starts with ("지금 몇 시야"), a
pause of `listen.early_end_seconds` (0.3 s) is enough; when a longer one could still
follow ("다섯 시" → "다섯 시 반"), the pause must last `listen.early_end_extendable_seconds`
(0.8 s) so a person who is still thinking is not cut off.

Time is counted in audio (frames), not on the wall clock, so a recording behaves
exactly like the microphone it was made with.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from assistant.audio import FRAME_SAMPLES, FRAME_SECONDS
from assistant.config import ListenConfig
from assistant.measure import ms_since, rms
from assistant.second_opinion import Ahead
from assistant.stt import SpeechModel, Transcriber

if TYPE_CHECKING:
    import numpy as np

    from assistant.sentence_graph import SentenceGraph


class EndedBy(StrEnum):
    ENDPOINT = "endpoint"
    MAX_LENGTH = "max_length"
    NO_SPEECH = "no_speech"
    END_OF_INPUT = "end_of_input"
    STOPPED = "stopped"
    EARLY = "early"
    """A whole sentence of the grammar followed by a short pause."""


@dataclass
class Utterance:
    hypotheses: list[str]
    """What Vosk heard, best guess first; empty when nothing was said."""
    pcm: bytes
    """The command audio, 16 kHz mono int16."""
    ended_by: EndedBy
    decode_ms: float
    """Wall time of the final decode once the end was known."""

    @property
    def text(self) -> str:
        return self.hypotheses[0] if self.hypotheses else ""

    waited_seconds: float = 0.0
    """Silence between the wake word and the first word."""
    confidence: float | None = None
    """Lowest word confidence of the best hypothesis (None: the decoder gave none)."""
    second_opinion: list[str] | None = None
    """What copies of the audio were heard as, when asked while listening (None: not)."""
    second_opinion_wait_ms: float = 0.0
    """Wall time spent waiting for those copies once the command had ended."""

    @property
    def audio_seconds(self) -> float:
        """Length of the command itself (with a short lead-in)."""
        return len(self.pcm) / 32000


FRAME_BYTES = FRAME_SAMPLES * 2
PRE_ROLL_FRAMES = 4
"""Frames (320 ms) kept from before speech starts and fed with it: Vosk needs a little
silence before the first word, but long silence drifts its speaker adaptation (measured on
the Korean model: 0.3 s of lead-in recognised a command that 2 s of lead-in did not)."""
ONSET_FACTOR = 4.0
"""Speech starts when a frame is this many times louder than the quietest frame so far..."""
ONSET_MIN_RMS = 200.0
"""...and louder than this in absolute terms (int16 RMS), so digital silence has a floor."""


SETTLE_FRAMES = 1
"""Frames (80 ms) a partial transcript must stay the same before early end trusts it
(measured: 2 frames took the median answer from 0.42 s to 0.51 s after the speech, with
the same commands right and none cut short)."""


class SpeechOnset:
    """Energy-based start of speech; in steady noise it fires at once, which is harmless
    (Vosk then decides what is speech), so it only ever saves work and lead-in."""

    def __init__(self) -> None:
        self.floor: float | None = None

    def is_speech(self, frame: np.ndarray) -> bool:
        level = rms(frame)
        self.floor = level if self.floor is None else min(self.floor, level)
        return level > max(ONSET_MIN_RMS, ONSET_FACTOR * self.floor)


class EarlyEnd:
    """Watches partial transcripts and audio energy for "a whole sentence, then a pause"."""

    def __init__(self, sentences: SentenceGraph, config: ListenConfig) -> None:
        from assistant.sentence_graph import Prefix

        self.sentences = sentences
        self.wait_frames = {
            Prefix.COMPLETE: _frames(config.early_end_seconds),
            Prefix.EXTENDABLE: _frames(config.early_end_extendable_seconds),
            # Words that start no sentence (the decoder is on its way out): they will be
            # declined, so the longer pause is enough to decide, not Vosk's full second.
            Prefix.NONE: _frames(config.early_end_extendable_seconds),
        }
        self.onset = SpeechOnset()
        self.text = ""
        self.quiet_frames = 0
        self.settled_frames = 0
        self.loud_frames = 0
        self.shape = None
        """Where the partial transcript stands in the grammar (a Prefix), at the last
        quiet frame."""

    def update(self, frame: np.ndarray, partial: str) -> bool:
        """True when the utterance can end now."""
        # The pause counts from the last loud frame, and the transcript must also have
        # settled: Vosk firms up the last word a few frames after it was said, so a
        # sentence must have stayed the same for SETTLE_FRAMES before it counts as whole.
        # (Counting the whole pause from the last change instead adds those frames to
        # every answer.)
        if partial != self.text:
            self.text, self.settled_frames = partial, 0
        else:
            self.settled_frames += 1
        if self.onset.is_speech(frame):
            self.quiet_frames = 0
            self.loud_frames += 1
            return False
        self.quiet_frames += 1
        self.shape = self.sentences.prefix(partial)
        needed = self.wait_frames.get(self.shape)
        return (
            needed is not None
            and needed > 0
            and self.quiet_frames >= needed
            and self.settled_frames >= SETTLE_FRAMES
        )

    def pausing_after_sentence(self) -> bool:
        """Quiet after a settled whole sentence (one that may still grow included)."""
        from assistant.sentence_graph import Prefix

        return (
            self.quiet_frames > 0
            and self.settled_frames >= SETTLE_FRAMES
            and self.shape in (Prefix.COMPLETE, Prefix.EXTENDABLE)
        )


def _frames(seconds: float) -> int:
    return max(0, round(seconds / FRAME_SECONDS))


class CommandListener:
    def __init__(
        self,
        model: SpeechModel,
        phrases: list[str] | None,
        config: ListenConfig,
        sentences: SentenceGraph | None = None,
        second_opinion: Callable[[bytes], list[str]] | None = None,
    ) -> None:
        self.model = model
        self.phrases = phrases
        self.config = config
        self.sentences = sentences
        """The compiled grammar's sentences: word confidences and early end need it."""
        self.second_opinion = second_opinion
        """Asked in the pause after a whole sentence (assistant.second_opinion.Ahead)."""

    def listen(
        self,
        frames: Iterator[np.ndarray | None],
        no_speech_seconds: float | None = None,
        should_stop=lambda: False,
        second_opinion: bool = True,
    ) -> Utterance:
        """Consume frames from `frames` until the utterance ends; `None` frames are
        pauses in a live stream (no audio yet) and count for nothing. `second_opinion`:
        ask it while listening (a yes or no answer to a question needs none)."""
        no_speech_limit = int((no_speech_seconds or self.config.no_speech_seconds) / FRAME_SECONDS)
        max_frames = int(self.config.max_command_seconds / FRAME_SECONDS)
        live = (f for f in frames if f is not None)
        waited, pre_roll = self._wait_for_onset(live, no_speech_limit, should_stop)
        if pre_roll is None:
            ended_by = EndedBy.STOPPED if should_stop() else EndedBy.NO_SPEECH
            return Utterance([], b"", ended_by, 0.0, waited * FRAME_SECONDS)
        compiled = self.sentences is not None
        transcriber = Transcriber(self.model, self.phrases, word_confidences=compiled)
        early = EarlyEnd(self.sentences, self.config) if self.sentences is not None else None
        wanted = second_opinion and self.second_opinion is not None
        ahead = Ahead(self.second_opinion) if early and wanted else None
        chunks: list[bytes] = []
        heard_speech = False
        ended_by = EndedBy.END_OF_INPUT
        import numpy as np

        # Frame by frame, the pre-roll too: early end's noise floor is the quietest frame,
        # and a pre-roll taken as one chunk (silence and the first word) set it so high that
        # the rest of the speech counted as quiet.
        pre_roll_frames = [
            pre_roll[i : i + FRAME_BYTES] for i in range(0, len(pre_roll), FRAME_BYTES)
        ]
        for pcm in itertools.chain(pre_roll_frames, (frame.tobytes() for frame in live)):
            if should_stop():
                ended_by = EndedBy.STOPPED
                break
            chunks.append(pcm)
            if transcriber.accept(pcm):
                started = time.perf_counter()
                hypotheses = transcriber.result()
                if hypotheses:
                    utterance = Utterance(
                        hypotheses,
                        b"".join(chunks),
                        EndedBy.ENDPOINT,
                        ms_since(started),
                        waited * FRAME_SECONDS,
                        transcriber.confidence,
                    )
                    return _with_opinion(utterance, ahead, early)
                # Vosk closed a segment with nothing in it (a cough, a click): keep waiting.
            partial = transcriber.partial()
            heard_speech = heard_speech or bool(partial)
            if early is not None:
                ends = early.update(np.frombuffer(pcm, dtype=np.int16), partial)
                if ahead is not None and early.pausing_after_sentence():
                    ahead.ask(lambda: b"".join(chunks), early.loud_frames)
                if ends:
                    ended_by = EndedBy.EARLY
                    break
            frames_used = waited + sum(map(len, chunks)) // FRAME_BYTES
            if not heard_speech and frames_used >= no_speech_limit:
                return Utterance(
                    [], b"".join(chunks), EndedBy.NO_SPEECH, 0.0, waited * FRAME_SECONDS
                )
            if frames_used >= max_frames:
                ended_by = EndedBy.MAX_LENGTH
                break
        started = time.perf_counter()
        hypotheses = transcriber.final()
        if not hypotheses and ended_by in (EndedBy.END_OF_INPUT, EndedBy.MAX_LENGTH):
            ended_by = EndedBy.NO_SPEECH
        utterance = Utterance(
            hypotheses,
            b"".join(chunks),
            ended_by,
            ms_since(started),
            waited * FRAME_SECONDS,
            transcriber.confidence,
        )
        return _with_opinion(utterance, ahead, early)

    @staticmethod
    def _wait_for_onset(live, limit: int, should_stop) -> tuple[int, bytes | None]:
        """Skip silence before the first word; return (frames waited, pre-roll audio),
        the audio being None when nothing was said within `limit` frames."""
        onset = SpeechOnset()
        recent: list[bytes] = []
        for waited, frame in enumerate(live, start=1):
            recent = (recent + [frame.tobytes()])[-PRE_ROLL_FRAMES:]
            if onset.is_speech(frame):
                return waited - len(recent), b"".join(recent)
            if waited >= limit or should_stop():
                return waited, None
        return 0, None


def _with_opinion(utterance: Utterance, ahead: Ahead | None, early: EarlyEnd | None) -> Utterance:
    """`utterance` with the second opinion asked while listening, when it covers all of
    the speech."""
    if ahead is None or early is None or not utterance.hypotheses:
        return utterance
    if utterance.ended_by is EndedBy.STOPPED:
        return utterance  # shutting down: nothing will be acted on
    started = time.perf_counter()
    heard = ahead.answer(early.loud_frames)
    return replace(utterance, second_opinion=heard, second_opinion_wait_ms=ms_since(started))
