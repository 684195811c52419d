"""Timers: several at once, named ("pasta") or not; ring with the alarm sound until "stop".

Running timers are kept in the skill's data directory, so they survive a restart; a
timer that ended while the service was down is announced when it starts again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.skillkit import Due, DueStore, Reply, Request, Skill, SkillContext, handles
from assistant.skillkit.words import describe_seconds, euro, list_items


@dataclass(frozen=True)
class Settings:
    max_timers: int = 20
    """How many timers may run at once."""


def duration_seconds(slots: dict[str, Any]) -> int:
    return (
        int(slots.get("hours", 0)) * 3600
        + int(slots.get("minutes", 0)) * 60
        + int(slots.get("seconds", 0))
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class Timers(Skill):
    Settings = Settings
    ports = ("clock", "scheduler", "announcer")
    replies = {
        "set": ("label", "duration", "duration_ro"),
        "reset": ("label", "duration", "duration_ro"),
        "too_many": ("count",),
        "too_short": (),
        "done": ("name",),
        "missed": ("name",),
        "none": (),
        "no_such": ("name",),
        "left": ("name", "left"),
        "left_item": ("name", "left"),
        "left_tail": (),
        "cancelled": ("label",),
        "cancelled_all": ("count",),
        "cancelled_one_of_all": (),
        "which": ("count", "names"),
        "silenced": (),
        "a_timer": (),
        "timer_label": ("what",),
    }

    def __init__(self, context: SkillContext) -> None:
        super().__init__(context)
        self.language = context.language
        self.store = DueStore(context, "timers.json", self._ring)

    def start(self) -> None:
        self.store.start()

    def close(self) -> None:
        self.store.close()

    def label(self, timer: Due) -> str:
        """'pasta timer' / '5 minute timer' (ko: '파스타 타이머' / '5분 타이머')."""
        seconds = timer.details["seconds"]
        what = timer.name or describe_seconds(seconds, self.language, unit_form=True)
        return self.text("timer_label", what=what)

    def _ring(self, timer: Due, missed: bool) -> None:
        announce = self.context.announcer.announce
        if missed:
            announce(self.text("missed", name=self.label(timer)), "alarm", room=timer.room)
        else:
            announce(self.text("done", name=self.label(timer)), "alarm", True, timer.room)

    def _capitalised(self, key: str, **values: Any) -> Reply:
        return Reply(_capital(self.text(key, **values)))

    @handles("TimerStart")
    def start_timer(self, request: Request) -> Reply:
        slots = request.slots
        seconds = duration_seconds(slots)
        if seconds <= 0:
            return self.say("too_short")
        name = slots.get("timer_name")
        replaced = [t for t in self.store.items() if name and t.name == name]
        if not replaced and len(self.store.items()) >= self.context.settings.max_timers:
            return self.say("too_many", count=len(self.store.items()))
        self.store.remove(replaced)
        due = Due(
            self.context.clock.time() + seconds, name, {"seconds": seconds}, room=request.room
        )
        timer = self.store.add(due)
        duration = describe_seconds(seconds, self.language)
        # "Timer set for 5 minutes", not "5 minute timer set for 5 minutes".
        label = self.label(timer) if name else self.text("a_timer")
        key = "reset" if replaced else "set"
        return self._capitalised(key, label=label, duration=duration, duration_ro=euro(duration))

    def _left(self, timer: Due) -> str:
        left = max(0, round(timer.at - self.context.clock.time()))
        return describe_seconds(max(left, 1), self.language)

    def _select(self, slots: dict[str, Any]) -> list[Due]:
        timers = self.store.items()
        if "timer_name" in slots:
            return [t for t in timers if t.name == slots["timer_name"]]
        if any(k in slots for k in ("hours", "minutes", "seconds")):
            wanted = duration_seconds(slots)
            return [t for t in timers if t.details.get("seconds") == wanted]
        return timers

    def _missing(self, slots: dict[str, Any]) -> Reply:
        if not self.store.items():
            return self.say("none")
        if "timer_name" in slots:
            name = self.text("timer_label", what=slots["timer_name"])
        else:
            name = self.label(Due(0, None, {"seconds": duration_seconds(slots)}))
        return self._capitalised("no_such", name=name)

    @handles("TimerRemaining")
    def remaining(self, request: Request) -> Reply:
        timers = self._select(request.slots)
        if not timers:
            return self._missing(request.slots)
        if len(timers) == 1:
            return self._capitalised("left", name=self.label(timers[0]), left=self._left(timers[0]))
        parts = [
            _capital(self.text("left_item", name=self.label(t), left=self._left(t))) for t in timers
        ]
        return Reply("; ".join(parts) + self.text("left_tail"))

    @handles("TimerCancel")
    def cancel(self, request: Request) -> Reply:
        timers = self._select(request.slots)
        if not timers:
            if self.context.announcer.stop():
                return self.say("silenced")  # "cancel the timer" while it rings
            return self._missing(request.slots)
        if len(timers) > 1:
            names = list_items([self.label(t) for t in timers], self.language)
            return self.say("which", count=len(timers), names=names)
        self.store.remove(timers)
        return self._capitalised("cancelled", label=self.label(timers[0]))

    @handles("TimerCancelAll")
    def cancel_all(self, request: Request) -> Reply:
        removed = self.store.remove(self.store.items())
        if not removed:
            return self.say("silenced" if self.context.announcer.stop() else "none")
        if len(removed) == 1:
            return self.say("cancelled_one_of_all")
        return self.say("cancelled_all", count=len(removed))


SKILL = Timers
