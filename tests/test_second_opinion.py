"""The second opinion's copies of the audio: their length, and that a copy still sounds
like the original (the same tone, moved in pitch as on a tape)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.second_opinion import stretched

RATE = 16000


def tone(frequency: float, seconds: float) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (8000 * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def loudest_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[np.argmax(spectrum)])


@pytest.mark.parametrize("length", [0.9, 1.1])
def test_a_copy_is_longer_or_shorter_and_its_pitch_moves_with_it(length):
    original = tone(440.0, 1.0)
    copy = np.frombuffer(stretched(original.tobytes(), length), dtype=np.int16)
    assert len(copy) == int(len(original) * length)
    assert loudest_frequency(copy) == pytest.approx(440.0 / length, rel=0.01)
    assert np.abs(copy).max() <= 8001  # interpolation adds no clipping or overshoot


@pytest.mark.parametrize("pcm", [b"", b"\x01\x00", b"\x01\x00\x02"])
def test_too_little_or_odd_audio_comes_back_as_it_was(pcm):
    assert stretched(pcm, 0.9) == pcm


@pytest.mark.parametrize("length", [0.0, -1.0, float("nan"), float("inf")])
def test_a_nonsense_length_leaves_the_audio_alone(length):
    pcm = tone(440.0, 0.1).tobytes()
    assert stretched(pcm, length) == pcm
