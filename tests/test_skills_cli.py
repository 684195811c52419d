"""`assistant skills list` and `assistant skills test`: nothing logged, nothing left behind."""

from __future__ import annotations

import json

import pytest
import yaml

from assistant.cli.main import main


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "assistant.yaml"
    data_dir = tmp_path / "data"
    path.write_text(
        yaml.safe_dump({"data_dir": str(data_dir), "skills": {"alarms": {"enabled": False}}})
    )
    return path, data_dir


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_shows_every_skill_with_state_intents_and_languages(capsys, config_file):
    path, _ = config_file
    code, out, _ = run(capsys, "--config", str(path), "skills", "list", "--json")
    assert code == 0
    rows = {row["name"]: row for row in map(json.loads, out.splitlines())}
    assert {"timers", "alarms", "privacy", "system", "arithmetic", "commands", "clock"} <= set(rows)
    assert rows["alarms"]["enabled"] is False and rows["timers"]["enabled"] is True
    assert "TimerStart" in rows["timers"]["intents"]
    assert rows["timers"]["languages"] == ["en", "ko"]
    assert rows["commands"]["intents"] == []  # none until the owner writes some


def test_list_text(capsys, config_file):
    path, _ = config_file
    code, out, _ = run(capsys, "--config", str(path), "skills", "list")
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("alarms"))
    assert "disabled" in line


def test_test_json_gives_intent_slots_and_reply_and_logs_nothing(capsys, config_file):
    path, data_dir = config_file
    code, out, _ = run(capsys, "--config", str(path), "skills", "test",
                       "set a pasta timer for five minutes", "--json")  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert result["intent"] == "TimerStart" and result["skill"] == "timers"
    assert result["slots"] == {"timer_name": "pasta", "minutes": 5}
    assert result["reply"] == "Pasta timer set for 5 minutes."
    # No journal, no timer left for the service to ring later.
    leftovers = [p for p in data_dir.rglob("*") if p.is_file()] if data_dir.exists() else []
    assert leftovers == []


def test_test_fails_when_not_understood(capsys, config_file):
    path, _ = config_file
    code, out, _ = run(capsys, "--config", str(path), "skills", "test", "sing me a song")
    assert code == 1
    assert "intent:  -" in out


def test_test_a_disabled_skill_is_not_understood(capsys, config_file):
    path, _ = config_file
    code, out, _ = run(
        capsys, "--config", str(path), "skills", "test", "wake me up at 7 am", "--json"
    )
    assert code == 1 and json.loads(out)["outcome"] == "not_understood"


def test_a_bad_skill_section_is_one_clear_line(capsys, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path), "skills": {"timers": {"max": 1}}}))
    code, out, err = run(capsys, "--config", str(path), "skills", "list")
    assert code != 0
    assert "skills.timers.max: unknown key" in err and "Traceback" not in err
