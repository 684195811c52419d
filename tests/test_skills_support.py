"""Helpers shared by the skill tests (no tests here): an assistant on a temporary data
directory, waiting for what it announces, and a clock shifted from the real one."""

from __future__ import annotations

import time
from datetime import datetime

from assistant.app import build_assistant
from assistant.config import parse
from assistant.pipeline import Assistant


class ShiftedClock:
    """The real clock plus `offset` seconds: real time still passes (the scheduler waits
    for real), but a test can start just before a minute turns, or jump ahead."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time()).astimezone()


class FixedClock:
    """A clock that reads `moment` until the test moves it (for "what time is it" and
    "wake me up at 7" at a chosen time of day; nothing scheduled ever comes due)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def time(self) -> float:
        return self.moment.timestamp()

    def now(self) -> datetime:
        return self.moment


def make_assistant(data_dir, language="en", journal=None, clock=None, **settings) -> Assistant:
    document = {"data_dir": str(data_dir), "language": language}
    if settings:
        document.update(settings)
    return build_assistant(parse(document), journal=journal, clock=clock)


def ask(assistant: Assistant, text: str) -> str:
    interaction, reply = assistant.ask(text, record=False)
    assert interaction.intent is not None, f"not understood: {text!r}"
    return reply.text


def wait_for_announcement(assistant: Assistant, timeout: float = 5.0):
    """The next thing the assistant wants to say, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = assistant.announcements.next()
        if item is not None:
            return item
        time.sleep(0.05)
    return None
