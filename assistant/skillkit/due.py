"""Due times that survive restarts (timers, alarms): kept in a JSON file, scheduled, restored.

A skill using `DueStore` declares the `clock` and `scheduler` ports.

The file lives in the skill's private data directory and is rewritten atomically on
every change, so a timer survives a restart of the service. At start, anything whose
time passed while the service was down is handed to `on_due` with `missed=True`.
Nothing here is logged: a timer's name is something a person said.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.paths import write_private_file
from assistant.skillkit.api import SkillContext

log = logging.getLogger(__name__)


@dataclass
class Due:
    at: float
    """Unix time at which it rings."""
    name: str | None = None
    """What the person called it ("pasta"), or None."""
    details: dict[str, Any] = field(default_factory=dict)
    """What the skill needs to describe it later (the duration, the hour)."""
    id: str = field(default_factory=lambda: secrets.token_hex(4))
    room: str | None = None
    """The room it was set in, where it rings (`Request.room`); None, as in files saved
    before rooms existed: the assistant's own speaker."""


class DueStore:
    """The pending items of one skill, persisted and scheduled on the assistant's scheduler."""

    def __init__(
        self, context: SkillContext, file_name: str, on_due: Callable[[Due, bool], None]
    ) -> None:
        self._context = context
        self._path = context.data_dir / file_name
        self._on_due = on_due
        self._items: dict[str, Due] = {}
        self._handles: dict[str, object] = {}
        self._lock = threading.RLock()

    def start(self) -> None:
        """Load the file; schedule what is still to come; report what was missed."""
        now = self._context.clock.time()
        missed = []
        with self._lock:
            for item in self._read():
                if item.at <= now:
                    missed.append(item)
                else:
                    self._items[item.id] = item
                    self._schedule(item)
            if missed:
                self._save()
        for item in sorted(missed, key=lambda i: i.at):
            try:
                self._on_due(item, True)
            except Exception as e:  # a saved item the skill cannot describe must not stop a start
                log.warning(
                    "%s: a missed item could not be reported (%s)", self._path, type(e).__name__
                )

    def add(self, item: Due) -> Due:
        with self._lock:
            self._items[item.id] = item
            self._save()
            self._schedule(item)
        return item

    def remove(self, items: list[Due]) -> list[Due]:
        removed = []
        with self._lock:
            for item in items:
                if self._items.pop(item.id, None) is not None:
                    removed.append(item)
                    handle = self._handles.pop(item.id, None)
                    if handle is not None:
                        self._context.scheduler.cancel(handle)
            if removed:
                self._save()
        return removed

    def items(self) -> list[Due]:
        """Pending items, soonest first."""
        with self._lock:
            return sorted(self._items.values(), key=lambda i: i.at)

    def close(self) -> None:
        with self._lock:
            for handle in self._handles.values():
                self._context.scheduler.cancel(handle)
            self._handles.clear()

    def _schedule(self, item: Due) -> None:
        self._handles[item.id] = self._context.scheduler.call_at(
            item.at, lambda: self._fire(item.id)
        )

    def _fire(self, item_id: str) -> None:
        with self._lock:
            item = self._items.pop(item_id, None)
            self._handles.pop(item_id, None)
            if item is None:  # cancelled just before it rang
                return
            self._save()
        self._on_due(item, False)

    def _read(self) -> list[Due]:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            entries = raw["items"]
            if not isinstance(entries, list):
                raise TypeError("items is not a list")
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as e:
            # Never quote the file: it holds names people said.
            log.warning(
                "%s: unreadable (%s); starting without saved items", self._path, type(e).__name__
            )
            return []
        items = [item for item in map(_due_from, entries) if item is not None]
        if len(items) < len(entries):
            log.warning("%s: %d damaged items left out", self._path, len(entries) - len(items))
        return items

    def _save(self) -> None:
        data = {"items": [asdict(item) for item in self._items.values()]}
        try:
            write_private_file(self._path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        except OSError as e:
            log.warning(
                "%s: cannot save (%s); it will not survive a restart", self._path, e.strerror
            )


MAX_ROOM_LENGTH = 64
MAX_NAME_LENGTH = 200


def _due_from(entry: Any) -> Due | None:
    """A saved item, or None when the file was damaged or edited into something else: a
    wrong type here would surface later, as a crash while ringing."""
    if not isinstance(entry, dict) or set(entry) - {"at", "name", "details", "id", "room"}:
        return None
    at, name, details = entry.get("at"), entry.get("name"), entry.get("details", {})
    item_id, room = entry.get("id"), entry.get("room")
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
        return None
    if not _short_text(name, MAX_NAME_LENGTH) or not isinstance(details, dict):
        return None
    if not isinstance(item_id, str) or not item_id or not _short_text(room, MAX_ROOM_LENGTH):
        return None
    return Due(float(at), name, details, item_id, room)


def _short_text(value: Any, limit: int) -> bool:
    """None, or printable text of at most `limit` characters."""
    return value is None or (isinstance(value, str) and len(value) <= limit and value.isprintable())
