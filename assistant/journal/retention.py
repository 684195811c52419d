"""The owner's retention policy, applied with the same erasure code as every deletion."""

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

DAY = 86400.0


def sweep(
    conn: sqlite3.Connection, audio_dir: Path, policy: JournalConfig, now: float, wait: float
) -> DeletionReport:
    """Delete what the policy no longer allows: old rows, rows over the count, old audio."""
    report = DeletionReport()
    cutoff = now - policy.retention_days * DAY
    if conn.execute(
        "SELECT 1 FROM interactions WHERE started_at < ? LIMIT 1", (cutoff,)
    ).fetchone():
        report = report.merge(erase(conn, audio_dir, Selection(until=cutoff), wait))
    excess = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM interactions ORDER BY started_at DESC, id DESC LIMIT -1 OFFSET ?",
            (policy.max_interactions,),
        )
    ]
    if excess:
        report = report.merge(erase(conn, audio_dir, Selection(ids=tuple(excess)), wait))
    # Audio kept from before the owner switched keeping off goes too: it is no longer allowed.
    audio_cutoff = now - policy.audio_retention_days * DAY if policy.keep_audio else float("inf")
    report = report.merge(expire_audio(conn, audio_dir, audio_cutoff, wait))
    report.audio_removed += remove_orphan_audio(conn, audio_dir)
    return report
