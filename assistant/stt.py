"""Speech recognition with Vosk: the model, the grammar, and one recogniser per utterance.

Grammar mode restricts Vosk to the sentences the enabled skills can understand. On a
model with a dynamic graph (graph/HCLr.fst + graph/Gr.fst) the templates are compiled
into a grammar graph that allows exactly those sentences (assistant.grammar_fst,
assistant.grammar_cache) and Vosk loads a model variant that uses it; on other models
the older phrase list (`Grammar`) remains, a bigram model over the phrases' words.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path

from assistant.errors import ModelError

log = logging.getLogger(__name__)

_MISSING_WORD = re.compile(r"Ignoring word missing in vocabulary: '(.*)'")


class SpeechModel:
    """A loaded Vosk model (hundreds of MB: load once per process)."""

    def __init__(self, path: Path) -> None:
        import vosk

        vosk.SetLogLevel(-1)  # Kaldi's logs would otherwise echo grammar words and results
        if not (path / "am").is_dir() or not (path / "conf").is_dir():
            raise ModelError(f"{path} is not a Vosk model directory (no am/ and conf/ inside)")
        try:
            self._model = vosk.Model(str(path))
        except Exception as e:
            raise ModelError(f"cannot load Vosk model {path}: {e}") from None
        self.path = path
        self._vocabulary = self._read_word_list(path)

    @staticmethod
    def _read_word_list(path: Path) -> set[str] | None:
        words_file = path / "graph" / "words.txt"
        if not words_file.is_file():
            return None
        with words_file.open(encoding="utf-8") as f:
            return {line.split(maxsplit=1)[0] for line in f if line.strip()}

    def recognizer(self, phrases: list[str] | None = None):
        """A fresh KaldiRecognizer, restricted to `phrases` when given."""
        import vosk

        if phrases is None:
            return vosk.KaldiRecognizer(self._model, 16000)
        return vosk.KaldiRecognizer(self._model, 16000, json.dumps(phrases, ensure_ascii=False))

    def missing_words(self, words: set[str]) -> set[str]:
        """Words the model cannot recognise (a grammar phrase containing one can never match)."""
        if self._vocabulary is not None:
            return {w for w in words if w not in self._vocabulary}
        return self._probe_missing_words(words)

    def _probe_missing_words(self, words: set[str]) -> set[str]:
        # Models without graph/words.txt (such as the Korean one) only say which words they
        # lack as warnings while compiling a grammar, on file descriptor 2. Catch them there.
        import vosk

        with tempfile.TemporaryFile() as capture:
            saved = os.dup(2)
            try:
                vosk.SetLogLevel(0)
                os.dup2(capture.fileno(), 2)
                self.recognizer(sorted(words))
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                vosk.SetLogLevel(-1)
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace")
        missing = set()
        for match in _MISSING_WORD.finditer(text):
            word = match.group(1)
            if "\\u" in word:  # some builds print escaped code points
                word = word.encode("ascii", "ignore").decode("unicode_escape")
            missing.add(word)
        return missing


class Grammar:
    """The phrase list handed to Vosk, minus phrases with words the model lacks."""

    def __init__(self, model: SpeechModel, phrases: list[str]) -> None:
        words = {w for p in phrases for w in p.split()}
        self.missing_words = model.missing_words(words)
        self.phrases = sorted(
            {p for p in phrases if not self.missing_words.intersection(p.split())}
        )
        if "[unk]" not in self.missing_words and self._model_knows_unk(model):
            # Lets Vosk say "something else was said" instead of forcing the nearest phrase.
            self.phrases.append("[unk]")
        if self.missing_words:
            log.info(
                "%d grammar words are not in the model's vocabulary; %d phrases kept",
                len(self.missing_words),
                len(self.phrases),
            )

    @staticmethod
    def _model_knows_unk(model: SpeechModel) -> bool:
        return not model.missing_words({"[unk]"})


def load_compiled_grammar(matcher, model_dir: Path, cache_root: Path):
    """The compiled grammar of `matcher`'s templates for the model at `model_dir` (built or
    from the cache), or None when the model has no dynamic graph."""
    from assistant.grammar_cache import compiled_grammar, has_dynamic_graph

    if not has_dynamic_graph(model_dir):
        return None
    return compiled_grammar(
        matcher.templates, matcher.template_source, matcher.language, model_dir, cache_root
    )


ALTERNATIVES = 10
"""Hypotheses asked of Vosk per utterance. In grammar mode the best one that parses as
an intent wins: Vosk's grammar is a bigram model, so its single best guess can stitch
phrase pieces together while a valid sentence sits just below it."""


class Transcriber:
    """One utterance: audio in (int16 bytes at 16 kHz), endpoint signal, hypotheses out.

    With a compiled grammar (`phrases` None on a grammar model variant) Vosk is asked for
    its single best sentence with word confidences (lattice posteriors) instead of a list
    of alternatives: the graph only holds whole sentences, and the confidences are what
    rejection needs. `confidence` then holds the lowest word confidence of the last result.
    """

    def __init__(
        self,
        model: SpeechModel,
        phrases: list[str] | None,
        alternatives: int = ALTERNATIVES,
        word_confidences: bool = False,
    ) -> None:
        self._recognizer = model.recognizer(phrases)
        self.confidence: float | None = None
        self._dither = None
        if word_confidences:
            import numpy as np

            self._recognizer.SetWords(True)
            self._dither = np.random.default_rng(DITHER_SEED)
        elif alternatives > 1:
            self._recognizer.SetMaxAlternatives(alternatives)

    def accept(self, pcm: bytes) -> bool:
        """Feed audio; True when Vosk detected the end of the utterance (trailing silence)."""
        if self._dither is not None:
            pcm = _dithered(pcm, self._dither)
        return bool(self._recognizer.AcceptWaveform(pcm))

    def partial(self) -> str:
        return json.loads(self._recognizer.PartialResult()).get("partial", "")

    def result(self) -> list[str]:
        """Hypotheses (best first) for the utterance that just ended (`accept` returned True)."""
        return self._read(self._recognizer.Result())

    def final(self) -> list[str]:
        """Flush and return the hypotheses for what is left (length limit, end of input)."""
        return self._read(self._recognizer.FinalResult())

    def _read(self, result_json: str) -> list[str]:
        result = json.loads(result_json)
        confidences = [w.get("conf", 1.0) for w in result.get("result", ())]
        self.confidence = min(confidences) if confidences else None
        return _hypotheses(result)


DITHER_SEED = 20240611
"""The grammar variant decodes without Kaldi's random dither (see assistant.grammar_cache).
Dither is there for a reason: exact digital silence gives degenerate features, which the
decoder fills with short words. So the same ±1 LSB noise is added here, from a fixed
seed: the benefit of dither, and the same audio still gives the same transcript."""


def _dithered(pcm: bytes, rng) -> bytes:
    import numpy as np

    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.int32)
    noise = rng.integers(-1, 2, len(samples))
    return np.clip(samples + noise, -32768, 32767).astype(np.int16).tobytes()


def _hypotheses(result: dict) -> list[str]:
    texts = (
        [a.get("text", "") for a in result["alternatives"]]
        if "alternatives" in result
        else [result.get("text", "")]
    )
    cleaned = [" ".join(w for w in t.split() if w != "[unk]") for t in texts]
    unique = list(dict.fromkeys(t for t in cleaned if t))
    return unique


def transcribe(
    model: SpeechModel, phrases: list[str] | None, pcm: bytes, word_confidences: bool = False
) -> list[str]:
    """Whole-buffer recognition (hypotheses, best first): used to re-run an utterance in
    free mode (auto mode), by the benchmarks and by tests."""
    transcriber = Transcriber(model, phrases, word_confidences=word_confidences)
    step = 16000  # half a second of int16 audio per call
    segments = []
    for start in range(0, len(pcm), step):
        if transcriber.accept(pcm[start : start + step]):
            segments.append(transcriber.result())
            if word_confidences and segments[-1]:
                return segments[-1]  # a whole sentence ends the command, as in listening
    segments.append(transcriber.final())
    segments = [s for s in segments if s]
    if len(segments) == 1:
        return segments[0]
    # Several segments (a pause inside the command): join the best of each.
    return [" ".join(s[0] for s in segments)] if segments else []
