"""Alarms: "wake me up at 7", "set an alarm for 6:30 tomorrow", list, cancel.

Which moment a spoken time means: "wake me up at 7" is the morning unless the person
says otherwise ("7 pm", "in the evening"); a bare "set an alarm for 6:30" is the next
6:30 to come; "tomorrow" with a bare time is the morning. The reply always names the
half of the day and the day ("7 AM tomorrow"), so a wrong guess is heard at once.

An alarm rings like a timer (alarm sound and a spoken line, repeating until "stop").
Alarms are kept in the skill's data directory. One whose time passed while the
service was down rings at start if it is less than `late_ring_minutes` late;
otherwise it is only mentioned, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from assistant.skillkit import Due, DueStore, Reply, Request, Skill, SkillContext, handles
from assistant.skillkit.words import Words, euro, list_items, moment_words, time_of_day

WAKE_VERBS = ("wake", "깨워")
"""A request containing one of these is a wake-up call: a bare hour means the morning."""


@dataclass(frozen=True)
class Settings:
    late_ring_minutes: float = 30
    """An alarm missed while the service was down still rings if it is at most this late."""


def say_time(hour: int, minute: int, language: str) -> str:
    """'6:30 AM', '7 PM', '오전 12시 5분' (the shown form)."""
    return time_of_day(hour, minute, language).text


def _hours(hour: int, ampm: str | None, morning: bool) -> list[int]:
    """The hours of the day "hour" may mean, the likeliest first."""
    if ampm in ("midnight", "noon"):
        return [0 if ampm == "midnight" else 12]
    if ampm == "night":
        # Korean 밤: "밤 열한 시" is 23:00, "밤 열두 시" midnight, "밤 한 시" 1:00.
        return [0 if hour == 12 else hour + 12 if 6 <= hour < 12 else hour]
    if ampm == "pm" and hour < 12:
        return [hour + 12]
    if ampm == "am" and hour == 12:
        return [0]
    if ampm is not None or not 1 <= hour <= 12:
        return [hour]
    if morning and hour != 12:
        return [hour]  # "wake me up at 7": 7 in the morning
    return [hour, (hour + 12) % 24]  # "seven": the next 7 o'clock, morning or evening


def resolve(
    now: datetime,
    hour: int,
    minute: int,
    ampm: str | None,
    day: str | None,
    morning: bool = False,
) -> datetime | None:
    """The moment meant by "7 am", "6:30 tomorrow", "seven" (the next one to come);
    `morning`: a wake-up call, where a bare hour is before noon. None: no such time,
    or it has passed on the day named."""
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    hours = _hours(hour, ampm, morning)
    today = now.replace(second=0, microsecond=0)
    if day == "tomorrow":
        return (today + timedelta(days=1)).replace(hour=hours[0], minute=minute)
    candidates = [today.replace(hour=h, minute=minute) for h in hours]
    if day != "today":
        candidates += [c + timedelta(days=1) for c in candidates]
    future = sorted(c for c in candidates if c > now)
    return future[0] if future else None


class Alarms(Skill):
    Settings = Settings
    ports = ("clock", "scheduler", "announcer")
    replies = {
        "set": ("when", "when_ro"),
        "exists": ("when",),
        "passed": ("time",),
        "bad_time": (),
        "ring": ("time",),
        "late": ("time",),
        "missed": ("when",),
        "none": (),
        "one": ("when",),
        "several": ("count", "list"),
        "no_such": ("time",),
        "which": ("count", "list"),
        "cancelled": ("when",),
        "cancelled_all": ("count",),
        "silenced": (),
    }

    def __init__(self, context: SkillContext) -> None:
        super().__init__(context)
        self.language = context.language
        self.store = DueStore(context, "alarms.json", self._ring)

    def start(self) -> None:
        self.store.start()

    def close(self) -> None:
        self.store.close()

    def _time(self, alarm: Due) -> Words:
        return time_of_day(alarm.details["hour"], alarm.details["minute"], self.language)

    def _when(self, alarm: Due) -> Words:
        """'7 AM tomorrow' / '내일 오전 7시' (relative to now)."""
        now = self.context.clock.now()
        return moment_words(datetime.fromtimestamp(alarm.at, now.tzinfo), now, self.language)

    def _ring(self, alarm: Due, missed: bool) -> None:
        announce = self.context.announcer.announce
        late_by = self.context.clock.time() - alarm.at
        if not missed:
            announce(self.text("ring", time=self._time(alarm)), "alarm", True, alarm.room)
        elif late_by <= self.context.settings.late_ring_minutes * 60:
            announce(self.text("late", time=self._time(alarm)), "alarm", True, alarm.room)
        else:
            announce(self.text("missed", when=self._when(alarm)), "alarm", room=alarm.room)

    def _requested(self, slots: dict[str, Any]) -> tuple[int, int, str | None]:
        ampm = slots.get("ampm")
        # 자정 and 정오 name the hour themselves (assistant's Korean "ko_noon").
        hour = {"midnight": 12, "noon": 12}.get(ampm, slots.get("hour"))
        return int(hour), int(slots.get("minute", 0)), ampm

    @handles("AlarmSet")
    def set_alarm(self, request: Request) -> Reply:
        hour, minute, ampm = self._requested(request.slots)
        wake_up = any(verb in request.text.lower() for verb in WAKE_VERBS)
        now = self.context.clock.now()
        moment = resolve(now, hour, minute, ampm, request.slots.get("day"), morning=wake_up)
        if moment is None:
            if 0 <= hour <= 23 and 0 <= minute <= 59:
                shown = time_of_day(_hours(hour, ampm, wake_up)[0], minute, self.language)
                return self.say("passed", time=shown)
            return self.say("bad_time")
        details = {"hour": moment.hour, "minute": moment.minute}
        alarm = Due(moment.timestamp(), None, details, room=request.room)
        if any(abs(a.at - alarm.at) < 1 for a in self.store.items()):
            return self.say("exists", when=self._when(alarm))
        self.store.add(alarm)
        when = self._when(alarm)
        return self.say("set", when=when, when_ro=Words(euro(when.text), euro(when.spoken)))

    def _listing(self, alarms: list[Due]) -> str:
        return list_items([self._when(a).text for a in alarms], self.language)

    @handles("AlarmList")
    def list_alarms(self, request: Request) -> Reply:
        alarms = self.store.items()
        if not alarms:
            return self.say("none")
        if len(alarms) == 1:
            return self.say("one", when=self._when(alarms[0]))
        return self.say("several", count=len(alarms), list=self._listing(alarms))

    def _matching(self, slots: dict[str, Any]) -> list[Due]:
        alarms = self.store.items()
        if "hour" not in slots:
            return alarms
        hour, minute, ampm = self._requested(slots)
        hours = set(_hours(hour, ampm, morning=False))
        return [a for a in alarms if a.details["hour"] in hours and a.details["minute"] == minute]

    @handles("AlarmCancel")
    def cancel(self, request: Request) -> Reply:
        alarms = self._matching(request.slots)
        if not alarms:
            if self.context.announcer.stop():
                return self.say("silenced")  # "turn off the alarm" while it rings
            if not self.store.items():
                return self.say("none")
            hour, minute, _ = self._requested(request.slots)
            return self.say("no_such", time=time_of_day(hour % 24, minute, self.language))
        if len(alarms) > 1:
            return self.say("which", count=len(alarms), list=self._listing(alarms))
        self.store.remove(alarms)
        return self.say("cancelled", when=self._when(alarms[0]))

    @handles("AlarmCancelAll")
    def cancel_all(self, request: Request) -> Reply:
        removed = self.store.remove(self.store.items())
        if not removed:
            return self.say("silenced" if self.context.announcer.stop() else "none")
        if len(removed) == 1:
            return self.say("cancelled", when=self._when(removed[0]))
        return self.say("cancelled_all", count=len(removed))


SKILL = Alarms
