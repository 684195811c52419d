"""The end of every interaction: the journal keeps it, then whoever watches sees it.

The watcher (`run --json` printing, bench/) gets the record with its journal row id,
so it is called after the journal. A journal that cannot write is reported once per
streak of failures, and the assistant goes on answering.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from assistant.errors import JournalError

if TYPE_CHECKING:
    from assistant.record import Interaction

log = logging.getLogger(__name__)

Watcher = Callable[["Interaction"], None]


class JournalPort(Protocol):
    """What the assistant needs of the journal (`assistant.journal.Journal` has more)."""

    def record(self, interaction: Interaction) -> int | None: ...
    def close(self) -> None: ...


class Recorder:
    def __init__(self, journal: JournalPort | None, watcher: Watcher | None = None) -> None:
        self.journal = journal
        self.watcher = watcher
        self._failing = False

    def keep(self, interaction: Interaction, private: bool = False) -> Interaction:
        """Store `interaction` (unless private) and return it with its row id, if any."""
        if self.journal is not None and not private:
            interaction = interaction.with_id(self._write(interaction))
        if self.watcher is not None:
            self.watcher(interaction)
        return interaction

    def _write(self, interaction: Interaction) -> int | None:
        assert self.journal is not None
        try:
            row_id = self.journal.record(interaction)
        except JournalError as e:
            if not self._failing:
                log.warning("cannot write the journal, still answering: %s", e)
            self._failing = True
            return None
        if self._failing:
            log.warning("journal writable again")
            self._failing = False
        return row_id

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
