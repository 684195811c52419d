"""Clock: the time, the date and the day of the week."""

from __future__ import annotations

from datetime import datetime

from assistant.skills import Reply, Request, Skill

WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "ko": ["월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"],
}
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def say_time(now: datetime, language: str) -> str:
    if language == "ko":
        half = "오전" if now.hour < 12 else "오후"
        return f"지금은 {half} {now.hour % 12 or 12}시 {now.minute}분입니다."
    suffix = "AM" if now.hour < 12 else "PM"
    minute = "o'clock" if now.minute == 0 else f"{now.minute:02d}"
    return f"It's {now.hour % 12 or 12} {minute} {suffix}."


def say_date(now: datetime, language: str) -> str:
    weekday = WEEKDAYS[language][now.weekday()]
    if language == "ko":
        return f"오늘은 {now.year}년 {now.month}월 {now.day}일 {weekday}입니다."
    return f"Today is {weekday}, {MONTHS_EN[now.month - 1]} {now.day}, {now.year}."


def say_weekday(now: datetime, language: str) -> str:
    weekday = WEEKDAYS[language][now.weekday()]
    return f"오늘은 {weekday}입니다." if language == "ko" else f"Today is {weekday}."


class Clock(Skill):
    ANSWERS = {"ClockTime": say_time, "ClockDate": say_date, "ClockWeekday": say_weekday}

    def handle(self, request: Request) -> Reply:
        now = self.context.clock.now()
        return Reply(self.ANSWERS[request.intent](now, request.language))


SKILL = Clock
