"""The byte scan that proves an erasure: no deleted content left in the database file.

It works without knowing what was deleted. In a database written with `secure_delete`,
free blocks, free pages and freelist trunks must hold only zeros; the unallocated gap of
a b-tree page may keep stale cell pointers (binary) but never words. `scan_locked` runs
the scan while holding the write lock with an empty WAL, so what it reads is the whole
state of the journal, and no other connection can change it meanwhile.

The pages are read through SQLite (`Connection.serialize`), never by opening the file:
closing any descriptor of a file drops every POSIX lock this process holds on it, the
locks SQLite's own connections rely on to share the file with the service.
"""

from __future__ import annotations

import os
import re
import sqlite3
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.journal.store import transaction

MIN_TEXT_RUN = 6
MIN_TEXT_CHARS = 4


@dataclass(frozen=True)
class Residue:
    page: int
    kind: str
    """'free page', 'free block', 'unallocated space', 'freelist trunk', or 'beyond the
    last page'."""
    nonzero_bytes: int
    """Bytes that should be zero (free pages and blocks) or text-like bytes (gaps)."""


def scan_locked(
    conn: sqlite3.Connection,
    db_file: Path,
    wait: float,
    checkpoint: Callable[[sqlite3.Connection, float], str | None],
) -> tuple[list[Residue], bool]:
    """Scan `db_file` under the write lock once its WAL is empty.

    Returns the residue found and whether the scan could run at all: False when another
    connection kept the WAL from being cleared for `wait` seconds.
    """
    sides = [Path(f"{db_file}{suffix}") for suffix in ("-wal", "-journal")]
    deadline = time.monotonic() + wait
    while True:
        checkpoint(conn, 0.5)
        with transaction(conn):
            if all(not p.exists() or p.stat().st_size == 0 for p in sides):
                roots = [r[0] for r in conn.execute(
                    "SELECT rootpage FROM sqlite_master WHERE rootpage > 0")]  # fmt: skip
                data = conn.serialize()
                found = scan_residue(data, [1, *roots])
                tail = os.stat(db_file).st_size - len(data)
                if tail > 0:  # bytes past the last page SQLite knows: nothing should be there
                    found.append(Residue(len(data) // max(1, _page_size(data)) + 1,
                                         "beyond the last page", tail))  # fmt: skip
                return found, True
        if time.monotonic() >= deadline:
            return [], False
        time.sleep(0.05)


def _page_size(data: bytes) -> int:
    size = struct.unpack(">H", data[16:18])[0] if len(data) >= 100 else 0
    return 65536 if size == 1 else size


def scan_residue(data: bytes, root_pages: list[int]) -> list[Residue]:
    """Places in the database image `data` where bytes that hold no live data are not zero.

    Walks every b-tree from its root page and the freelist. `data` must be a state no
    other connection can change meanwhile (write lock held, WAL empty).
    """
    if len(data) < 100:
        return []
    page_size = _page_size(data)
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
