"""The journal library: what is stored, privately, for how long, and when nothing is."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import time
import wave

import pytest
from journal_writer import WRITER, ManualClock, interaction, write_config

from assistant.config import Config, JournalConfig
from assistant.errors import JournalError
from assistant.journal import DisabledJournal, Journal
from assistant.record import Interaction, Outcome, Source

DAY = 86400.0


def open_journal(tmp_path, clock=None, **policy) -> Journal:
    config = Config(data_dir=str(tmp_path / "data"), journal=JournalConfig(**policy))
    journal = Journal.open(config, clock, sweep_every=None)
    assert isinstance(journal, Journal)
    return journal


def test_an_interaction_reads_back_with_every_field(tmp_path):
    with open_journal(tmp_path) as journal:
        spoken = Interaction(
            started_at=time.time() - 60.5,
            language="ko",
            wake_word="hey_jarvis",
            wake_score=0.93,
            transcript="지금 몇 시야",
            intent="GetTime",
            skill="clock",
            slots={"zone": "서울", "n": 3},
            reply="오후 세 시입니다",
            outcome=Outcome.HANDLED,
            timings_ms={"listen": 812.5, "recognize": 61.0},
        )
        typed = Interaction(
            source=Source.TYPED, transcript="what time is it", outcome=Outcome.HANDLED
        )
        false_wake = Interaction(wake_word="hey_jarvis", wake_score=0.51, outcome=Outcome.NO_SPEECH)
        ids = [journal.record(i) for i in (spoken, typed, false_wake)]

        assert ids == sorted(ids) and spoken.id == ids[0]
        newest_first = journal.last(3)
        assert [e.id for e in newest_first] == ids[::-1]
        back = journal.get(ids[0])
        for name in ("started_at", "language", "wake_word", "wake_score", "transcript", "intent",
                     "skill", "slots", "reply", "outcome", "timings_ms", "source"):  # fmt: skip
            assert getattr(back, name) == getattr(spoken, name), name
        assert back.audio_path is None
        assert [e.id for e in journal.last(5, source="typed")] == [ids[1]]
        assert journal.get(ids[2]).is_false_wake and not journal.get(ids[1]).is_false_wake


def test_files_are_private_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        with open_journal(tmp_path, keep_audio=True) as journal:
            samples = bytes(range(256)) * 20
            journal.record(Interaction(transcript="open the door", audio=samples))
            entry = journal.last()[0]
            data = tmp_path / "data"
            assert stat.S_IMODE(data.stat().st_mode) == 0o700
            assert stat.S_IMODE((data / "audio").stat().st_mode) == 0o700
            for name in ("journal.db", "journal.db-wal", "journal.db-shm"):
                assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
            assert stat.S_IMODE(os.stat(entry.audio_path).st_mode) == 0o600
            with wave.open(entry.audio_path) as w:
                assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
                assert w.readframes(w.getnframes()) == samples
    finally:
        os.umask(old)


def test_existing_files_with_loose_permissions_are_tightened(tmp_path):
    open_journal(tmp_path).close()
    data = tmp_path / "data"
    data.chmod(0o755)
    (data / "journal.db").chmod(0o644)
    open_journal(tmp_path).close()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "journal.db").stat().st_mode) == 0o600


def test_audio_from_the_microphone_pipeline_is_kept_as_wav(tmp_path):
    np = pytest.importorskip("numpy")
    samples = (np.sin(np.arange(16000) / 10) * 8000).astype(np.int16)
    with open_journal(tmp_path, keep_audio=True) as journal:
        journal.record(Interaction(transcript="what time is it", audio=samples))
        with wave.open(journal.last()[0].audio_path) as w:
            assert np.array_equal(np.frombuffer(w.readframes(w.getnframes()), np.int16), samples)


def test_audio_is_not_kept_by_default(tmp_path):
    with open_journal(tmp_path) as journal:
        for _ in range(5):
            journal.record(Interaction(transcript="lights on", audio=b"\x01\x02" * 800))
        assert all(e.audio_path is None for e in journal.last(5))
    audio = tmp_path / "data" / "audio"
    assert not audio.exists() or not any(audio.iterdir())


def test_switched_off_journal_writes_nothing_at_all(tmp_path):
    config = Config(data_dir=str(tmp_path / "data"), journal=JournalConfig(enabled=False))
    journal = Journal.open(config)
    assert isinstance(journal, DisabledJournal)
    assert journal.record(Interaction(transcript="hello", audio=b"\0\0")) is None
    assert journal.pause(60) > time.time()
    assert not journal.status().logging
    assert journal.policy_summary()["interactions"] == 0
    journal.close()
    assert not (tmp_path / "data").exists()


def test_switching_off_keeps_old_entries_deletable_and_expiring(tmp_path):
    clock = ManualClock(1_790_000_000)
    with open_journal(tmp_path, clock) as journal:
        journal.record(Interaction(started_at=clock.time(), transcript="old words"))
    clock.advance(31 * DAY)
    config = Config(data_dir=str(tmp_path / "data"), journal=JournalConfig(enabled=False))
    with Journal.open(config, clock, sweep_every=None) as journal:
        assert journal.record(Interaction(transcript="new words")) is None
        assert journal.last(5) == []  # expired at start, although logging is off


def test_retention_by_age_after_the_sweep_and_after_a_restart(tmp_path):
    clock = ManualClock(1_790_000_000)
    policy = {"retention_days": 30, "keep_audio": True, "audio_retention_days": 1}
    with open_journal(tmp_path, clock, **policy) as journal:
        first = journal.record(
            Interaction(started_at=clock.time(), transcript="a", audio=b"\1\0" * 400)
        )
        audio = journal.get(first).audio_path
        clock.advance(2 * DAY)
        second = journal.record(
            Interaction(started_at=clock.time(), transcript="b", audio=b"\2\0" * 400)
        )
        # The sweep after that write took the first audio (1 day) but not its text (30 days).
        assert journal.get(first).audio_path is None and not os.path.exists(audio)
        assert journal.get(second).audio_path is not None
        clock.advance(29 * DAY)
        report = journal.prune()
        assert report.deleted == 1 and report.erased
        assert journal.get(first) is None and journal.get(second) is not None
    clock.advance(2 * DAY)
    with open_journal(tmp_path, clock, **policy) as journal:
        assert journal.last(10) == []  # applied at start, with nothing else happening
    assert not any((tmp_path / "data" / "audio").iterdir())


def test_retention_keeps_at_most_max_interactions(tmp_path):
    with open_journal(tmp_path, max_interactions=5) as journal:
        ids = [journal.record(Interaction(transcript=f"n {i}")) for i in range(8)]
        assert [e.id for e in journal.last(10)] == ids[-5:][::-1]


def test_switching_audio_keeping_off_removes_kept_audio(tmp_path):
    with open_journal(tmp_path, keep_audio=True) as journal:
        journal.record(Interaction(transcript="x", audio=b"\1\0" * 100))
    with open_journal(tmp_path, keep_audio=False) as journal:
        assert journal.last()[0].audio_path is None
    assert not any((tmp_path / "data" / "audio").iterdir())


def test_the_periodic_sweep_runs_while_idle(tmp_path):
    clock = ManualClock(time.time())
    config = Config(data_dir=str(tmp_path / "data"), journal=JournalConfig(retention_days=1))
    journal = Journal.open(config, clock, sweep_every=0.05)
    try:
        journal.record(Interaction(started_at=clock.time(), transcript="soon gone"))
        clock.advance(2 * DAY)
        deadline = time.monotonic() + 5
        while journal.last() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert journal.last() == []
    finally:
        journal.close()


def test_pause_survives_a_restart_and_ends_by_itself(tmp_path):
    clock = ManualClock(1_790_000_000)
    with open_journal(tmp_path, clock) as journal:
        until = journal.pause(3600)
        assert until == clock.time() + 3600
        assert journal.record(Interaction(started_at=clock.time(), transcript="private")) is None
    with open_journal(tmp_path, clock) as journal:
        assert journal.paused_until() == until
        assert not journal.status().logging
        assert journal.record(Interaction(started_at=clock.time(), transcript="private")) is None
        clock.advance(3601)
        assert journal.paused_until() is None
        assert journal.record(Interaction(started_at=clock.time(), transcript="public")) is not None
        journal.pause(600)
        journal.resume()
        assert journal.record(Interaction(started_at=clock.time(), transcript="again")) is not None
        assert [e.transcript for e in journal.last(5)] == ["again", "public"]


def test_policy_summary_answers_what_is_kept(tmp_path):
    clock = ManualClock(1_790_000_000)
    with open_journal(tmp_path, clock, retention_days=7, max_interactions=50) as journal:
        journal.record(Interaction(started_at=clock.time() - 100, transcript="a"))
        journal.record(Interaction(started_at=clock.time(), transcript="b"))
        summary = journal.policy_summary()
    assert summary["retention_days"] == 7 and summary["max_interactions"] == 50
    assert summary["keep_audio"] is False and summary["audio_retention_days"] == 1
    assert summary["interactions"] == 2 and summary["oldest"] == clock.time() - 100
    assert summary["logging"] is True


def test_matching_ignores_case_and_covers_replies_and_slots(tmp_path):
    with open_journal(tmp_path) as journal:
        journal.record(Interaction(transcript="Call GRANDMA now"))
        journal.record(Interaction(transcript="x", reply="calling grandma"))
        journal.record(Interaction(transcript="y", slots={"who": "Grandma"}))
        keep = journal.record(Interaction(transcript="call the plumber"))
        with pytest.raises(JournalError):
            journal.delete_matching("  ")
        with pytest.raises(JournalError):
            journal.delete_range(None, None)  # never "everything" by accident
        assert journal.delete_matching("grandma").deleted == 3
        assert [e.id for e in journal.last(10)] == [keep]


def test_a_journal_from_a_newer_version_is_refused(tmp_path):
    open_journal(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "data" / "journal.db")
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 0)")
    conn.commit()
    conn.close()
    with pytest.raises(JournalError, match="newer version"):
        open_journal(tmp_path)


def test_full_disk_fails_the_write_then_recovers(tmp_path):
    config = write_config(tmp_path, tmp_path / "data", keep_audio=True)
    Journal.open(Config(data_dir=str(tmp_path / "data")), sweep_every=None).close()
    run = subprocess.run(
        [sys.executable, str(WRITER), str(config), "disk-full"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    limited, recovered = (json.loads(line) for line in run.stdout.splitlines())
    assert limited["failure"] and "not logged" in limited["failure"]
    assert limited["logging"] is False and "cannot log" in limited["reason"]
    assert recovered["logging"] is True and recovered["row_id"]
    assert recovered["stored"] == [interaction(99999, "after the disk has room", False).transcript]
    assert "filler" not in run.stderr and "filler" not in limited["failure"]


def test_nothing_said_reaches_the_process_log(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "my bank pin is 4711"
    with open_journal(tmp_path, keep_audio=True, max_interactions=2) as journal:
        for _ in range(4):
            journal.record(Interaction(transcript=secret, reply=secret, audio=b"\0\1" * 50))
        journal.delete_matching(secret)
        journal.pause(10)
        journal.record(Interaction(transcript=secret))
    assert secret not in caplog.text


def test_a_journal_of_the_first_schema_is_upgraded_in_place(tmp_path):
    with open_journal(tmp_path) as journal:
        kept = journal.record(Interaction(transcript="from the first version"))
    db = tmp_path / "data" / "journal.db"
    with sqlite3.connect(db) as conn:  # what version 0.1's first schema left on disk
        conn.execute("DROP INDEX interactions_kept_audio")
        conn.execute("DELETE FROM schema_migrations WHERE version > 1")
    with open_journal(tmp_path) as journal:
        assert journal.get(kept).transcript == "from the first version"
    with sqlite3.connect(db) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    assert "interactions_kept_audio" in indexes and versions == [1, 2]
