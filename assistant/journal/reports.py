"""What the journal reports about itself: typed, immutable, and the same for every caller
(the owner's commands, `assistant doctor`, the privacy skill, the history page)."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import JournalConfig
from assistant.journal.residue import Residue
from assistant.journal.store import JournalStatus, damaged_copies, get_setting, row_count


@dataclass(frozen=True)
class PolicySummary:
    """The retention in force and what is kept: the answer to "what do you keep about me"."""

    enabled: bool
    """`journal.enabled` in the configuration."""
    logging: bool
    """True when the next interaction would be recorded."""
    not_logging_because: str | None
    paused_until: float | None
    """Unix time at which a pause ends, if logging is paused."""
    retention_days: float
    max_interactions: int
    keep_audio: bool
    audio_retention_days: float
    interactions: int
    """Interactions stored now."""
    audio_files: int
    """Of those, how many keep their command audio."""
    oldest: float | None
    """Unix time of the oldest stored interaction."""
    newest: float | None

    def to_json_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class JournalStats:
    policy: PolicySummary
    by_day: dict[str, dict[str, int]]
    """Local date (YYYY-MM-DD) → outcome → count."""
    false_wakes: int
    """Spoken interactions with no speech or nothing understood."""
    typed: int
    bytes_on_disk: int
    """The database, its WAL and index files, and kept audio."""
    database: str
    """Path of the database file."""

    def to_json_dict(self) -> dict[str, Any]:
        # Flat, as `assistant log stats --json` has always printed it.
        return {
            **self.policy.to_json_dict(),
            "by_day": self.by_day,
            "false_wakes": self.false_wakes,
            "typed": self.typed,
            "bytes_on_disk": self.bytes_on_disk,
            "database": self.database,
        }


@dataclass(frozen=True)
class VerifyReport:
    integrity: tuple[str, ...]
    """`PRAGMA integrity_check` lines: ('ok',) when sound."""
    residue: tuple[Residue, ...]
    """Places in the database file that still hold bytes of deleted content."""
    wal_cleared: bool
    """False when another program kept the WAL busy, so the residue scan could not run."""
    erasure_pending: bool
    """An earlier deletion could not be erased yet (see `assistant log prune`)."""
    audio_missing: tuple[str, ...]
    """Audio files named by an interaction but absent."""
    audio_unreferenced: tuple[str, ...]
    """Audio files that belong to no interaction."""
    damaged_copies: tuple[str, ...]
    """Damaged journals moved aside and kept for the owner."""

    @property
    def integrity_ok(self) -> bool:
        return self.integrity == ("ok",)

    @property
    def ok(self) -> bool:
        return (
            self.integrity_ok
            and not self.residue
            and self.wal_cleared
            and not self.erasure_pending
            and not self.audio_missing
            and not self.audio_unreferenced
            and not self.damaged_copies
        )

    def to_json_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        return {"ok": self.ok, **{k: list(v) if isinstance(v, tuple) else v
                                  for k, v in data.items()}}  # fmt: skip


# --- reading them -------------------------------------------------------------------------


def read_policy_summary(
    conn: sqlite3.Connection, policy: JournalConfig, status: JournalStatus
) -> PolicySummary:
    count = row_count(conn)
    oldest, newest = conn.execute(
        "SELECT min(started_at), max(started_at) FROM interactions"
    ).fetchone()
    audio = conn.execute(
        "SELECT count(*) FROM interactions WHERE audio_file IS NOT NULL"
    ).fetchone()[0]
    return PolicySummary(
        enabled=policy.enabled,
        logging=status.logging,
        not_logging_because=status.reason,
        paused_until=status.paused_until,
        retention_days=policy.retention_days,
        max_interactions=policy.max_interactions,
        keep_audio=policy.keep_audio,
        audio_retention_days=policy.audio_retention_days,
        interactions=count,
        audio_files=audio,
        oldest=oldest,
        newest=newest,
    )


def read_stats(
    conn: sqlite3.Connection, policy: PolicySummary, bytes_on_disk: int, database: Path
) -> JournalStats:
    by_day = conn.execute(
        "SELECT date(started_at, 'unixepoch', 'localtime') AS day, "
        "coalesce(outcome, 'unknown'), count(*) FROM interactions "
        "GROUP BY day, outcome ORDER BY day"
    ).fetchall()
    false_wakes, typed = conn.execute(
        "SELECT coalesce(sum(source = 'voice' AND outcome IN "
        "('no_speech', 'not_understood')), 0), coalesce(sum(source = 'typed'), 0) "
        "FROM interactions"
    ).fetchone()
    days: dict[str, dict[str, int]] = {}
    for day, outcome, count in by_day:
        days.setdefault(str(day), {})[outcome] = count
    return JournalStats(policy, days, int(false_wakes), int(typed), bytes_on_disk, str(database))


def read_verify(
    conn: sqlite3.Connection,
    scan: Callable[[sqlite3.Connection], tuple[list[Residue], bool]],
    audio_dir: Path,
    data_dir: Path,
) -> VerifyReport:
    integrity = tuple(r[0] for r in conn.execute("PRAGMA integrity_check"))
    residue, wal_clear = scan(conn)
    referenced = {
        r[0]
        for r in conn.execute("SELECT audio_file FROM interactions WHERE audio_file IS NOT NULL")
    }
    pending = get_setting(conn, "erasure_pending") is not None
    files = {p.name for p in audio_dir.iterdir()} if audio_dir.is_dir() else set()
    damaged = damaged_copies(data_dir) if data_dir.is_dir() else []
    return VerifyReport(
        integrity=integrity,
        residue=tuple(residue),
        wal_cleared=wal_clear,
        erasure_pending=pending,
        audio_missing=tuple(sorted(referenced - files)),
        audio_unreferenced=tuple(sorted(files - referenced)),
        damaged_copies=tuple(str(p) for p in damaged),
    )
