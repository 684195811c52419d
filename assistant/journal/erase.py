"""Deletion that erases: one code path for the owner's commands, the voice and retention.

Erasing takes three steps, in this order:
1. delete the rows in one write transaction (`secure_delete` zeroes their bytes in the
   pages it rewrites);
2. `wal_checkpoint(TRUNCATE)`: copy the rewritten pages into the database file and cut
   the WAL, which still holds the old page images, to zero bytes. If another connection
   is reading an older snapshot the WAL cannot be cut; we retry briefly and otherwise
   report the erasure as incomplete, never as done;
3. remove the audio files of the deleted rows.

`scan_residue` checks the result without knowing what was deleted: in a database
written with `secure_delete`, every byte that holds no live data must be zero.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.journal.store import transaction

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
        if not clauses and not self.everything:
            raise ValueError("an empty selection would delete everything; say so explicitly")
        return (" AND ".join(clauses) or "1"), params


@dataclass
class DeletionReport:
    deleted: int = 0
    """Interactions deleted."""
    audio_removed: int = 0
    """Audio files removed (with their rows, or expired on their own)."""
    erased: bool = True
    """True when the WAL was checkpointed and truncated: no old copy remains in the files."""
    problem: str | None = None
    """Why the erasure is incomplete, in words for the owner."""
    ids: list[int] = field(default_factory=list)

    def merge(self, other: DeletionReport) -> DeletionReport:
        return DeletionReport(
            deleted=self.deleted + other.deleted,
            audio_removed=self.audio_removed + other.audio_removed,
            erased=self.erased and other.erased,
            problem=self.problem or other.problem,
            ids=self.ids + other.ids,
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
                return (
                    "another program is still reading an older state of the journal, so its "
                    "write-ahead log (which may still hold the deleted words) could not be "
                    "cleared; close it and run 'assistant log prune'"
                )
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
    conn: sqlite3.Connection, audio_dir: Path, selection: Selection, wait: float
) -> DeletionReport:
    """Delete the selected interactions and erase them from the files (see module doc)."""
    where, params = selection.where()
    with transaction(conn):
        rows = conn.execute(
            f"SELECT id, audio_file FROM interactions WHERE {where} ORDER BY id", params
        ).fetchall()
        ids = [r[0] for r in rows]
        if ids:
            conn.execute(
                "DELETE FROM interactions WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),),
            )
    problem = checkpoint_truncate(conn, wait)
    removed = remove_audio(audio_dir, [r[1] for r in rows if r[1]])
    return DeletionReport(
        deleted=len(ids), audio_removed=removed, erased=problem is None, problem=problem, ids=ids
    )


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


# --- residue scan -------------------------------------------------------------------------


MIN_TEXT_RUN = 6
MIN_TEXT_CHARS = 4


@dataclass
class Residue:
    page: int
    kind: str
    """'free page', 'free block', 'unallocated space' or 'freelist trunk'."""
    nonzero_bytes: int
    """Bytes that should be zero (free pages and blocks) or text-like bytes (gaps)."""


def scan_residue(db_file: Path, root_pages: list[int]) -> list[Residue]:
    """Places in the database file where bytes that hold no live data are not zero.

    Walks every b-tree from its root page and the freelist. Call it while no other
    connection can change the file (write lock held, WAL empty).
    """
    data = db_file.read_bytes()
    if len(data) < 100:
        return []
    page_size = struct.unpack(">H", data[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    usable = page_size - data[20]

    def page(n: int) -> bytes:
        return data[(n - 1) * page_size : n * page_size]

    found: list[Residue] = []
    seen: set[int] = set()
    stack = list(root_pages)
    while stack:
        number = stack.pop()
        if number in seen or number < 1 or number * page_size > len(data):
            continue
        seen.add(number)
        found.extend(_scan_btree_page(number, page(number), usable, stack))
    found.extend(_scan_freelist(data, page, page_size, usable))
    return found


def _scan_btree_page(number: int, raw: bytes, usable: int, children: list[int]) -> list[Residue]:
    base = 100 if number == 1 else 0
    kind = raw[base]
    if kind not in (2, 5, 10, 13):
        return []
    interior = kind in (2, 5)
    header = 12 if interior else 8
    n_cells = struct.unpack(">H", raw[base + 3 : base + 5])[0]
    content = struct.unpack(">H", raw[base + 5 : base + 7])[0] or 65536
    pointers = [
        struct.unpack(">H", raw[p : p + 2])[0]
        for p in range(base + header, base + header + 2 * n_cells, 2)
    ]
    if interior:
        children.append(struct.unpack(">I", raw[base + 8 : base + 12])[0])
        children.extend(struct.unpack(">I", raw[p : p + 4])[0] for p in pointers)
    found = []
    # The unallocated gap keeps stale cell pointers and child-page numbers after a page is
    # rebalanced (SQLite zeroes deleted cells, not moved ones): binary, never words. Text
    # found there is residue.
    text = _text_runs(raw[base + header + 2 * n_cells : content])
    if text:
        found.append(Residue(number, "unallocated space", text))
    block = struct.unpack(">H", raw[base + 1 : base + 3])[0]
    hops = 0
    while block and block + 4 <= usable and hops < usable:
        hops += 1
        following, size = struct.unpack(">HH", raw[block : block + 4])
        body = raw[block + 4 : block + size]
        if any(body):
            found.append(Residue(number, "free block", sum(1 for b in body if b)))
        block = following
    return found


_TEXT_BYTES = re.compile(rb"[\x20-\x7e\x80-\xf4]{%d,}" % MIN_TEXT_RUN)


def _text_runs(raw: bytes) -> int:
    """Bytes in runs of at least MIN_TEXT_RUN printable characters (UTF-8) in `raw`."""
    total = 0
    for match in _TEXT_BYTES.finditer(raw):
        decoded = match.group().decode("utf-8", errors="replace")
        pieces = re.split(r"[\ufffd\x00-\x1f\x7f]", decoded)
        total += sum(len(p.encode()) for p in pieces if len(p) >= MIN_TEXT_CHARS)
    return total


def _scan_freelist(data: bytes, page, page_size: int, usable: int) -> list[Residue]:
    found = []
    trunk = struct.unpack(">I", data[32:36])[0]
    hops = 0
    while trunk and trunk * page_size <= len(data) and hops < len(data) // page_size:
        hops += 1
        raw = page(trunk)
        following, count = struct.unpack(">II", raw[:8])
        count = min(count, (usable - 8) // 4)
        leaves = struct.unpack(f">{count}I", raw[8 : 8 + 4 * count])
        tail = raw[8 + 4 * count : usable]
        if any(tail):
            found.append(Residue(trunk, "freelist trunk", sum(1 for b in tail if b)))
        for leaf in leaves:
            if leaf * page_size <= len(data):
                body = page(leaf)
                if any(body):
                    found.append(Residue(leaf, "free page", sum(1 for b in body if b)))
        trunk = following
    return found
