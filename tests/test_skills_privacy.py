"""Privacy by voice, through the real journal: what is deleted is erased from the
database files (the marker test), privacy commands leave no entry of their own, the
whole history goes only after a spoken yes, and logging pauses and resumes."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from test_skills_support import make_assistant

from assistant.config import parse
from assistant.journal import Journal
from assistant.pipeline import Assistant


def marker() -> str:
    return f"zq{secrets.token_hex(8)}"


def files_containing(data_dir: Path, text: str) -> list[str]:
    needle = text.encode("utf-8")
    hits = []
    for path in data_dir.rglob("*"):
        if path.is_file() and needle in path.read_bytes():
            hits.append(path.name)
    return hits


@pytest.fixture
def setup(tmp_path):
    config = parse({"data_dir": str(tmp_path)})
    journal = Journal.open(config, sweep_every=None)
    assistant = make_assistant(tmp_path, journal=journal)
    yield assistant, journal, tmp_path
    assistant.close()
    journal.close()


def say(assistant, text):
    """A command, logged like any other (record=True)."""
    return assistant.ask(text)


def test_delete_what_i_just_said_erases_it_from_the_files(setup):
    assistant, journal, data_dir = setup
    keep, secret = marker(), marker()
    say(assistant, f"remember {keep} please")
    say(assistant, f"tell nobody {secret}")
    assert files_containing(data_dir, secret)  # the marker really was written

    interaction, reply = say(assistant, "delete what I just said")
    assert reply.private and interaction.id is None
    assert reply.text == f"Deleted: tell nobody {secret}."  # says which one it deleted
    assert files_containing(data_dir, secret) == []
    remaining = journal.last(10)
    assert [e.transcript for e in remaining] == [f"remember {keep} please"]  # only the one before
    assert not any("delete" in (e.transcript or "") for e in remaining)


def test_delete_everything_i_said_today(setup):
    assistant, journal, data_dir = setup
    markers = [marker() for _ in range(3)]
    for m in markers:
        say(assistant, f"note {m}")
    say(assistant, "what time is it")
    _, reply = assistant.ask("delete everything I said today", answer=lambda question: "yes")
    assert reply.text == "Deleted 4 things you said today."
    assert journal.last(10) == []
    for m in markers:
        assert files_containing(data_dir, m) == []


def test_delete_all_history_only_after_a_spoken_yes(setup):
    assistant, journal, data_dir = setup
    secret = marker()
    say(assistant, f"my pin is {secret}")
    for refusal in ("no", ""):  # silence is not a yes
        questions = []
        _, reply = assistant.ask(
            "delete all history", answer=lambda q, r=refusal: questions.append(q) or r
        )
        assert len(questions) == 1 and "yes" in questions[0].lower()
        assert reply.text == "Okay, I kept the history." and reply.private
        assert len(journal.last(10)) == 1
    _, reply = assistant.ask("delete all history", answer=lambda question: "yes")
    assert reply.text == "Deleted the one entry of the history." and reply.private
    assert journal.last(10) == []
    assert files_containing(data_dir, secret) == []


def test_what_do_you_keep_states_policy_and_counts(setup):
    assistant, _, _ = setup
    say(assistant, "what time is it")
    say(assistant, "set a timer for five minutes")
    _, reply = say(assistant, "what do you keep about me")
    assert "for at most 30 days and 10000 interactions" in reply.text
    assert "I keep no audio" in reply.text
    assert "Right now I have 2 interactions" in reply.text


def test_stop_logging_for_an_hour_then_start_again(setup):
    assistant, journal, _ = setup
    _, reply = say(assistant, "stop logging for an hour")
    assert reply.text.startswith("I will not log anything until ")
    paused = journal.paused_until()
    assert paused is not None and 3590 < paused - assistant.clock.time() <= 3600
    interaction, _ = say(assistant, f"while paused {marker()}")
    assert interaction.id is None and journal.last(10) == []
    _, reply = say(assistant, "start logging again")
    assert reply.text == "Logging is on again."
    interaction, _ = say(assistant, "what time is it")
    assert interaction.id is not None and len(journal.last(10)) == 1


def test_korean_delete_and_pause(setup, tmp_path):
    korean_dir = tmp_path / "ko"
    config = parse({"data_dir": str(korean_dir), "language": "ko"})
    with Journal.open(config, sweep_every=None) as journal:
        assistant = make_assistant(korean_dir, language="ko", journal=journal)
        try:
            secret = marker()
            say(assistant, f"비밀 {secret}")
            _, reply = say(assistant, "방금 한 말 지워 줘")
            assert reply.text.startswith("지웠어요")
            assert files_containing(korean_dir, secret) == []
            _, reply = say(assistant, "두 시간 동안 기록 하지 마")
            assert reply.text.endswith("까지 아무것도 기록하지 않을게요.")
            assert journal.paused_until() - assistant.clock.time() > 7100
        finally:
            assistant.close()


def test_with_the_journal_switched_off_it_says_so(tmp_path):
    config = parse({"data_dir": str(tmp_path), "journal": {"enabled": False}})
    journal = Journal.open(config, sweep_every=None)
    assistant = Assistant(config, journal=journal)
    try:
        for text in (
            "delete what I just said",
            "what do you keep about me",
            "stop logging for an hour",
        ):
            _, reply = assistant.ask(text)
            assert reply.text == "I keep no history: logging is switched off in the settings."
    finally:
        assistant.close()
        journal.close()
    assert not (tmp_path / "journal.db").exists()
