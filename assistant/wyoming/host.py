"""The one place where the Wyoming adapters touch the assistant.

Everything the server, the small speaker and the satellite need from the assistant
goes through `Host`: a typed text turn, recognition of a whole recording, speech, a
wake word detector, and a spoken turn whose audio comes from a peer. When the
assistant's internals move, only this file follows them.

The assistant is not thread-safe: the server calls a Host from one worker thread, and
every call holds the assistant's turn lock, which its own voice loop takes too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from assistant.config import Config
from assistant.record import Interaction, Outcome

if TYPE_CHECKING:
    import numpy as np

    from assistant.audio import AudioSink
    from assistant.dispatch import Permit
    from assistant.intents import IntentMatch
    from assistant.pipeline import Assistant
    from assistant.skillkit import Reply
    from assistant.wake import WakeDetector

log = logging.getLogger(__name__)


class SessionCancelled(Exception):
    """The peer went away in the middle of a spoken turn."""


def room_of(interaction: Any) -> str | None:
    """The room an interaction (or a journal entry) was heard in."""
    return getattr(interaction, "room", None)


class Host:
    """The assistant as the Wyoming adapters see it. Every call that uses the assistant
    holds its turn lock: the voice loop of the same assistant (`assistant serve` on a
    speaker with a microphone) and the peers take turns, never at once."""

    def __init__(self, config: Config, assistant: Callable[[], Assistant] | None = None) -> None:
        """`assistant()`: the running assistant to share (the service's, which a reload
        replaces); None: the assistant and its journal are built here, for this host."""
        from assistant.wyoming.permissions import PeerPermissions

        self.config = config
        self.permissions = PeerPermissions(config.wyoming.permissions, config.language)
        self._own: Assistant | None = None
        if assistant is None:
            from assistant.app import open_assistant

            self._own = open_assistant(config)
        self._current = assistant or (lambda: self._own)

    @classmethod
    def build(cls, config: Config) -> Host:
        return cls(config)

    @property
    def assistant(self) -> Assistant:
        """The assistant serving now (bench/ drives it directly)."""
        assistant = self._current()
        assert assistant is not None
        return assistant

    @contextmanager
    def _turn(self) -> Iterator[Assistant]:
        """The assistant serving now, held for one turn. A reload may switch assistants
        while this waits: the lock taken must be the one of the assistant still serving."""
        while True:
            assistant = self.assistant
            assistant.turn_lock.acquire()
            if assistant is self.assistant:
                break
            assistant.turn_lock.release()
        try:
            yield assistant
        finally:
            assistant.turn_lock.release()

    @property
    def language(self) -> str:
        return self.config.language

    @property
    def default_room(self) -> str | None:
        return self.config.wyoming.room

    def prepare(self) -> None:
        """Load every model now, so that the first peer does not wait for loading."""
        with self._turn() as assistant:
            assistant.prepare_audio()

    def close(self) -> None:
        if self._own is not None:
            self._own.close()

    # ----- text ---------------------------------------------------------------------------

    def handle_text(
        self, text: str, room: str | None, permit: Permit | None = None
    ) -> tuple[Interaction, Reply]:
        """A command as text, through the same turn and journal as `assistant ask`;
        `permit`: what the peer may run."""
        with self._turn() as assistant:
            return assistant.ask(text, room=room or self.default_room, permit=permit)

    def recognize(self, text: str) -> IntentMatch | None:
        """The intent behind `text`, without running any skill or journaling anything."""
        with self._turn() as assistant:
            return assistant.matcher.match(text)

    # ----- audio --------------------------------------------------------------------------

    def transcribe(self, pcm: bytes) -> str:
        """Recognise a recording (16 kHz mono int16) as the voice loop does: the listener
        skips the silence before the first word, Vosk runs with the skills' grammar, and
        the turn's own choice among the hypotheses decides."""
        import numpy as np

        from assistant.audio import FRAME_SAMPLES

        samples = np.frombuffer(pcm, dtype="<i2")
        frames = (samples[i : i + FRAME_SAMPLES] for i in range(0, len(samples), FRAME_SAMPLES))
        whole = (f for f in frames if len(f) == FRAME_SAMPLES)
        with self._turn() as assistant:
            # Speech to text only: the asker decides what the words mean, so no second
            # opinion is asked (the transcript is returned either way).
            utterance = assistant.audio.listener.listen(whole, second_opinion=False)
            return assistant.turn.understand(utterance, second_opinion=False).text

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """int16 mono samples and their rate, at the owner's volume."""
        from assistant.speech import render_reply

        with self._turn() as assistant:
            gain = assistant.controls.gain
            return render_reply(assistant.audio.synthesizer, text, None, gain)

    def wake_words(self) -> list[str]:
        return list(self.config.wake.words)

    def new_wake_detector(self) -> WakeDetector:
        """A detector of its own for one peer's stream (each keeps its own audio context)."""
        from assistant.wake import WakeDetector

        return WakeDetector(self.config)

    # ----- a spoken turn from a peer --------------------------------------------------------

    def converse(
        self,
        frames: Iterator[np.ndarray | None],
        sink: AudioSink,
        room: str | None,
        wake_word: str | None,
        wake_score: float | None,
        permit: Permit | None = None,
    ) -> Interaction | None:
        """The voice loop's turn over a peer's audio: listen until the end of the command,
        recognise, dispatch (what `permit` allows), speak into `sink`, ask follow-up
        questions, journal. `frames` raises SessionCancelled when the peer goes away; the
        turn is then journaled as cancelled and nothing half-heard is acted on."""
        from assistant.wake import Detection

        room = room or self.default_room
        detection = Detection(wake_word or "remote", wake_score if wake_score is not None else 1.0)
        with self._turn() as assistant:
            try:
                devices = (_PeerSource(), sink)
                return assistant.converse(detection, frames, room, devices, permit)
            except SessionCancelled:
                # Gone before the end of the command, or while a question waited for its
                # answer: either way the turn is journaled as cancelled, once.
                return self._journal_cancelled(assistant, detection, room)

    def _journal_cancelled(self, assistant: Assistant, detection: Any, room: str | None):
        interaction = Interaction(
            started_at=assistant.clock.time(),
            language=self.language,
            wake_word=detection.wake_word,
            wake_score=round(detection.score, 3),
            outcome=Outcome.CANCELLED,
            room=room,
        )
        return assistant.recorder.keep(interaction)


class _PeerSource:
    """What the voice loop asks of its source during a turn: the peer's audio is not live
    here, and the peer plays its own earcon."""

    realtime = False


# ----- a Home Assistant satellite's own journal ---------------------------------------------------


def open_journal(config: Config) -> Any:
    """The same journal as the assistant's (retention, erasure, `assistant log`)."""
    from assistant.journal import Journal

    return Journal.open(config)


def record(journal: Any, interaction: Interaction, room: str | None) -> None:
    """Journal what a satellite sent and received; a failing journal never stops it."""
    import dataclasses

    from assistant.errors import JournalError

    try:
        journal.record(dataclasses.replace(interaction, room=room))
    except JournalError as e:
        log.warning("cannot write the journal, still answering: %s", e)
