"""The voice loop; the only place that knows the order of the stages.

    frames → wake → (earcon) → listen → turn (understand, dispatch, questions) → speak → journal

`Assistant` is built by `assistant.app` from the skill host, the turn, the audio stages
(loaded on first use: `assistant ask` never loads a model), the recorder (journal),
and the source and sink it listens to and speaks on. Between frames it says what the
skills announced (a timer that rings).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from assistant.measure import ms_since
from assistant.record import Interaction, Outcome, Source
from assistant.skillkit import Reply

if TYPE_CHECKING:
    import numpy as np

    from assistant.audio import AudioSink, AudioSource
    from assistant.config import Config
    from assistant.controls import Announcement, Announcements, Controls
    from assistant.dispatch import Dispatcher, Permit
    from assistant.host import SkillHost
    from assistant.intents import IntentMatcher
    from assistant.listen import Utterance
    from assistant.recorder import Recorder
    from assistant.skillkit import ClockPort, Skill
    from assistant.stages import AudioStages
    from assistant.turn import AnswerFn, Turn, TurnResult
    from assistant.wake import Detection

log = logging.getLogger(__name__)

Frames = Iterator["np.ndarray | None"]

ELSEWHERE = {"en": "For the {room}: {text}", "ko": "{room} 알림이에요. {text}"}
"""What rings here for a room whose own speaker is not connected says which room it is for."""


class RoomSpeakers(Protocol):
    """The speakers of other rooms (`assistant serve`'s small speakers)."""

    def connected(self, room: str) -> bool: ...
    def deliver(self, room: str, samples: np.ndarray, rate: int, repeat: bool) -> bool:
        """Play on `room`'s speaker; False when it is not connected."""
        ...


class Assistant:
    def __init__(
        self,
        config: Config,
        host: SkillHost,
        turn: Turn,
        audio: AudioStages,
        recorder: Recorder,
        clock: ClockPort,
        source: AudioSource | None = None,
        sink: AudioSink | None = None,
    ) -> None:
        self.config = config
        self.host = host
        self.turn = turn
        self.audio = audio
        self.recorder = recorder
        self.clock = clock
        self.source = source
        self.sink = sink
        self._stop = threading.Event()
        self.turn_lock = threading.RLock()
        """Held for a whole turn: a typed command from the control socket waits for a
        spoken one to end (skills are not written for two turns at once)."""
        self.rooms: RoomSpeakers | None = None
        """Other rooms' speakers: what was set in a room rings there (set by the service)."""

    # ----- the parts tests look at ----------------------------------------------------

    @property
    def announcements(self) -> Announcements:
        return self.host.announcements

    @property
    def controls(self) -> Controls:
        return self.host.controls

    @property
    def dispatcher(self) -> Dispatcher:
        return self.host.dispatcher

    @property
    def matcher(self) -> IntentMatcher:
        return self.host.matcher

    @property
    def skills(self) -> dict[str, Skill]:
        return self.host.skills

    # ----- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        """Start the skills (timers restored, scheduler running): this one now serves."""
        self.host.start()

    def prepare_audio(self) -> None:
        """Load every model now, so the first command is not slowed by loading."""
        self.audio.prepare()

    def stop(self) -> None:
        self._stop.set()

    def resume(self) -> None:
        """Undo `stop()` so that `run()` may be called again (after a rejected reload)."""
        self._stop.clear()

    def close(self) -> None:
        self.host.close()
        self.recorder.close()

    # ----- typed commands -------------------------------------------------------------

    def ask(
        self,
        text: str,
        record: bool = True,
        answer: Callable[[str], str] | None = None,
        room: str | None = None,
        permit: Permit | None = None,
    ) -> tuple[Interaction, Reply]:
        """A typed command through the same turn and journal as a spoken one; a skill's
        question is answered by `answer(question_text)` (none: left unanswered).
        `room`: the room it came from, when another speaker sent it; `permit`: what
        that speaker may run."""
        started_at = self.clock.time()
        answer_question: AnswerFn | None = (lambda q: answer(q.text)) if answer else None
        result = self.turn.take(text, answer_question, Source.TYPED, room, permit)
        interaction = self._record_of(result, started_at, Source.TYPED, room=room)
        if record:
            interaction = self.recorder.keep(interaction, result.private)
        return interaction, result.reply

    # ----- the voice loop -------------------------------------------------------------

    def run(self, heartbeat: Callable[[], None] | None = None) -> None:
        """Process the source until it ends or `stop()` is called."""
        source, sink = self._devices()
        frames = iter(source.frames())
        for frame in frames:
            if heartbeat:
                heartbeat()
            if self._stop.is_set():
                break
            if frame is None:
                self._between_frames()
                continue
            detection = self.audio.wake.process(frame)
            if detection is None or self.host.controls.microphone_muted:
                self._between_frames()
                continue
            sink.stop()  # the wake word cuts a reply (or a ringing alarm) short
            self._wait_for_turn(heartbeat)
            try:
                self.converse(detection, frames)
            finally:
                self.turn_lock.release()
            self.audio.wake.reset()

    def converse(
        self,
        detection: Detection,
        frames: Frames,
        room: str | None = None,
        devices: tuple[AudioSource, AudioSink] | None = None,
        permit: Permit | None = None,
    ) -> Interaction:
        """One interaction, from the wake word to the last reply. A small speaker's turn
        names its `room`, brings its own `devices` (its audio in, its speaker out) and
        the `permit` of what it may run."""
        started, started_at = time.perf_counter(), self.clock.time()
        source, sink = devices or self._devices()
        if self.config.audio.earcon and source.realtime:
            from assistant.speech import EARCON_RATE, earcon

            self._play(earcon("wake"), EARCON_RATE, sink)
        utterance = self.audio.listener.listen(frames, should_stop=self._stop.is_set)
        heard = {"listen": utterance.audio_seconds * 1000, "decode": utterance.decode_ms}
        if not utterance.text:
            outcome = Outcome.CANCELLED if self._stop.is_set() else Outcome.NO_SPEECH
            nothing = Interaction(
                started_at=started_at,
                language=self.config.language,
                wake_word=detection.wake_word,
                wake_score=round(detection.score, 3),
                outcome=outcome,
                timings_ms=heard,
                audio=self._kept(utterance),
                room=room,
            )
            return self.recorder.keep(nothing)
        spoken: dict[str, float] = {}

        def say(reply: Reply) -> None:
            if not spoken:  # the first reply: how long the person waited, and its synthesis
                spoken["total"] = ms_since(started)
                spoken["synthesize"] = self.speak(reply, sink)
            else:
                self.speak(reply, sink)

        def ask_back(question: Reply) -> str:
            say(question)
            sink.wait(timeout=30)  # let the question finish before listening for the answer
            answer = self.audio.listener.listen(
                frames,
                no_speech_seconds=self.config.listen.answer_timeout_seconds,
                should_stop=self._stop.is_set,
                second_opinion=False,
            )
            return self.turn.understand(answer, answer=True).text

        result = self.turn.take(utterance, ask_back, Source.VOICE, room, permit)
        say(result.reply)
        interaction = self._record_of(
            result, started_at, Source.VOICE, detection, utterance, {**heard, **spoken}, room
        )
        return self.recorder.keep(interaction, result.private)

    def speak(self, reply: Reply, sink: AudioSink | None = None) -> float:
        """Say `reply` on `sink` (default: the assistant's own); returns the milliseconds
        its synthesis took."""
        started = time.perf_counter()
        samples, rate = self._render(reply)
        took = ms_since(started)
        if not reply.private:
            self.host.controls.last_reply = reply.text
        self._play(samples, rate, sink)
        return took

    def _render(self, reply: Reply) -> tuple[np.ndarray, int]:
        from assistant.speech import render_reply

        return render_reply(
            self.audio.synthesizer, reply.spoken, reply.earcon, self.host.controls.gain
        )

    # ----- helpers --------------------------------------------------------------------

    def _wait_for_turn(self, heartbeat: Callable[[], None] | None) -> None:
        """Take the turn lock; a typed command that holds it (waiting for a typed answer,
        at most `control.ANSWER_TIMEOUT_SECONDS`) is the loop doing its job, so the
        watchdog goes on being fed."""
        while not self.turn_lock.acquire(timeout=1.0):
            if heartbeat:
                heartbeat()

    def _devices(self) -> tuple[AudioSource, AudioSink]:
        if self.source is None or self.sink is None:
            raise RuntimeError("this assistant was built without a source and a sink")
        return self.source, self.sink

    def _between_frames(self) -> None:
        """Idle moments: say what a skill announced (a timer that ended, still ringing).
        Not while another turn (a peer's, a typed one) holds the assistant: it uses the
        synthesiser, and an announcement can wait for it to end."""
        if self.sink is None or self.sink.playing:
            return
        if not self.turn_lock.acquire(blocking=False):
            return
        try:
            item = self.host.announcements.due()
            if item is not None:
                self._announce(item)
        finally:
            self.turn_lock.release()

    def _announce(self, item: Announcement) -> None:
        """Ring in the room it was set in: on that room's speaker when it is connected,
        else here, saying which room it is for (a household never misses a timer)."""
        room = item.room if item.room != self.config.wyoming.room else None
        reply = Reply(item.text, earcon=item.earcon)
        if room is None:
            self.speak(reply)
            return
        if self.rooms is not None and self.rooms.connected(room):
            samples, rate = self._render(reply)
            if self.rooms.deliver(room, samples, rate, item.repeat):
                return
        log.debug("the %s speaker is not connected: ringing here", room)
        template = ELSEWHERE.get(self.config.language, ELSEWHERE["en"])
        self.speak(Reply(template.format(room=room, text=item.text), earcon=item.earcon))

    def _play(self, samples: np.ndarray, rate: int, sink: AudioSink | None = None) -> None:
        sink = sink or self.sink
        assert sink is not None
        try:
            sink.play(samples, rate)
        except Exception as e:  # a failing speaker must not stop the listening
            log.warning("sound dropped: the output device failed (%s)", type(e).__name__)

    def _kept(self, utterance: Utterance) -> bytes | None:
        return utterance.pcm if self.config.journal.keep_audio else None

    def _record_of(
        self,
        result: TurnResult,
        started_at: float,
        source: Source,
        detection: Detection | None = None,
        utterance: Utterance | None = None,
        timings_ms: dict[str, float] | None = None,
        room: str | None = None,
    ) -> Interaction:
        """The interaction, built once from what the stages returned."""
        match = result.match
        timings = {**(timings_ms or {})}
        for key, value in result.timings_ms.items():
            timings.setdefault(key, value)
        return Interaction(
            started_at=started_at,
            source=source,
            language=self.config.language,
            wake_word=detection.wake_word if detection else None,
            wake_score=round(detection.score, 3) if detection else None,
            transcript=result.transcript,
            intent=match.intent if match else None,
            skill=match.skill if match else None,
            slots=dict(match.slots) if match else {},
            reply=result.reply_text,
            outcome=result.outcome,
            timings_ms=_in_stage_order(timings),
            audio=self._kept(utterance) if utterance else None,
            room=room,
        )


STAGE_ORDER = (
    "listen",
    "decode",
    "second_opinion",
    "free_decode",
    "dispatch",
    "total",
    "synthesize",
)


def _in_stage_order(timings: dict[str, float]) -> dict[str, float]:
    return {k: timings[k] for k in sorted(timings, key=_stage_rank)}


def _stage_rank(key: str) -> int:
    return STAGE_ORDER.index(key) if key in STAGE_ORDER else len(STAGE_ORDER)
