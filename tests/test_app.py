"""The composition root: an assistant is built whole or not at all, and started only
when asked; the configuration of a command line is read once."""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path

import pytest

from assistant import app
from assistant.config import parse
from assistant.journal import Journal

BROKEN_START = """
from assistant.skillkit import Skill


class Broken(Skill):
    def start(self):
        raise TypeError("start() is broken")


SKILL = Broken
"""


def thread_names() -> set[str]:
    return {t.name for t in threading.enumerate()}


def saved_timer(data: Path, at: float) -> None:
    folder = data / "skills" / "timers"
    folder.mkdir(parents=True)
    item = {"at": at, "name": "tea", "details": {"seconds": 60}, "id": "a1b2c3d4"}
    (folder / "timers.json").write_text(json.dumps({"items": [item]}))


def test_an_assistant_built_unstarted_runs_nothing_and_touches_no_saved_timer(tmp_path):
    saved_timer(tmp_path, at=1.0)  # long past: starting would announce it and drop it
    before = (tmp_path / "skills" / "timers" / "timers.json").read_text()
    assistant = app.build_assistant(parse({"data_dir": str(tmp_path)}), start=False)
    try:
        assert not assistant.host.scheduler.running
        assert "scheduler" not in thread_names()
        assert assistant.announcements.due() is None
        assert (tmp_path / "skills" / "timers" / "timers.json").read_text() == before
        assistant.start()
        assert assistant.host.scheduler.running
        assert "tea" in assistant.announcements.due().text.lower()
    finally:
        assistant.close()
    assert "scheduler" not in thread_names()


def test_a_build_that_fails_closes_what_it_built_and_the_journal_it_was_given(tmp_path):
    owner = tmp_path / "owner"
    (owner / "fails_to_start").mkdir(parents=True)
    (owner / "fails_to_start" / "__init__.py").write_text(BROKEN_START)
    config = parse({"data_dir": str(tmp_path / "data"), "skills": {"directories": [str(owner)]}})
    journal = Journal.open(config, sweep_every=None)
    wal = tmp_path / "data" / "journal.db-wal"
    assert wal.exists()  # open
    before = thread_names()
    with pytest.raises(TypeError):
        app.build_assistant(config, journal=journal)
    assert thread_names() == before
    assert not wal.exists()  # closed: the last connection checkpointed and removed it


def test_a_typed_command_is_kept_and_returned_with_its_row_id(tmp_path):
    config = parse({"data_dir": str(tmp_path)})
    seen = []
    assistant = app.open_assistant(config, watcher=seen.append)
    try:
        interaction, reply = assistant.ask("what is two plus two")
    finally:
        assistant.close()
    assert "4" in reply.text
    assert seen == [interaction] and interaction.id is not None
    with Journal.open(config) as journal:
        assert journal.get(interaction.id).transcript == "what is two plus two"


def test_a_scratch_assistant_leaves_the_real_data_directory_alone(tmp_path):
    config = parse({"data_dir": str(tmp_path / "data")})
    with app.scratch_assistant(config) as assistant:
        interaction, _ = assistant.ask("set a timer for 5 minutes", record=False)
        assert interaction.intent == "TimerStart"
    assert not (tmp_path / "data").exists()


def test_the_configuration_of_a_command_is_read_once(tmp_path):
    path = tmp_path / "assistant.yaml"
    path.write_text("log_level: info\n")
    args = argparse.Namespace(config=str(path))
    assert app.log_level(args) == "info"
    path.write_text("log_level: [broken\n")  # a second read would fail
    assert app.command_config(args).log_level == "info"
    assert app.command_config(args) is app.command_config(args)


def test_a_broken_configuration_leaves_the_log_level_to_the_command(tmp_path):
    path = tmp_path / "assistant.yaml"
    path.write_text("language: [\n")
    args = argparse.Namespace(config=str(path))
    assert app.log_level(args) == "warning"
    with pytest.raises(Exception, match="not valid YAML"):
        app.command_config(args)
