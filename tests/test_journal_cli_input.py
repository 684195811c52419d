"""Bad input to `assistant log ...`: one line, a non-zero exit, no traceback, nothing lost;
and an export never touches what already exists at its path."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time

import pytest
from journal_writer import write_config

from assistant.config import Config
from assistant.journal import Journal
from assistant.record import Interaction

pytestmark = pytest.mark.slow  # every test runs the command line in its own process


@pytest.fixture
def config(tmp_path):
    data = tmp_path / "data"
    with Journal.open(Config(data_dir=str(data)), sweep_every=None) as journal:
        for words in ("play jazz", "weather tomorrow", "call grandma"):
            journal.record(Interaction(started_at=time.time() - 60, transcript=words))
    return write_config(tmp_path, data)


def log(config, *args: str | bytes) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "--config", str(config), "log", *args],
        capture_output=True,
        timeout=60,
    )


def refused(run: subprocess.CompletedProcess) -> str:
    """The run failed with one line of explanation and no traceback; returns that line."""
    err = run.stderr.decode("utf-8", "replace")
    assert run.returncode != 0, err
    assert "Traceback" not in err
    # argparse prints its usage (first line "usage:", the rest indented) before the error.
    lines = [line for line in err.splitlines() if line.strip()]
    said = [line for line in lines if not line.startswith(("usage:", " "))]
    assert len(said) == 1, err
    return said[0]


def stored(config) -> int:
    return len(log(config, "list", "--json").stdout.splitlines())


@pytest.mark.parametrize(
    "args",
    [
        ("search", b"\xff\xfe grandma"),
        ("delete", "--yes", "--matching", b"gr\xe9ndma"),
        ("list", "--intent", b"\xc3"),
        ("list", "--since", "0001-01-01"),
        ("list", "--until", "9999-12-31"),
        ("delete", "--yes", "--since", "0001-01-01"),
        ("list", "--limit", "99999999999999999999"),
        ("search", "jazz", "--limit", "-3"),
        ("show", "99999999999999999999"),
        ("delete", "--yes", "99999999999999999999"),
        ("pause", "99999999999999999999"),
        ("pause", "400d"),
    ],
    ids=lambda a: " ".join(x if isinstance(x, str) else repr(x) for x in a),
)
def test_bad_input_gets_one_line_and_loses_nothing(config, args):
    refused(log(config, *args))
    assert stored(config) == 3


def test_stats_survives_a_damaged_pause_value(config, tmp_path):
    db = tmp_path / "data" / "journal.db"
    for value in ("1e20", "inf", "nan", "soon"):
        with sqlite3.connect(db) as conn:
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('paused_until', ?)",
                         (value,))  # fmt: skip
        run = log(config, "stats")
        assert run.returncode == 0 and b"Traceback" not in run.stderr, (value, run.stderr)
    assert log(config, "resume").returncode == 0


def test_a_long_pause_is_bounded(config):
    run = log(config, "pause", "30d")
    assert run.returncode == 0 and b"paused until" in run.stdout


@pytest.mark.parametrize("where", ["missing folder", "directory"])
def test_export_to_an_impossible_path_says_so(config, tmp_path, where):
    target = tmp_path / "nowhere" / "x.jsonl" if where == "missing folder" else tmp_path
    line = refused(log(config, "export", "-o", str(target)))
    assert str(target) in line


def test_export_refuses_an_existing_file_and_keeps_it(config, tmp_path):
    target = tmp_path / "mine.jsonl"
    target.write_text("keep me")
    target.chmod(0o644)
    refused(log(config, "export", "-o", str(target)))
    assert target.read_text() == "keep me" and stat.S_IMODE(target.stat().st_mode) == 0o644


def test_export_force_replaces_a_regular_file_with_a_new_private_one(config, tmp_path):
    target = tmp_path / "mine.jsonl"
    target.write_text("old")
    target.chmod(0o644)
    old_inode = target.stat().st_ino
    run = log(config, "export", "-o", str(target), "--force")
    assert run.returncode == 0, run.stderr
    assert len(target.read_text().splitlines()) == 3
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.stat().st_ino != old_inode
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".mine")] == []


def test_export_never_follows_a_symlink_or_changes_its_target(config, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    victim.chmod(0o644)
    link = tmp_path / "link.jsonl"
    link.symlink_to(victim)
    for extra in ((), ("--force",)):
        refused(log(config, "export", "-o", str(link), *extra))
        assert victim.read_text() == "precious"
        assert stat.S_IMODE(victim.stat().st_mode) == 0o644 and link.is_symlink()


def test_export_force_leaves_a_device_alone(config, tmp_path):
    """`-o /dev/null` as root once left /dev/null at 0600."""
    before = os.stat("/dev/null")
    for extra in ((), ("--force",)):
        refused(log(config, "export", "-o", "/dev/null", *extra))
    after = os.stat("/dev/null")
    assert (after.st_mode, after.st_uid, after.st_ino) == (before.st_mode, before.st_uid,
                                                            before.st_ino)  # fmt: skip


def test_export_creates_a_private_file_even_with_a_loose_umask(config, tmp_path):
    target = tmp_path / "new.jsonl"
    old = os.umask(0)
    try:
        run = log(config, "export", "-o", str(target))
    finally:
        os.umask(old)
    assert run.returncode == 0 and stat.S_IMODE(target.stat().st_mode) == 0o600
