"""The wake stage: its CPU cost against a bare openWakeWord loop, its scores against
openWakeWord's, and its accuracy.

CPU: `WakeDetector.process` (which runs openWakeWord's tflite models itself, see
assistant/wake_models.py) over the same frames as a bare openWakeWord `Model.predict` loop
on the same model files, the two interleaved repeat by repeat (median of N each), so
machine noise hits both alike. Scores: the assistant's scorer and openWakeWord frame by
frame on the same audio, the largest difference. Accuracy: detections on generated "hey
jarvis" clips in several voices, speeds and noise levels, and false wakes on a long stream
of talk without it.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from bench.common import (
    FRAME,
    RATE,
    WAKE_WORDS,
    Context,
    Row,
    Section,
    frames,
    load_config,
    median,
    read_wav,
    write_config,
    write_wav,
)
from bench.corpus import WakeClip, speech_without_wake_word, wake_word_stream

CPU_GOAL = 0.8
"""openWakeWord turns its 10 s audio buffer into a list and re-allocates the melspectrogram
model's tensors on every 80 ms frame; the assistant's scorer does neither."""
SCORE_TOLERANCE = 1e-5
SCORED_POSITIVES = 16
BLOCK_FRAMES = 25
"""Two seconds of audio per turn when the two loops alternate."""
WARM_UP_SECONDS = 10.0
"""openWakeWord keeps 10 s of raw audio and copies it on every frame: time the steady state."""


def _models_dir() -> Path:
    import pyopen_wakeword

    return Path(pyopen_wakeword.__file__).parent / "models"


def _bare_model(words: int):
    """openWakeWord alone, on the model files the pyopen-wakeword package carries."""
    from openwakeword.model import Model

    from assistant.wake_models import NOISE_SEED

    models = _models_dir()
    np.random.seed(NOISE_SEED)  # its starting features: the same noise as the assistant's
    return Model(
        wakeword_models=[str(models / f"{w}.tflite") for w in WAKE_WORDS[:words]],
        inference_framework="tflite",
        melspec_model_path=str(models / "melspectrogram.tflite"),
        embedding_model_path=str(models / "embedding_model.tflite"),
    )


def _detector(ctx: Context, words: int):
    from assistant.wake import WakeDetector

    return WakeDetector(load_config(write_config(ctx.scratch(f"wake-{words}"), words=words)))


def _run_frames(step, chunks: list[np.ndarray]) -> float:
    """CPU seconds of this process spent feeding `chunks` to `step`."""
    started = time.process_time()
    for chunk in chunks:
        step(chunk)
    return time.process_time() - started


def _interleaved(first, second, chunks: list[np.ndarray]) -> tuple[float, float]:
    """CPU seconds per audio second of two loops over the same audio, taken block by block
    in alternating order, so a burst of load from elsewhere on the machine hits both."""
    spent = [0.0, 0.0]
    steps = [first, second]
    for n, start in enumerate(range(0, len(chunks), BLOCK_FRAMES)):
        block = chunks[start : start + BLOCK_FRAMES]
        for which in (0, 1) if n % 2 == 0 else (1, 0):
            spent[which] += _run_frames(steps[which], block)
    seconds = len(chunks) * FRAME / RATE
    return spent[0] / seconds, spent[1] / seconds


def wake_cpu(ctx: Context) -> Section:
    section = Section("wake_cpu", "Wake stage CPU (CPU seconds per second of audio)")
    audio = speech_without_wake_word(ctx.speech, WARM_UP_SECONDS + ctx.scale.wake_cpu_audio_seconds)
    chunks = list(frames(audio))
    warm_up, chunks = (
        chunks[: int(WARM_UP_SECONDS * RATE / FRAME)],
        chunks[int(WARM_UP_SECONDS * RATE / FRAME) :],
    )
    section.notes.append(
        f"{len(chunks) * FRAME / RATE:.0f} s of generated talk "
        f"after {WARM_UP_SECONDS:.0f} s of warm-up, "
        f"{ctx.scale.wake_cpu_repeats} repeats, median; the two loops alternate every "
        f"{BLOCK_FRAMES * FRAME / RATE:g} s of audio; CPU time of the whole process (all threads) "
        "by time.process_time()."
    )
    for words in ctx.scale.wake_word_counts:
        detector, bare = _detector(ctx, words), _bare_model(words)
        assistant_runs, bare_runs = [], []
        for _ in range(ctx.scale.wake_cpu_repeats):
            bare.reset()
            detector.reset()
            _run_frames(bare.predict, warm_up)
            _run_frames(detector.process, warm_up)
            assistant_cpu, bare_cpu = _interleaved(detector.process, bare.predict, chunks)
            assistant_runs.append(assistant_cpu)
            bare_runs.append(bare_cpu)
        value, baseline = median(assistant_runs), median(bare_runs)
        section.add(
            "WakeDetector.process",
            value,
            "CPU s / audio s",
            f"{words} wake word{'s' * (words > 1)}",
            baseline,
            "bare openWakeWord predict loop",
            f"<= {CPU_GOAL}x",
            value / baseline <= CPU_GOAL,
        )
        section.details[f"{words}_words"] = {"assistant": assistant_runs, "bare": bare_runs}
    section.rows.append(_noise_floor(chunks, warm_up, ctx.scale.wake_cpu_repeats))
    positives, _ = wake_word_stream(ctx.speech, min(ctx.scale.wake_positives, SCORED_POSITIVES))
    section.rows.append(
        _score_difference([*frames(positives), *chunks], max(ctx.scale.wake_word_counts))
    )
    section.notes.append(
        "Score difference: the assistant's scorer and openWakeWord on the same frames "
        f'(up to {SCORED_POSITIVES} "hey jarvis" clips, then the talk above), from the same '
        "seeded starting state."
    )
    return section


def _score_difference(chunks: list[np.ndarray], words: int) -> Row:
    """The largest difference between the assistant's scores and openWakeWord's, frame by
    frame over the same audio, for every wake word."""
    from assistant.wake_models import WakeScorer

    models = _models_dir()
    bare = _bare_model(words)
    ours = WakeScorer(
        {w: models / f"{w}.tflite" for w in WAKE_WORDS[:words]},
        models / "melspectrogram.tflite",
        models / "embedding_model.tflite",
    )
    worst, highest = 0.0, 0.0
    for chunk in chunks:
        expected, got = bare.predict(chunk), ours.predict(chunk)
        worst = max(worst, *(abs(float(expected[w]) - got[w]) for w in got))
        highest = max(highest, *got.values())
    return Row(
        "largest score difference from openWakeWord",
        worst,
        "score (0..1)",
        f"{words} wake word{'s' * (words > 1)}, {len(chunks)} frames, top score {highest:.2f}",
        goal=f"<= {SCORE_TOLERANCE:g}",
        met=worst <= SCORE_TOLERANCE,
    )


def _noise_floor(chunks: list[np.ndarray], warm_up: list[np.ndarray], repeats: int) -> Row:
    """Two identical bare loops measured the same way: how far apart timing alone puts them."""
    first, second = _bare_model(1), _bare_model(1)
    first_runs, second_runs = [], []
    for _ in range(repeats):
        first.reset()
        second.reset()
        _run_frames(first.predict, warm_up)
        _run_frames(second.predict, warm_up)
        a, b = _interleaved(first.predict, second.predict, chunks)
        first_runs.append(a)
        second_runs.append(b)
    return Row(
        "second bare loop (noise floor of this comparison)",
        median(first_runs),
        "CPU s / audio s",
        "1 wake word",
        median(second_runs),
        "bare openWakeWord predict loop",
    )


# --- accuracy -------------------------------------------------------------------------------


def _detect_stream(config_path: str, stream_path: str) -> list[tuple[int, str, float]]:
    """(sample, wake word, score) of every detection in a WAV stream (a worker process)."""
    from assistant import config
    from assistant.wake import WakeDetector

    detector = WakeDetector(config.load(config_path))
    found = []
    for i, chunk in enumerate(frames(read_wav(Path(stream_path)))):
        hit = detector.process(chunk)
        if hit:
            found.append((i * FRAME, hit.wake_word, hit.score))
    return found


def _score_positives(clips: list[WakeClip], found: list[tuple[int, str, float]]) -> list[bool]:
    """A clip counts as heard when "hey jarvis" fires inside its window (or just after it)."""
    grace = int(0.5 * RATE)
    hits = [s for s, word, _ in found if word == "hey_jarvis"]
    return [any(c.start <= s < c.end + grace for s in hits) for c in clips]


def wake_accuracy(ctx: Context) -> Section:
    section = Section("wake_accuracy", "Wake word accuracy")
    scale = ctx.scale
    work = ctx.scratch("wake-accuracy")
    positives, clips = wake_word_stream(ctx.speech, scale.wake_positives)
    negatives = speech_without_wake_word(ctx.speech, scale.wake_negative_seconds)
    positive_path = write_wav(work / "positives.wav", positives)
    negative_path = write_wav(work / "negatives.wav", negatives)
    hours = len(negatives) / RATE / 3600
    section.notes.append(
        f'{len(clips)} positive clips of "hey jarvis" (voices x speeds x clean/20/10/5 dB white '
        f"noise, {len(positives) / RATE:.0f} s); {len(negatives) / RATE / 60:.1f} min of generated "
        "English talk with no wake word. Each configuration runs in its own process "
        "(two at a time)."
    )
    jobs = {}
    with ProcessPoolExecutor(max_workers=2) as pool:
        for words in scale.wake_word_counts:
            config = str(write_config(ctx.scratch(f"wake-{words}"), words=words))
            jobs[words] = (
                pool.submit(_detect_stream, config, str(positive_path)),
                pool.submit(_detect_stream, config, str(negative_path)),
            )
        for words, (positive_job, negative_job) in jobs.items():
            heard = _score_positives(clips, positive_job.result())
            false_wakes = negative_job.result()
            case = f"{words} wake word{'s' * (words > 1)}"
            section.add("positive clips detected", 100 * sum(heard) / len(heard), "%", case)
            section.add("false wakes per hour of talk", len(false_wakes) / hours, "per hour", case)
            section.details[f"{words}_words"] = {
                "detected": sum(heard),
                "clips": len(heard),
                "by_snr": _rate_by(
                    clips, heard, lambda c: "clean" if c.snr_db is None else f"{c.snr_db:g} dB"
                ),
                "by_voice": _rate_by(clips, heard, lambda c: c.voice),
                "by_speed": _rate_by(clips, heard, lambda c: str(c.speed)),
                "false_wakes": [
                    {"at_seconds": round(s / RATE, 2), "word": w, "score": round(p, 3)}
                    for s, w, p in false_wakes
                ],
                "negative_hours": round(hours, 3),
            }
    first = section.details[f"{scale.wake_word_counts[0]}_words"]
    section.notes.append(
        "Detected by noise level: "
        + ", ".join(f"{k} {v}" for k, v in first["by_snr"].items())
        + f" ({scale.wake_word_counts[0]} wake word)."
    )
    return section


def _rate_by(clips: list[WakeClip], heard: list[bool], key) -> dict[str, str]:
    groups: dict[str, list[bool]] = {}
    for clip, ok in zip(clips, heard, strict=True):
        groups.setdefault(key(clip), []).append(ok)
    return {name: f"{sum(v)}/{len(v)}" for name, v in groups.items()}
