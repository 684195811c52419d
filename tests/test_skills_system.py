"""System skill: what can you do, repeat that, stop, volume (kept across restarts) and a
microphone mute that ends by itself; and the arithmetic skill's answers."""

from __future__ import annotations

import pytest
from test_skills_support import ShiftedClock, ask, make_assistant

from assistant.audio import WavFileSink
from assistant.skillkit import Reply


@pytest.fixture
def assistant(tmp_path):
    a = make_assistant(tmp_path)
    yield a
    a.close()


def test_what_can_you_do_lists_every_enabled_skill_with_an_example(assistant):
    reply = ask(assistant, "what can you do")
    for title in ("Timers", "Alarms", "Privacy", "Time and date", "Calculations", "Volume"):
        assert title in reply
    assert "set a pasta timer for ten minutes" in reply
    assert "Your own commands" not in reply  # no commands configured: nothing to offer


def test_what_can_you_do_in_korean(tmp_path):
    assistant = make_assistant(tmp_path, language="ko")
    try:
        reply = ask(assistant, "뭘 할 수 있어")
        assert "타이머" in reply and "알람" in reply and "방금 한 말 지워 줘" in reply
    finally:
        assistant.close()


def test_repeat_that_says_the_last_spoken_reply_again(assistant, tmp_path):
    assert ask(assistant, "repeat that") == "I haven't said anything yet."
    assistant.sink = WavFileSink(tmp_path / "out.wav")
    try:
        assistant.speak(Reply("The pasta needs five more minutes."))
    finally:
        assistant.sink.close()
    assert ask(assistant, "say that again") == "The pasta needs five more minutes."


def test_stop_says_okay_when_nothing_rings(assistant):
    assert ask(assistant, "never mind") == "Okay."
    assistant.announcements.announce("Your tea timer is done.", earcon="alarm", repeat=True)
    assistant.announcements.next()
    assert ask(assistant, "cancel") == "Okay, stopped."
    assert not assistant.announcements.ringing


def test_volume_is_set_stepped_and_remembered(tmp_path):
    first = make_assistant(tmp_path)
    try:
        assert ask(first, "set the volume to 5") == "Volume 5."
        assert ask(first, "volume down") == "Volume 4."
        assert ask(first, "louder") == "Volume 5."
        assert first.controls.gain == 0.5
        assert ask(first, "set volume to ten") == "Volume 10."
        assert ask(first, "volume up") == "The volume is already at its highest."
        assert ask(first, "set volume to three") == "Volume 3."
    finally:
        first.close()
    second = make_assistant(tmp_path)
    try:
        assert second.controls.volume == 3
        assert ask(second, "what is the volume") == "The volume is 3 out of 10."
    finally:
        second.close()


def test_the_microphone_mute_ends_by_itself(tmp_path):
    clock = ShiftedClock()
    assistant = make_assistant(tmp_path, clock=clock)
    try:
        reply = ask(assistant, "mute the microphone for 10 minutes")
        assert reply.startswith("I won't listen for 10 minutes.")
        assert assistant.controls.microphone_muted
        clock.offset += 9 * 60
        assert assistant.controls.microphone_muted
        clock.offset += 61
        assert not assistant.controls.microphone_muted
        ask(assistant, "stop listening")  # no duration: the default ten minutes
        clock.offset += 599
        assert assistant.controls.microphone_muted
    finally:
        assistant.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what is 12 times 7", "12 times 7 is 84."),
        ("what is twelve times seven", "12 times 7 is 84."),
        ("what's 7 divided by 2", "7 divided by 2 is 3.5."),
        ("what is 3 minus 10", "3 minus 10 is -7."),
        ("calculate one hundred plus twenty five", "100 plus 25 is 125."),
        ("what is 5 divided by 0", "I can't divide by zero."),
        ("how many grams in a pound", "1 pound is 453.6 grams."),
        ("convert 20 celsius to fahrenheit", "20 degrees Celsius is 68 degrees Fahrenheit."),
        (
            "convert minus forty degrees fahrenheit to celsius",
            "-40 degrees Fahrenheit is -40 degrees Celsius.",
        ),
        ("how many feet in a mile", "1 mile is 5280 feet."),
        ("what is 2 kilometers in miles", "2 kilometers is 1.243 miles."),
        (
            "convert 3 cups to grams",
            "I can't convert cups to grams: they measure different things.",
        ),
    ],
)
def test_arithmetic_english(assistant, text, expected):
    assert ask(assistant, text) == expected


def test_arithmetic_korean(tmp_path):
    assistant = make_assistant(tmp_path, language="ko")
    try:
        assert ask(assistant, "십이 곱하기 칠 은 얼마") == "12 곱하기 7, 답은 84입니다."
        assert ask(assistant, "일 파운드 는 몇 그램") == "1파운드는 453.6그램입니다."
        assert ask(assistant, "섭씨 백 도 를 화씨로 바꿔 줘") == "섭씨 100도는 화씨 212도입니다."
        assert ask(assistant, "삼 컵 을 밀리리터 로 바꿔 줘") == "3컵은 709.8밀리리터입니다."
    finally:
        assistant.close()
