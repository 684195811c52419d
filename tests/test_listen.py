"""The parts of command capture that need no recogniser: where speech starts
(`SpeechOnset`) and when a whole sentence followed by a pause ends the command
(`EarlyEnd`). Frames are real 80 ms int16 frames; the sentences are a small real
`SentenceGraph` written out by hand, the same type the grammar compiler produces."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.audio import FRAME_SAMPLES, RATE
from assistant.config import ListenConfig
from assistant.listen import ONSET_MIN_RMS, SETTLE_FRAMES, EarlyEnd, SpeechOnset
from assistant.measure import rms
from assistant.second_opinion import Ahead
from assistant.sentence_graph import Prefix, SentenceGraph

# "지금 몇 시야" (complete: nothing longer starts with it), "다섯" (complete, and the
# start of "다섯 분"), "다섯 분" (complete).
SENTENCES = SentenceGraph(
    start=0,
    transitions={0: {"지금": 1, "다섯": 4}, 1: {"몇": 2}, 2: {"시야": 3}, 4: {"분": 5}},
    finals={3, 4, 5},
)
CONFIG = ListenConfig(early_end_seconds=0.3, early_end_extendable_seconds=0.8)
COMPLETE_PAUSE_FRAMES = 4  # 0.3 s of 80 ms frames, rounded
EXTENDABLE_PAUSE_FRAMES = 10  # 0.8 s of 80 ms frames

QUIET, LOUD = 40.0, 3000.0
"""RMS levels (int16): a quiet room and a voice near the microphone."""


def frame(level: float, seed: int = 0) -> np.ndarray:
    """One 80 ms frame of a 440 Hz tone with a little noise, at about `level` RMS."""
    t = np.arange(FRAME_SAMPLES) / RATE
    noise = np.random.default_rng(seed).normal(0, level * 0.1, FRAME_SAMPLES)
    samples = level * np.sqrt(2) * np.sin(2 * np.pi * 440 * t) + noise
    return np.clip(samples, -32768, 32767).astype(np.int16)


def test_the_graph_says_what_the_tests_rely_on():
    assert SENTENCES.prefix("지금 몇 시야") is Prefix.COMPLETE
    assert SENTENCES.prefix("다섯") is Prefix.EXTENDABLE
    assert SENTENCES.prefix("다섯 분") is Prefix.COMPLETE
    assert SENTENCES.prefix("지금 몇") is Prefix.PARTIAL
    assert SENTENCES.prefix("알람 꺼") is Prefix.NONE
    frame_seconds = FRAME_SAMPLES / RATE
    assert round(CONFIG.early_end_seconds / frame_seconds) == COMPLETE_PAUSE_FRAMES
    assert round(CONFIG.early_end_extendable_seconds / frame_seconds) == EXTENDABLE_PAUSE_FRAMES


# ----- SpeechOnset ----------------------------------------------------------------------


def test_speech_is_detected_at_the_first_loud_frame_after_silence():
    onset = SpeechOnset()
    levels = [QUIET] * 6 + [LOUD, LOUD]
    heard = [onset.is_speech(frame(level, seed)) for seed, level in enumerate(levels)]
    assert heard == [False] * 6 + [True, True]


def test_the_noise_floor_follows_the_quietest_frame_so_far():
    onset = SpeechOnset()
    hum = frame(800, seed=1)
    assert not onset.is_speech(hum)  # the first frame is the floor itself
    assert onset.floor == pytest.approx(rms(hum))
    # Over a loud hum, a voice at 1500 is not four times louder: not speech yet.
    assert not onset.is_speech(frame(1500, seed=2))
    assert onset.floor == pytest.approx(rms(hum))
    # The hum stops; the floor comes down to the quiet room, and the same voice now counts.
    quiet = frame(QUIET, seed=3)
    assert not onset.is_speech(quiet)
    assert onset.floor == pytest.approx(rms(quiet))
    assert onset.is_speech(frame(1500, seed=4))
    # A louder frame never raises the floor.
    assert onset.floor == pytest.approx(rms(quiet))


def test_digital_silence_needs_an_absolute_level_to_count_as_speech():
    onset = SpeechOnset()
    assert not onset.is_speech(np.zeros(FRAME_SAMPLES, np.int16))
    assert onset.floor == 0.0
    assert not onset.is_speech(frame(ONSET_MIN_RMS * 0.75, seed=5))  # a click, a hiss
    assert onset.is_speech(frame(ONSET_MIN_RMS * 2, seed=6))


# ----- EarlyEnd -------------------------------------------------------------------------


def say(early: EarlyEnd, *partials: str) -> list[bool]:
    """Loud frames, the recogniser's partial transcript growing with them."""
    return [early.update(frame(LOUD, seed=10 + i), partial) for i, partial in enumerate(partials)]


def pause(early: EarlyEnd, partial: str, frames: int) -> list[bool]:
    """Quiet frames with the partial transcript unchanged."""
    return [early.update(frame(QUIET, seed=50 + i), partial) for i in range(frames)]


def started(config: ListenConfig = CONFIG) -> EarlyEnd:
    """An EarlyEnd that has heard the room's quiet before the first word."""
    early = EarlyEnd(SENTENCES, config)
    assert pause(early, "", 2) == [False, False]
    return early


def test_a_complete_sentence_ends_after_the_short_pause():
    early = started()
    assert say(early, "지금", "지금 몇", "지금 몇 시야") == [False, False, False]
    ended = pause(early, "지금 몇 시야", COMPLETE_PAUSE_FRAMES + 2)
    assert ended.index(True) == COMPLETE_PAUSE_FRAMES - 1  # on the pause's last frame


def test_a_sentence_that_could_grow_waits_for_the_longer_pause():
    early = started()
    assert say(early, "다섯") == [False]
    ended = pause(early, "다섯", EXTENDABLE_PAUSE_FRAMES + 2)
    assert ended.index(True) == EXTENDABLE_PAUSE_FRAMES - 1


def test_a_partial_that_changes_in_the_pause_must_settle_first():
    early = started()
    say(early, "다섯")
    assert pause(early, "다섯", 3) == [False] * 3
    # The recogniser settles one more word during the quiet: the sentence is now complete
    # and its short pause (counted from the last loud frame) is already over, but the new
    # transcript must stay the same for SETTLE_FRAMES before it is trusted.
    ended = pause(early, "다섯 분", COMPLETE_PAUSE_FRAMES + 2)
    assert ended.index(True) == SETTLE_FRAMES


def test_the_short_pause_counts_from_the_last_loud_frame():
    early = started()
    say(early, "지금 몇")
    assert pause(early, "지금 몇", 1) == [False]
    # The last word arrives one quiet frame late; the pause began with the quiet.
    ended = pause(early, "지금 몇 시야", COMPLETE_PAUSE_FRAMES + 2)
    assert ended.index(True) == COMPLETE_PAUSE_FRAMES - 2


def test_a_loud_frame_in_the_pause_restarts_it():
    early = started()
    say(early, "지금 몇 시야")
    almost = COMPLETE_PAUSE_FRAMES - 1
    assert pause(early, "지금 몇 시야", almost) == [False] * almost
    assert say(early, "지금 몇 시야") == [False]
    ended = pause(early, "지금 몇 시야", COMPLETE_PAUSE_FRAMES + 2)
    assert ended.index(True) == COMPLETE_PAUSE_FRAMES - 1


def test_half_a_sentence_never_ends_early():
    early = started()
    say(early, "지금", "지금 몇")
    assert not any(pause(early, "지금 몇", 40))  # left to the recogniser's own endpoint


def test_words_no_sentence_starts_with_wait_the_longer_pause():
    early = started()
    say(early, "알람 꺼")
    ended = pause(early, "알람 꺼", EXTENDABLE_PAUSE_FRAMES + 2)
    assert ended.index(True) == EXTENDABLE_PAUSE_FRAMES - 1


def test_a_zero_pause_turns_early_end_off():
    early = started(ListenConfig(early_end_seconds=0, early_end_extendable_seconds=0))
    say(early, "지금 몇 시야")
    assert not any(pause(early, "지금 몇 시야", 40))


# ----- The second opinion, asked in the pause ------------------------------------------


def test_the_pause_after_a_whole_sentence_is_when_the_second_opinion_is_asked():
    early = started()
    say(early, "지금", "지금 몇")
    assert not early.pausing_after_sentence()  # half a sentence
    pause(early, "지금 몇", 2)
    assert not early.pausing_after_sentence()  # half a sentence, even in a pause
    say(early, "지금 몇 시야")
    assert not early.pausing_after_sentence()  # still speaking
    pause(early, "지금 몇 시야", 1)
    assert early.pausing_after_sentence()
    loud_before = early.loud_frames
    say(early, "다섯")
    assert early.loud_frames == loud_before + 1  # speech went on: a new request


def test_an_early_second_opinion_counts_only_if_no_speech_came_after_it():
    asked: list[bytes] = []

    def decode(pcm: bytes) -> list[str]:  # stands in for decoding the copies
        asked.append(pcm)
        return [pcm.decode()]

    ahead = Ahead(decode)
    assert ahead.answer(3) is None  # never asked
    ahead.ask(lambda: b"first", 3)
    ahead.ask(lambda: b"first again", 3)  # the same speech: not asked twice
    assert ahead.answer(3) == ["first"] and asked == [b"first"]
    ahead.ask(lambda: b"longer", 5)
    assert ahead.answer(6) is None  # speech went on after it was asked
    assert ahead.answer(5) == ["longer"]


def test_only_one_early_second_opinion_runs_at_a_time():
    import threading

    release = threading.Event()
    asked: list[bytes] = []

    def slow_decode(pcm: bytes) -> list[str]:  # stands in for decoding the copies
        asked.append(pcm)
        release.wait(10)
        return [pcm.decode()]

    ahead = Ahead(slow_decode)
    ahead.ask(lambda: b"first", 1)
    for key in range(2, 30):  # noise in the pause: the speech keeps "going on"
        ahead.ask(lambda: b"more", key)
    [running] = [t for t in threading.enumerate() if t.name == "second-opinion"]
    release.set()
    assert ahead.answer(29) is None  # dropped while busy: the turn decodes after the end
    assert asked == [b"first"]
    running.join(10)  # the first decode ends
    ahead.ask(lambda: b"later", 30)  # no longer busy
    assert ahead.answer(30) == ["later"]


def test_a_failing_early_second_opinion_is_no_answer():
    def decode(pcm: bytes) -> list[str]:
        raise RuntimeError("the decoder failed")

    ahead = Ahead(decode)
    ahead.ask(lambda: b"x", 1)
    assert ahead.answer(1) is None  # the turn then decodes again and sees the error
