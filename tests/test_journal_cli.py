"""`assistant log ...` as an owner uses it: real processes, real files."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
import time

import pytest
from journal_writer import write_config

from assistant.cli.main import build_parser
from assistant.config import Config
from assistant.journal import Journal
from assistant.record import Interaction, Outcome, Source

pytestmark = pytest.mark.slow  # starts processes or plays real audio

DAY = 86400.0
HEAVY = ("numpy", "vosk", "openwakeword", "sounddevice", "pyttsx3")


@pytest.fixture
def setup(tmp_path):
    """A journal with a spoken, a typed, a false-wake and two older interactions."""
    data = tmp_path / "data"
    now = time.time()
    with Journal.open(Config(data_dir=str(data)), sweep_every=None) as journal:
        journal.record(Interaction(started_at=now - 3 * DAY, transcript="play jazz",
                                   intent="PlayMusic", outcome=Outcome.HANDLED))  # fmt: skip
        journal.record(Interaction(started_at=now - 1.5 * DAY, transcript="weather tomorrow",
                                   intent="GetWeather", outcome=Outcome.HANDLED))  # fmt: skip
        journal.record(Interaction(started_at=now - 60, transcript="지금 몇 시야", language="ko",
                                   intent="GetTime", reply="세 시",
                                   outcome=Outcome.HANDLED))  # fmt: skip
        journal.record(Interaction(started_at=now - 30, source=Source.TYPED,
                                   transcript="what time is it", intent="GetTime",
                                   outcome=Outcome.HANDLED))  # fmt: skip
        journal.record(Interaction(started_at=now - 10, wake_word="hey_jarvis", wake_score=0.55,
                                   outcome=Outcome.NO_SPEECH))  # fmt: skip
    return write_config(tmp_path, data), data


def log(config, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", "--config", str(config), "log", *args],
        capture_output=True, text=True, timeout=60, input=stdin,
    )  # fmt: skip


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_list_marks_typed_commands_and_false_wakes(setup):
    config, _ = setup
    run = log(config, "list")
    assert run.returncode == 0, run.stderr
    rows = run.stdout.splitlines()
    assert rows[0].split() == ["ID", "WHEN", "SOURCE", "OUTCOME", "INTENT", "SAID"]
    assert "no_speech (false wake)" in rows[1]
    assert "typed" in rows[2] and "what time is it" in rows[2]
    assert "voice" in rows[3] and "지금 몇 시야" in rows[3]
    assert len(rows) == 6


def test_list_filters_by_time_intent_and_limit(setup):
    config, _ = setup
    listed = json_lines(log(config, "list", "--since", "2d", "--json").stdout)
    assert [e["transcript"] for e in listed] == [
        None, "what time is it", "지금 몇 시야", "weather tomorrow"]  # fmt: skip
    assert len(json_lines(log(config, "list", "--until", "1d", "--json").stdout)) == 2
    entries = json_lines(log(config, "list", "--intent", "GetTime", "--json").stdout)
    assert {e["intent"] for e in entries} == {"GetTime"} and len(entries) == 2
    assert len(json_lines(log(config, "list", "--limit", "1", "--json").stdout)) == 1
    today = time.strftime("%Y-%m-%d", time.localtime(time.time() - 10))
    by_date = json_lines(log(config, "list", "--since", today, "--until", today, "--json").stdout)
    assert any(e["transcript"] == "what time is it" for e in by_date)
    assert all(e["started_at"] >= time.mktime(time.strptime(today, "%Y-%m-%d")) for e in by_date)
    bad = log(config, "list", "--since", "last tuesday")
    assert bad.returncode == 2 and "neither an age" in bad.stderr and "Traceback" not in bad.stderr


def test_json_entries_carry_every_field(setup):
    config, _ = setup
    entry = json_lines(log(config, "list", "--limit", "1", "--json").stdout)[0]
    assert entry["outcome"] == "no_speech" and entry["false_wake"] is True
    assert entry["wake_word"] == "hey_jarvis" and entry["wake_score"] == 0.55
    assert {"id", "time", "language", "slots", "timings_ms", "audio_path", "source"} <= set(entry)


def test_show_and_search(setup):
    config, _ = setup
    run = log(config, "show", "3")
    assert run.returncode == 0 and "지금 몇 시야" in run.stdout and "세 시" in run.stdout
    assert log(config, "show", "3", "--json").stdout.count("\n") == 1
    missing = log(config, "show", "999")
    assert missing.returncode == 1 and "no interaction with id 999" in missing.stderr
    found = json_lines(log(config, "search", "TIME", "--json").stdout)
    assert [e["transcript"] for e in found] == ["what time is it"]


def test_stats_reports_counts_size_and_policy(setup):
    config, data = setup
    stats = json.loads(log(config, "stats", "--json").stdout)
    assert stats["interactions"] == 5 and stats["false_wakes"] == 1 and stats["typed"] == 1
    assert sum(sum(day.values()) for day in stats["by_day"].values()) == 5
    assert stats["bytes_on_disk"] >= (data / "journal.db").stat().st_size > 0
    assert stats["retention_days"] == 30 and stats["keep_audio"] is False
    human = log(config, "stats").stdout
    assert "false wakes 1" in human and "text kept 30 days" in human and "Oldest:" in human


def test_delete_asks_first_and_says_what_it_did(setup):
    config, _ = setup
    refused = log(config, "delete", "--older-than", "1d")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert "Will delete 2 interactions" in refused.stdout and "play jazz" in refused.stdout
    assert len(json_lines(log(config, "list", "--json").stdout)) == 5  # nothing deleted
    done = log(config, "delete", "--older-than", "1d", "--yes")
    assert done.returncode == 0
    assert (
        "Deleted 2 interactions" in done.stdout and "Erased from the database files" in done.stdout
    )
    assert [e["id"] for e in json_lines(log(config, "list", "--json").stdout)] == [5, 4, 3]
    nothing = log(config, "delete")
    assert nothing.returncode == 2 and "say what to delete" in nothing.stderr
    unknown = log(config, "delete", "42", "--yes")
    assert unknown.returncode == 1 and "No interaction with id 42" in unknown.stderr
    assert log(config, "delete", "--all", "--matching", "x").returncode == 2


def test_delete_all_empties_the_journal(setup):
    config, _ = setup
    run = log(config, "delete", "--all", "--yes", "--json")
    assert run.returncode == 0 and json.loads(run.stdout)["deleted"] == 5
    assert log(config, "list").stdout.strip() == "No interactions recorded."


def test_export_jsonl_and_csv_to_a_private_file(setup, tmp_path):
    config, _ = setup
    out = tmp_path / "mine.jsonl"
    run = log(config, "export", "--format", "jsonl", "--output", str(out))
    assert run.returncode == 0 and "Exported 5 interactions" in run.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = json_lines(out.read_text(encoding="utf-8"))
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5] and rows[2]["transcript"] == "지금 몇 시야"
    table = list(csv.DictReader(io.StringIO(log(config, "export", "--format", "csv").stdout)))
    assert len(table) == 5 and table[3]["source"] == "typed" and table[4]["false_wake"] == "True"


def test_pause_and_resume_from_the_command_line(setup):
    config, data = setup
    run = log(config, "pause", "1h")
    assert run.returncode == 0 and "paused until" in run.stdout
    with Journal.open(Config(data_dir=str(data)), sweep_every=None) as journal:
        assert 3500 < journal.paused_until() - time.time() <= 3600
        assert journal.record(Interaction(transcript="not now")) is None
    assert "paused until" in log(config, "stats").stdout
    assert log(config, "resume").returncode == 0
    with Journal.open(Config(data_dir=str(data)), sweep_every=None) as journal:
        assert journal.paused_until() is None
    assert log(config, "pause", "soon").returncode == 2


def test_prune_and_verify_on_a_healthy_journal(setup):
    config, _ = setup
    prune = log(config, "prune")
    assert prune.returncode == 0 and "Retention applied: deleted 0 interactions" in prune.stdout
    verify = log(config, "verify")
    assert verify.returncode == 0 and "none left in the database files" in verify.stdout


def test_switched_off_journal_creates_no_file_from_the_command_line(tmp_path):
    data = tmp_path / "data"
    config = write_config(tmp_path, data, enabled=False)
    run = log(config, "list")
    assert run.returncode == 0 and "switched off" in run.stderr
    assert log(config, "stats").returncode == 0
    assert not data.exists()


def test_owner_commands_do_not_load_speech_engines(setup):
    config, _ = setup
    code = (
        "import sys\nfrom assistant.cli.main import main\n"
        f"rc = main(['--config', {str(config)!r}, 'log', 'list'])\n"
        f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules], rc)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.splitlines()[-1] == "LOADED [] 0", run.stderr


def test_every_log_command_has_help():
    parser = build_parser()
    log_parser = parser._subparsers._group_actions[0].choices["log"]
    actions = log_parser._subparsers._group_actions[0]
    assert set(actions.choices) >= {"list", "show", "search", "stats", "delete", "export",
                                    "verify", "prune", "pause", "resume"}  # fmt: skip
    helps = {a.dest: a.help for a in actions._choices_actions}
    assert all(helps.get(name) for name in actions.choices), helps


def test_no_terminal_escapes_reach_the_owners_terminal(tmp_path):
    data = tmp_path / "data"
    with Journal.open(Config(data_dir=str(data)), sweep_every=None) as journal:
        journal.record(Interaction(source=Source.TYPED, transcript="hi \x1b[2J\x1b]0;owned\x07"))
    out = log(write_config(tmp_path, data), "list").stdout
    assert "\x1b" not in out and "\x07" not in out


def test_config_path_from_the_environment_is_honoured(setup):
    config, _ = setup
    env = {**os.environ, "ASSISTANT_CONFIG": str(config)}
    run = subprocess.run([sys.executable, "-m", "assistant", "log", "list", "--json"],
                         capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert len(json_lines(run.stdout)) == 5
