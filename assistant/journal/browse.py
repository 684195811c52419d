"""What the history page reads: keyset pages, counts, interactions per day, and the last
`verify` result. A mix-in of `Journal`: the same connection, lock and error handling."""

from __future__ import annotations

import sqlite3
from typing import Any

from assistant.errors import JournalError
from assistant.journal.erase import Selection
from assistant.journal.store import COLUMNS, Entry, entry_from_row, get_setting

LAST_VERIFY_KEY = "last_verify"


class HistoryQueries:
    """Needs `_lock`, `_query`, `_reader`, `_write_setting`, `audio_dir` and `clock`."""

    _lock: Any
    audio_dir: Any
    clock: Any

    def _query(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]: ...
    def _reader(self) -> sqlite3.Connection: ...
    def _write_setting(self, key: str, value: str | None) -> None: ...

    def page(
        self,
        selection: Selection | None = None,
        *,
        before_id: int | None = None,
        limit: int | None = 50,
        source: str | None = None,
        outcome: str | None = None,
        room: str | None = None,
    ) -> list[Entry]:
        """Newest first by id. The next page starts below the last id shown (keyset), so a
        page costs the same at 1M rows as at 100, where OFFSET would read every skipped row."""
        where, params = _page_where(selection, source, outcome, room)
        if before_id is not None:
            where += " AND id < :before_id"
            params["before_id"] = int(before_id)
        params["limit"] = -1 if limit is None else int(limit)
        sql = f"SELECT {COLUMNS} FROM interactions WHERE {where} ORDER BY id DESC LIMIT :limit"
        with self._lock:
            rows = self._query(sql, params)
        return [entry_from_row(row, self.audio_dir) for row in rows]

    def count(
        self,
        selection: Selection | None = None,
        *,
        source: str | None = None,
        outcome: str | None = None,
        room: str | None = None,
    ) -> int:
        where, params = _page_where(selection, source, outcome, room)
        with self._lock:
            rows = self._query(f"SELECT count(*) FROM interactions WHERE {where}", params)
        return int(rows[0][0])

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
            value = get_setting(self._reader(), LAST_VERIFY_KEY)
        if value is None:
            return None
        at, ok = value.split(" ", 1)
        return float(at), ok == "ok"

    def _remember_verification(self, ok: bool) -> None:
        """For the history page's privacy summary; a read-only journal does not remember."""
        try:
            with self._lock:
                self._write_setting(
                    LAST_VERIFY_KEY, f"{self.clock.time()!r} {'ok' if ok else 'failed'}"
                )
        except JournalError:
            pass


def _page_where(
    selection: Selection | None, source: str | None, outcome: str | None, room: str | None
) -> tuple[str, dict[str, Any]]:
    where, params = (selection or Selection(everything=True)).where()
    for column, value in (("source", source), ("outcome", outcome), ("room", room)):
        if value is not None:
            where += f" AND {column} = :{column}"
            params[column] = str(value)
    return where, params
