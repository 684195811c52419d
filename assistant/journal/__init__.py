"""The interaction journal: what was said and answered, kept only as the owner allows.

`Journal.open(config)` gives the journal of `config.data_path` (`journal.db`, kept
audio in `audio/`). The running service and the owner's `assistant log` commands use
it at the same time; SQLite's WAL and write locks make that safe. Nothing about an
interaction is ever written to the process log: messages name counts and paths only.

Layout: `store` (file, connection settings, schema), `erase` (the one deletion path
and the residue check), `retention` (the owner's limits).
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import sqlite3
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.config import Config
from assistant.errors import JournalError
from assistant.journal import retention
from assistant.journal.disabled import DisabledJournal
from assistant.journal.erase import (
    DeletionReport,
    Residue,
    Selection,
    checkpoint_truncate,
    erase,
    scan_residue,
)
from assistant.journal.store import (
    AUDIO_DIR,
    COLUMNS,
    DB_NAME,
    Entry,
    JournalStatus,
    WallClock,
    check_health,
    connect,
    damaged_copies,
    entry_from_row,
    get_setting,
    migrate,
    move_aside,
    row_values,
    set_setting,
    transaction,
)
from assistant.paths import ensure_private_dir, write_private_file
from assistant.record import Interaction, Source

__all__ = ["DeletionReport", "DisabledJournal", "Entry", "Journal", "JournalStatus", "Selection"]

log = logging.getLogger("assistant.journal")

ERASE_WAIT_SECONDS = 3.0
"""How long a deletion retries the WAL checkpoint while another reader holds it."""
SWEEP_WAIT_SECONDS = 0.5
"""The same, for the sweep after a write: the pipeline is waiting; the next sweep retries."""
AUDIO_RATE = 16000


class Journal:
    """The journal of one data directory. Thread-safe: one SQLite connection, reopened
    after errors."""

    def __init__(self, config: Config, clock: Any = None, recording: bool = True) -> None:
        self.policy = config.journal
        self.clock = clock or WallClock()
        self.data_dir = config.data_path
        self.db_path = self.data_dir / DB_NAME
        self.audio_dir = self.data_dir / AUDIO_DIR
        self.recording = recording
        """False when the owner switched logging off but an older journal is still on disk:
        nothing new is written, retention and deletion still work."""
        self.moved_aside: Path | None = None
        """Where a damaged database found at start was moved (kept for the owner)."""
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._problem: str | None = None
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(
        cls, config: Config, clock: Any = None, *, sweep_every: float | None = 3600.0
    ) -> Journal | DisabledJournal:
        """Open (or create) the journal, check it, and apply retention.

        With `journal.enabled: false` and no journal on disk, returns a DisabledJournal
        that creates no file. With an older journal on disk, returns a Journal that
        records nothing but still expires and deletes what is there. A damaged
        database is moved aside (kept) and a new one started. If the data directory
        cannot be written, the journal opens anyway and reports it in `status()`.
        `sweep_every`: seconds between retention sweeps on a background thread (None: none).
        """
        if not config.journal.enabled and not (config.data_path / DB_NAME).exists():
            return DisabledJournal(config, clock)
        journal = cls(config, clock, recording=config.journal.enabled)
        with journal._lock:
            try:
                journal._connection()
                journal._sweep(SWEEP_WAIT_SECONDS)
            except (sqlite3.Error, OSError) as e:
                journal._fail(e)
                log.warning("journal: %s", journal._problem)
        if sweep_every:
            journal._start_sweeper(sweep_every)
        return journal

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        ensure_private_dir(self.data_dir)
        problem = check_health(self.db_path)
        if problem:
            self.moved_aside = move_aside(self.db_path, self.clock.time())
            log.warning(
                "journal: %s was damaged (%s); it was moved to %s and kept; "
                "a new journal was started",
                self.db_path, problem, self.moved_aside,
            )  # fmt: skip
        conn = connect(self.db_path)
        try:
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _reader(self) -> sqlite3.Connection:
        try:
            return self._connection()
        except (sqlite3.Error, OSError) as e:
            self._fail(e)
            raise JournalError(f"cannot open the journal: {self._problem}") from None

    def _fail(self, error: BaseException) -> None:
        """Remember why logging failed and drop the connection: the next call reconnects."""
        self._problem = _describe(error, self.data_dir)
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    # --- recording -----------------------------------------------------------------------

    def record(self, interaction: Interaction) -> int | None:
        """Store one interaction; its row id, or None when logging is off or paused.

        Raises JournalError when the write fails (full or unwritable disk): the caller
        goes on answering, `status()` says the journal is not logging, and the next
        successful write clears that.
        """
        if not self.recording:
            return None
        with self._lock:
            try:
                conn = self._connection()
                if self._paused_until(conn) is not None:
                    return None
                row_id = self._insert(conn, interaction)
            except (sqlite3.Error, OSError) as e:
                self._fail(e)
                log.warning("journal: not logging: %s", self._problem)
                raise JournalError(f"the interaction was not logged: {self._problem}") from None
            self._problem = None
            try:
                self._sweep(SWEEP_WAIT_SECONDS)
            except (sqlite3.Error, OSError) as e:
                log.warning("journal: retention sweep failed: %s", _describe(e, self.data_dir))
            return row_id

    def _insert(self, conn: sqlite3.Connection, interaction: Interaction) -> int:
        audio_file = None
        with transaction(conn):
            # The audio file is written inside the write transaction, so an orphan sweep
            # in another process never sees a file whose row is not yet committed.
            # `is not None and len`: the pipeline may hand over a numpy array, whose truth
            # value is ambiguous.
            if self.policy.keep_audio and interaction.audio is not None and len(interaction.audio):
                audio_file = f"{secrets.token_hex(8)}.wav"
                write_private_file(self.audio_dir / audio_file, _wav_bytes(interaction.audio))
            try:
                cursor = conn.execute(
                    "INSERT INTO interactions (started_at, source, language, wake_word, "
                    "wake_score, transcript, intent, skill, slots, reply, outcome, timings_ms, "
                    "audio_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row_values(interaction, audio_file),
                )
            except BaseException:
                if audio_file:
                    (self.audio_dir / audio_file).unlink(missing_ok=True)
                raise
        return int(cursor.lastrowid or 0)

    def status(self) -> JournalStatus:
        if not self.recording:
            return JournalStatus(False, "logging is switched off (journal.enabled: false)")
        with self._lock:
            if self._problem:
                return JournalStatus(False, f"cannot log: {self._problem}")
            try:
                until = self._paused_until(self._reader())
            except JournalError as e:
                return JournalStatus(False, str(e))
        if until is not None:
            return JournalStatus(False, "logging is paused", until)
        return JournalStatus(True)

    # --- pause ---------------------------------------------------------------------------

    def pause(self, seconds: float) -> float:
        """Record nothing for `seconds`; returns when logging resumes. Survives a restart."""
        if seconds <= 0:
            raise JournalError("a pause must last longer than zero seconds")
        until = self.clock.time() + seconds
        with self._lock:
            self._write_setting("paused_until", repr(until))
        return until

    def resume(self) -> None:
        with self._lock:
            self._write_setting("paused_until", None)

    def paused_until(self) -> float | None:
        with self._lock:
            return self._paused_until(self._reader())

    def _paused_until(self, conn: sqlite3.Connection) -> float | None:
        value = get_setting(conn, "paused_until")
        if value is None or float(value) <= self.clock.time():
            return None
        return float(value)

    def _write_setting(self, key: str, value: str | None) -> None:
        try:
            set_setting(self._reader(), key, value)
        except sqlite3.Error as e:
            self._fail(e)
            raise JournalError(f"cannot change the journal: {self._problem}") from None

    # --- reading -------------------------------------------------------------------------

    def last(self, n: int = 1, source: Source | str | None = None) -> list[Entry]:
        """The newest `n` entries, newest first (optionally only voice or typed ones)."""
        return self.entries(limit=n, source=source)

    def get(self, entry_id: int) -> Entry | None:
        found = self.entries(Selection(ids=(entry_id,)), limit=1)
        return found[0] if found else None

    def entries(
        self,
        selection: Selection | None = None,
        *,
        limit: int | None = None,
        source: Source | str | None = None,
        intent: str | None = None,
        oldest_first: bool = False,
    ) -> list[Entry]:
        return list(self.iter_entries(selection, limit=limit, source=source, intent=intent,
                                      oldest_first=oldest_first))  # fmt: skip

    def iter_entries(
        self,
        selection: Selection | None = None,
        *,
        limit: int | None = None,
        source: Source | str | None = None,
        intent: str | None = None,
        oldest_first: bool = False,
    ) -> Iterator[Entry]:
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
        with self._lock:
            rows = self._query(sql, params)
        for row in rows:
            yield entry_from_row(row, self.audio_dir)

    def _query(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        try:
            return self._reader().execute(sql, params).fetchall()
        except sqlite3.Error as e:
            self._fail(e)
            raise JournalError(f"cannot read the journal: {self._problem}") from None

    # --- the history page: keyset paging, counts, per-day figures ------------------------

    def page(
        self,
        selection: Selection | None = None,
        *,
        before_id: int | None = None,
        limit: int | None = 50,
        source: str | None = None,
        outcome: str | None = None,
    ) -> list[Entry]:
        """Newest first by id. The next page starts below the last id shown (keyset), so a
        page costs the same at 1M rows as at 100, where OFFSET would read every skipped row."""
        where, params = self._page_where(selection, source, outcome)
        if before_id is not None:
            where += " AND id < :before_id"
            params["before_id"] = int(before_id)
        params["limit"] = -1 if limit is None else int(limit)
        sql = f"SELECT {COLUMNS} FROM interactions WHERE {where} ORDER BY id DESC LIMIT :limit"
        with self._lock:
            rows = self._query(sql, params)
        return [entry_from_row(row, self.audio_dir) for row in rows]

    def count(
        self, selection: Selection | None = None, *, source: str | None = None,
        outcome: str | None = None,
    ) -> int:  # fmt: skip
        where, params = self._page_where(selection, source, outcome)
        with self._lock:
            return int(
                self._query(f"SELECT count(*) FROM interactions WHERE {where}", params)[0][0]
            )

    def _page_where(
        self, selection: Selection | None, source: str | None, outcome: str | None
    ) -> tuple[str, dict[str, Any]]:
        where, params = (selection or Selection(everything=True)).where()
        if source is not None:
            where += " AND source = :source"
            params["source"] = str(source)
        if outcome is not None:
            where += " AND outcome = :outcome"
            params["outcome"] = str(outcome)
        return where, params

    def per_day(self, since: float) -> list[tuple[str, int, int]]:
        """(local day, interactions, false wakes) for each day from `since` that has any."""
        with self._lock:
            rows = self._query(
                "SELECT date(started_at, 'unixepoch', 'localtime') AS day, count(*), "
                "coalesce(sum(source = 'voice' AND outcome IN ('no_speech', 'not_understood')), 0) "
                "FROM interactions WHERE started_at >= ? GROUP BY day ORDER BY day",
                (float(since),),
            )
        return [(str(day), int(n), int(false_wakes)) for day, n, false_wakes in rows]

    def last_verification(self) -> tuple[float, bool] | None:
        """When `verify` last ran on this journal and whether it passed (None: never)."""
        with self._lock:
            value = get_setting(self._reader(), "last_verify")
        if value is None:
            return None
        at, ok = value.split(" ", 1)
        return float(at), ok == "ok"

    def newest_id(self) -> int:
        with self._lock:
            return int(self._query("SELECT coalesce(max(id), 0) FROM interactions")[0][0])

    def stats(self) -> dict[str, Any]:
        """Counts by day and outcome, false wakes, size on disk, oldest entry, policy."""
        with self._lock:
            by_day = self._query(
                "SELECT date(started_at, 'unixepoch', 'localtime') AS day, "
                "coalesce(outcome, 'unknown'), count(*) FROM interactions "
                "GROUP BY day, outcome ORDER BY day"
            )
            false_wakes, typed = self._query(
                "SELECT coalesce(sum(source = 'voice' AND outcome IN "
                "('no_speech', 'not_understood')), 0), coalesce(sum(source = 'typed'), 0) "
                "FROM interactions"
            )[0]
        days: dict[str, dict[str, int]] = {}
        for day, outcome, count in by_day:
            days.setdefault(day, {})[outcome] = count
        return {
            **self.policy_summary(),
            "by_day": days,
            "false_wakes": false_wakes,
            "typed": typed,
            "bytes_on_disk": self.size_on_disk(),
        }

    def size_on_disk(self) -> int:
        files = [Path(f"{self.db_path}{s}") for s in ("", "-wal", "-shm")]
        if self.audio_dir.is_dir():
            files += [p for p in self.audio_dir.iterdir() if p.is_file()]
        return sum(p.stat().st_size for p in files if p.exists())

    def policy_summary(self) -> dict[str, Any]:
        """The retention in force and what is kept: for "what do you keep about me"."""
        with self._lock:
            count, oldest, newest, audio = self._query(
                "SELECT count(*), min(started_at), max(started_at), count(audio_file) "
                "FROM interactions"
            )[0]
        status = self.status()
        return {
            "enabled": self.policy.enabled,
            "logging": status.logging,
            "not_logging_because": status.reason,
            "paused_until": status.paused_until,
            "retention_days": self.policy.retention_days,
            "max_interactions": self.policy.max_interactions,
            "keep_audio": self.policy.keep_audio,
            "audio_retention_days": self.policy.audio_retention_days,
            "interactions": count,
            "audio_files": audio,
            "oldest": oldest,
            "newest": newest,
        }

    # --- deleting ------------------------------------------------------------------------

    def delete(self, selection: Selection, wait: float = ERASE_WAIT_SECONDS) -> DeletionReport:
        """Delete and erase the selected interactions (see `assistant.journal.erase`)."""
        with self._lock:
            return self._erase(lambda conn: erase(conn, self.audio_dir, selection, wait))

    def delete_ids(self, ids: Any) -> DeletionReport:
        return self.delete(Selection(ids=tuple(int(i) for i in ids)))

    def delete_range(self, since: float | None, until: float | None) -> DeletionReport:
        """Interactions from `since` (inclusive) to `until` (exclusive), Unix times."""
        if since is None and until is None:
            raise JournalError("give a start or an end; to delete everything use delete_all")
        return self.delete(Selection(since=since, until=until))

    def delete_matching(self, text: str) -> DeletionReport:
        if not text.strip():
            raise JournalError("give the words to match; empty text would match everything")
        return self.delete(Selection(matching=text))

    def delete_all(self) -> DeletionReport:
        return self.delete(Selection(everything=True))

    def prune(self) -> DeletionReport:
        """Apply the retention policy now."""
        with self._lock:
            return self._erase(lambda conn: retention.sweep(
                conn, self.audio_dir, self.policy, self.clock.time(), ERASE_WAIT_SECONDS))  # fmt: skip

    def _sweep(self, wait: float) -> DeletionReport:
        conn = self._connection()
        report = retention.sweep(conn, self.audio_dir, self.policy, self.clock.time(), wait)
        return self._settle(conn, report, wait)

    def _erase(self, action: Any) -> DeletionReport:
        try:
            conn = self._reader()
            return self._settle(conn, action(conn), ERASE_WAIT_SECONDS)
        except (sqlite3.Error, OSError) as e:
            self._fail(e)
            raise JournalError(f"cannot delete from the journal: {self._problem}") from None

    def _settle(
        self, conn: sqlite3.Connection, report: DeletionReport, wait: float
    ) -> DeletionReport:
        """Remember an incomplete erasure, and finish an earlier one once the WAL is free."""
        pending = get_setting(conn, "erasure_pending") is not None
        if not report.erased:
            if not pending:
                set_setting(conn, "erasure_pending", repr(self.clock.time()))
            return report
        if pending:
            problem = checkpoint_truncate(conn, wait)
            if problem is None:
                set_setting(conn, "erasure_pending", None)
                # Clearing the flag wrote a page; cut the WAL again so nothing lingers.
                checkpoint_truncate(conn, wait)
            else:
                report.erased, report.problem = False, problem
        return report

    # --- checking ------------------------------------------------------------------------

    def verify(self) -> dict[str, Any]:
        """Integrity check, residue of deleted content, audio files, damaged copies."""
        with self._lock:
            conn = self._reader()
            try:
                integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
                residue, wal_clear = self._scan_locked(conn)
                referenced = {
                    r[0]
                    for r in conn.execute(
                        "SELECT audio_file FROM interactions WHERE audio_file IS NOT NULL"
                    )
                }
                pending = get_setting(conn, "erasure_pending") is not None
            except sqlite3.Error as e:
                self._fail(e)
                raise JournalError(f"cannot check the journal: {self._problem}") from None
        files = {p.name for p in self.audio_dir.iterdir()} if self.audio_dir.is_dir() else set()
        report = {
            "integrity": integrity,
            "residue": [vars(r) for r in residue],
            "wal_cleared": wal_clear,
            "erasure_pending": pending,
            "audio_missing": sorted(referenced - files),
            "audio_unreferenced": sorted(files - referenced),
            "damaged_copies": [str(p) for p in damaged_copies(self.data_dir)],
        }
        report["ok"] = (
            integrity == ["ok"]
            and not residue
            and wal_clear
            and not pending
            and not report["audio_missing"]
            and not report["audio_unreferenced"]
            and not report["damaged_copies"]
        )
        self._remember_verification(bool(report["ok"]))
        return report

    def _remember_verification(self, ok: bool) -> None:
        """For the history page's privacy summary; a read-only journal just does not remember."""
        try:
            with self._lock:
                self._write_setting(
                    "last_verify", f"{self.clock.time()!r} {'ok' if ok else 'failed'}"
                )
        except JournalError:
            pass

    def _scan_locked(self, conn: sqlite3.Connection) -> tuple[list[Residue], bool]:
        """Scan the database file while holding the write lock with an empty WAL."""
        wal = Path(f"{self.db_path}-wal")
        deadline = time.monotonic() + ERASE_WAIT_SECONDS
        while True:
            checkpoint_truncate(conn, 0.5)
            with transaction(conn):
                if not wal.exists() or wal.stat().st_size == 0:
                    roots = [r[0] for r in conn.execute(
                        "SELECT rootpage FROM sqlite_master WHERE rootpage > 0")]  # fmt: skip
                    return scan_residue(self.db_path, [1, *roots]), True
            if time.monotonic() >= deadline:
                return [], False
            time.sleep(0.05)

    # --- lifecycle -----------------------------------------------------------------------

    def _start_sweeper(self, every: float) -> None:
        def run() -> None:
            while not self._stop.wait(every):
                with self._lock:
                    try:
                        self._sweep(SWEEP_WAIT_SECONDS)
                    except (sqlite3.Error, OSError) as e:
                        self._fail(e)
                        log.warning("journal: retention sweep failed: %s", self._problem)

        self._sweeper = threading.Thread(target=run, name="journal-retention", daemon=True)
        self._sweeper.start()

    def close(self) -> None:
        self._stop.set()
        if self._sweeper is not None and self._sweeper is not threading.current_thread():
            self._sweeper.join(timeout=5)
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _wav_bytes(samples: bytes) -> bytes:
    """16 kHz mono int16 PCM → a WAV file's bytes (numpy arrays are accepted as buffers)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(AUDIO_RATE)
        w.writeframes(bytes(memoryview(samples).cast("B")))
    return buffer.getvalue()


def _describe(error: BaseException, data_dir: Path) -> str:
    """A short reason for the owner (never the interaction's content)."""
    if isinstance(error, OSError) and error.errno is not None:
        return f"{os.strerror(error.errno).lower()} ({data_dir})"
    text = str(error) or type(error).__name__
    return f"{text} ({data_dir})"
