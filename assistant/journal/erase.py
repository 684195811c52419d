"""Deletion that erases: one code path for the owner's commands, the voice and retention.

`secure_delete` zeroes a deleted row where it lies, but not the copies SQLite left
behind earlier, while the row was alive: when a page is rebalanced, cells move to other
pages and their old bytes stay in the unallocated gap of the page they left. Random
deletions after a few hundred interactions left such copies here. So erasing is:

1. delete the rows in one write transaction;
2. remove the audio files of the deleted rows;
3. `VACUUM`: SQLite rebuilds the database from the live rows only and writes every page
   of the file anew (through the WAL); the file is cut to the new size;
4. `wal_checkpoint(TRUNCATE)`: copy those pages into the database file and cut the WAL,
   which holds the old and new page images, to zero bytes;
5. the byte scan (`residue.scan_locked`): under the write lock with an empty WAL, no
   byte of the file outside live data may hold text or, in free space, anything but zero.

Only when step 5 agrees is the deletion reported as erased. If another connection is
reading an older snapshot, the WAL cannot be cut: we retry briefly and otherwise report
the erasure as incomplete, never as done.

VACUUM is done in place rather than into a new file renamed over the old one: the
service and the owner's commands hold the database open at the same time, and a rename
would leave them writing to a file that no longer has a name.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.journal.residue import scan_locked
from assistant.journal.store import COLUMNS, Entry, get_setting, set_setting, transaction

log = logging.getLogger("assistant.journal")


@dataclass(frozen=True)
class Selection:
    """Which interactions to delete (conditions combine with AND)."""

    ids: tuple[int, ...] | None = None
    since: float | None = None
    """Unix time, inclusive."""
    until: float | None = None
    """Unix time, exclusive."""
    matching: str | None = None
    """Text contained (ignoring case) in the transcript, the reply or a slot value."""
    everything: bool = False
    up_to_id: int | None = None
    """Only rows that existed when the owner was shown the selection."""
    in_room: bool = False
    """Only what the speaker of `room` heard (`room` None: the assistant's own speaker)."""
    room: str | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        """SQL condition on `interactions` and its named parameters."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.ids is not None:
            clauses.append("id IN (SELECT value FROM json_each(:ids))")
            params["ids"] = json.dumps([int(i) for i in self.ids])
        if self.since is not None:
            clauses.append("started_at >= :since")
            params["since"] = float(self.since)
        if self.until is not None:
            clauses.append("started_at < :until")
            params["until"] = float(self.until)
        if self.matching is not None:
            clauses.append(
                "(contains_text(transcript, :text) OR contains_text(reply, :text) "
                "OR contains_text(slots, :text))"
            )
            params["text"] = self.matching
        if self.up_to_id is not None:
            clauses.append("id <= :up_to_id")
            params["up_to_id"] = int(self.up_to_id)
        if self.in_room:
            clauses.append("room IS :room")
            params["room"] = self.room
        if not clauses and not self.everything:
            raise ValueError("an empty selection would delete everything; say so explicitly")
        return (" AND ".join(clauses) or "1"), params


@dataclass(frozen=True)
class DeletionReport:
    deleted: int = 0
    """Interactions deleted."""
    audio_removed: int = 0
    """Audio files removed (with their rows, or expired on their own)."""
    erased: bool = True
    """True when the WAL was checkpointed and truncated: no old copy remains in the files."""
    problem: str | None = None
    """Why the erasure is incomplete, in words for the owner."""
    ids: tuple[int, ...] = field(default_factory=tuple)

    def to_json_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ids": list(self.ids)}

    def merge(self, other: DeletionReport) -> DeletionReport:
        return DeletionReport(
            deleted=self.deleted + other.deleted,
            audio_removed=self.audio_removed + other.audio_removed,
            erased=self.erased and other.erased,
            problem=self.problem or other.problem,
            ids=self.ids + other.ids,
        )

    def failed(self, problem: str) -> DeletionReport:
        """The same deletion, reported as not (yet) erased."""
        return dataclasses.replace(self, erased=False, problem=problem)


@dataclass(frozen=True)
class DeletionPlan:
    """What a deletion will take, as shown to the owner before asking."""

    selection: Selection
    """Pinned to the rows that existed when the plan was made (`up_to_id`)."""
    entries: tuple[Entry, ...]
    """The entries it selects now, oldest first."""
    missing_ids: tuple[int, ...]
    """Ids asked for by number that do not exist."""


WAL_BUSY = (
    "another program is still reading an older state of the journal, so its write-ahead "
    "log (which may still hold the deleted words) could not be cleared; close it and run "
    "'assistant log prune'"
)


def checkpoint_truncate(conn: sqlite3.Connection, wait: float) -> str | None:
    """Cut the WAL to zero bytes; None on success, else why not (after retrying for `wait` s)."""
    deadline = time.monotonic() + wait
    # A short busy timeout per attempt, so the total wait is ours to bound.
    saved = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute("PRAGMA busy_timeout=200")
    try:
        while True:
            try:
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            except sqlite3.OperationalError:
                busy = 1
            if not busy:
                return None
            if time.monotonic() >= deadline:
                return WAL_BUSY
            time.sleep(0.05)
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(saved)}")


def remove_audio(audio_dir: Path, names: list[str]) -> int:
    removed = 0
    for name in names:
        path = audio_dir / Path(name).name  # a bare file name; never a path out of the folder
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def erase(
    conn: sqlite3.Connection, db_file: Path, audio_dir: Path, selection: Selection, wait: float
) -> DeletionReport:
    """Delete the selected interactions and erase them from the files (see module doc)."""
    where, params = selection.where()
    with transaction(conn):
        rows = conn.execute(
            f"SELECT id, audio_file FROM interactions WHERE {where} ORDER BY id", params
        ).fetchall()
        ids = tuple(r[0] for r in rows)
        if ids:
            conn.execute(
                "DELETE FROM interactions WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),),
            )
    removed = remove_audio(audio_dir, [r[1] for r in rows if r[1]])
    # "Everything" rebuilds even when no row is left: it also clears what older versions
    # of the journal may have left in the file.
    # A store without a file (the switched-off journal's) has nothing on disk to rebuild.
    rebuild = (ids or selection.everything) and db_file.exists()
    problem = rebuild_and_prove(conn, db_file, wait) if rebuild else checkpoint_truncate(conn, wait)
    return DeletionReport(
        deleted=len(ids), audio_removed=removed, erased=problem is None, problem=problem, ids=ids
    )


def rebuild_and_prove(conn: sqlite3.Connection, db_file: Path, wait: float) -> str | None:
    """Steps 3 to 5 of the module doc; None when the byte scan agrees, else why not."""
    try:
        conn.execute("VACUUM")
    except sqlite3.OperationalError as e:
        # Busy or out of space: the rows are deleted but their old copies may remain.
        # Reported as not erased, so the next sweep or `log prune` tries again.
        return f"the database could not be rebuilt ({e}); run 'assistant log prune'"
    problem = checkpoint_truncate(conn, wait)
    if problem is not None:
        return problem
    residue, scanned = scan_locked(conn, db_file, wait, checkpoint_truncate)
    if not scanned:
        return WAL_BUSY
    if residue:
        log.warning("journal: %d places of %s still hold deleted bytes", len(residue), db_file)
        return (
            f"the byte scan still found content in {len(residue)} places of the database "
            "file; run 'assistant log verify'"
        )
    return None


def expire_audio(
    conn: sqlite3.Connection, audio_dir: Path, before: float, wait: float
) -> DeletionReport:
    """Remove kept audio recorded before `before`; the text rows stay (text has its own limit)."""
    with transaction(conn):
        rows = conn.execute(
            "SELECT id, audio_file FROM interactions WHERE audio_file IS NOT NULL "
            "AND started_at < ?",
            (before,),
        ).fetchall()
        if rows:
            conn.execute(
                "UPDATE interactions SET audio_file = NULL WHERE id IN "
                "(SELECT value FROM json_each(?))",
                (json.dumps([r[0] for r in rows]),),
            )
    removed = remove_audio(audio_dir, [r[1] for r in rows])
    problem = checkpoint_truncate(conn, wait) if rows else None
    return DeletionReport(audio_removed=removed, erased=problem is None, problem=problem)


def remove_orphan_audio(conn: sqlite3.Connection, audio_dir: Path) -> int:
    """Remove audio files no row refers to (left by a crash between file and row)."""
    if not audio_dir.is_dir():
        return 0
    # Listed under the write lock: a writer saves its audio file inside its own write
    # transaction, so a file whose row is still being inserted is never seen here.
    with transaction(conn):
        referenced = {
            r[0]
            for r in conn.execute(
                "SELECT audio_file FROM interactions WHERE audio_file IS NOT NULL"
            )
        }
        orphans = [p.name for p in audio_dir.iterdir() if p.is_file() and p.name not in referenced]
    return remove_audio(audio_dir, orphans)


def settle(
    conn: sqlite3.Connection, db_file: Path, report: DeletionReport, now: float, wait: float
) -> DeletionReport:
    """Remember an incomplete erasure, and finish an earlier one once the WAL is free."""
    pending = get_setting(conn, "erasure_pending") is not None
    if not report.erased:
        if not pending:
            set_setting(conn, "erasure_pending", repr(now))
        return report
    if not pending:
        return report
    set_setting(conn, "erasure_pending", None)
    problem = rebuild_and_prove(conn, db_file, wait)
    if problem is not None:
        set_setting(conn, "erasure_pending", repr(now))
        return report.failed(problem)
    return report


def entries_query(
    selection: Selection | None,
    limit: int | None,
    source: str | None,
    intent: str | None,
    oldest_first: bool,
) -> tuple[str, dict[str, Any]]:
    """SQL and parameters reading the selected entries, newest (or oldest) first."""
    where, params = (selection or Selection(everything=True)).where()
    if source is not None:
        where += " AND source = :source"
        params["source"] = str(source)
    if intent is not None:
        where += " AND intent = :intent"
        params["intent"] = intent
    order = "ASC" if oldest_first else "DESC"
    params["limit"] = -1 if limit is None else int(limit)
    sql = (
        f"SELECT {COLUMNS} FROM interactions WHERE {where} "
        f"ORDER BY started_at {order}, id {order} LIMIT :limit"
    )
    return sql, params
