"""Deleted means gone from the files: the marker bytes are searched for in the database,
its -wal/-shm/-journal companions, the audio folder and the temp directory."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from journal_writer import WRITER, ManualClock, interaction, marker_hits, write_config

from assistant.config import Config, JournalConfig
from assistant.journal import Journal, Selection
from assistant.record import Interaction

DAY = 86400.0


def new_marker() -> str:
    # Korean too: the files are searched for UTF-8 bytes, which is how the words are stored.
    return f"zebra{uuid.uuid4().hex[:10]}기린"


def marked(marker: str, started_at: float) -> Interaction:
    return Interaction(
        started_at=started_at,
        transcript=f"remind me about {marker}",
        slots={"what": marker},
        reply=f"I will remind you about {marker}",
        audio=(marker.encode() * 400)[:8000],
    )


def ordinary(i: int, started_at: float) -> Interaction:
    return dataclasses.replace(interaction(i, None, audio=True), started_at=started_at)


def fill(journal: Journal, marker: str, now: float) -> list[int]:
    """Ordinary rows around three marked ones; returns the marked ids."""
    for i in range(30):
        journal.record(ordinary(i, now - 100 + i))
    ids = [journal.record(marked(marker, now)) for _ in range(3)]
    for i in range(30, 60):
        journal.record(ordinary(i, now + 10 + i))
    return ids


def run_cli(config: Path, *args: str, tmpdir: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if tmpdir:
        env["TMPDIR"] = str(tmpdir)
    return subprocess.run(
        [sys.executable, "-m", "assistant", "--config", str(config), "log", *args],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


WAYS = ["ids", "range", "matching", "all", "retention", "cli-ids", "cli-matching", "cli-range"]


@pytest.mark.parametrize("way", WAYS)
def test_each_way_of_deleting_erases_the_marker(tmp_path, way):
    data = tmp_path / "data"
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    marker = new_marker()
    now = time.time()
    clock = ManualClock(now)
    config = Config(data_dir=str(data), journal=JournalConfig(keep_audio=True,
                                                              audio_retention_days=30))  # fmt: skip
    config_file = write_config(tmp_path, data, keep_audio=True, audio_retention_days=30)
    journal = Journal.open(config, clock, sweep_every=None)
    marked_at = now - 40 * DAY if way == "retention" else now
    if way == "retention":
        # Recorded long ago on a clock that said so; the sweep now finds them expired.
        clock.t = marked_at
        ids = [journal.record(marked(marker, marked_at)) for _ in range(3)]
        fill(journal, "unused", now)
    else:
        ids = fill(journal, marker, now)
    assert marker_hits(data, marker), "the marker must be found before deletion"
    total = len(journal.last(1000))

    if way == "ids":
        report = journal.delete_ids(ids)
    elif way == "range":
        report = journal.delete_range(now - 1, now + 1)
    elif way == "matching":
        report = journal.delete_matching(marker.upper())
    elif way == "all":
        report = journal.delete_all()
    elif way == "retention":
        clock.t = now  # forty days later
        report = journal.prune()
    else:
        args = {
            "cli-ids": [str(i) for i in ids],
            "cli-matching": ["--matching", marker],
            "cli-range": ["--since", time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now - 5)),
                          "--until", time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now + 5))],
        }[way]  # fmt: skip
        # The service keeps its journal open meanwhile, as it does when running.
        run = run_cli(config_file, "delete", "--yes", *args, tmpdir=private_tmp)
        assert run.returncode == 0, run.stderr
        assert "Deleted 3 interactions and 3 audio files" in run.stdout
        assert "Erased from the database files" in run.stdout
        report = None
    if report is not None:
        expected = total if way == "all" else 3
        assert (report.deleted, report.audio_removed, report.erased) == (expected, expected, True)

    assert marker_hits(data, marker, private_tmp) == {}  # while the journal is still open
    remaining = journal.last(1000)
    assert len(remaining) == (0 if way == "all" else total - 3)
    assert journal.verify().ok
    journal.close()
    assert marker_hits(data, marker, private_tmp) == {}


def test_erasure_while_another_process_is_writing(tmp_path):
    data = tmp_path / "data"
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    config_file = write_config(tmp_path, data, keep_audio=True)
    config = Config(data_dir=str(data), journal=JournalConfig(keep_audio=True))
    marker = new_marker()
    with Journal.open(config, sweep_every=None) as journal:
        ids = [journal.record(marked(marker, time.time())) for _ in range(3)]
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), str(config_file), "insert", "--count", "0", "--audio",
         "--pace", "0.005"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(20):  # the writer is up and committing
            assert writer.stdout.readline().startswith("ack")
        assert marker_hits(data, marker)
        run = run_cli(config_file, "delete", "--yes", *map(str, ids), tmpdir=private_tmp)
        assert run.returncode == 0, run.stderr
        assert writer.poll() is None
        assert marker_hits(data, marker, private_tmp) == {}
        assert writer.stdout.readline().startswith("ack")  # still writing after the deletion
        assert marker_hits(data, marker, private_tmp) == {}
    finally:
        writer.kill()
        writer.wait()
    assert "Traceback" not in writer.stderr.read()


@pytest.mark.slow
def test_a_reader_holding_the_wal_makes_the_deletion_fail_loudly(tmp_path):
    data = tmp_path / "data"
    config_file = write_config(tmp_path, data)
    marker = new_marker()
    with Journal.open(Config(data_dir=str(data)), sweep_every=None) as journal:
        ids = fill(journal, marker, time.time())
        # Another program reading an old snapshot: the WAL cannot be cleared under it.
        reader = sqlite3.connect(data / "journal.db", isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM interactions").fetchone()
        run = run_cli(config_file, "delete", "--yes", *map(str, ids))
        assert run.returncode != 0
        assert "not yet erased" in run.stderr and "Traceback" not in run.stderr
        verify = run_cli(config_file, "verify")
        assert verify.returncode != 0 and "not yet erased" in verify.stdout
        reader.execute("COMMIT")
        reader.close()
        prune = run_cli(config_file, "prune")
        assert prune.returncode == 0, prune.stderr
        assert marker_hits(data, marker) == {}
        assert run_cli(config_file, "verify").returncode == 0


def test_verify_finds_deleted_words_left_behind(tmp_path):
    """Proves the residue check can fail: delete without secure_delete, as a careless tool would."""
    data = tmp_path / "data"
    config_file = write_config(tmp_path, data)
    with Journal.open(Config(data_dir=str(data)), sweep_every=None) as journal:
        fill(journal, new_marker(), time.time())
    conn = sqlite3.connect(data / "journal.db", isolation_level=None)
    conn.execute("PRAGMA secure_delete=OFF")
    conn.execute("DELETE FROM interactions WHERE id % 2 = 0")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    run = run_cli(config_file, "verify")
    assert run.returncode == 1
    assert "Deleted content:      FOUND" in run.stdout


ROUTES = ("ids", "range", "matching", "retention", "voice")


def varied(rng, marker: str, at: float) -> Interaction:
    """An interaction of random length (a word to several pages) carrying `marker`."""
    words = " ".join(rng.choice(("set", "timer", "기린", "lights", "kitchen", "grandma"))
                     for _ in range(int(rng.expovariate(1 / 60)) + 1))  # fmt: skip
    return Interaction(
        started_at=at,
        transcript=f"{words} {marker}",
        slots={"note": marker},
        reply=f"noted {marker}",
        audio=marker.encode() * 20 if rng.random() < 0.2 else None,
    )


def delete_by(route: str, journal: Journal, clock: ManualClock, live: dict[int, str], rng):
    """Delete a random batch of live rows by `route`; returns the deletion report."""
    ids = sorted(live)
    if route == "ids":
        return journal.delete_ids(rng.sample(ids, min(len(ids), rng.randint(1, 8))))
    if route == "matching":
        return journal.delete_matching(live[rng.choice(ids)].upper())
    if route == "voice":  # "delete what I just said": the privacy skill's call
        return journal.delete_ids([journal.last(1)[0].id])
    start = rng.randrange(len(ids))
    chosen = ids[start : start + rng.randint(1, 6)]
    times = {e.id: e.started_at for e in journal.entries(Selection(ids=tuple(chosen)))}
    if route == "range":
        return journal.delete_range(times[chosen[0]], times[chosen[-1]] + 0.001)
    # retention: the clock moves until the oldest rows are older than the limit
    third_oldest = journal.entries(limit=3, oldest_first=True)[-1].started_at
    clock.t = max(clock.t, third_oldest + 30 * DAY + 0.001)
    return journal.prune()


def found_in_files(data_dir: Path, markers: list[str]) -> list[str]:
    """The markers whose UTF-8 bytes are in any file of the data directory."""
    contents = [p.read_bytes() for p in data_dir.rglob("*") if p.is_file()]
    return [m for m in markers if any(m.encode() in c for c in contents)]


def expired(journal: Journal, live: dict[int, str]) -> list[str]:
    """Markers of rows no longer stored (deleted, or expired by the sweep after a write)."""
    present = {e.id for e in journal.iter_entries()}
    return [live.pop(row_id) for row_id in sorted(live) if row_id not in present]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_batched_deletions_by_every_route_leave_no_marker(tmp_path, seed):
    """Rows moved between pages while alive leave copies in unused space; none may
    survive their deletion, by any route."""
    import random

    rng = random.Random(seed)
    data = tmp_path / "data"
    clock = ManualClock(1_790_000_000.0)
    kept = JournalConfig(keep_audio=True, audio_retention_days=3650)
    config = Config(data_dir=str(data), journal=kept)
    live: dict[int, str] = {}
    gone: list[str] = []
    with Journal.open(config, clock, sweep_every=None) as journal:
        for i in range(500):
            clock.advance(1)
            marker = f"mk{seed}x{i}q{rng.getrandbits(32):08x}"
            live[journal.record(varied(rng, marker, clock.t))] = marker
            if rng.random() > 0.2:
                continue
            gone += expired(journal, live)
            route = ROUTES[i % len(ROUTES)] if i < 60 else rng.choice(ROUTES)
            report = delete_by(route, journal, clock, live, rng)
            assert report.erased, report.problem
            assert report.deleted > 0 or route == "retention"
            gone += expired(journal, live)
            assert found_in_files(data, gone) == [], f"after deleting by {route}"
        assert len(gone) > 40 and journal.verify().ok


@pytest.mark.parametrize("fix", ["prune", "delete --all"])
def test_the_fix_verify_recommends_clears_what_it_found(tmp_path, fix):
    """`log verify` and `doctor` send the owner to `log prune`; it must clear the residue
    (and so must `--all`)."""
    data = tmp_path / "data"
    config_file = write_config(tmp_path, data)
    marker = new_marker()
    with Journal.open(Config(data_dir=str(data)), sweep_every=None) as journal:
        fill(journal, marker, time.time())
    conn = sqlite3.connect(data / "journal.db", isolation_level=None)
    conn.execute("PRAGMA secure_delete=OFF")  # a careless tool deletes the marked rows
    conn.execute("DELETE FROM interactions WHERE transcript LIKE '%zebra%'")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert marker_hits(data, marker) and run_cli(config_file, "verify").returncode == 1
    args = ["prune"] if fix == "prune" else ["delete", "--all", "--yes"]
    run = run_cli(config_file, *args)
    assert run.returncode == 0 and "Erased from the database files" in run.stdout, run.stderr
    assert marker_hits(data, marker) == {}
    assert run_cli(config_file, "verify").returncode == 0
