# ruff: noqa: E501  (tables of cases read best one case per line)
"""The configuration check names every value a later stage would choke on, with the
key's full path, and `assistant config check` exits 2 with one line instead of passing
it on (or crashing itself)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from assistant import config as config_module
from assistant.cli.main import main
from assistant.errors import ConfigError


def check(tmp_path: Path, text: str, capsys) -> tuple[int, str]:
    """`assistant --config FILE config check` in this process: (exit code, stderr)."""
    file = tmp_path / "assistant.yaml"
    if "data_dir" not in text:
        text = f"data_dir: {tmp_path / 'data'}\n{text}"
    file.write_text(text, encoding="utf-8")
    code = main(["--config", str(file), "config", "check"])
    return code, capsys.readouterr().err


def owner_command(**fields: object) -> str:
    """A configuration with one owner command; `fields` override the defaults (as YAML)."""
    command = {
        "name": "bell",
        "sentences": '{en: ["ring the bell"]}',
        "run": '["true"]',
        **fields,
    }
    lines = "\n".join(f"        {key}: {value}" for key, value in command.items() if key != "name")
    return f"skills:\n  commands:\n    commands:\n      - name: {command['name']}\n{lines}\n"


@pytest.mark.parametrize(
    "text,message",
    [
        ("journal:\n  retention_days: .nan\n", "journal.retention_days: expected a finite number, got nan"),
        ("journal:\n  retention_days: .inf\n", "journal.retention_days: expected a finite number, got inf"),
        ("journal:\n  audio_retention_days: -.inf\n", "journal.audio_retention_days: expected a finite number, got -inf"),
        ("wake:\n  threshold: .nan\n", "wake.threshold: expected a finite number, got nan"),
        ("journal:\n  max_interactions: 100000000000000000000\n", "journal.max_interactions: expected a number that fits in 64 bits"),
        ("journal:\n  retention_days: 100000000000000000000\n", "journal.retention_days: expected a number that fits in 64 bits"),
        ("journal:\n  retention_days: 1.0e+300\n", "journal.retention_days: must be between 0 and 36500"),
        ("journal:\n  retention_days: -3\n", "journal.retention_days: must be greater than 0, got -3"),
        ("listen:\n  no_speech_seconds: -1\n", "listen.no_speech_seconds: must be greater than 0"),
        ("wake:\n  refractory_seconds: -2\n", "wake.refractory_seconds: must be between 0 and 86400, got -2"),
        ("speech:\n  rate: 0\n", "speech.rate: must be between 1 and 1000"),
        ("audio:\n  input_device: -1\n", "audio.input_device: a device index is 0 or more"),
        ('data_dir: "x\\0y"\n', "data_dir: text must not contain a NUL character"),
        ('data_dir: ""\n', "data_dir: must not be empty"),
        ("wake:\n  words: ['']\n", "wake.words: a wake word must not be empty"),
        ("skills:\n  timers: 5\n", "skills.timers: expected a mapping of settings, got int 5"),
        ("skills:\n  clock: [a, b]\n", "skills.clock: expected a mapping of settings, got a list"),
    ],
    ids=lambda v: v if len(v) < 30 else None,
)  # fmt: skip
def test_values_a_later_stage_would_choke_on_are_named(tmp_path, capsys, text, message):
    code, err = check(tmp_path, text, capsys)
    assert code == 2, err
    assert message in err
    assert err.count("\n") == 1 and err.startswith("assistant: error: ")


def test_nan_retention_never_reaches_the_journal(tmp_path):
    file = tmp_path / "nan.yaml"
    file.write_text("journal:\n  retention_days: .nan\n")
    with pytest.raises(ConfigError, match="expected a finite number"):
        config_module.load(file)


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"run": None, "http": '{url: "http://[::1"}'}, "http.url 'http://[::1' is not a valid address"),
        ({"run": None, "http": '{url: "http://127.0.0.1:99999/hook"}'}, "is not a valid address (Port out of range"),
        ({"run": '["{what}", "x"]', "slots": "{what: [rm, ls]}", "sentences": '{en: ["do {what}"]}'}, "run[0] is the program; it cannot hold a slot"),
        ({"sentences": '{en: ["ring (the bell"]}'}, "the template 'ring (the bell' does not parse"),
        ({"sentences": '{en: ["ring [the bell"]}'}, "does not parse"),
        ({"sentences": '{en: ["ring <bell>"]}'}, "en intent Command_bell: the rule <bell> is not defined"),
    ],
    ids=["ipv6-url", "port", "slot-as-program", "group", "optional", "missing-rule"],
)  # fmt: skip
def test_owner_command_mistakes_are_caught_by_the_check(tmp_path, capsys, fields, message):
    text = owner_command(**{k: v for k, v in fields.items() if v is not None})
    if fields.get("run", "") is None:
        text = text.replace('        run: ["true"]\n', "")
    code, err = check(tmp_path, text, capsys)
    assert code == 2, err
    assert message in err and "skills.commands" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_a_template_error_is_caught_before_it_breaks_ask(tmp_path, capsys):
    text = owner_command(sentences='{en: ["ring (the bell"]}')
    code, err = check(tmp_path, text, capsys)
    assert code == 2 and "does not parse" in err
    # The same file, used anyway: one line, no traceback.
    code = main(["--config", str(tmp_path / "assistant.yaml"), "ask", "ring the bell"])
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1, err


def test_data_dir_that_is_a_file(tmp_path, capsys):
    (tmp_path / "afile").write_text("not a folder")
    code, err = check(tmp_path, f"data_dir: {tmp_path / 'afile'}\n", capsys)
    assert code == 2 and f"data_dir: {tmp_path / 'afile'} is not a directory" in err
    code, err = check(tmp_path, f"data_dir: {tmp_path / 'afile' / 'below'}\n", capsys)
    assert code == 2 and f"cannot be created: {tmp_path / 'afile'} is not a directory" in err


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_data_dir_of_another_user(tmp_path, capsys):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, 54321, 54321)
    code, err = check(tmp_path, f"data_dir: {theirs}\n", capsys)
    assert code == 2 and f"data_dir: {theirs} belongs to user id 54321, not to" in err


def test_a_fresh_data_dir_and_the_documented_default_pass(tmp_path, capsys):
    code, err = check(tmp_path, "journal:\n  retention_days: 7\n", capsys)
    assert code == 0, err
    repo = Path(__file__).resolve().parent.parent
    assert main(["--config", str(repo / "config" / "assistant.yaml"), "config", "check"]) == 0


@pytest.mark.slow
def test_files_that_are_no_configuration(tmp_path, capsys):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * 2_000_000 + b"\n")
    assert main(["--config", str(big), "config", "check"]) == 2
    assert "not a configuration" in capsys.readouterr().err
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 1000 + "]" * 1000 + "\n")
    assert main(["--config", str(deep), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert main(["--config", str(tmp_path), "config", "check"]) == 2
    assert "cannot read configuration: Is a directory" in capsys.readouterr().err
    digits = tmp_path / "digits.yaml"
    digits.write_text("wyoming:\n  port: 1" + "0" * 5000 + "\n")
    assert main(["--config", str(digits), "config", "check"]) == 2
    assert "a number too long to be a setting" in capsys.readouterr().err
    if sys.platform == "linux":
        assert main(["--config", "/dev/zero", "config", "check"]) == 2
        assert "not a configuration" in capsys.readouterr().err
