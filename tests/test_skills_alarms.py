"""Alarms: which moment a spoken time means, and real ringing about a second after setting,
with the clock shifted so that the next minute is a second away."""

from __future__ import annotations

import math
import sys
import time
from datetime import datetime, timedelta

import pytest
from test_skills_support import (
    FixedClock,
    ShiftedClock,
    ask,
    make_assistant,
    wait_for_announcement,
)

from assistant.skillkit import builtin_skills_dir
from assistant.skillkit.loading import import_skill_class

# The module as the assistant loads it (one name, one copy), not as `skills.alarms`.
_alarms = sys.modules[import_skill_class("alarms", builtin_skills_dir() / "alarms").__module__]
resolve, say_time = _alarms.resolve, _alarms.say_time

EVENING = datetime(2030, 5, 10, 20, 15).astimezone()
MORNING = datetime(2030, 5, 10, 6, 0).astimezone()


@pytest.mark.parametrize(
    ("now", "hour", "minute", "ampm", "day", "expected"),
    [
        (EVENING, 7, 0, "am", None, datetime(2030, 5, 11, 7, 0)),  # 7 am: tomorrow morning
        (MORNING, 7, 0, "am", None, datetime(2030, 5, 10, 7, 0)),  # later this morning
        (EVENING, 6, 30, None, "tomorrow", datetime(2030, 5, 11, 6, 30)),
        (EVENING, 9, 0, None, None, datetime(2030, 5, 10, 21, 0)),  # "nine" at 8 pm: 9 pm
        (MORNING, 9, 0, None, None, datetime(2030, 5, 10, 9, 0)),
        (EVENING, 12, 0, "am", None, datetime(2030, 5, 11, 0, 0)),  # midnight
        (EVENING, 18, 45, None, None, datetime(2030, 5, 11, 18, 45)),
        (EVENING, 8, 0, "pm", "today", None),  # already passed today
    ],
)
def test_resolve(now, hour, minute, ampm, day, expected):
    moment = resolve(now, hour, minute, ampm, day)
    assert (moment.replace(tzinfo=None) if moment else None) == expected


def test_say_time():
    assert say_time(6, 30, "en") == "6:30 AM"
    assert say_time(19, 0, "en") == "7 PM"
    assert say_time(0, 5, "ko") == "오전 12시 5분"


def _clock_one_second_before_a_minute() -> tuple[ShiftedClock, datetime]:
    """A clock that reads hh:mm:59 now; returns it and the minute about to begin."""
    now = time.time()
    next_minute = math.ceil((now + 1) / 60) * 60
    clock = ShiftedClock(offset=next_minute - 1.0 - now)
    return clock, datetime.fromtimestamp(next_minute).astimezone()


@pytest.mark.slow
def test_an_alarm_rings_with_the_alarm_sound_and_stop_silences_it(tmp_path):
    clock, due = _clock_one_second_before_a_minute()
    assistant = make_assistant(tmp_path, clock=clock)
    try:
        hour12 = due.hour % 12 or 12
        ampm = "am" if due.hour < 12 else "pm"
        reply = ask(assistant, f"wake me up at {hour12}:{due.minute:02d} {ampm}")
        assert reply.startswith("Alarm set for ")
        assert "today" in reply or "tomorrow" in reply
        ring = wait_for_announcement(assistant, timeout=4)
        assert ring is not None and ring.earcon == "alarm" and ring.repeat
        assert ring.text == f"It's {say_time(due.hour, due.minute, 'en')}. This is your alarm."
        assert ask(assistant, "turn off the alarm") == "Okay, stopped."
        assert not assistant.announcements.ringing
        assert ask(assistant, "list my alarms") == "You have no alarms."
    finally:
        assistant.close()


def test_list_cancel_and_keep_across_a_restart(tmp_path):
    first = make_assistant(tmp_path)
    assert ask(first, "set an alarm for 6:30 tomorrow").startswith("Alarm set for 6:30 AM")
    ask(first, "wake me up at 7 pm tomorrow")
    first.close()
    second = make_assistant(tmp_path)
    try:
        listing = ask(second, "what alarms do i have")
        assert (
            listing.startswith("You have 2 alarms:") and "6:30 AM" in listing and "7 PM" in listing
        )
        assert ask(second, "cancel the alarm for 7 pm").startswith("Alarm for 7 PM")
        assert ask(second, "when is my alarm").startswith("You have an alarm for 6:30 AM")
        assert ask(second, "cancel all alarms").startswith("Alarm for 6:30 AM")
        assert ask(second, "list my alarms") == "You have no alarms."
    finally:
        second.close()


def test_an_alarm_missed_while_stopped_rings_if_recent_and_is_mentioned_if_old(tmp_path):
    clock = ShiftedClock()
    first = make_assistant(tmp_path, clock=clock)
    due = clock.now() + timedelta(hours=1)
    ask(first, f"set an alarm for {due.hour}:{due.minute:02d} today" if due.day == clock.now().day
        else f"set an alarm for {due.hour}:{due.minute:02d} tomorrow")  # fmt: skip
    first.close()

    clock.offset += 3600 + 600  # the service comes back ten minutes after the alarm time
    second = make_assistant(tmp_path, clock=clock)
    try:
        ring = wait_for_announcement(second, timeout=1)
        assert ring.repeat and ring.earcon == "alarm" and "I was off when it was due" in ring.text
    finally:
        second.close()

    ask_again = make_assistant(tmp_path, clock=clock)
    due = clock.now() + timedelta(minutes=5)
    day = "today" if due.day == clock.now().day else "tomorrow"
    ask(ask_again, f"set an alarm for {due.hour}:{due.minute:02d} {day}")
    ask_again.close()
    clock.offset += 5 * 3600  # hours late: only mentioned, once
    third = make_assistant(tmp_path, clock=clock)
    try:
        item = wait_for_announcement(third, timeout=1)
        assert not item.repeat and "did not ring" in item.text
    finally:
        third.close()


def test_korean_alarm(tmp_path):
    assistant = make_assistant(tmp_path, language="ko")
    try:
        assert ask(assistant, "내일 오전 일곱 시 에 깨워 줘") == "내일 오전 7시로 알람을 맞췄어요."
        assert (
            ask(assistant, "내일 여섯 시 반 에 알람 맞춰 줘")
            == "내일 오전 6시 30분으로 알람을 맞췄어요."
        )
        assert ask(assistant, "알람 목록 알려 줘").startswith("알람이 2개 있어요")
        assert ask(assistant, "모든 알람 취소") == "알람 2개를 모두 취소했어요."
    finally:
        assistant.close()


# ----- what a spoken time means, at several times of day ------------------------------


@pytest.fixture(scope="module")
def at_time(tmp_path_factory):
    """at_time(moment, text, language) → the reply, from one assistant per language whose
    clock is set to `moment` (alarms are cancelled after each answer)."""
    made = {}

    def set_at(moment: datetime, text: str, language: str = "en") -> str:
        if language not in made:
            clock = FixedClock(moment.astimezone())
            made[language] = (make_assistant(tmp_path_factory.mktemp(language),
                                             language=language, clock=clock), clock)  # fmt: skip
        assistant, clock = made[language]
        clock.moment = moment.astimezone()
        try:
            return ask(assistant, text)
        finally:
            assistant.skills["alarms"].store.remove(assistant.skills["alarms"].store.items())

    yield set_at
    for assistant, _ in made.values():
        assistant.close()


LATE_MORNING = datetime(2030, 5, 10, 11, 34)
EARLY_MORNING = datetime(2030, 5, 10, 5, 10)
NIGHT = datetime(2030, 5, 10, 21, 0)


@pytest.mark.parametrize(
    ("now", "said", "reply"),
    [
        # "Wake me up" is the morning unless said otherwise.
        (LATE_MORNING, "wake me up at 7", "Alarm set for 7 AM tomorrow."),
        (EARLY_MORNING, "wake me up at 7", "Alarm set for 7 AM today."),
        (NIGHT, "wake me up at 6:30", "Alarm set for 6:30 AM tomorrow."),
        (LATE_MORNING, "wake me up at 7 pm", "Alarm set for 7 PM today."),
        (LATE_MORNING, "wake me up at 7 in the evening", "Alarm set for 7 PM today."),
        (NIGHT, "wake me up tomorrow at 8", "Alarm set for 8 AM tomorrow."),
        # A bare time is the next one to come; the reply says which.
        (LATE_MORNING, "set an alarm for 6:30", "Alarm set for 6:30 PM today."),
        (NIGHT, "set an alarm for 6:30", "Alarm set for 6:30 AM tomorrow."),
        (EARLY_MORNING, "set an alarm for 6:30", "Alarm set for 6:30 AM today."),
        (LATE_MORNING, "set an alarm for 11:40", "Alarm set for 11:40 AM today."),
        (LATE_MORNING, "set an alarm for 11:05 am", "Alarm set for 11:05 AM tomorrow."),
        (NIGHT, "set an alarm for 18:45", "Alarm set for 6:45 PM tomorrow."),
    ],
)
def test_the_reply_names_half_of_the_day_and_the_day(at_time, now, said, reply):
    assert at_time(now, said) == reply


@pytest.mark.parametrize(
    ("now", "said", "reply"),
    [
        (LATE_MORNING, "일곱 시 에 깨워 줘", "내일 오전 7시로 알람을 맞췄어요."),
        (EARLY_MORNING, "일곱 시 에 깨워 줘", "오늘 오전 7시로 알람을 맞췄어요."),
        (LATE_MORNING, "오후 일곱 시 에 깨워 줘", "오늘 오후 7시로 알람을 맞췄어요."),
        (LATE_MORNING, "여섯 시 반 에 알람 맞춰 줘", "오늘 오후 6시 30분으로 알람을 맞췄어요."),
        (NIGHT, "여섯 시 반 에 알람 맞춰 줘", "내일 오전 6시 30분으로 알람을 맞췄어요."),
        # 밤 is late evening until midnight, then the small hours; midnight is 자정.
        (LATE_MORNING, "밤 열두 시 에 알람 맞춰 줘", "내일 오전 12시로 알람을 맞췄어요."),
        (LATE_MORNING, "밤 열한 시 에 알람 맞춰 줘", "오늘 오후 11시로 알람을 맞췄어요."),
        (LATE_MORNING, "밤 한 시 에 알람 맞춰 줘", "내일 오전 1시로 알람을 맞췄어요."),
        (LATE_MORNING, "자정 에 알람 맞춰 줘", "내일 오전 12시로 알람을 맞췄어요."),
        (LATE_MORNING, "정오 에 알람 맞춰 줘", "오늘 오후 12시로 알람을 맞췄어요."),
        (NIGHT, "정오 에 알람 맞춰 줘", "내일 오후 12시로 알람을 맞췄어요."),  # never midnight
        (NIGHT, "자정 에 알람 맞춰 줘", "내일 오전 12시로 알람을 맞췄어요."),
    ],
)
def test_korean_times_of_day(at_time, now, said, reply):
    assert at_time(now, said, "ko") == reply


def test_a_minute_under_ten_is_said_in_words_espeak_reads_well(tmp_path):
    assistant = make_assistant(tmp_path, clock=FixedClock(LATE_MORNING.astimezone()))
    try:
        reply = assistant.ask("wake me up at 7:05", record=False)[1]
        assert reply.text == "Alarm set for 7:05 AM tomorrow."
        assert reply.spoken == "Alarm set for 7 oh 5 AM tomorrow."
    finally:
        assistant.close()
