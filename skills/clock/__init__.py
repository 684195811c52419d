"""Clock: the time, the date and the day of the week."""

from __future__ import annotations

from assistant.skillkit import Reply, Request, Skill, handles, time_of_day

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = tuple(f"month_{n}" for n in range(1, 13))


class Clock(Skill):
    ports = ("clock",)
    replies = {
        "time": ("time",),
        "date": ("weekday", "month", "day", "year"),
        "weekday": ("weekday",),
        **{name: () for name in WEEKDAYS + MONTHS},
    }

    @handles("ClockTime")
    def time(self, request: Request) -> Reply:
        now = self.context.clock.now()
        return self.say("time", time=time_of_day(now.hour, now.minute, self.context.language))

    @handles("ClockDate")
    def date(self, request: Request) -> Reply:
        now = self.context.clock.now()
        return self.say(
            "date",
            weekday=self.text(WEEKDAYS[now.weekday()]),
            month=self.text(MONTHS[now.month - 1]),
            day=now.day,
            year=now.year,
        )

    @handles("ClockWeekday")
    def weekday(self, request: Request) -> Reply:
        return self.say("weekday", weekday=self.text(WEEKDAYS[self.context.clock.now().weekday()]))


SKILL = Clock
