"""The privacy port over the interaction journal: the privacy skill's only way in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant.errors import JournalError
from assistant.record import Outcome
from assistant.skillkit.ports import Deletion, SpokenEntry

NOTHING_SAID = {str(Outcome.NO_SPEECH), str(Outcome.CANCELLED)}
"""Outcomes of interactions in which nobody said anything."""
SCAN_LIMIT = 50
"""How far back "what I just said" looks past false wakes before giving up."""

if TYPE_CHECKING:
    from assistant.journal.reports import PolicySummary


class JournalPrivacy:
    """`Privacy` over a `Journal` (or the `DisabledJournal`)."""

    def __init__(self, journal: Any) -> None:
        self._journal = journal

    @property
    def keeps_history(self) -> bool:
        if getattr(self._journal, "recording", True):
            return True
        try:  # switched off in the settings, but older entries may still be there to delete
            return bool(self._journal.last(1))
        except JournalError:
            return False

    def last_spoken(
        self, source: str | None, not_before: float, room: str | None = None
    ) -> SpokenEntry | None:
        from assistant.journal.erase import Selection

        in_room = Selection(in_room=True, room=room)
        for entry in self._journal.entries(in_room, limit=SCAN_LIMIT, source=source):
            if entry.started_at < not_before:
                return None
            if str(entry.outcome) in NOTHING_SAID or not (entry.transcript or "").strip():
                continue
            if entry.is_false_wake:  # woken by a noise, or words nobody meant for it
                continue
            if entry.skill == "privacy":  # never logged; older journals may hold one
                continue
            return SpokenEntry(entry.id, entry.started_at, entry.transcript)
        return None

    def ids_between(self, since: float, until: float | None) -> list[int]:
        from assistant.journal.erase import Selection

        return [e.id for e in self._journal.entries(Selection(since=since, until=until))]

    def delete_ids(self, ids: Sequence[int]) -> Deletion:
        return _deletion(self._journal.delete_ids(list(ids)))

    def pause(self, seconds: float) -> float:
        return float(self._journal.pause(seconds))

    def resume(self) -> None:
        self._journal.resume()

    def paused_until(self) -> float | None:
        until = self._journal.paused_until()
        return None if until is None else float(until)

    def policy_summary(self) -> PolicySummary:
        return self._journal.policy_summary()


def _deletion(report: Any) -> Deletion:
    return Deletion(int(report.deleted), bool(report.erased))
