"""The loop that wires the stages; the only place that knows their order.

    frames → wake → (earcon) → listen → recognise → dispatch → speak → journal

`Assistant` holds the text stack (skills, intents, dispatcher, journal), which
`assistant ask` uses alone, and builds the audio stack (wake word, Vosk, espeak-ng)
only when audio is processed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING

from assistant.audio import AudioSink, AudioSource, tone
from assistant.config import Config
from assistant.controls import Announcements, Controls
from assistant.dispatch import Dispatcher, instantiate
from assistant.errors import JournalError
from assistant.intents import IntentMatcher
from assistant.listen import CommandListener, Utterance
from assistant.paths import ensure_private_dir
from assistant.record import Interaction, Outcome, Source
from assistant.scheduler import Scheduler
from assistant.skills import Reply, SkillContext, SystemClock, enabled_skills

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

RING_INTERVAL_SECONDS = 2.0
RING_LIMIT = 15
"""A ringing timer repeats at most this many times when nobody says "stop"."""

EARCONS = {
    "wake": lambda: tone(880, 0.12),
    "alarm": lambda: _alarm(),
}


def _alarm():
    import numpy as np

    beep, gap = tone(1000, 0.18, level=0.5), tone(0, 0.08)
    return np.concatenate([beep, gap, beep, gap, beep, tone(0, 0.3)])


class Assistant:
    def __init__(
        self,
        config: Config,
        journal=None,
        clock=None,
        on_interaction: Callable[[Interaction], None] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.journal = journal
        self.on_interaction = on_interaction
        self.data_dir = ensure_private_dir(config.data_path)
        self.controls = Controls(self.data_dir / "controls.json", self.clock)
        self.announcements = Announcements()
        self.scheduler = Scheduler(self.clock)
        self.loaded_skills = enabled_skills(config)
        self.matcher = IntentMatcher(self.loaded_skills, config.language)
        self.skills = instantiate(self.loaded_skills, self._context_for)
        self.dispatcher = Dispatcher(self.matcher, self.skills)
        self._stop = threading.Event()
        self._journal_failing = False
        self._last_ring = 0.0
        self._rings = 0
        for skill in self.skills.values():
            skill.start()

    def _context_for(self, loaded) -> SkillContext:
        return SkillContext(
            name=loaded.name,
            settings=loaded.settings,
            language=self.config.language,
            data_dir=ensure_private_dir(self.data_dir / "skills" / loaded.name),
            clock=self.clock,
            announcer=self.announcements,
            scheduler=self.scheduler,
            services={
                "journal": self.journal,
                "controls": self.controls,
                "catalog": self.loaded_skills,
                "matcher": self.matcher,
            },
        )

    # ----- the audio stack, built on first use -------------------------------------

    @cached_property
    def wake(self):
        from assistant.wake import WakeDetector

        return WakeDetector(self.config)

    @cached_property
    def speech_model(self):
        from assistant.grammar_cache import repeatable_model
        from assistant.models import resolve_stt_model
        from assistant.stt import SpeechModel

        model_dir = resolve_stt_model(self.config).path
        return SpeechModel(repeatable_model(model_dir, self.data_dir / "grammar"))

    @cached_property
    def grammar(self):
        from assistant.stt import Grammar

        return Grammar(self.speech_model, self.matcher.grammar_phrases())

    @cached_property
    def compiled_grammar(self):
        """The enabled skills' sentences as a grammar graph (None: free mode, or a model
        without a dynamic graph, which keeps the phrase list)."""
        from assistant.models import resolve_stt_model
        from assistant.stt import load_compiled_grammar

        if self.config.stt.mode == "free":
            return None
        model_dir = resolve_stt_model(self.config).path
        return load_compiled_grammar(self.matcher, model_dir, self.data_dir / "grammar")

    @cached_property
    def grammar_model(self):
        from assistant.stt import SpeechModel

        return SpeechModel(self.compiled_grammar.model_dir)

    @cached_property
    def listener(self) -> CommandListener:
        if self.compiled_grammar is not None:
            sentences = self.compiled_grammar.sentences
            return CommandListener(self.grammar_model, None, self.config.listen, sentences)
        phrases = None if self.config.stt.mode == "free" else self.grammar.phrases
        return CommandListener(self.speech_model, phrases, self.config.listen)

    @cached_property
    def synthesizer(self):
        from assistant.speech import Synthesizer

        speech = self.config.speech
        return Synthesizer(self.config.language, speech.voice, speech.rate, speech.volume)

    def prepare_audio(self) -> None:
        """Load every model now, so the first command is not slowed by loading."""
        _ = self.wake, self.listener, self.synthesizer

    # ----- typed commands -------------------------------------------------------------

    def ask(
        self, text: str, record: bool = True, answer: Callable[[str], str] | None = None
    ) -> tuple[Interaction, Reply]:
        """A typed command through the same dispatcher and journal as a spoken one.
        When the reply is a question, `answer(question)` supplies the typed answer
        (no `answer`: the question goes unanswered, as when nobody speaks)."""
        interaction = Interaction(
            started_at=self.clock.time(),
            source=Source.TYPED,
            language=self.config.language,
            transcript=text,
        )
        started = time.perf_counter()
        result = self.dispatcher.dispatch(text, Source.TYPED)
        interaction.timings_ms["dispatch"] = _ms_since(started)
        self._apply(interaction, result)
        reply = result.reply
        while reply.on_answer is not None:
            reply = self._answer(reply, answer(reply.text) if answer else "", interaction)
        self.controls.last_reply = reply.text
        if record:
            self._finish(interaction, result.reply.private or reply.private)
        return interaction, reply

    def _answer(self, question: Reply, text: str, interaction: Interaction) -> Reply:
        """The skill's reply to the answer of its question; contained like any skill call."""
        on_answer = question.on_answer
        assert on_answer is not None
        reply = self.dispatcher.call_skill(interaction.skill or "?", lambda: on_answer(text))
        if reply is None:
            from assistant.dispatch import apology

            interaction.outcome = Outcome.SKILL_ERROR
            reply = Reply(apology("skill_error", self.config.language))
        interaction.reply = f"{interaction.reply} / {reply.text}"
        return reply

    # ----- the voice loop ---------------------------------------------------------------

    def run(
        self, source: AudioSource, sink: AudioSink, heartbeat: Callable[[], None] | None = None
    ) -> None:
        """Process `source` until it ends or `stop()` is called."""
        self.sink = sink
        self.source = source
        frames = iter(source.frames())
        for frame in frames:
            if heartbeat:
                heartbeat()
            if self._stop.is_set():
                break
            if frame is None:
                self._between_frames()
                continue
            detection = self.wake.process(frame)
            if detection is None or self.controls.microphone_muted:
                self._between_frames()
                continue
            sink.stop()  # the wake word cuts a reply (or a ringing alarm) short
            self.converse(detection, frames)
            self.wake.reset()

    def stop(self) -> None:
        self._stop.set()

    def resume(self) -> None:
        """Undo `stop()` so that `run()` may be called again (after a rejected reload)."""
        self._stop.clear()

    def adopt_audio_stages(self, other: Assistant) -> None:
        """Reuse `other`'s loaded models where the configuration that built them is
        unchanged: a reload must not hold two Vosk models (hundreds of MB) at once."""
        same_language = other.config.language == self.config.language
        if (
            "speech_model" in other.__dict__
            and same_language
            and other.config.stt == self.config.stt
        ):
            self.__dict__["speech_model"] = other.speech_model
        if "grammar_model" in other.__dict__ and (
            self.compiled_grammar is not None
            and other.compiled_grammar.model_dir == self.compiled_grammar.model_dir
        ):
            self.__dict__["grammar_model"] = other.grammar_model
        if "wake" in other.__dict__ and other.config.wake == self.config.wake:
            self.__dict__["wake"] = other.wake
        # pyttsx3 hands every Synthesizer the same espeak-ng engine: two alive at once would
        # share voice and rate, so one with the same settings is reused as it is.
        same_speech = same_language and other.config.speech == self.config.speech
        if "synthesizer" in other.__dict__ and same_speech:
            self.__dict__["synthesizer"] = other.synthesizer

    def close(self) -> None:
        self.scheduler.stop()
        for skill in self.skills.values():
            try:
                skill.close()
            except Exception as e:
                log.error("skill %s failed to close: %s", skill.context.name, type(e).__name__)
        if self.journal is not None:
            self.journal.close()

    def _between_frames(self) -> None:
        """Idle moments: say what a skill announced (a timer that ended)."""
        if self.sink.playing:
            return
        ringing = self.announcements.ringing
        if ringing and time.monotonic() - self._last_ring < RING_INTERVAL_SECONDS:
            return
        item = self.announcements.next()
        if item is None:
            self._rings = 0
            return
        if item.repeat:
            self._rings += 1
            if self._rings > RING_LIMIT:
                self.announcements.stop()
                self._rings = 0
                return
        self._last_ring = time.monotonic()
        self.speak(Reply(item.text, earcon=item.earcon))

    def converse(self, detection, frames: Iterator[np.ndarray | None]) -> Interaction:
        """One interaction, from the wake word to the last reply."""
        started = time.perf_counter()
        interaction = Interaction(
            started_at=self.clock.time(),
            language=self.config.language,
            wake_word=detection.wake_word,
            wake_score=round(detection.score, 3),
        )
        if self.config.audio.earcon and self.source.realtime:
            self._play(EARCONS["wake"](), 22050)
        utterance = self.listener.listen(frames, should_stop=self._stop.is_set)
        interaction.timings_ms["listen"] = utterance.audio_seconds * 1000
        interaction.timings_ms["decode"] = utterance.decode_ms
        if self.config.journal.keep_audio:
            interaction.audio = utterance.pcm
        if not utterance.text:
            interaction.outcome = Outcome.CANCELLED if self._stop.is_set() else Outcome.NO_SPEECH
            self._finish(interaction)
            return interaction
        result = self._understand(utterance, interaction)
        self._apply(interaction, result)
        reply = result.reply
        interaction.timings_ms["total"] = _ms_since(started)
        self.speak(reply, interaction)
        while reply.on_answer is not None:
            reply = self._follow_up(reply, frames, interaction)
        self._finish(interaction, result.reply.private or reply.private)
        return interaction

    def _understand(self, utterance: Utterance, interaction: Interaction):
        """Only a sentence that passes rejection (assistant.rejection) is dispatched; in
        `auto` mode, when none does, the audio is decoded again in free mode."""
        from assistant.dispatch import Dispatched, apology
        from assistant.rejection import recognise

        started = time.perf_counter()
        understanding = recognise(
            utterance.hypotheses,
            utterance.confidence,
            self.matcher.match,
            self.compiled_grammar.sentences if self.compiled_grammar is not None else None,
            self._thresholds(),
        )
        text = understanding.text if understanding.accepted else None
        if text is None and self.config.stt.mode == "auto":
            from assistant.stt import transcribe

            text = self._first_understood(transcribe(self.speech_model, None, utterance.pcm))
            interaction.timings_ms["free_decode"] = _ms_since(started)
            started = time.perf_counter()
        interaction.transcript = text or utterance.text
        if text is None:  # heard, but not one of the sentences: decline, never act
            reply = Reply(apology("not_understood", self.config.language))
            return Dispatched(None, reply, Outcome.NOT_UNDERSTOOD)
        result = self.dispatcher.dispatch(text, Source.VOICE)
        interaction.timings_ms["dispatch"] = _ms_since(started)
        return result

    def _thresholds(self):
        from assistant.rejection import Thresholds

        stt = self.config.stt
        return Thresholds(questions=stt.min_confidence, actions=stt.min_confidence_actions)

    def _first_understood(self, hypotheses: list[str]) -> str | None:
        return next((h for h in hypotheses if self.matcher.match(h) is not None), None)

    def _follow_up(self, question: Reply, frames, interaction: Interaction) -> Reply:
        self.sink.wait(timeout=30)  # let the question finish before listening for the answer
        answer = self.listener.listen(
            frames,
            no_speech_seconds=self.config.listen.answer_timeout_seconds,
            should_stop=self._stop.is_set,
        )
        reply = self._answer(
            question, self._first_understood(answer.hypotheses) or answer.text, interaction
        )
        self.speak(reply)
        return reply

    @staticmethod
    def _apply(interaction: Interaction, result) -> None:
        interaction.outcome = result.outcome
        interaction.reply = result.reply.text
        if result.match:
            interaction.intent = result.match.intent
            interaction.skill = result.match.skill
            interaction.slots = dict(result.match.slots)

    def speak(self, reply: Reply, interaction: Interaction | None = None) -> None:
        started = time.perf_counter()
        samples, rate = self.synthesizer.synthesize(reply.text)
        if reply.earcon in EARCONS:
            import numpy as np

            from assistant.audio import resample

            samples = np.concatenate([resample(EARCONS[reply.earcon](), 22050, rate), samples])
        from assistant.speech import apply_gain

        samples = apply_gain(samples, self.controls.gain)
        if interaction is not None:
            interaction.timings_ms["synthesize"] = _ms_since(started)
        self.controls.last_reply = reply.text
        self._play(samples, rate)

    def _play(self, samples, rate: int) -> None:
        try:
            self.sink.play(samples, rate)
        except Exception as e:  # a failing speaker must not stop the listening
            log.warning("sound dropped: the output device failed (%s)", type(e).__name__)

    def _finish(self, interaction: Interaction, private: bool = False) -> None:
        if self.on_interaction:
            self.on_interaction(interaction)
        if self.journal is None or private:
            return
        try:
            interaction.id = self.journal.record(interaction)
        except JournalError as e:
            if not self._journal_failing:
                log.warning("cannot write the journal, still answering: %s", e)
            self._journal_failing = True
            return
        if self._journal_failing:
            log.warning("journal writable again")
            self._journal_failing = False


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
