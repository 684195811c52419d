"""The clock skill: the time is shown as "11:22 AM" and said in words espeak-ng reads
naturally; the date and the weekday come from the language files."""

from __future__ import annotations

from datetime import datetime

import pytest
from test_skills_support import FixedClock, make_assistant


def ask_at(tmp_path, moment: datetime, text: str, language: str = "en"):
    assistant = make_assistant(tmp_path, language=language, clock=FixedClock(moment.astimezone()))
    try:
        return assistant.ask(text, record=False)[1]
    finally:
        assistant.close()


@pytest.mark.parametrize(
    ("hour", "minute", "shown", "spoken"),
    [
        (11, 22, "It's 11:22 AM.", "It's 11:22 AM."),
        (19, 5, "It's 7:05 PM.", "It's 7 oh 5 PM."),  # espeak-ng reads "7:05" as "seven zero five"
        (0, 0, "It's 12 AM.", "It's 12 AM."),
        (12, 30, "It's 12:30 PM.", "It's 12:30 PM."),
    ],
)
def test_the_time_is_shown_with_a_colon_and_said_naturally(tmp_path, hour, minute, shown, spoken):
    reply = ask_at(tmp_path, datetime(2030, 5, 10, hour, minute), "what time is it")
    assert reply.text == shown
    assert reply.spoken == spoken


def test_korean_time_date_and_weekday(tmp_path):
    moment = datetime(2030, 5, 10, 23, 7)  # a Friday
    assert ask_at(tmp_path, moment, "지금 몇 시야", "ko").text == "지금은 오후 11시 7분입니다."
    assert (
        ask_at(tmp_path, moment, "오늘 며칠", "ko").text == "오늘은 2030년 5월 10일 금요일입니다."
    )
    assert ask_at(tmp_path, moment, "오늘 무슨 요일", "ko").text == "오늘은 금요일입니다."


def test_english_date_and_weekday(tmp_path):
    moment = datetime(2030, 5, 10, 8, 0)
    assert ask_at(tmp_path, moment, "what's the date").text == "Today is Friday, May 10, 2030."
    assert ask_at(tmp_path, moment, "what day is it").text == "Today is Friday."
