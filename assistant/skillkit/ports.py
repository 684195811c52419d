"""The narrow, typed ports a skill may declare, and the clock every one of them may ask
for. A skill gets only what it lists in `Skill.ports`; the privacy skill, for example,
gets the few journal actions it needs, never the journal itself."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from assistant.journal.reports import PolicySummary
    from assistant.skillkit.loading import LoadedSkill


class ClockPort(Protocol):
    def time(self) -> float: ...
    def now(self) -> datetime: ...


class SystemClock:
    """Wall clock; tests pass their own object with the same two methods."""

    def time(self) -> float:
        return time.time()

    def now(self) -> datetime:
        return datetime.now().astimezone()


class Announcer(Protocol):
    """Lets a skill speak later (a timer that ends), outside any request; `room`: the
    request's room, so that it rings where it was set (None: the assistant's own speaker)."""

    def announce(
        self, text: str, earcon: str | None = None, repeat: bool = False, room: str | None = None
    ) -> None: ...
    def stop(self) -> bool:
        """Silence a repeating announcement; True if one was ringing."""
        ...


class SchedulerPort(Protocol):
    """Calls `callback` at Unix time `when` on the assistant's scheduler thread."""

    def call_at(self, when: float, callback: Callable[[], None]) -> object: ...
    def cancel(self, handle: object) -> None: ...


class Controls(Protocol):
    """The running assistant's volume, microphone mute and last reply."""

    volume: int
    last_reply: str | None

    def set_volume(self, level: int) -> int: ...
    def mute_microphone(self, seconds: float) -> float: ...


Catalogue = Sequence["LoadedSkill"]
"""The enabled skills, in order, with their sentence files (for "what can you do")."""


@dataclass(frozen=True)
class SpokenEntry:
    """An interaction in which the person said something."""

    id: int
    started_at: float
    transcript: str


@dataclass(frozen=True)
class Deletion:
    deleted: int
    erased: bool
    """False when the rows are gone but old copies may remain in the files for now."""


class Privacy(Protocol):
    """The journal actions the privacy skill needs, and nothing else."""

    @property
    def keeps_history(self) -> bool:
        """False when the owner switched logging off and nothing older is kept."""
        ...

    def last_spoken(
        self, source: str | None, not_before: float, room: str | None = None
    ) -> SpokenEntry | None:
        """The newest interaction from `not_before` on in which the person said something:
        not a false wake (woken, then no speech or nothing understood), not a cancelled
        one, not a privacy command. `source`: only voice or only typed ones. `room`: only
        what that room's speaker heard (None: the assistant's own speaker)."""
        ...

    def ids_between(self, since: float, until: float | None) -> list[int]:
        """The interactions from `since` (inclusive) to `until` (exclusive; None: now).
        Count them, ask, then delete exactly those: nothing said after the question."""
        ...

    def delete_ids(self, ids: Sequence[int]) -> Deletion:
        """Delete and erase these interactions, as thoroughly as `assistant log delete`."""
        ...

    def pause(self, seconds: float) -> float: ...
    def resume(self) -> None: ...
    def paused_until(self) -> float | None: ...
    def policy_summary(self) -> PolicySummary:
        """The retention in force and what is kept (the journal's own report)."""
        ...
