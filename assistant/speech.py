"""Text to speech: pyttsx3 driving espeak-ng, text in, audio samples out; and the
short sounds (earcons) played before a reply or on their own.

Playing is the sink's job. Audio is rendered into memory (pyttsx3's espeak driver
accepts any file object), so no audio file is ever written. We never call
pyttsx3's `say()`: on Linux it plays through a shell command.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import wave
from typing import TYPE_CHECKING

from assistant.errors import AssistantError

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# espeak-ng voice ids to prefer per language, best first.
PREFERRED_VOICES = {"en": ("gmw/en-us", "gmw/en", "en-us", "en"), "ko": ("ko",)}


class SpeechError(AssistantError):
    """The speech synthesiser failed or is not installed."""


class Synthesizer:
    """Renders replies with espeak-ng through pyttsx3. Not thread-safe: one owner thread."""

    def __init__(
        self, language: str, voice: str | None = None, rate: int = 165, volume: float = 1.0
    ):
        self.language = language
        self.gain = volume
        self._engine = self._init_engine()
        self._engine.setProperty("voice", voice or self._voice_for(language))
        self._engine.setProperty("rate", rate)
        self._lock = threading.Lock()
        self._render(".")  # loads the voice now, not at the first reply

    @staticmethod
    def _init_engine():
        try:
            import pyttsx3

            return pyttsx3.init("espeak")
        except Exception as e:  # pyttsx3 raises RuntimeError/OSError when libespeak-ng is missing
            raise SpeechError(f"cannot start espeak-ng through pyttsx3: {e}") from None

    def _voice_for(self, language: str) -> str:
        voices = {v.id: v for v in self._engine.getProperty("voices")}
        for candidate in PREFERRED_VOICES.get(language, (language,)):
            if candidate in voices:
                return candidate
        for voice in voices.values():
            if any(str(lang).split("-")[0] == language for lang in voice.languages):
                return voice.id
        raise SpeechError(f"espeak-ng has no voice for language {language!r}")

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """Return (int16 mono samples, sample rate) for `text`, with the volume applied."""
        samples, rate = self._render(text)
        if samples is None:
            # pyttsx3's espeak loop now and then ends before the first utterance of a new
            # engine is rendered (seen about once in eight starts): one retry suffices.
            samples, rate = self._render(text)
        if samples is None:
            raise SpeechError("espeak-ng produced no audio")
        return apply_gain(samples, self.gain), rate

    def _render(self, text: str) -> tuple[np.ndarray | None, int]:
        import numpy as np

        buffer = io.BytesIO()
        with self._lock, contextlib.redirect_stdout(io.StringIO()):
            # The espeak driver prints "Audio saved to ..." on stdout, which is where
            # `--json` output goes: swallow it.
            self._engine.save_to_file(text, buffer)
            self._engine.runAndWait()
        buffer.seek(0)
        try:
            with wave.open(buffer, "rb") as w:
                rate = w.getframerate()
                samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        except (wave.Error, EOFError):
            return None, 0
        return (samples if len(samples) else None), rate


def apply_gain(samples: np.ndarray, gain: float) -> np.ndarray:
    import numpy as np

    if gain == 1.0:
        return samples
    return np.clip(samples.astype(np.float32) * gain, -32768, 32767).astype(np.int16)


EARCON_RATE = 22050
"""Hertz of the earcons as made here."""


def _wake_earcon() -> np.ndarray:
    from assistant.audio import tone

    return tone(880, 0.12, rate=EARCON_RATE)


def _alarm_earcon() -> np.ndarray:
    import numpy as np

    from assistant.audio import tone

    beep, gap = tone(1000, 0.18, EARCON_RATE, level=0.5), tone(0, 0.08, EARCON_RATE)
    return np.concatenate([beep, gap, beep, gap, beep, tone(0, 0.3, EARCON_RATE)])


EARCONS = {"wake": _wake_earcon, "alarm": _alarm_earcon}
"""Name (as a skill's `Reply.earcon` says it) → the sound, at EARCON_RATE."""


def earcon(name: str) -> np.ndarray:
    return EARCONS[name]()


def render_reply(
    synthesizer: Synthesizer, text: str, earcon_name: str | None, gain: float
) -> tuple[np.ndarray, int]:
    """The reply as it is played: its earcon (if it names a known one) then the words,
    at the owner's volume."""
    import numpy as np

    from assistant.audio import resample

    samples, rate = synthesizer.synthesize(text)
    if earcon_name in EARCONS:
        lead = resample(earcon(earcon_name), EARCON_RATE, rate)
        samples = np.concatenate([lead, samples])
    return apply_gain(samples, gain), rate
