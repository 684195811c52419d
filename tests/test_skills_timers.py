"""Timers with real, short durations: they ring once with the alarm sound and the message,
repeat until "stop", can be cancelled, and survive a restart of the assistant."""

from __future__ import annotations

import json
import os
import time

import pytest
from test_skills_support import ask, make_assistant, wait_for_announcement


@pytest.fixture
def assistant(tmp_path):
    a = make_assistant(tmp_path)
    yield a
    a.close()


@pytest.mark.slow
def test_a_named_timer_rings_with_the_alarm_sound_until_stop(assistant):
    assert ask(assistant, "set a pasta timer for 1 second") == "Pasta timer set for 1 second."
    ring = wait_for_announcement(assistant, timeout=4)
    assert ring is not None
    assert ring.text == "Your pasta timer is done."
    assert ring.earcon == "alarm" and ring.repeat
    # It keeps ringing (the pipeline repeats it) until "stop"; the skill announced it once.
    assert assistant.announcements.ringing
    assert assistant.announcements.next() is ring
    assert ask(assistant, "stop") == "Okay, stopped."
    assert not assistant.announcements.ringing
    assert wait_for_announcement(assistant, timeout=1.2) is None
    assert ask(assistant, "how much time is left") == "No timers are running."


@pytest.mark.slow
def test_several_timers_named_or_not_ring_in_order(assistant):
    ask(assistant, "set a tea timer for 2 seconds")
    assert ask(assistant, "set a timer for 1 second") == "Timer set for 1 second."
    left = ask(assistant, "how much time is left")
    assert "Tea timer" in left and "1 second timer" in left
    first = wait_for_announcement(assistant, timeout=4)
    assert first.text == "Your 1 second timer is done."
    assistant.announcements.stop()
    second = wait_for_announcement(assistant, timeout=4)
    assert second.text == "Your tea timer is done."


@pytest.mark.slow
def test_cancel_one_or_all(assistant):
    ask(assistant, "set a pasta timer for 1 second")
    ask(assistant, "set an egg timer for 10 minutes")
    ask(assistant, "set a timer for five minutes")
    assert ask(assistant, "cancel the pasta timer") == "Pasta timer cancelled."
    assert ask(assistant, "cancel the pasta timer") == "There is no pasta timer."
    assert wait_for_announcement(assistant, timeout=1.8) is None
    # Two left and no name: the assistant asks which instead of guessing.
    assert "Say which one" in ask(assistant, "cancel the timer")
    assert "Your egg timer has 9 minutes" in ask(
        assistant, "how much time is left on the egg timer"
    )
    assert ask(assistant, "cancel all timers") == "All 2 timers cancelled."
    assert ask(assistant, "how much time is left") == "No timers are running."


@pytest.mark.slow
def test_a_timer_survives_a_restart_and_rings_after_it(tmp_path):
    first = make_assistant(tmp_path)
    ask(first, "set a rice timer for 2 seconds")
    first.close()
    saved = tmp_path / "skills" / "timers" / "timers.json"
    assert json.loads(saved.read_text())["items"][0]["name"] == "rice"
    assert os.stat(saved).st_mode & 0o777 == 0o600

    second = make_assistant(tmp_path)
    try:
        assert "Your rice timer has" in ask(second, "how much time is left")
        ring = wait_for_announcement(second, timeout=5)
        assert ring.text == "Your rice timer is done." and ring.earcon == "alarm"
    finally:
        second.close()


@pytest.mark.slow
def test_a_timer_that_ended_while_stopped_is_announced_at_start(tmp_path):
    first = make_assistant(tmp_path)
    ask(first, "set a soup timer for 1 second")
    first.close()
    time.sleep(1.3)
    second = make_assistant(tmp_path)
    try:
        item = wait_for_announcement(second, timeout=1)
        assert item.text == "Your soup timer ended while I was off."
        assert item.earcon == "alarm"
        assert ask(second, "how much time is left") == "No timers are running."
    finally:
        second.close()
    third = make_assistant(tmp_path)  # announced once, not again at every start
    try:
        assert wait_for_announcement(third, timeout=0.5) is None
    finally:
        third.close()


@pytest.mark.slow
def test_korean_timer(tmp_path):
    assistant = make_assistant(tmp_path, language="ko")
    try:
        assert ask(assistant, "파스타 타이머 일 초 맞춰 줘") == "파스타 타이머를 1초로 맞췄어요."
        ring = wait_for_announcement(assistant, timeout=4)
        assert ring.text == "파스타 타이머가 끝났어요." and ring.earcon == "alarm"
        assert ask(assistant, "그만") == "알겠어요, 멈췄어요."
        ask(assistant, "라면 타이머 삼 분 맞춰 줘")
        assert ask(assistant, "라면 타이머 남은 시간 알려 줘").startswith("라면 타이머는 ")
        assert ask(assistant, "모든 타이머 취소") == "타이머를 취소했어요."
    finally:
        assistant.close()


def test_an_unreadable_timer_file_does_not_stop_the_assistant(tmp_path):
    folder = tmp_path / "skills" / "timers"
    folder.mkdir(parents=True)
    (folder / "timers.json").write_text("{not json")
    assistant = make_assistant(tmp_path)
    try:
        assert ask(assistant, "how much time is left") == "No timers are running."
        assert ask(assistant, "set a timer for 5 minutes") == "Timer set for 5 minutes."
    finally:
        assistant.close()


DAMAGED_ITEMS = [
    {"at": "soon", "details": {"seconds": 60}, "id": "a"},
    {"at": float("nan"), "details": {"seconds": 60}, "id": "b"},
    {"at": 1e12, "details": {"seconds": 60}, "id": "c", "room": {"kitchen": 1}},
    {"at": 1e12, "details": {"seconds": 60}, "id": "d", "room": "k" * 10_000},
    {"at": 1e12, "details": {"seconds": 60}, "id": "e", "room": "kitchen\n"},
    {"at": 1e12, "details": "sixty", "id": "f"},
    {"at": 1e12, "details": {"seconds": 60}, "id": 7},
    {"at": 1e12, "details": {"seconds": 60}, "id": "g", "extra": True},
    "not an item",
]


def test_damaged_items_are_left_out_and_the_rest_still_ring(tmp_path):
    folder = tmp_path / "skills" / "timers"
    folder.mkdir(parents=True)
    kept = {"at": time.time() + 3600, "details": {"seconds": 3600}, "id": "ok", "room": None}
    missed = {"at": 1.0, "details": {}, "id": "old"}  # a missed timer its skill cannot describe
    items = DAMAGED_ITEMS + [kept, missed]
    (folder / "timers.json").write_text(json.dumps({"items": items}))  # NaN as JSON allows
    assistant = make_assistant(tmp_path)
    try:
        assert ask(assistant, "how much time is left") == "Your 1 hour timer has 1 hour left."
    finally:
        assistant.close()
