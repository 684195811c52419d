"""Alarms: "wake me up at 7 am", "set an alarm for 6:30 tomorrow", list, cancel.

An alarm rings like a timer (alarm sound and a spoken line, repeating until "stop").
Alarms are kept in the skill's data directory. One whose time passed while the
service was down rings at start if it is less than `late_ring_minutes` late;
otherwise it is only mentioned, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from assistant.skills import Reply, Request, Skill
from skills.timers.ringing import Due, DueStore
from skills.timers.words import euro, list_items

TEXT = {
    "en": {
        "set": "Alarm set for {when}.",
        "exists": "You already have an alarm for {when}.",
        "passed": "{time} has already passed today.",
        "bad_time": "That is not a time on the clock.",
        "ring": "It's {time}. This is your alarm.",
        "late": "It's past {time}. This is your alarm; I was off when it was due.",
        "missed": "I was off at {when}, so your alarm did not ring.",
        "none": "You have no alarms.",
        "one": "You have an alarm for {when}.",
        "several": "You have {count} alarms: {list}.",
        "no_such": "You have no alarm for {time}.",
        "which": "You have {count} alarms: {list}. Say the time of the one to cancel, "
        "or say cancel all alarms.",
        "cancelled": "Alarm for {when} cancelled.",
        "cancelled_all": "All {count} alarms cancelled.",
        "silenced": "Okay, stopped.",
        "today": "today",
        "tomorrow": "tomorrow",
    },
    "ko": {
        "set": "{when_ro} 알람을 맞췄어요.",
        "exists": "{when}에 이미 알람이 있어요.",
        "passed": "오늘 {time}, 이미 지난 시각이에요.",
        "bad_time": "그런 시각은 없어요.",
        "ring": "지금 {time}, 알람 시간이에요.",
        "late": "알람 시각({time})이 지났어요. 꺼져 있어서 늦게 울려요.",
        "missed": "꺼져 있어서 {when} 알람이 울리지 못했어요.",
        "none": "알람이 없어요.",
        "one": "{when}에 알람이 있어요.",
        "several": "알람이 {count}개 있어요: {list}.",
        "no_such": "{time} 알람은 없어요.",
        "which": "알람이 {count}개 있어요: {list}. 취소할 알람의 시각을 말해 주세요.",
        "cancelled": "{when} 알람을 취소했어요.",
        "cancelled_all": "알람 {count}개를 모두 취소했어요.",
        "silenced": "알겠어요, 멈췄어요.",
        "today": "오늘",
        "tomorrow": "내일",
    },
}


@dataclass(frozen=True)
class Settings:
    late_ring_minutes: float = 30
    """An alarm missed while the service was down still rings if it is at most this late."""


def say_time(hour: int, minute: int, language: str) -> str:
    if language == "ko":
        half = "오전" if hour < 12 else "오후"
        return f"{half} {hour % 12 or 12}시" + (f" {minute}분" if minute else "")
    suffix = "AM" if hour < 12 else "PM"
    return f"{hour % 12 or 12}" + (f":{minute:02d}" if minute else "") + f" {suffix}"


def resolve(
    now: datetime, hour: int, minute: int, ampm: str | None, day: str | None
) -> datetime | None:
    """The moment meant by "7 am", "6:30 tomorrow", "seven" (the next one to come)."""
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    # "seven" without am/pm: the next 7 o'clock, morning or evening.
    hours = [hour, (hour + 12) % 24] if ampm is None and 1 <= hour <= 12 else [hour]
    today = now.replace(second=0, microsecond=0)
    if day == "tomorrow":
        base = today + timedelta(days=1)
        return base.replace(hour=hours[0], minute=minute)
    candidates = [today.replace(hour=h, minute=minute) for h in hours]
    if day != "today":
        candidates += [c + timedelta(days=1) for c in candidates]
    future = sorted(c for c in candidates if c > now)
    return future[0] if future else None


class Alarms(Skill):
    Settings = Settings

    def __init__(self, context) -> None:
        super().__init__(context)
        self.language = context.language if context.language in TEXT else "en"
        self.text = TEXT[self.language]
        self.store = DueStore(context, "alarms.json", self._ring)

    def start(self) -> None:
        self.store.start()

    def close(self) -> None:
        self.store.close()

    def _time(self, alarm: Due) -> str:
        return say_time(alarm.details["hour"], alarm.details["minute"], self.language)

    def _when(self, alarm: Due) -> str:
        """'7 AM tomorrow' / '내일 오전 7시' (relative to now)."""
        moment = datetime.fromtimestamp(alarm.at, self.context.clock.now().tzinfo)
        days = (moment.date() - self.context.clock.now().date()).days
        if days == 0:
            day = self.text["today"]
        elif days == 1:
            day = self.text["tomorrow"]
        else:
            day = moment.strftime("%Y-%m-%d")
        if self.language == "ko":
            return f"{day} {self._time(alarm)}"
        return f"{self._time(alarm)} {day}"

    def _ring(self, alarm: Due, missed: bool) -> None:
        announcer = self.context.announcer
        if announcer is None:
            return
        late_by = self.context.clock.time() - alarm.at
        if not missed:
            announcer.announce(self.text["ring"].format(time=self._time(alarm)), "alarm", True)
        elif late_by <= self.context.settings.late_ring_minutes * 60:
            announcer.announce(self.text["late"].format(time=self._time(alarm)), "alarm", True)
        else:
            day = datetime.fromtimestamp(alarm.at).strftime("%Y-%m-%d")
            when = (
                f"{self._time(alarm)} {day}"
                if self.language == "en"
                else f"{day} {self._time(alarm)}"
            )
            announcer.announce(self.text["missed"].format(when=when), "alarm")

    def handle(self, request: Request) -> Reply:
        handler = {
            "AlarmSet": self.set_alarm,
            "AlarmList": self.list_alarms,
            "AlarmCancel": self.cancel,
            "AlarmCancelAll": self.cancel_all,
        }[request.intent]
        return Reply(handler(request.slots))

    def _requested(self, slots: dict) -> tuple[int, int, str | None]:
        return int(slots["hour"]), int(slots.get("minute", 0)), slots.get("ampm")

    def set_alarm(self, slots: dict) -> str:
        hour, minute, ampm = self._requested(slots)
        now = self.context.clock.now()
        moment = resolve(now, hour, minute, ampm, slots.get("day"))
        if moment is None:
            if 0 <= hour <= 23 and 0 <= minute <= 59:
                shown = say_time(hour % 24, minute, self.language)
                return self.text["passed"].format(time=shown[:1].upper() + shown[1:])
            return self.text["bad_time"]
        alarm = Due(moment.timestamp(), None, {"hour": moment.hour, "minute": moment.minute})
        if any(abs(a.at - alarm.at) < 1 for a in self.store.items()):
            return self.text["exists"].format(when=self._when(alarm))
        self.store.add(alarm)
        when = self._when(alarm)
        return self.text["set"].format(when=when, when_ro=euro(when))

    def _listing(self) -> str:
        return list_items([self._when(a) for a in self.store.items()], self.language)

    def list_alarms(self, slots: dict) -> str:
        alarms = self.store.items()
        if not alarms:
            return self.text["none"]
        if len(alarms) == 1:
            return self.text["one"].format(when=self._when(alarms[0]))
        return self.text["several"].format(count=len(alarms), list=self._listing())

    def _matching(self, slots: dict) -> list[Due]:
        alarms = self.store.items()
        if "hour" not in slots:
            return alarms
        hour, minute, ampm = self._requested(slots)
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        hours = {hour, (hour + 12) % 24} if ampm is None and 1 <= hour <= 12 else {hour}
        return [a for a in alarms if a.details["hour"] in hours and a.details["minute"] == minute]

    def cancel(self, slots: dict) -> str:
        alarms = self._matching(slots)
        if not alarms:
            if self.context.announcer is not None and self.context.announcer.stop():
                return self.text["silenced"]  # "turn off the alarm" while it rings
            if not self.store.items():
                return self.text["none"]
            hour, minute, ampm = self._requested(slots)
            return self.text["no_such"].format(time=say_time(hour % 24, minute, self.language))
        if len(alarms) > 1:
            listing = list_items([self._when(a) for a in alarms], self.language)
            return self.text["which"].format(count=len(alarms), list=listing)
        self.store.remove(alarms)
        return self.text["cancelled"].format(when=self._when(alarms[0]))

    def cancel_all(self, slots: dict) -> str:
        removed = self.store.remove(self.store.items())
        if not removed:
            if self.context.announcer is not None and self.context.announcer.stop():
                return self.text["silenced"]
            return self.text["none"]
        if len(removed) == 1:
            return self.text["cancelled"].format(when=self._when(removed[0]))
        return self.text["cancelled_all"].format(count=len(removed))


SKILL = Alarms
