"""The interaction journal: what was said and answered, kept only as the owner allows.

Layout: `journal` (the `Journal` class), `disabled` (the switched-off journal: the same
interface over a null store), `store` (file, connection settings, schema), `erase` (the
one deletion path), `residue` (the byte scan that proves an erasure), `retention` (the
owner's limits), `reports` (typed reports).
"""

from __future__ import annotations

from assistant.journal.disabled import DisabledJournal
from assistant.journal.erase import DeletionPlan, DeletionReport, Selection
from assistant.journal.journal import MAX_PAUSE_SECONDS, Journal
from assistant.journal.reports import JournalStats, PolicySummary, VerifyReport
from assistant.journal.residue import Residue
from assistant.journal.store import Entry, JournalStatus

__all__ = [
    "MAX_PAUSE_SECONDS",
    "DeletionPlan",
    "DeletionReport",
    "DisabledJournal",
    "Entry",
    "Journal",
    "JournalStats",
    "JournalStatus",
    "PolicySummary",
    "Residue",
    "Selection",
    "VerifyReport",
]
