"""The owner's retention policy, applied with the same erasure code as every deletion.

Each erasure rebuilds the database file, so expiry works in small batches: once a row is
over a limit, the rows that would pass it soon go with it, up to `EARLY` of the limit
early (7 hours of 30 days; 100 of 10,000 interactions). Nothing is ever kept longer or
in greater number than the owner allows; a full journal rebuilds its file about once
every hundred interactions instead of after every one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assistant.config import JournalConfig
from assistant.journal.erase import (
    DeletionReport,
    Selection,
    erase,
    expire_audio,
    remove_orphan_audio,
)
from assistant.journal.store import row_count

DAY = 86400.0
EARLY = 0.01
"""Fraction of a limit by which a batch may expire rows early."""


def sweep(
    conn: sqlite3.Connection,
    db_file: Path,
    audio_dir: Path,
    policy: JournalConfig,
    now: float,
    wait: float,
) -> DeletionReport:
    """Delete what the policy no longer allows: old rows, rows over the count, old audio."""
    report = DeletionReport()
    expired = expired_ids(conn, policy, now)
    if expired:
        # One erasure for both limits: each erasure rebuilds the file once.
        report = erase(conn, db_file, audio_dir, Selection(ids=expired), wait)
    # Audio kept from before the owner switched keeping off goes too: it is no longer allowed.
    audio_cutoff = now - policy.audio_retention_days * DAY if policy.keep_audio else float("inf")
    report = report.merge(expire_audio(conn, audio_dir, audio_cutoff, wait))
    orphans = remove_orphan_audio(conn, audio_dir)
    return report.merge(DeletionReport(audio_removed=orphans))


def expired_ids(conn: sqlite3.Connection, policy: JournalConfig, now: float) -> tuple[int, ...]:
    """Rows older than the age limit, and the oldest rows beyond the count limit."""
    cutoff = now - policy.retention_days * DAY
    if conn.execute(
        "SELECT 1 FROM interactions WHERE started_at < ? LIMIT 1", (cutoff,)
    ).fetchone():
        cutoff = now - policy.retention_days * DAY * (1 - EARLY)
    ids = {r[0] for r in conn.execute("SELECT id FROM interactions WHERE started_at < ?",
                                      (cutoff,))}  # fmt: skip
    excess = row_count(conn) - len(ids) - policy.max_interactions
    if excess > 0:
        excess += int(policy.max_interactions * EARLY)
        ids.update(r[0] for r in conn.execute(
            "SELECT id FROM interactions WHERE started_at >= ? "
            "ORDER BY started_at ASC, id ASC LIMIT ?", (cutoff, excess)))  # fmt: skip
    return tuple(sorted(ids))
