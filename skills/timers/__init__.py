"""Timers: several at once, named ("pasta") or not; ring with the alarm sound until "stop".

Running timers are kept in the skill's data directory, so they survive a restart; a
timer that ended while the service was down is announced when it starts again.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.skills import Reply, Request, Skill

from .ringing import Due, DueStore
from .words import describe_seconds, euro, list_items

TEXT = {
    "en": {
        "set": "{label} set for {duration}.",
        "reset": "{label} reset to {duration}.",
        "too_many": "You already have {count} timers running.",
        "too_short": "A timer needs a duration longer than zero.",
        "done": "Your {name} is done.",
        "missed": "Your {name} ended while I was off.",
        "none": "No timers are running.",
        "no_such": "There is no {name}.",
        "left": "Your {name} has {left} left.",
        "left_item": "{name}: {left} left",
        "cancelled": "{label} cancelled.",
        "cancelled_all": "All {count} timers cancelled.",
        "cancelled_one_of_all": "Your timer is cancelled.",
        "which": "You have {count} timers: {names}. "
        "Say which one to cancel, or say cancel all timers.",
        "silenced": "Okay, stopped.",
        "a_timer": "timer",
        "left_tail": ".",
    },
    "ko": {
        "set": "{label}를 {duration_ro} 맞췄어요.",
        "reset": "{label}를 {duration_ro} 다시 맞췄어요.",
        "too_many": "이미 타이머가 {count}개 있어요.",
        "too_short": "타이머 시간은 0보다 길어야 해요.",
        "done": "{name}가 끝났어요.",
        "missed": "꺼져 있는 동안 {name}가 끝났어요.",
        "none": "실행 중인 타이머가 없어요.",
        "no_such": "{name}가 없어요.",
        "left": "{name}는 {left} 남았어요.",
        "left_item": "{name} {left}",
        "cancelled": "{label}를 취소했어요.",
        "cancelled_all": "타이머 {count}개를 모두 취소했어요.",
        "cancelled_one_of_all": "타이머를 취소했어요.",
        "which": "타이머가 {count}개 있어요: {names}. 취소할 타이머를 말해 주세요.",
        "silenced": "알겠어요, 멈췄어요.",
        "a_timer": "타이머",
        "left_tail": " 남았어요.",
    },
}


@dataclass(frozen=True)
class Settings:
    max_timers: int = 20
    """How many timers may run at once."""


def duration_seconds(slots: dict) -> int:
    return (
        int(slots.get("hours", 0)) * 3600
        + int(slots.get("minutes", 0)) * 60
        + int(slots.get("seconds", 0))
    )


class Timers(Skill):
    Settings = Settings

    def __init__(self, context) -> None:
        super().__init__(context)
        self.text = TEXT.get(context.language, TEXT["en"])
        self.store = DueStore(context, "timers.json", self._ring)

    def start(self) -> None:
        self.store.start()

    def close(self) -> None:
        self.store.close()

    # ----- naming -----------------------------------------------------------------------

    def label(self, timer: Due) -> str:
        """'pasta timer' / '5 minute timer' (ko: '파스타 타이머' / '5분 타이머')."""
        if self.context.language == "ko":
            what = timer.name or describe_seconds(timer.details["seconds"], "ko")
            return f"{what} 타이머"
        what = timer.name or describe_seconds(timer.details["seconds"], "en", unit_form=True)
        return f"{what} timer"

    def _capital(self, text: str) -> str:
        return text[:1].upper() + text[1:]

    # ----- ringing ----------------------------------------------------------------------

    def _ring(self, timer: Due, missed: bool) -> None:
        announcer = self.context.announcer
        if announcer is None:
            return
        if missed:
            announcer.announce(self.text["missed"].format(name=self.label(timer)), earcon="alarm")
        else:
            text = self.text["done"].format(name=self.label(timer))
            announcer.announce(text, earcon="alarm", repeat=True)

    # ----- requests ---------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        handler = {
            "TimerStart": self.start_timer,
            "TimerRemaining": self.remaining,
            "TimerCancel": self.cancel,
            "TimerCancelAll": self.cancel_all,
        }[request.intent]
        return Reply(handler(request.slots))

    def start_timer(self, slots: dict) -> str:
        seconds = duration_seconds(slots)
        if seconds <= 0:
            return self.text["too_short"]
        name = slots.get("timer_name")
        replaced = [t for t in self.store.items() if name and t.name == name]
        if not replaced and len(self.store.items()) >= self.context.settings.max_timers:
            return self.text["too_many"].format(count=len(self.store.items()))
        self.store.remove(replaced)
        timer = self.store.add(Due(self.context.clock.time() + seconds, name, {"seconds": seconds}))
        key = "reset" if replaced else "set"
        duration = describe_seconds(seconds, self.context.language)
        # "Timer set for 5 minutes", not "5 minute timer set for 5 minutes".
        label = self.label(timer) if name else self.text["a_timer"]
        reply = self.text[key].format(label=label, duration=duration, duration_ro=euro(duration))
        return self._capital(reply)

    def _left(self, timer: Due) -> str:
        left = max(0, round(timer.at - self.context.clock.time()))
        return describe_seconds(max(left, 1), self.context.language)

    def _select(self, slots: dict) -> list[Due]:
        timers = self.store.items()
        if "timer_name" in slots:
            return [t for t in timers if t.name == slots["timer_name"]]
        if any(k in slots for k in ("hours", "minutes", "seconds")):
            wanted = duration_seconds(slots)
            return [t for t in timers if t.details.get("seconds") == wanted]
        return timers

    def _missing_name(self, slots: dict) -> str:
        if "timer_name" in slots:
            name = slots["timer_name"]
            return f"{name} 타이머" if self.context.language == "ko" else f"{name} timer"
        seconds = duration_seconds(slots)
        return self.label(Due(0, None, {"seconds": seconds}))

    def remaining(self, slots: dict) -> str:
        timers = self._select(slots)
        if not timers:
            if not self.store.items():
                return self.text["none"]
            return self._capital(self.text["no_such"].format(name=self._missing_name(slots)))
        if len(timers) == 1:
            return self._capital(
                self.text["left"].format(name=self.label(timers[0]), left=self._left(timers[0]))
            )
        parts = [
            self._capital(self.text["left_item"].format(name=self.label(t), left=self._left(t)))
            for t in timers
        ]
        return "; ".join(parts) + self.text["left_tail"]

    def cancel(self, slots: dict) -> str:
        timers = self._select(slots)
        if not timers:
            if self.context.announcer is not None and self.context.announcer.stop():
                return self.text["silenced"]  # "cancel the timer" while it rings
            if not self.store.items():
                return self.text["none"]
            return self._capital(self.text["no_such"].format(name=self._missing_name(slots)))
        if len(timers) > 1:
            names = list_items([self.label(t) for t in timers], self.context.language)
            return self.text["which"].format(count=len(timers), names=names)
        self.store.remove(timers)
        return self._capital(self.text["cancelled"].format(label=self.label(timers[0])))

    def cancel_all(self, slots: dict) -> str:
        removed = self.store.remove(self.store.items())
        if not removed:
            if self.context.announcer is not None and self.context.announcer.stop():
                return self.text["silenced"]
            return self.text["none"]
        if len(removed) == 1:
            return self.text["cancelled_one_of_all"]
        return self.text["cancelled_all"].format(count=len(removed))


SKILL = Timers
