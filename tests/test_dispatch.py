"""The dispatcher: text to a skill's reply through the real matcher and skills, with
every way a skill can fail contained (an apology, `skill_error`, one log line without
what was said), and skills that cannot be created stopping the building."""

from __future__ import annotations

import threading

import pytest

from assistant import app
from assistant.config import parse
from assistant.dispatch import Dispatcher, apology, instantiate
from assistant.errors import SkillError
from assistant.record import Outcome, Source
from assistant.skillkit import Reply, Request, Skill, SystemClock, enabled_skills


@pytest.fixture
def host(tmp_path):
    config = parse({"data_dir": str(tmp_path)})
    built = app.build_skill_host(config, SystemClock(), journal=None)
    yield built
    built.close()


class Misbehaving(Skill):
    """Stands in for the clock skill, failing the way the test says."""

    release = threading.Event()

    def __init__(self, how: str) -> None:
        self.how = how

    def handle(self, request: Request) -> Reply:
        if self.how == "raise":
            raise RuntimeError(f"cannot handle {request.text}")
        if self.how == "hang":
            self.release.wait(10)
        return "not a Reply"  # type: ignore[return-value]


def test_understood_text_reaches_its_skill_with_slots_and_source(host):
    dispatched = host.dispatcher.dispatch("set a timer for 5 minutes", Source.TYPED)
    assert dispatched.outcome is Outcome.HANDLED
    assert (dispatched.match.intent, dispatched.match.skill) == ("TimerStart", "timers")
    assert dispatched.match.slots == {"minutes": 5}
    assert "5 minute" in dispatched.reply.text


def test_text_no_skill_understands_gets_the_apology(host):
    dispatched = host.dispatcher.dispatch("feed the cat zqx")
    assert dispatched.match is None and dispatched.outcome is Outcome.NOT_UNDERSTOOD
    assert dispatched.reply.text == apology("not_understood", "en")


@pytest.mark.parametrize("how", ["raise", "hang", "wrong type"])
def test_a_failing_skill_gets_an_apology_and_one_log_line_without_the_words(host, caplog, how):
    skills = {**host.skills, "clock": Misbehaving(how)}
    dispatcher = Dispatcher(host.matcher, skills, time_limit=0.2)
    try:
        dispatched = dispatcher.dispatch("what time is it")
    finally:
        Misbehaving.release.set()
    assert dispatched.outcome is Outcome.SKILL_ERROR
    assert dispatched.match.intent == "ClockTime"
    assert dispatched.reply.text == apology("skill_error", "en")
    [line] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert line.startswith("skill clock ")
    assert "what time" not in caplog.text


def test_apologies_are_in_the_assistants_language_with_english_as_fallback():
    assert apology("skill_error", "ko") == "죄송해요, 문제가 생겼어요."
    assert apology("not_understood", "xx") == "Sorry, I didn't understand."


def test_a_skill_that_cannot_be_created_stops_the_building_naming_it(tmp_path):
    [clock] = [s for s in enabled_skills(parse({"data_dir": str(tmp_path)})) if s.name == "clock"]

    def context_for(skill):
        raise ValueError("no clock here")

    with pytest.raises(SkillError, match=r"skill clock failed to start: ValueError"):
        instantiate([clock], context_for)
