"""Privacy by voice, through the real journal: what is deleted is erased from the
database files (the marker test), privacy commands leave no entry of their own, the
whole history goes only after a spoken yes, and logging pauses and resumes."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest
from test_skills_support import make_assistant

from assistant.app import build_assistant
from assistant.config import parse
from assistant.journal import Journal
from assistant.record import Interaction, Outcome, Source


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


def test_repeat_that_never_brings_back_what_was_deleted(setup):
    assistant, journal, data_dir = setup
    secret = marker()
    say(assistant, "what is seven times six")
    say(assistant, f"tell nobody {secret}")
    _, deleted = say(assistant, "delete what I just said")
    assert secret in deleted.text
    _, repeated = say(assistant, "repeat that")
    assert secret not in repeated.text
    assert files_containing(data_dir, secret) == []


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
            "delete all history",
            answer=lambda q, r=refusal, asked=questions: asked.append(q) or r,
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
    assistant = build_assistant(config, journal=journal)
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


# ----- "delete what I just said" deletes what the person said -------------------------


def spoken(journal, text, outcome=Outcome.HANDLED, seconds_ago=0.0, language="en", room=None):
    """A voice interaction as the pipeline records it (the audio front is not needed)."""
    return journal.record(
        Interaction(
            started_at=time.time() - seconds_ago,
            source=Source.VOICE,
            language=language,
            wake_word="hey_jarvis",
            transcript=text,
            outcome=outcome,
            intent="TimerStart" if outcome is Outcome.HANDLED and text else None,
            room=room,
        )
    )


def say_by_voice(assistant, text):
    result = assistant.dispatcher.dispatch(text, Source.VOICE)
    assert result.match is not None and result.match.skill == "privacy"
    return result.reply


def test_false_wakes_and_mishearings_in_between_are_not_what_was_said(setup):
    assistant, journal, data_dir = setup
    first, second = marker(), marker()
    spoken(journal, f"set a timer for five minutes {first}", seconds_ago=40)
    spoken(journal, f"what time is it {second}", seconds_ago=30)
    noise = spoken(journal, None, Outcome.NO_SPEECH, seconds_ago=20)  # a false wake
    misheard = spoken(journal, "forget bat", Outcome.NOT_UNDERSTOOD, seconds_ago=10)

    reply = say_by_voice(assistant, "forget that")
    assert reply.text == f"Deleted: what time is it {second}." and reply.private
    assert files_containing(data_dir, second) == []
    # "Delete that too" goes one further back, past the false wakes again.
    reply = say_by_voice(assistant, "delete that too")
    assert reply.text == f"Deleted: set a timer for five minutes {first}."
    assert files_containing(data_dir, first) == []
    assert {e.id for e in journal.last(10)} == {noise, misheard}  # the false wakes stay
    assert say_by_voice(assistant, "delete that").text == (
        "There is nothing you just said in the history."
    )


def test_what_was_said_long_ago_is_not_what_was_just_said(setup):
    assistant, journal, _ = setup
    spoken(journal, "set a timer for five minutes", seconds_ago=11 * 60)  # limit: 10 minutes
    reply = say_by_voice(assistant, "delete what i just said")
    assert reply.text == "There is nothing you just said in the history."
    assert len(journal.last(10)) == 1


def test_korean_says_which_one_it_deleted(tmp_path):
    config = parse({"data_dir": str(tmp_path), "language": "ko"})
    with Journal.open(config, sweep_every=None) as journal:
        assistant = make_assistant(tmp_path, language="ko", journal=journal)
        try:
            spoken(journal, "지금 몇 시야", seconds_ago=30, language="ko")
            spoken(journal, "오 분 타이머 맞춰 줘", seconds_ago=20, language="ko")
            spoken(journal, None, Outcome.NO_SPEECH, seconds_ago=5, language="ko")
            reply = say_by_voice(assistant, "방금 한 말 지워 줘")
            assert reply.text == "지웠어요: 오 분 타이머 맞춰 줘."
            reply = say_by_voice(assistant, "하나 더 지워 줘")  # one further back
            assert reply.text == "지웠어요: 지금 몇 시야."
            assert [e.outcome for e in journal.last(10)] == [Outcome.NO_SPEECH]
        finally:
            assistant.close()


# ----- deleting more than one interaction asks first ----------------------------------


def test_deleting_today_asks_first_and_only_yes_deletes(setup):
    assistant, journal, data_dir = setup
    markers = [marker() for _ in range(3)]
    for m in markers:
        say(assistant, f"note {m}")
    for refusal in ("no", "", "what", "yes no"):
        questions = []
        _, reply = assistant.ask(
            "forget everything I said today",
            answer=lambda q, r=refusal, asked=questions: asked.append(q) or r,
        )
        assert questions == ["Delete 3 things from today? Say yes or no."]
        assert reply.text == "Okay, I kept the history."
        assert len(journal.last(10)) == 3
    _, reply = assistant.ask("forget everything I said today", answer=lambda q: "yes please")
    assert reply.text == "Deleted 3 things you said today."
    assert journal.last(10) == []
    assert not any(files_containing(data_dir, m) for m in markers)


def test_deleting_the_one_thing_said_today_needs_no_question(setup):
    assistant, journal, _ = setup
    say(assistant, "what time is it")
    _, reply = say(assistant, "delete everything I said today")  # no answer given
    assert reply.text == "Deleted the one thing you said today."
    assert journal.last(10) == []


def test_korean_deleting_today_asks_first(tmp_path):
    config = parse({"data_dir": str(tmp_path), "language": "ko"})
    with Journal.open(config, sweep_every=None) as journal:
        assistant = make_assistant(tmp_path, language="ko", journal=journal)
        try:
            for _ in range(2):
                say(assistant, "지금 몇 시야")
            _, reply = assistant.ask("오늘 한 말 모두 지워 줘", answer=lambda q: "아니요")
            assert reply.text == "알겠어요, 기록을 그대로 두었어요."
            assert len(journal.last(10)) == 2
            questions = []
            _, reply = assistant.ask(
                "오늘 한 말 모두 지워 줘", answer=lambda q: questions.append(q) or "네"
            )
            assert questions == ["오늘 기록 2개를 지울까요? 네 또는 아니요로 대답해 주세요."]
            assert reply.text == "오늘 기록 2개를 지웠어요."
            assert journal.last(10) == []
        finally:
            assistant.close()


def test_each_room_deletes_what_was_said_in_that_room(setup):
    assistant, journal, data_dir = setup
    here, kitchen = marker(), marker()
    spoken(journal, f"what time is it {here}", seconds_ago=30)
    spoken(journal, f"set a timer for pasta {kitchen}", seconds_ago=10, room="kitchen")

    result = assistant.dispatcher.dispatch("delete what i just said", Source.VOICE, "kitchen")
    assert result.reply.text == f"Deleted: set a timer for pasta {kitchen}."
    assert files_containing(data_dir, kitchen) == []
    # The kitchen's own history is now empty; the speaker's own entry was not touched.
    again = assistant.dispatcher.dispatch("delete that too", Source.VOICE, "kitchen")
    assert again.reply.text == "There is nothing you just said in the history."
    assert [e.transcript for e in journal.last(5)] == [f"what time is it {here}"]
    own = assistant.dispatcher.dispatch("delete what i just said", Source.VOICE)
    assert own.reply.text == f"Deleted: what time is it {here}."
