"""Owner skills from skills.directories, their settings, and containment: a skill that
raises or hangs costs one apology and an outcome of skill_error, never the service."""

from __future__ import annotations

import logging
import textwrap
import time

import pytest
from test_skills_support import make_assistant

from assistant.errors import ConfigError
from assistant.record import Outcome

BROKEN_SKILL = """
from dataclasses import dataclass
import time
from assistant.skillkit import Reply, Skill


@dataclass(frozen=True)
class Settings:
    nap_seconds: float = 3.0


class Broken(Skill):
    Settings = Settings

    def handle(self, request):
        if request.intent == "BrokenRaise":
            raise RuntimeError("failed while handling " + request.text)
        if request.intent == "BrokenHang":
            time.sleep(self.context.settings.nap_seconds)
            return Reply("too late")
        return Reply("fine, " + str(self.context.settings.nap_seconds))


SKILL = Broken
"""

SENTENCES = """
language: en
intents:
  BrokenRaise:
    data:
      - sentences: ["explode {word}"]
  BrokenHang:
    data:
      - sentences: ["take a long nap"]
  BrokenFine:
    data:
      - sentences: ["are you fine"]
lists:
  word:
    wildcard: true
"""


@pytest.fixture
def owner_dir(tmp_path):
    folder = tmp_path / "owner_skills" / "broken"
    (folder / "sentences").mkdir(parents=True)
    (folder / "__init__.py").write_text(textwrap.dedent(BROKEN_SKILL))
    (folder / "sentences" / "en.yaml").write_text(SENTENCES)
    return tmp_path / "owner_skills"


def test_a_raising_and_a_hanging_skill_are_contained(tmp_path, owner_dir, caplog):
    assistant = make_assistant(tmp_path / "data", skills={"directories": [str(owner_dir)]})
    assistant.dispatcher.time_limit = 0.5
    try:
        with caplog.at_level(logging.WARNING):
            interaction, reply = assistant.ask("explode zqsecretword", record=False)
        assert interaction.outcome is Outcome.SKILL_ERROR
        assert reply.text == "Sorry, something went wrong."
        assert "zqsecretword" not in caplog.text  # the transcript stays out of the process log
        assert "broken" in caplog.text

        started = time.monotonic()
        interaction, reply = assistant.ask("take a long nap", record=False)
        assert time.monotonic() - started < 2.5
        assert interaction.outcome is Outcome.SKILL_ERROR
        assert reply.text == "Sorry, something went wrong."

        interaction, reply = assistant.ask("are you fine", record=False)
        assert interaction.outcome is Outcome.HANDLED and reply.text == "fine, 3.0"
        assert assistant.ask("set a timer for 5 minutes", record=False)[1].text == (
            "Timer set for 5 minutes."
        )
    finally:
        assistant.close()


def test_owner_skill_settings_are_validated_against_its_settings_class(tmp_path, owner_dir):
    skills = {"directories": [str(owner_dir)], "broken": {"nap_seconds": 0.1}}
    assistant = make_assistant(tmp_path / "data", skills=skills)
    try:
        assert assistant.ask("are you fine", record=False)[1].text == "fine, 0.1"
    finally:
        assistant.close()
    with pytest.raises(ConfigError, match=r"skills\.broken\.nap_minutes: unknown key"):
        make_assistant(tmp_path / "data", skills={"directories": [str(owner_dir)],
                                                  "broken": {"nap_minutes": 1}})  # fmt: skip
    with pytest.raises(ConfigError, match=r"skills\.timers\.max_timer: unknown key"):
        make_assistant(tmp_path / "data", skills={"timers": {"max_timer": 3}})
    with pytest.raises(ConfigError, match=r"skills\.weather: no such skill"):
        make_assistant(tmp_path / "data", skills={"weather": {}})


def test_a_disabled_skill_is_not_understood_and_not_offered(tmp_path):
    assistant = make_assistant(tmp_path, skills={"arithmetic": {"enabled": False}})
    try:
        interaction, _ = assistant.ask("what is 12 times 7", record=False)
        assert interaction.outcome is Outcome.NOT_UNDERSTOOD
        offered = assistant.ask("what can you do", record=False)[1].text
        assert "Timers" in offered and "Calculations" not in offered
    finally:
        assistant.close()
