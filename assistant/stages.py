"""The audio stages of one assistant: wake word detector, Vosk model and listener,
speech synthesiser. Each is built on first use (`assistant ask` never loads a model).

A reload must not hold two Vosk models (hundreds of MB) at once: a new set of stages
is given the old set's `LoadedModels`, and takes each model whose settings are
unchanged instead of loading it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.config import Config, SpeechConfig, SttConfig, WakeConfig
    from assistant.listen import CommandListener
    from assistant.speech import Synthesizer
    from assistant.stt import Grammar, SpeechModel
    from assistant.wake import WakeDetector


@dataclass(frozen=True)
class LoadedModels:
    """Models already in memory, each with the settings that made it."""

    language: str
    wake: tuple[WakeConfig, WakeDetector] | None = None
    speech_model: tuple[SttConfig, SpeechModel] | None = None
    synthesizer: tuple[SpeechConfig, Synthesizer] | None = None

    def wake_for(self, config: Config) -> WakeDetector | None:
        if self.wake and self.wake[0] == config.wake:
            return self.wake[1]
        return None

    def speech_model_for(self, config: Config) -> SpeechModel | None:
        if self.speech_model and (self.language, self.speech_model[0]) == (
            config.language,
            config.stt,
        ):
            return self.speech_model[1]
        return None

    def synthesizer_for(self, config: Config) -> Synthesizer | None:
        # pyttsx3 hands every Synthesizer the same espeak-ng engine: two alive at once
        # would share voice and rate, so one with the same settings is reused as it is.
        if self.synthesizer and (self.language, self.synthesizer[0]) == (
            config.language,
            config.speech,
        ):
            return self.synthesizer[1]
        return None


class AudioStages:
    def __init__(
        self,
        config: Config,
        grammar_phrases: Callable[[], list[str]],
        reuse: LoadedModels | None = None,
    ) -> None:
        """`grammar_phrases()` lists what the enabled skills understand (for grammar
        mode); `reuse` holds models a previous assistant loaded."""
        self.config = config
        self._grammar_phrases = grammar_phrases
        self._wake = reuse.wake_for(config) if reuse else None
        self._speech_model = reuse.speech_model_for(config) if reuse else None
        self._synthesizer = reuse.synthesizer_for(config) if reuse else None
        self._grammar: Grammar | None = None
        self._listener: CommandListener | None = None

    @property
    def wake(self) -> WakeDetector:
        if self._wake is None:
            from assistant.wake import WakeDetector

            self._wake = WakeDetector(self.config)
        return self._wake

    @property
    def speech_model(self) -> SpeechModel:
        if self._speech_model is None:
            from assistant.models import resolve_stt_model
            from assistant.stt import SpeechModel

            self._speech_model = SpeechModel(resolve_stt_model(self.config).path)
        return self._speech_model

    @property
    def grammar(self) -> Grammar:
        if self._grammar is None:
            from assistant.stt import Grammar

            self._grammar = Grammar(self.speech_model, self._grammar_phrases())
        return self._grammar

    @property
    def listener(self) -> CommandListener:
        if self._listener is None:
            from assistant.listen import CommandListener

            phrases = None if self.config.stt.mode == "free" else self.grammar.phrases
            self._listener = CommandListener(self.speech_model, phrases, self.config.listen)
        return self._listener

    @property
    def synthesizer(self) -> Synthesizer:
        if self._synthesizer is None:
            from assistant.speech import Synthesizer

            speech = self.config.speech
            self._synthesizer = Synthesizer(
                self.config.language, speech.voice, speech.rate, speech.volume
            )
        return self._synthesizer

    def prepare(self) -> None:
        """Load every model now, so the first command is not slowed by loading."""
        _ = self.wake, self.listener, self.synthesizer

    def decode_free(self, pcm: bytes) -> list[str]:
        """The utterance decoded again with the whole vocabulary (auto mode's fallback)."""
        from assistant.stt import transcribe

        return transcribe(self.speech_model, None, pcm)

    def loaded(self) -> LoadedModels:
        """What a new set of stages may reuse."""
        config = self.config
        wake, model, voice = self._wake, self._speech_model, self._synthesizer
        return LoadedModels(
            config.language,
            wake=(config.wake, wake) if wake is not None else None,
            speech_model=(config.stt, model) if model is not None else None,
            synthesizer=(config.speech, voice) if voice is not None else None,
        )
