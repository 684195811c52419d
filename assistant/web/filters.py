"""What the owner asked to see: search words, a day, an outcome, a source, a room.

One `Filter` drives the list, the count in a deletion's confirmation and the deletion
itself, so what is deleted is exactly what was shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from assistant.errors import AssistantError
from assistant.journal import Selection
from assistant.record import Outcome, Source

MAX_SEARCH_CHARS = 200
MAX_ROOM_CHARS = 64


class BadFilter(AssistantError):
    """A filter value the page cannot use; shown to the owner as one line."""


@dataclass(frozen=True)
class Filter:
    q: str = ""
    """Words contained (any case) in the transcript, the reply or a slot value."""
    day: str = ""
    """A local calendar day, YYYY-MM-DD."""
    outcome: str = ""
    source: str = ""
    room: str = ""
    """A small speaker's room (`wyoming.room`), as the journal recorded it."""

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Filter:
        values = {f.name: str(params.get(f.name) or "").strip() for f in fields(cls)}
        chosen = cls(**values)
        chosen.check()
        return chosen

    def check(self) -> None:
        if len(self.q) > MAX_SEARCH_CHARS:
            raise BadFilter(f"search words: at most {MAX_SEARCH_CHARS} characters")
        if self.day:
            _parse_day(self.day)
        if self.outcome and self.outcome not in {o.value for o in Outcome}:
            raise BadFilter(f"outcome: unknown value {self.outcome!r}")
        if self.source and self.source not in {s.value for s in Source}:
            raise BadFilter(f"source: unknown value {self.source!r}")
        if len(self.room) > MAX_ROOM_CHARS:
            raise BadFilter(f"room: at most {MAX_ROOM_CHARS} characters")

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def selection(self, up_to_id: int | None = None) -> Selection:
        since = until = None
        if self.day:
            since, until = day_bounds(self.day)
        return Selection(
            since=since,
            until=until,
            matching=self.q or None,
            up_to_id=up_to_id,
            everything=True,
        )

    def journal_keywords(self) -> dict[str, str | None]:
        """The conditions that `Selection` does not carry, as journal keyword arguments."""
        return {
            "source": self.source or None,
            "outcome": self.outcome or None,
            "room": self.room or None,
        }

    @property
    def needs_ids_to_delete(self) -> bool:
        """Deleting by outcome, source or room goes through the ids (Selection has no such
        fields)."""
        return bool(self.source or self.outcome or self.room)

    def query(self, **extra: Any) -> str:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: v for k, v in extra.items() if v is not None})
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def describe(self) -> str:
        parts = []
        if self.q:
            parts.append(f"containing “{self.q}”")
        if self.day:
            parts.append(f"on {self.day}")
        if self.outcome:
            parts.append(f"with outcome {self.outcome.replace('_', ' ')}")
        if self.source:
            parts.append(f"{self.source}")
        if self.room:
            parts.append(f"heard in {self.room}")
        return ", ".join(parts) or "all interactions"


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadFilter(f"day: {text!r} is not a date (YYYY-MM-DD)") from None


def day_bounds(text: str) -> tuple[float, float]:
    """Unix times of local midnight at the start of the day and of the next day."""
    day = _parse_day(text)
    try:
        start = datetime.combine(day, time.min)
        end = datetime.combine(day + timedelta(days=1), time.min)
        return start.timestamp(), end.timestamp()
    except (OverflowError, ValueError, OSError):  # the calendar's last day has no "next"
        raise BadFilter(f"day: {text!r} is outside the dates the history can hold") from None
