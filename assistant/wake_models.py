"""openWakeWord's scores, computed with tflite_runtime alone.

openWakeWord chains three kinds of TensorFlow Lite model: a melspectrogram model (audio to
32 mel bins every 10 ms), Google's speech embedding model (76 mel frames to one 96-value
feature vector, every 8 mel frames = 80 ms) and one small classifier per wake word (the
last 16 feature vectors to a score). This module runs the same models the same way, so
the scores equal openWakeWord's, without importing the `openwakeword` package: it pulls in
onnxruntime (whose native module makes telemetry DNS lookups), SciPy and scikit-learn.

It also does less work per 80 ms chunk than openWakeWord 0.6: that keeps the last 10 s of
audio in a deque and turns it into a list on every chunk, and it re-allocates the
melspectrogram model's tensors on every chunk; here only the 1,760 samples the
melspectrogram needs are put together, and tensors are resized only when a size changes.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path
from types import ModuleType

import numpy as np

from assistant.errors import ModelError

log = logging.getLogger(__name__)

CHUNK_SAMPLES = 1280
"""openWakeWord scores audio in 80 ms chunks at 16 kHz; shorter frames are buffered."""
MEL_CONTEXT_SAMPLES = 480
"""Audio before a chunk that its melspectrogram also reads: the model's 25 ms window
(400 samples) at a 10 ms hop (160) yields len/160 - 3 frames, so 480 samples of context
make a 1,280-sample chunk give exactly the 8 new mel frames that follow the previous ones."""
MEL_BINS = 32
EMBEDDING_WINDOW = 76
"""Mel frames per speech embedding (fixed by the embedding model)."""
EMBEDDING_STRIDE = 8
"""Mel frames between two embeddings: one embedding per 80 ms chunk."""
WARM_UP_CALLS = 5
"""The first calls after a start or reset score 0, as in openWakeWord (its context is not
filled with real audio yet)."""
NOISE_SAMPLES = 4 * 16000
NOISE_SEED = 0
"""openWakeWord fills its feature history with embeddings of 4 s of uniform noise in
[-1000, 1000); it draws the noise from NumPy's global generator, we from a fixed seed, so
that a restart or reset always starts from the same state."""

TFLITE_LOG_WARNING = 2
"""tflite::LogSeverity: VERBOSE 0, INFO 1, WARNING 2, ERROR 3, SILENT 4."""
_SET_LOG_SEVERITY = (
    "_ZN6tflite16logging_internal13MinimalLogger21SetMinimumLogSeverityENS_11LogSeverityE"
)


def _tflite() -> ModuleType:
    try:
        import tflite_runtime.interpreter as tflite
    except ImportError:
        raise ModelError(
            "the wake word needs the tflite-runtime package, which is not installed "
            "(it exists for x86_64 and aarch64)"
        ) from None
    return tflite


def hide_tflite_info_messages() -> None:
    """Raise TensorFlow Lite's native log threshold to warnings.

    Its interpreter prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." to
    stderr when it first applies the delegate. tflite_runtime 2.14 ignores
    TF_CPP_MIN_LOG_LEVEL and has no Python switch, but its library exports the setter of
    its minimal logger; warnings and errors still get through. Turning the XNNPACK delegate
    off would hide the line too, at the cost of speed."""
    _tflite()
    from tflite_runtime import _pywrap_tensorflow_interpreter_wrapper as wrapper

    try:
        setter = getattr(ctypes.CDLL(wrapper.__file__), _SET_LOG_SEVERITY)
    except (OSError, AttributeError):  # another build: the line stays, nothing breaks
        log.debug("cannot set TensorFlow Lite's log level in %s", wrapper.__file__)
        return
    setter.argtypes = [ctypes.c_int]
    setter.restype = None
    setter(TFLITE_LOG_WARNING)


class TfliteModel:
    """One TensorFlow Lite model with a single input and output, on one thread.
    `input_shape` replaces the input's stored shape (the melspectrogram model's is [1, 1])."""

    def __init__(self, path: Path, input_shape: tuple[int, ...] | None = None) -> None:
        tflite = _tflite()
        try:
            self._interpreter = tflite.Interpreter(model_path=str(path), num_threads=1)
            if input_shape:
                index = self._interpreter.get_input_details()[0]["index"]
                self._interpreter.resize_tensor_input(index, list(input_shape), strict=True)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as e:  # tflite_runtime's errors for bad files
            raise ModelError(f"cannot load wake word model {path}: {e}") from None
        [given] = self._interpreter.get_input_details()
        [result] = self._interpreter.get_output_details()
        self._input, self._output = given["index"], result["index"]
        self.input_shape: tuple[int, ...] = tuple(int(n) for n in given["shape"])
        self.output_shape: tuple[int, ...] = tuple(int(n) for n in result["shape"])

    def run(self, x: np.ndarray) -> np.ndarray:
        """The output for input `x` (float32), resizing the input tensor if its shape changed."""
        if x.shape != self.input_shape:
            self._interpreter.resize_tensor_input(self._input, list(x.shape), strict=True)
            self._interpreter.allocate_tensors()
            self.input_shape = x.shape
        self._interpreter.set_tensor(self._input, x)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)


class WakeScorer:
    """Audio frames in (int16, any length), one score per wake word out: openWakeWord's
    `Model.predict` on the same models, with its buffering and reset behaviour."""

    def __init__(self, wake_words: dict[str, Path], melspectrogram: Path, embedding: Path) -> None:
        hide_tflite_info_messages()
        self._melspectrogram = TfliteModel(
            melspectrogram, input_shape=(1, MEL_CONTEXT_SAMPLES + CHUNK_SAMPLES)
        )
        self._embedding = TfliteModel(embedding)
        self._classifiers = {name: TfliteModel(path) for name, path in wake_words.items()}
        for name, model in self._classifiers.items():
            if model.output_shape[-1] != 1:
                raise ModelError(f"wake word model {name!r} has several outputs; one is needed")
        self.models: list[str] = list(self._classifiers)
        self._history_length = max(m.input_shape[1] for m in self._classifiers.values())
        self._initial_features = self._noise_features()
        self.reset()

    def reset(self) -> None:
        """Forget all audio, as a freshly loaded openWakeWord model."""
        self._pending = np.empty(0, dtype=np.int16)
        self._context = np.empty(0, dtype=np.int16)
        self._mel = np.ones((EMBEDDING_WINDOW, MEL_BINS), dtype=np.float32)
        self._features = self._initial_features.copy()
        self._calls = 0
        self._last = {name: 0.0 for name in self._classifiers}

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        """Scores (0..1) for a frame; for several 80 ms chunks, the highest of each word.
        A frame that does not complete a chunk repeats the previous scores."""
        if frame.dtype != np.int16:
            raise TypeError(f"wake word audio must be 16-bit PCM (int16), not {frame.dtype}")
        audio = np.concatenate((self._pending, frame)) if len(self._pending) else frame
        whole = len(audio) - len(audio) % CHUNK_SAMPLES
        self._pending = audio[whole:].copy()
        scores = dict(self._last)
        if whole:
            chunk_scores = []
            for embedding in self._embeddings(audio[:whole]):
                self._features = np.concatenate((self._features[1:], embedding[None]))
                chunk_scores.append(self._classify())
            scores = {name: max(s[name] for s in chunk_scores) for name in self._classifiers}
        self._calls += 1
        if self._calls <= WARM_UP_CALLS:
            scores = {name: 0.0 for name in scores}
        self._last = scores
        return scores

    def _classify(self) -> dict[str, float]:
        """Each wake word's score on the newest stretch of features it takes (16 = 1.28 s)."""
        return {
            name: float(model.run(self._features[-model.input_shape[1] :][None]).ravel()[0])
            for name, model in self._classifiers.items()
        }

    def _embeddings(self, chunks: np.ndarray) -> np.ndarray:
        """One embedding per 80 ms chunk of `chunks`, extending the mel history.

        The melspectrogram of all the chunks is taken in one run, as openWakeWord does: the
        model's values for a frame depend slightly on the rest of its input, so the same
        audio cut differently would give other scores."""
        audio = np.concatenate((self._context, chunks))
        self._context = audio[-MEL_CONTEXT_SAMPLES:]
        mel = np.concatenate((self._mel, self._mel_frames(audio)))
        count = len(chunks) // CHUNK_SAMPLES
        ends = [len(mel) - EMBEDDING_STRIDE * back for back in range(count - 1, -1, -1)]
        windows = [mel[end - EMBEDDING_WINDOW : end][None, :, :, None] for end in ends]
        self._mel = mel[-EMBEDDING_WINDOW:]
        return np.stack([self._embedding.run(w).reshape(-1) for w in windows])

    def _mel_frames(self, audio: np.ndarray) -> np.ndarray:
        """Mel frames of int16 audio, scaled as openWakeWord scales them (x / 10 + 2) to
        match the TensorFlow Hub speech embedding model's own front end."""
        mel = self._melspectrogram.run(audio.astype(np.float32)[None])
        return np.squeeze(mel) / 10 + 2

    def _noise_features(self) -> np.ndarray:
        """The starting feature history: embeddings of seeded noise, computed the way
        openWakeWord computes its own (one melspectrogram, one batch of windows)."""
        noise = np.random.RandomState(NOISE_SEED).randint(-1000, 1000, NOISE_SAMPLES)
        mel = self._mel_frames(noise.astype(np.int16))
        windows = np.stack(
            [
                mel[start : start + EMBEDDING_WINDOW]
                for start in range(0, len(mel) - EMBEDDING_WINDOW + 1, EMBEDDING_STRIDE)
            ]
        )
        embeddings = self._embedding.run(windows[..., None])
        features = embeddings.reshape(len(windows), -1)
        return features[-self._history_length :].astype(np.float32)
