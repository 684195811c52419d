"""The journal's SQLite file: private creation, connection settings, schema migrations, damage.

Every connection gets the same settings, because erasure depends on them:
`secure_delete` zeroes deleted content, WAL lets the service and the owner's
commands share the file, and `temp_store=MEMORY` keeps sort spills out of /tmp.
Writes use `BEGIN IMMEDIATE`, so a writer waits (busy timeout) instead of failing
half way through.
"""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import sqlite3
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import JournalError
from assistant.paths import PRIVATE_FILE_MODE, ensure_private_dir, write_private_file
from assistant.record import Interaction, Outcome, Source

log = logging.getLogger("assistant.journal")

DB_NAME = "journal.db"
AUDIO_DIR = "audio"
SIDE_FILES = ("-wal", "-shm", "-journal")
BUSY_TIMEOUT_MS = 5000
DAMAGED_SUFFIX = ".damaged-"
SQLITE_HEADER = b"SQLite format 3\x00"

# SQLite result codes that mean "this file is not a sound database".
_CORRUPTION_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


@dataclass(frozen=True)
class Entry(Interaction):
    """An interaction read back from the journal (audio not loaded)."""

    audio_path: str | None = None
    """Absolute path of the kept command audio (WAV), if any."""


# --- migrations ---------------------------------------------------------------------------

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[int, str, Migration]] = []


def migration(version: int, name: str) -> Callable[[Migration], Migration]:
    """Register a schema step; steps run in version order, each in its own transaction."""

    def register(fn: Migration) -> Migration:
        MIGRATIONS.append((version, name, fn))
        MIGRATIONS.sort(key=lambda m: m[0])
        return fn

    return register


@migration(1, "interactions and settings")
def _create_tables(conn: sqlite3.Connection) -> None:
    # AUTOINCREMENT: an id is never handed out twice, so a deleted entry cannot seem to return.
    conn.execute(
        """CREATE TABLE interactions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at REAL NOT NULL,
            source TEXT NOT NULL,
            language TEXT,
            wake_word TEXT,
            wake_score REAL,
            transcript TEXT,
            intent TEXT,
            skill TEXT,
            slots TEXT NOT NULL DEFAULT '{}',
            reply TEXT,
            outcome TEXT,
            timings_ms TEXT NOT NULL DEFAULT '{}',
            audio_file TEXT
        )"""
    )
    conn.execute("CREATE INDEX interactions_started_at ON interactions(started_at)")
    conn.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migration(2, "index of rows with kept audio")
def _index_kept_audio(conn: sqlite3.Connection) -> None:
    # The audio sweep after every write looks for old rows that still hold audio; without
    # this partial index it read every row (30 ms per write at 100k rows, 1.8 ms with it).
    conn.execute(
        "CREATE INDEX interactions_kept_audio ON interactions(started_at) "
        "WHERE audio_file IS NOT NULL"
    )


@migration(3, "row count kept by triggers")
def _count_rows(conn: sqlite3.Connection) -> None:
    # The count retention needs the number of rows after every write; counting walked the
    # whole index each time. The triggers keep it exact in every process that writes.
    conn.execute("CREATE TABLE row_count (n INTEGER NOT NULL)")
    conn.execute("INSERT INTO row_count (n) SELECT count(*) FROM interactions")
    conn.execute(
        "CREATE TRIGGER interactions_count_insert AFTER INSERT ON interactions "
        "BEGIN UPDATE row_count SET n = n + 1; END"
    )
    conn.execute(
        "CREATE TRIGGER interactions_count_delete AFTER DELETE ON interactions "
        "BEGIN UPDATE row_count SET n = n - 1; END"
    )


@migration(4, "the room whose speaker heard an interaction")
def _add_room(conn: sqlite3.Connection) -> None:
    # A journal whose migration record was lost may have the column already.
    columns = {row[1] for row in conn.execute("PRAGMA table_info(interactions)")}
    if "room" not in columns:
        conn.execute("ALTER TABLE interactions ADD COLUMN room TEXT")


def row_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT n FROM row_count").fetchone()[0])


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    known = MIGRATIONS[-1][0]
    for version, name, step in MIGRATIONS:
        with transaction(conn):
            # Checked inside the write lock: two processes opening at once apply each step once.
            current = schema_version(conn)
            if current > known:
                raise JournalError(
                    f"the journal was written by a newer version of the assistant "
                    f"(schema {current}, this version knows up to {known})"
                )
            if version <= current:
                continue
            step(conn)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, time.time()),
            )


# --- connections --------------------------------------------------------------------------


def is_corruption(error: BaseException) -> bool:
    return getattr(error, "sqlite_errorcode", None) in _CORRUPTION_CODES or (
        isinstance(error, sqlite3.DatabaseError)
        and not isinstance(error, sqlite3.OperationalError)
        and "malformed" in str(error)
    )


def create_private(path: Path) -> None:
    """Create (or tighten) `path` as 0600 before SQLite touches it.

    SQLite gives its -wal and -shm files the mode of the database file, so a 0600
    database keeps every companion file private without changing the process umask.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o777 != PRIVATE_FILE_MODE:
            os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    for suffix in SIDE_FILES:
        side = Path(f"{path}{suffix}")
        if side.exists() and side.stat().st_mode & 0o777 != PRIVATE_FILE_MODE:
            side.chmod(PRIVATE_FILE_MODE)


def connect(path: Path) -> sqlite3.Connection:
    """Open the journal database with the settings every connection must have."""
    ensure_private_dir(path.parent)
    create_private(path)
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.create_function("contains_text", 2, contains_text, deterministic=True)
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("PRAGMA temp_store=MEMORY")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise JournalError(f"{path}: cannot switch the journal to WAL mode (got {mode})")
        # FULL: an entry acknowledged to the pipeline survives a power cut, not only a crash.
        conn.execute("PRAGMA synchronous=FULL")
        # A small WAL: fewer stale page copies linger between checkpoints, less flash wear.
        conn.execute("PRAGMA wal_autocheckpoint=200")
        conn.execute(f"PRAGMA journal_size_limit={1024 * 1024}")
    except BaseException:
        conn.close()
        raise
    return conn


def connect_memory() -> sqlite3.Connection:
    """A database that lives and dies in memory: the store of a switched-off journal."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.create_function("contains_text", 2, contains_text, deterministic=True)
    return conn


def open_database(path: Path, now: float, check: bool) -> tuple[sqlite3.Connection, Path | None]:
    """Connect to the journal at `path`; first, when `check`, move a damaged file aside
    (kept, never deleted). Returns the connection and where a damaged file went."""
    ensure_private_dir(path.parent)
    problem = check_health(path) if check else None
    moved = None
    if problem:
        moved = move_aside(path, now)
        log.warning(
            "journal: %s was damaged (%s); it was moved to %s and kept; a new journal was started",
            path, problem, moved,
        )  # fmt: skip
    return connect(path), moved


def contains_text(value: str | None, text: str) -> bool:
    """SQL function: case-insensitive substring test that also folds non-ASCII letters."""
    return value is not None and text.casefold() in value.casefold()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the write lock up front (waits, never half-fails)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def check_health(path: Path) -> str | None:
    """None when `path` is a sound SQLite database (or absent), else what is wrong with it."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    with open(path, "rb") as f:
        if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            return "it is not an SQLite database"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.DatabaseError as e:
        return f"it cannot be opened ({e})"
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as e:
        if is_corruption(e):
            return f"it is damaged ({e})"
        raise
    finally:
        conn.close()
    if rows != [("ok",)]:
        return f"it is damaged ({rows[0][0]})"
    return None


def move_aside(path: Path, now: float) -> Path:
    """Rename a damaged database (and its WAL) out of the way; it is kept, never deleted."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now))
    target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}{stamp}-{n}")
    for suffix in ("-wal", "-journal"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.replace(side, f"{target}{suffix}")
    Path(f"{path}-shm").unlink(missing_ok=True)  # an index of the WAL, rebuilt from it on open
    os.replace(path, target)
    return target


def damaged_copies(data_dir: Path) -> list[Path]:
    return sorted(
        p for p in data_dir.glob(f"{DB_NAME}{DAMAGED_SUFFIX}*") if not p.name.endswith(SIDE_FILES)
    )


# --- rows ---------------------------------------------------------------------------------

COLUMNS = (
    "id, started_at, source, language, wake_word, wake_score, transcript, intent, skill, "
    "slots, reply, outcome, timings_ms, audio_file, room"
)


INSERT_SQL = (
    f"INSERT INTO interactions ({COLUMNS.removeprefix('id, ')}) "
    f"VALUES ({', '.join('?' * len(COLUMNS.split(', ')[1:]))})"
)
"""One row from `row_values` (the benchmarks fill large journals with it too)."""


def row_values(interaction: Interaction, audio_file: str | None) -> tuple[Any, ...]:
    # ensure_ascii=False: slot values are stored as the words themselves, so a search (and
    # an erasure check) for the words finds them.
    return (
        float(interaction.started_at),
        str(interaction.source),
        interaction.language,
        interaction.wake_word,
        interaction.wake_score,
        interaction.transcript,
        interaction.intent,
        interaction.skill,
        json.dumps(interaction.slots or {}, ensure_ascii=False, default=str),
        interaction.reply,
        str(interaction.outcome) if interaction.outcome else None,
        json.dumps(interaction.timings_ms or {}),
        audio_file,
        interaction.room,
    )


def insert(conn: sqlite3.Connection, interaction: Interaction, audio_dir: Path | None) -> int:
    """Store one interaction (and its audio in `audio_dir`, if given); returns its id."""
    audio_file = None
    with transaction(conn):
        # The audio file is written inside the write transaction, so an orphan sweep in
        # another process never sees a file whose row is not yet committed.
        # `is not None and len`: the pipeline may hand over a numpy array.
        if audio_dir is not None and interaction.audio is not None and len(interaction.audio):
            audio_file = f"{secrets.token_hex(8)}.wav"
            write_private_file(audio_dir / audio_file, wav_bytes(interaction.audio))
        try:
            cursor = conn.execute(
                INSERT_SQL,
                row_values(interaction, audio_file),
            )
        except BaseException:
            if audio_file:
                (audio_dir / audio_file).unlink(missing_ok=True)  # type: ignore[operator]
            raise
    return int(cursor.lastrowid or 0)


def entry_from_row(row: tuple[Any, ...], audio_dir: Path) -> Entry:
    (id_, started_at, source, language, wake_word, wake_score, transcript, intent, skill,
     slots, reply, outcome, timings, audio_file, room) = row  # fmt: skip
    return Entry(
        id=id_,
        started_at=started_at,
        source=Source(source),
        language=language,
        wake_word=wake_word,
        wake_score=wake_score,
        transcript=transcript,
        intent=intent,
        skill=skill,
        slots=json.loads(slots or "{}"),
        reply=reply,
        outcome=Outcome(outcome) if outcome else None,
        timings_ms=json.loads(timings or "{}"),
        audio_path=str(audio_dir / audio_file) if audio_file else None,
        room=room,
    )


def get_setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_setting(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    with transaction(conn):
        if value is None:
            conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        else:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


class WallClock:
    def time(self) -> float:
        return time.time()


@dataclass
class JournalStatus:
    logging: bool
    """True when the next interaction would be recorded."""
    reason: str | None = None
    """Why not: switched off, paused, or the last write failed (and why)."""
    paused_until: float | None = None


AUDIO_RATE = 16000


def wav_bytes(samples: bytes) -> bytes:
    """16 kHz mono int16 PCM → a WAV file's bytes (numpy arrays are accepted as buffers)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(AUDIO_RATE)
        w.writeframes(bytes(memoryview(samples).cast("B")))
    return buffer.getvalue()


def describe_error(error: BaseException, data_dir: Path) -> str:
    """A short reason for the owner (never the interaction's content)."""
    if isinstance(error, OSError) and error.errno is not None:
        return f"{os.strerror(error.errno).lower()} ({data_dir})"
    text = str(error) or type(error).__name__
    return f"{text} ({data_dir})"
