"""openWakeWord's real pretrained models through the assistant's wake stage, and its scores
against openWakeWord's own."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import run_cli, silence, write_wav

from assistant.audio import FRAME_SAMPLES
from assistant.config import Config, parse
from assistant.errors import ModelError
from assistant.wake import WakeDetector, find_model
from assistant.wake_models import NOISE_SEED, WakeScorer


@pytest.fixture
def detector():
    # Fresh per test: loading takes ~0.1 s and a used detector carries a refractory period.
    return WakeDetector(Config())


def detections(detector, samples, pad=True):
    padded = np.concatenate([silence(0.5), samples, silence(1.0)]) if pad else samples
    found = []
    for start in range(0, len(padded) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        hit = detector.process(padded[start : start + FRAME_SAMPLES])
        if hit:
            found.append(hit)
    return found


@pytest.mark.parametrize(
    "voice,speed",
    [("en-us", 175), ("en-us", 140), ("en-gb", 160), ("en-us+f3", 175), ("en-gb-x-rp", 150)],
)
def test_hey_jarvis_is_detected_once(detector, say, voice, speed):
    found = detections(detector, say("hey jarvis", voice, speed))
    assert len(found) == 1, found
    assert found[0].wake_word == "hey_jarvis"
    assert found[0].score >= 0.5


@pytest.mark.parametrize(
    "text", ["what time is it", "turn on the kitchen lights", "jars of jam", "hey there"]
)
def test_other_speech_does_not_wake(detector, say, text):
    assert detections(detector, say(text)) == []


def test_silence_and_noise_do_not_wake(detector):
    rng = np.random.default_rng(7)
    noise = (rng.normal(0, 3000, 16000 * 5)).astype(np.int16)
    assert detections(detector, silence(5)) == []
    assert detections(detector, noise) == []


def test_two_wake_words_report_which_one_was_said(say):
    detector = WakeDetector(parse({"wake": {"words": ["hey_jarvis", "alexa"]}}))
    found = detections(detector, say("alexa"))
    assert [d.wake_word for d in found] == ["alexa"]


def test_unknown_wake_word_lists_what_is_available():
    with pytest.raises(ModelError) as error:
        find_model("hey_kitchen", Config())
    assert "hey_jarvis" in str(error.value) and "hey_kitchen" in str(error.value)


def test_model_dir_is_searched_first(tmp_path):
    own = tmp_path / "hey_jarvis.tflite"
    own.write_bytes(b"not really a model")
    config = parse({"wake": {"model_dir": str(tmp_path)}})
    assert find_model("hey_jarvis", config) == own
    with pytest.raises(ModelError):
        WakeDetector(config)


def test_a_quiet_room_stops_the_models_and_the_wake_word_still_wakes_them(detector, say):
    runs = []
    predict = detector._model.predict
    detector._model.predict = lambda frame: runs.append(1) or predict(frame)
    assert detections(detector, silence(10)) == []
    assert len(runs) < 20  # about the first second only: 10 s of silence cost almost nothing
    found = detections(detector, np.concatenate([silence(10), say("hey jarvis")]))
    assert [d.wake_word for d in found] == ["hey_jarvis"]


def test_steady_noise_lets_the_models_sleep_but_speech_over_it_wakes_them(detector, say):
    rng = np.random.default_rng(3)
    speech = say("hey jarvis").astype(np.float64)
    noise_rms = np.sqrt(np.mean(speech**2)) / 10 ** (15 / 20)  # 15 dB below the speech
    hum = rng.normal(0, noise_rms, 16000 * 14)
    runs = []
    predict = detector._model.predict
    detector._model.predict = lambda frame: runs.append(1) or predict(frame)
    # A microphone never gives digital silence: the hum is there from the first frame.
    assert detections(detector, hum.astype(np.int16), pad=False) == []
    assert len(runs) < 30  # 14 s of hum, models asleep after about a second
    mixed = hum.copy()
    mixed[16000 * 12 : 16000 * 12 + len(speech)] += speech
    found = detections(detector, np.clip(mixed, -32768, 32767).astype(np.int16), pad=False)
    assert [d.wake_word for d in found] == ["hey_jarvis"]


# --- the same scores as openWakeWord ---------------------------------------------------------


def _reference_model(words):
    """openWakeWord itself (a test-only dependency) on the same model files."""
    from openwakeword.model import Model

    models = find_model("melspectrogram", Config()).parent
    np.random.seed(NOISE_SEED)  # its starting features come from NumPy's global generator
    return Model(
        wakeword_models=[str(models / f"{w}.tflite") for w in words],
        inference_framework="tflite",
        melspec_model_path=str(models / "melspectrogram.tflite"),
        embedding_model_path=str(models / "embedding_model.tflite"),
    )


@pytest.fixture(scope="module")
def parity_audio(say):
    """Wake words in several voices, talk without one, silence and a reset in between."""
    first = np.concatenate(
        [
            silence(0.5),
            say("hey jarvis", "en-us"),
            silence(1.0),
            say("what time is it", "en-gb"),
            say("hey jarvis", "en-gb", 150),
            silence(0.7),
            say("turn on the kitchen lights", "en-us+f3"),
        ]
    )
    second = np.concatenate(
        [say("hey jarvis", "en-us+f3"), silence(2.0), say("alexa", "en-gb-x-rp"), silence(1.0)]
    )
    return first, second


@pytest.mark.slow
@pytest.mark.parametrize("frame_samples", [FRAME_SAMPLES, 1000, 2 * FRAME_SAMPLES + 400])
def test_scores_equal_openwakewords_frame_by_frame(parity_audio, frame_samples):
    words = ["hey_jarvis", "alexa"]
    reference = _reference_model(words)
    models = find_model("melspectrogram", Config()).parent
    ours = WakeScorer(
        {w: models / f"{w}.tflite" for w in words},
        models / "melspectrogram.tflite",
        models / "embedding_model.tflite",
    )
    compared, worst, highest = 0, 0.0, dict.fromkeys(words, 0.0)
    for n, audio in enumerate(parity_audio):
        if n:  # after a reset both start again from their (seeded) starting features
            np.random.seed(NOISE_SEED)
            reference.reset()
            ours.reset()
        for start in range(0, len(audio) - frame_samples + 1, frame_samples):
            frame = audio[start : start + frame_samples]
            expected, got = reference.predict(frame), ours.predict(frame)
            assert set(got) == set(expected)
            for word in words:
                worst = max(worst, abs(float(expected[word]) - got[word]))
                highest[word] = max(highest[word], got[word])
            compared += frame_samples
    assert worst <= 1e-5, worst
    assert compared > 10 * 16000  # seconds of audio, frame by frame
    # The comparison covered real detections, not only near-zero scores.
    assert highest["hey_jarvis"] > 0.9 and highest["alexa"] > 0.5, highest


def test_onnx_models_are_refused_with_a_clear_message(tmp_path):
    model = tmp_path / "hey_jarvis.onnx"
    model.write_bytes(b"onnx")
    with pytest.raises(ModelError, match=r"only \.tflite"):
        find_model(str(model), Config())


def test_audio_that_is_not_16_bit_is_refused(detector):
    with pytest.raises(TypeError, match="int16"):
        detector._model.predict(np.zeros(FRAME_SAMPLES, dtype=np.float32))


# --- TensorFlow Lite's own stderr line ----------------------------------------------------------

XNNPACK_LINE = "Created TensorFlow Lite XNNPACK delegate"
BARE_INTERPRETER = """
import sys
import tflite_runtime.interpreter as tflite
interpreter = tflite.Interpreter(model_path=sys.argv[1], num_threads=1)
interpreter.allocate_tensors()
"""


@pytest.mark.slow
def test_tflite_prints_its_delegate_line_unless_told_otherwise():
    """The control for the test below: the native library does print the line."""
    model = find_model("hey_jarvis", Config())
    result = subprocess.run(
        [sys.executable, "-c", BARE_INTERPRETER, str(model)], capture_output=True, text=True
    )
    assert XNNPACK_LINE in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "command,wake_word_ran",
    [
        (["run", "--json", "--input"], '"wake_word": "hey_jarvis"'),
        (["doctor"], "wake word: loaded and running"),
    ],
)
def test_commands_that_load_the_wake_word_print_no_tflite_line(
    tmp_path, ko_config, command_clip, command, wake_word_ran
):
    if "--input" in command:
        command = [*command, str(write_wav(tmp_path / "in.wav", command_clip("지금 몇 시야")))]
    result = run_cli("--config", str(ko_config), *command)
    output = result.stdout + result.stderr
    assert wake_word_ran in output, output
    assert XNNPACK_LINE not in output
    assert "Traceback" not in output
