"""The journal of one data directory: record, read, pause, delete with proof, report.

`Journal.open(config)` gives the journal of `config.data_path` (`journal.db`, kept
audio in `audio/`). The running service and the owner's `assistant log` commands use
it at the same time; SQLite's WAL and write locks make that safe. Nothing about an
interaction is ever written to the process log: messages name counts and paths only.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from assistant.config import Config
from assistant.errors import JournalError
from assistant.journal import retention
from assistant.journal.browse import HistoryQueries
from assistant.journal.erase import (
    DeletionPlan,
    DeletionReport,
    Selection,
    checkpoint_truncate,
    entries_query,
    erase,
    rebuild_and_prove,
    settle,
)
from assistant.journal.reports import (
    JournalStats,
    PolicySummary,
    VerifyReport,
    read_policy_summary,
    read_stats,
    read_verify,
)
from assistant.journal.residue import scan_locked
from assistant.journal.store import (
    AUDIO_DIR,
    DB_NAME,
    Entry,
    JournalStatus,
    WallClock,
    describe_error,
    entry_from_row,
    get_setting,
    insert,
    migrate,
    open_database,
    set_setting,
)
from assistant.record import Interaction, Source

log = logging.getLogger("assistant.journal")

ERASE_WAIT_SECONDS = 3.0
"""How long a deletion retries the WAL checkpoint while another reader holds it."""
SWEEP_WAIT_SECONDS = 0.5
"""The same, for the sweep after a write: the pipeline is waiting; the next sweep retries."""
MAX_PAUSE_SECONDS = 366 * 86400.0
"""The longest pause: beyond a year, switching logging off (journal.enabled) is the tool."""
SWITCHED_OFF = "logging is switched off (journal.enabled: false)"

Action = Callable[[sqlite3.Connection], DeletionReport]
T = TypeVar("T")


class Journal(HistoryQueries):
    """The journal of one data directory. Thread-safe: one SQLite connection, reopened
    after errors."""

    def __init__(self, config: Config, clock: Any = None, recording: bool = True) -> None:
        self.policy = config.journal
        self.clock = clock or WallClock()
        self.data_dir = config.data_path
        self.db_path = self.data_dir / DB_NAME
        self.audio_dir = self.data_dir / AUDIO_DIR
        self.recording = recording
        """False when the owner switched logging off: nothing new is written, retention
        and deletion still work on what an older journal left on disk."""
        self.moved_aside: Path | None = None
        """Where a damaged database found at start was moved (kept for the owner)."""
        self.check_health = True
        """Run `quick_check` before first use (read-only owner commands skip it)."""
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._problem: str | None = None
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        config: Config,
        clock: Any = None,
        *,
        sweep_every: float | None = 3600.0,
        check_health: bool = True,
    ) -> Journal:
        """Open (or create) the journal, check it, and apply retention.

        With `journal.enabled: false` and no journal on disk, returns a DisabledJournal
        (the same interface over a store that keeps nothing and creates no file). With
        an older journal on disk, returns a Journal that records nothing but still
        expires and deletes what is there. A damaged database is moved aside (kept) and
        a new one started. If the data directory cannot be written, the journal opens
        anyway and reports it in `status()`. `sweep_every`: seconds between retention
        sweeps on a background thread (None: none). `check_health=False` skips the
        `quick_check` (for commands that only read).
        """
        from assistant.journal.disabled import DisabledJournal

        if not config.journal.enabled and not (config.data_path / DB_NAME).exists():
            return DisabledJournal(config, clock)
        journal = cls(config, clock, recording=config.journal.enabled)
        journal.check_health = check_health
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

    def _open_store(self) -> sqlite3.Connection:
        conn, moved = open_database(self.db_path, self.clock.time(), self.check_health)
        self.moved_aside = moved or self.moved_aside
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        conn = self._open_store()
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
        self._problem = describe_error(error, self.data_dir)
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
                row_id = insert(
                    conn, interaction, self.audio_dir if self.policy.keep_audio else None
                )
            except (sqlite3.Error, OSError) as e:
                self._fail(e)
                log.warning("journal: not logging: %s", self._problem)
                raise JournalError(f"the interaction was not logged: {self._problem}") from None
            self._problem = None
            try:
                self._sweep(SWEEP_WAIT_SECONDS)
            except (sqlite3.Error, OSError) as e:
                log.warning("journal: retention sweep failed: %s", describe_error(e, self.data_dir))
            return row_id

    def status(self) -> JournalStatus:
        if not self.recording:
            return JournalStatus(False, SWITCHED_OFF)
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
        if not seconds > 0:
            raise JournalError("a pause must last longer than zero seconds")
        if seconds > MAX_PAUSE_SECONDS:
            raise JournalError(
                f"a pause can last at most {MAX_PAUSE_SECONDS / 86400:.0f} days; to stop "
                "logging for longer, set journal.enabled: false"
            )
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
        """The stored end of a pause, bounded: a damaged value never breaks the reports."""
        try:
            value = float(get_setting(conn, "paused_until") or "nan")
        except ValueError:
            return None
        now = self.clock.time()
        if math.isnan(value) or value <= now:
            return None
        return min(value, now + MAX_PAUSE_SECONDS)

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
        sql, params = entries_query(selection, limit, source, intent, oldest_first)
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

    def newest_id(self) -> int:
        with self._lock:
            return int(self._query("SELECT coalesce(max(id), 0) FROM interactions")[0][0])

    def stats(self) -> JournalStats:
        """Counts by day and outcome, false wakes, size on disk, oldest entry, policy."""
        summary, size = self.policy_summary(), self.size_on_disk()
        return self._read(lambda c: read_stats(c, summary, size, self.db_path), "read")

    def size_on_disk(self) -> int:
        files = [Path(f"{self.db_path}{s}") for s in ("", "-wal", "-shm")]
        if self.audio_dir.is_dir():
            files += [p for p in self.audio_dir.iterdir() if p.is_file()]
        return sum(p.stat().st_size for p in files if p.exists())

    def policy_summary(self) -> PolicySummary:
        """The retention in force and what is kept: for "what do you keep about me"."""
        status = self.status()
        return self._read(lambda c: read_policy_summary(c, self.policy, status), "read")

    def _read(self, action: Callable[[sqlite3.Connection], T], doing: str) -> T:
        """Run `action` on the connection; an SQLite failure becomes a JournalError."""
        with self._lock:
            conn = self._reader()
            try:
                return action(conn)
            except sqlite3.Error as e:
                self._fail(e)
                raise JournalError(f"cannot {doing} the journal: {self._problem}") from None

    # --- deleting ------------------------------------------------------------------------

    def plan_deletion(self, selection: Selection) -> DeletionPlan:
        """What `selection` would delete now, pinned to the rows that exist now: deleting
        `plan.selection` after showing `plan.entries` never takes a row that arrived
        meanwhile (except with `everything`, which means everything)."""
        if not selection.everything:
            selection = dataclasses.replace(selection, up_to_id=self.newest_id())
        chosen = self.entries(selection, oldest_first=True)
        asked = set(selection.ids or ())
        missing = tuple(sorted(asked - {e.id for e in chosen}))
        return DeletionPlan(selection, tuple(chosen), missing)

    def delete(self, selection: Selection, wait: float = ERASE_WAIT_SECONDS) -> DeletionReport:
        """Delete and erase the selected interactions (see `assistant.journal.erase`)."""
        with self._lock:
            return self._erase(lambda c: erase(c, self.db_path, self.audio_dir, selection, wait))

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
        """Apply the retention policy now, and rebuild the file even if nothing expired:
        the owner's way to clear anything `verify` found."""

        def apply(conn: sqlite3.Connection) -> DeletionReport:
            report = self._retention(conn, ERASE_WAIT_SECONDS)
            if report.deleted or not report.erased:
                return report
            problem = rebuild_and_prove(conn, self.db_path, ERASE_WAIT_SECONDS)
            return report if problem is None else report.failed(problem)

        with self._lock:
            return self._erase(apply)

    def _retention(self, conn: sqlite3.Connection, wait: float) -> DeletionReport:
        now = self.clock.time()
        return retention.sweep(conn, self.db_path, self.audio_dir, self.policy, now, wait)

    def _sweep(self, wait: float) -> DeletionReport:
        conn = self._connection()
        return settle(conn, self.db_path, self._retention(conn, wait), self.clock.time(), wait)

    def _erase(self, action: Action) -> DeletionReport:
        try:
            conn = self._reader()
            return settle(conn, self.db_path, action(conn), self.clock.time(), ERASE_WAIT_SECONDS)
        except (sqlite3.Error, OSError) as e:
            self._fail(e)
            raise JournalError(f"cannot delete from the journal: {self._problem}") from None

    # --- checking ------------------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Integrity check, residue of deleted content, audio files, damaged copies."""
        report = self._read(
            lambda c: read_verify(c, self._scan, self.audio_dir, self.data_dir), "check"
        )
        self._remember_verification(report.ok)
        return report

    def _scan(self, conn: sqlite3.Connection) -> tuple[list[Any], bool]:
        return scan_locked(conn, self.db_path, ERASE_WAIT_SECONDS, checkpoint_truncate)

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
