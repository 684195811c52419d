"""The audio stages of one assistant: wake word detector, Vosk model and listener,
speech synthesiser. Each is built on first use (`assistant ask` never loads a model).

In grammar mode (the default) the listener decodes with the enabled skills' sentences
compiled into a grammar graph (assistant.grammar_cache), on a variant of the model that
holds it; the whole-vocabulary model is loaded only when something decodes freely
(`free` and `auto` modes, or a model without a dynamic graph). Both variants decode with
dither off, so the same audio gives the same transcript.

A reload must not hold two Vosk models (hundreds of MB) at once: a new set of stages
is given the old set's `LoadedModels`, and takes each model whose settings are
unchanged instead of loading it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from assistant.config import Config, SpeechConfig, SttConfig, WakeConfig
    from assistant.grammar_cache import CompiledGrammar
    from assistant.intents import IntentMatcher
    from assistant.listen import CommandListener
    from assistant.sentence_graph import SentenceGraph
    from assistant.speech import Synthesizer
    from assistant.stt import Grammar, SpeechModel
    from assistant.wake import WakeDetector


@dataclass(frozen=True)
class LoadedModels:
    """Models already in memory, each with the settings that made it."""

    language: str
    wake: tuple[WakeConfig, WakeDetector] | None = None
    speech_model: tuple[SttConfig, SpeechModel] | None = None
    grammar_model: tuple[Path, SpeechModel] | None = None
    """The model variant holding a compiled grammar, by its directory (the cache key)."""
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

    def grammar_model_for(self, model_dir: Path) -> SpeechModel | None:
        if self.grammar_model and self.grammar_model[0] == model_dir:
            return self.grammar_model[1]
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
        matcher: IntentMatcher,
        reuse: LoadedModels | None = None,
    ) -> None:
        """`matcher` holds what the enabled skills understand (compiled for grammar mode);
        `reuse` holds models a previous assistant loaded."""
        self.config = config
        self._matcher = matcher
        self._reuse = reuse
        self._wake = reuse.wake_for(config) if reuse else None
        self._speech_model = reuse.speech_model_for(config) if reuse else None
        self._synthesizer = reuse.synthesizer_for(config) if reuse else None
        self._grammar: Grammar | None = None
        self._compiled: CompiledGrammar | None | bool = False  # False: not looked at yet
        self._grammar_model: SpeechModel | None = None
        self._listener: CommandListener | None = None

    @property
    def grammar_cache(self) -> Path:
        return self.config.data_path / "grammar"

    def _model_dir(self) -> Path:
        from assistant.models import resolve_stt_model

        return resolve_stt_model(self.config).path

    @property
    def wake(self) -> WakeDetector:
        if self._wake is None:
            from assistant.wake import WakeDetector

            self._wake = WakeDetector(self.config)
        return self._wake

    @property
    def speech_model(self) -> SpeechModel:
        if self._speech_model is None:
            from assistant.grammar_cache import repeatable_model
            from assistant.stt import SpeechModel

            variant = repeatable_model(self._model_dir(), self.grammar_cache)
            self._speech_model = SpeechModel(variant)
        return self._speech_model

    @property
    def compiled_grammar(self) -> CompiledGrammar | None:
        """The skills' sentences as a grammar graph, built or from the cache (None: free
        mode, or a model without a dynamic graph, which keeps the phrase list)."""
        if self._compiled is False:
            from assistant.stt import load_compiled_grammar

            self._compiled = None
            if self.config.stt.mode != "free":
                self._compiled = load_compiled_grammar(
                    self._matcher, self._model_dir(), self.grammar_cache
                )
        return self._compiled  # type: ignore[return-value]

    def sentences(self) -> SentenceGraph | None:
        """What rejection checks a transcript against (None until the grammar is built,
        or without one)."""
        compiled = self._compiled
        return compiled.sentences if compiled else None

    @property
    def grammar_model(self) -> SpeechModel:
        compiled = self.compiled_grammar
        assert compiled is not None
        if self._grammar_model is None and self._reuse is not None:
            self._grammar_model = self._reuse.grammar_model_for(compiled.model_dir)
        if self._grammar_model is None:
            from assistant.stt import SpeechModel

            self._grammar_model = SpeechModel(compiled.model_dir)
        return self._grammar_model

    @property
    def grammar(self) -> Grammar:
        """The phrase list, for a model without a dynamic graph."""
        if self._grammar is None:
            from assistant.stt import Grammar

            self._grammar = Grammar(self.speech_model, self._matcher.grammar_phrases())
        return self._grammar

    @property
    def listener(self) -> CommandListener:
        if self._listener is None:
            from assistant.listen import CommandListener

            listen = self.config.listen
            compiled = self.compiled_grammar
            if compiled is not None:
                opinion = self.second_opinion if self.config.stt.second_opinion else None
                self._listener = CommandListener(
                    self.grammar_model, None, listen, compiled.sentences, opinion
                )
            else:
                phrases = None if self.config.stt.mode == "free" else self.grammar.phrases
                self._listener = CommandListener(self.speech_model, phrases, listen)
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

    def second_opinion(self, pcm: bytes) -> list[str]:
        """What copies of the command, played faster and slower, are heard as (with the
        compiled grammar's model: only called when there is one)."""
        from assistant.second_opinion import SecondOpinion

        return SecondOpinion(self.grammar_model).transcripts(pcm)

    def loaded(self) -> LoadedModels:
        """What a new set of stages may reuse."""
        config = self.config
        wake, model, voice = self._wake, self._speech_model, self._synthesizer
        compiled, grammar_model = self._compiled, self._grammar_model
        return LoadedModels(
            config.language,
            wake=(config.wake, wake) if wake is not None else None,
            speech_model=(config.stt, model) if model is not None else None,
            grammar_model=(
                (compiled.model_dir, grammar_model) if compiled and grammar_model else None
            ),
            synthesizer=(config.speech, voice) if voice is not None else None,
        )
