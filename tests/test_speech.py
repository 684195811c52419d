"""Speech: espeak-ng through pyttsx3 renders replies in memory, at the configured and the
owner's volume, with the earcon a reply names played first."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.audio import resample
from assistant.measure import rms
from assistant.speech import (
    EARCON_RATE,
    EARCONS,
    SpeechError,
    Synthesizer,
    apply_gain,
    earcon,
    render_reply,
)


@pytest.fixture(scope="module")
def synthesizer() -> Synthesizer:
    # One per module: pyttsx3 shares one espeak-ng engine between live synthesizers.
    return Synthesizer("en")


def test_a_reply_is_rendered_as_speech_in_memory(synthesizer, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    samples, rate = synthesizer.synthesize("The pasta timer is done.")
    assert samples.dtype == np.int16 and rate > 8000
    assert len(samples) / rate > 1.0  # a sentence, not a click
    assert rms(samples) > 500
    assert list(tmp_path.iterdir()) == []  # nothing was written to a file


def test_a_language_espeak_ng_has_no_voice_for_is_a_clear_error():
    with pytest.raises(SpeechError, match="no voice for language 'zz'"):
        Synthesizer("zz")


def test_gain_scales_and_clips_nothing():
    loud = np.array([32767, -32768, 1000, -1000], dtype=np.int16)
    assert apply_gain(loud, 1.0) is loud
    assert apply_gain(loud, 0.5).tolist() == [16383, -16384, 500, -500]
    assert apply_gain(loud, 0.0).tolist() == [0, 0, 0, 0]


def test_the_owners_volume_scales_the_rendered_reply(synthesizer):
    full, _ = render_reply(synthesizer, "Volume test.", None, 1.0)
    half, _ = render_reply(synthesizer, "Volume test.", None, 0.5)
    # espeak-ng's renderings of one sentence differ by a few samples in length.
    assert len(half) == pytest.approx(len(full), rel=0.01)
    assert rms(half) == pytest.approx(rms(full) / 2, rel=0.03)


def test_the_alarm_earcon_is_played_before_the_words(synthesizer):
    words, rate = render_reply(synthesizer, "Your alarm.", None, 1.0)
    ringing, same_rate = render_reply(synthesizer, "Your alarm.", "alarm", 1.0)
    lead = resample(earcon("alarm"), EARCON_RATE, rate)
    assert same_rate == rate
    assert np.array_equal(ringing[: len(lead)], lead)
    assert len(ringing) - len(lead) == pytest.approx(len(words), rel=0.01)
    unknown, _ = render_reply(synthesizer, "Your alarm.", "trumpet", 1.0)
    assert len(unknown) == pytest.approx(len(words), rel=0.01)  # an unknown name adds nothing
    assert not np.array_equal(unknown[: len(lead)], lead)


@pytest.mark.parametrize("name", sorted(EARCONS))
def test_earcons_are_short_audible_tones(name):
    sound = earcon(name)
    assert sound.dtype == np.int16
    assert 0.05 < len(sound) / EARCON_RATE < 2.0
    assert rms(sound) > 1000


def test_korean_has_its_own_voice():
    # Last: a second synthesizer sets the voice of the engine the module's one shares.
    samples, rate = Synthesizer("ko").synthesize("지금은 오후 세 시예요.")
    assert len(samples) / rate > 1.0 and rms(samples) > 500
