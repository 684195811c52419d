"""Sharing, crashing and damage: the journal stays whole and tells the owner the truth."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from journal_writer import WRITER, write_config

from assistant.config import Config, JournalConfig
from assistant.journal import Journal
from assistant.record import Interaction

pytestmark = pytest.mark.slow  # starts processes or plays real audio


def start_writer(config: Path, *args: str) -> tuple[subprocess.Popen, list[str]]:
    """The writer process and a list that fills with its stdout lines as they arrive."""
    process = subprocess.Popen(
        [sys.executable, str(WRITER), str(config), "insert", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []

    def read() -> None:
        for line in process.stdout:
            lines.append(line.strip())

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def ids_with(lines: list[str], word: str) -> set[int]:
    return {int(line.split()[1]) for line in list(lines) if line.startswith(f"{word} ")}


def stored_ids(db: Path) -> set[int]:
    conn = sqlite3.connect(db)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM interactions")}
    finally:
        conn.close()


def test_owner_deletes_while_the_service_inserts(tmp_path):
    data = tmp_path / "data"
    config = write_config(tmp_path, data, keep_audio=True)
    writer, lines = start_writer(config, "--count", "400", "--audio", "--pace", "0.004")
    deleted: set[int] = set()
    rng = random.Random(7)
    rounds = 0
    while writer.poll() is None or rounds < 3:
        rounds += 1
        candidates = sorted(ids_with(lines, "ack") - deleted)
        if not candidates:
            time.sleep(0.05)
            continue
        victims = rng.sample(candidates, min(3, len(candidates)))
        run = subprocess.run(
            [sys.executable, "-m", "assistant", "--config", str(config), "log", "delete",
             "--yes", "--json", *map(str, victims)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert run.stderr == ""
        report = json.loads(run.stdout)
        assert sorted(report["ids"]) == sorted(victims) and report["erased"]
        deleted |= set(report["ids"])
    assert writer.wait(timeout=60) == 0, writer.stderr.read()
    acked = ids_with(lines, "ack")
    assert len(acked) == 400 and rounds >= 5
    present = stored_ids(data / "journal.db")
    assert present == acked - deleted  # nothing acknowledged lost, nothing deleted back
    with Journal.open(Config(data_dir=str(data), journal=JournalConfig(keep_audio=True)),
                      sweep_every=None) as journal:  # fmt: skip
        assert journal.verify().ok


def test_killing_the_writer_at_random_moments_loses_nothing_acknowledged(tmp_path):
    data = tmp_path / "data"
    config_file = write_config(tmp_path, data, keep_audio=True)
    config = Config(data_dir=str(data), journal=JournalConfig(keep_audio=True))
    rng = random.Random(11)
    must_have: set[int] = set()
    gone: set[int] = set()
    for _ in range(12):
        writer, lines = start_writer(config_file, "--count", "0", "--audio", "--delete-every", "5")
        deadline = time.monotonic() + 10
        while not lines and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        time.sleep(0.05)  # let the reader thread drain the pipe
        acked = ids_with(lines, "ack")
        assert acked, writer.stderr.read()
        must_have |= acked
        gone |= ids_with(lines, "deleted")
        uncertain = ids_with(lines, "deleting") - ids_with(lines, "deleted")

        conn = sqlite3.connect(data / "journal.db")
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()
        with Journal.open(config, sweep_every=None) as journal:
            present = {e.id for e in journal.entries(limit=None)}
            assert (must_have - gone - uncertain) <= present
            assert not (gone & present)
            gone |= uncertain - present
            must_have -= uncertain - present
            # A crash between saving audio and its row leaves a file; opening removes it.
            kept = {Path(e.audio_path).name for e in journal.entries() if e.audio_path}
            assert kept == {p.name for p in (data / "audio").iterdir()}


def damage(db: Path, rng: random.Random) -> None:
    """Overwrite a few pages in the middle of the file with random bytes."""
    size = db.stat().st_size
    with open(db, "r+b") as f:
        for page in rng.sample(range(3, size // 4096 - 1), 3):
            f.seek(page * 4096 + 16)
            f.write(rng.randbytes(2048))


def test_a_damaged_journal_is_moved_aside_kept_and_replaced(tmp_path, caplog):
    data = tmp_path / "data"
    config = Config(data_dir=str(data))
    with Journal.open(config, sweep_every=None) as journal:
        for i in range(300):
            journal.record(Interaction(transcript=f"turn on the radio {i} " * 10))
    db = data / "journal.db"
    damage(db, random.Random(3))
    damaged_bytes = db.read_bytes()

    with caplog.at_level(logging.WARNING):
        journal = Journal.open(config, sweep_every=None)
    with journal:
        assert journal.moved_aside is not None and journal.moved_aside.read_bytes() == damaged_bytes
        assert "damaged" in caplog.text and str(journal.moved_aside) in caplog.text
        assert journal.last(5) == []  # a new journal, which works
        assert journal.record(Interaction(transcript="hello again")) is not None
        report = journal.verify()
        assert report.integrity == ("ok",) and not report.ok
        assert report.damaged_copies == (str(journal.moved_aside),)
        moved = journal.moved_aside
    config_file = write_config(tmp_path, data)
    run = subprocess.run(
        [sys.executable, "-m", "assistant", "--config", str(config_file), "log", "verify"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 1 and str(moved) in run.stdout
    assert os.stat(moved).st_mode & 0o777 == 0o600


def test_a_file_that_is_not_a_database_is_moved_aside(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "journal.db").write_bytes(b"this is not sqlite at all" * 100)
    with Journal.open(Config(data_dir=str(data)), sweep_every=None) as journal:
        assert journal.moved_aside is not None and journal.moved_aside.exists()
        assert journal.record(Interaction(transcript="fresh start")) is not None
