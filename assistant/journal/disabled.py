"""The journal the owner switched off (`journal.enabled: false`).

It is a `Journal` over a null store: an in-memory database that nothing is ever
recorded into, so every method answers as the real journal would for an empty one, and
no file or folder is created. Nothing here copies the journal's methods by hand.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from assistant.config import Config
from assistant.journal.journal import Journal
from assistant.journal.residue import Residue
from assistant.journal.store import connect_memory


class DisabledJournal(Journal):
    """What `Journal.open` returns when logging is switched off and no journal exists."""

    def __init__(self, config: Config, clock: Any = None) -> None:
        super().__init__(config, clock, recording=False)

    def _open_store(self) -> sqlite3.Connection:
        return connect_memory()

    def _scan(self, conn: sqlite3.Connection) -> tuple[list[Residue], bool]:
        return [], True  # no file, so nothing to scan

    def size_on_disk(self) -> int:
        return 0
