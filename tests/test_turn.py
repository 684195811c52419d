"""The turn: typed text or an Utterance in, a dispatched result out, follow-up questions
included; and the choice among the recogniser's hypotheses."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant import app
from assistant.config import parse
from assistant.dispatch import apology
from assistant.journal import Journal
from assistant.listen import EndedBy, Utterance
from assistant.record import Interaction, Outcome, Source
from assistant.skillkit import Reply, SystemClock
from assistant.turn import Turn


@pytest.fixture
def host(tmp_path):
    config = parse({"data_dir": str(tmp_path)})
    journal = Journal.open(config, sweep_every=None)  # the privacy skill asks about it
    built = app.build_skill_host(config, SystemClock(), journal)
    # Something to delete: with an empty history the privacy skill has nothing to ask.
    journal.record(Interaction(source=Source.TYPED, transcript="what time is it"))
    yield built
    built.close()
    journal.close()


def turn_of(host, mode="grammar", decode_free=None) -> Turn:
    return Turn(host.dispatcher, host.controls, mode, decode_free)


def heard(*hypotheses: str) -> Utterance:
    return Utterance(list(hypotheses), b"\0\0" * 1600, EndedBy.ENDPOINT, 5.0)


def test_typed_text_is_dispatched_and_becomes_the_last_reply(host):
    result = turn_of(host).take("what is 12 times 7")
    assert (result.match.intent, result.outcome) == ("MathCompute", Outcome.HANDLED)
    assert "84" in result.reply.text and result.reply_text == result.reply.text
    assert host.controls.last_reply == result.reply.text
    assert set(result.timings_ms) == {"dispatch"}


def test_the_first_hypothesis_that_parses_as_an_intent_is_acted_on(host):
    turn = turn_of(host)
    assert turn.understand(heard("what time", "what time is it")).text == "what time is it"
    assert turn.understand(heard("blue cheese", "moon")).text == "blue cheese"  # best guess
    result = turn.take(heard("cat food please", "what time is it"))
    assert result.transcript == "what time is it" and result.match.intent == "ClockTime"


def test_auto_mode_decodes_again_only_when_no_hypothesis_parses(host):
    decoded: list[bytes] = []

    def decode_again(pcm: bytes) -> list[str]:  # stands in for Vosk's free decoding
        decoded.append(pcm)
        return ["noise", "what time is it"]

    turn = turn_of(host, "auto", decode_again)
    assert turn.understand(heard("what time is it")).free_decode_ms is None and not decoded
    understood = turn.understand(heard("blue cheese"))
    assert understood.text == "what time is it" and understood.free_decode_ms is not None
    assert turn.understand(heard("blue cheese"), answer=True).text == "blue cheese"
    assert len(decoded) == 1
    assert "free_decode" in turn.take(heard("blue cheese")).timings_ms


def test_a_question_is_answered_through_the_answer_function(host):
    questions: list[Reply] = []

    def answer(question: Reply) -> str:
        questions.append(question)
        return "no"

    result = turn_of(host).take("delete all history", answer)
    [question] = questions
    assert question.text == "Do you want me to delete your whole history? Say yes or no."
    assert result.replies[0] is question and len(result.replies) == 2
    assert result.reply_text == f"{question.text} / {result.reply.text}"
    assert result.private  # the question's reply keeps nothing


def test_an_unanswered_question_gets_the_skills_answer_to_nothing(host):
    result = turn_of(host).take("delete all history")
    assert len(result.replies) == 2 and result.reply.on_answer is None


def test_a_skill_that_fails_on_the_answer_gives_an_apology(host):
    def broken(_: str) -> Reply:
        raise RuntimeError("boom")

    host.skills["system"].handle = lambda request: Reply("Sure?", on_answer=broken)
    result = turn_of(host).take("never mind", lambda question: "yes", Source.VOICE)
    assert result.outcome is Outcome.SKILL_ERROR
    assert result.reply.text == apology("skill_error", "en")
    assert result.reply_text == f"Sure? / {apology('skill_error', 'en')}"


class EverySentence:
    """Stands in for the compiled grammar: every hypothesis counts as one of its sentences."""

    def accepts(self, text: str) -> bool:
        return True


def test_a_command_the_second_opinion_hears_otherwise_is_declined_and_not_run(host):
    copies: list[bytes] = []

    def second_opinion(pcm: bytes) -> list[str]:  # stands in for the copies' decoding
        copies.append(pcm)
        return ["stop", "set a timer for 6 minutes"]

    turn = Turn(
        host.dispatcher,
        host.controls,
        sentences=lambda: EverySentence(),
        second_opinion=second_opinion,
    )
    result = turn.take(heard("set a timer for 5 minutes"))
    assert result.outcome is Outcome.NOT_UNDERSTOOD and result.match is None
    assert host.skills["timers"].store.items() == []
    assert copies == [heard().pcm] and "second_opinion" in result.timings_ms


def test_a_command_the_second_opinion_agrees_with_is_run(host):
    turn = Turn(
        host.dispatcher,
        host.controls,
        sentences=lambda: EverySentence(),
        second_opinion=lambda pcm: ["", "set a timer for five minutes"],
    )
    result = turn.take(heard("set a timer for 5 minutes"))
    assert result.match.intent == "TimerStart" and result.outcome is Outcome.HANDLED
    assert len(host.skills["timers"].store.items()) == 1
    assert set(result.timings_ms) == {"second_opinion", "dispatch"}


def test_without_a_compiled_grammar_no_second_opinion_is_asked(host):
    def second_opinion(pcm: bytes) -> list[str]:
        raise AssertionError("a phrase list or free mode has nothing to compare against")

    turn = Turn(host.dispatcher, host.controls, second_opinion=second_opinion)
    assert turn.take(heard("what time is it")).match.intent == "ClockTime"


def test_auto_mode_does_not_decode_again_what_the_second_opinion_declined(host):
    def decode_again(pcm: bytes) -> list[str]:
        raise AssertionError("free decoding would act on the mishearing just caught")

    turn = Turn(
        host.dispatcher,
        host.controls,
        "auto",
        decode_again,
        sentences=lambda: EverySentence(),
        second_opinion=lambda pcm: ["what time is it", ""],
    )
    result = turn.take(heard("set a timer for 5 minutes"))
    assert result.outcome is Outcome.NOT_UNDERSTOOD and "free_decode" not in result.timings_ms


class NoSentence:
    """Stands in for the compiled grammar when the decoder took its way out."""

    def accepts(self, text: str) -> bool:
        return False


def unsure_turn(host, ask_when_unsure: bool = True, sentences=EverySentence) -> Turn:
    """A turn whose second opinion hears every command as something else."""
    return Turn(
        host.dispatcher,
        host.controls,
        sentences=lambda: sentences(),
        second_opinion=lambda pcm: ["what time is it", ""],
        ask_when_unsure=ask_when_unsure,
    )


def answering(text: str, questions: list[str]):
    def answer(question: Reply) -> str:
        questions.append(question.text)
        return text

    return answer


def test_an_unsure_command_is_asked_about_and_run_after_a_yes(host):
    questions: list[str] = []
    result = unsure_turn(host).take(heard("set a timer for 5 minutes"), answering("yes", questions))
    assert questions == ["Did you say: set a timer for 5 minutes? Say yes or no."]
    assert (result.match.intent, result.outcome) == ("TimerStart", Outcome.HANDLED)
    assert len(host.skills["timers"].store.items()) == 1
    assert result.replies[0].text == questions[0] and len(result.replies) == 2


@pytest.mark.parametrize(
    "answer", ["no", "", "yes no", "um", "what time is it", "yes wait", "yes don\u2019t", "please"]
)
def test_an_unsure_command_is_not_run_without_a_clear_yes(host, answer):
    questions: list[str] = []
    result = unsure_turn(host).take(
        heard("set a timer for 5 minutes"), answering(answer, questions)
    )
    assert len(questions) == 1
    # declined, not not_understood: a person spoke and answered (no false wake)
    assert result.outcome is Outcome.DECLINED and result.match is None
    assert result.reply.text == "Okay, I won't do that."
    assert host.skills["timers"].store.items() == []


@pytest.mark.parametrize(
    ("ask_when_unsure", "sentences"),
    [(False, EverySentence), (True, NoSentence)],
    ids=["asking switched off", "speech that took the way out"],
)
def test_a_command_is_declined_without_a_question(host, ask_when_unsure, sentences):
    questions: list[str] = []
    turn = unsure_turn(host, ask_when_unsure, sentences)
    result = turn.take(heard("set a timer for 5 minutes"), answering("yes", questions))
    assert questions == [] and result.outcome is Outcome.NOT_UNDERSTOOD
    assert host.skills["timers"].store.items() == []


def test_a_low_confidence_sentence_is_asked_about(host):
    questions: list[str] = []
    utterance = replace(heard("set a timer for 5 minutes"), confidence=0.1)
    turn = Turn(host.dispatcher, host.controls, sentences=lambda: EverySentence())
    result = turn.take(utterance, answering("yeah", questions))
    assert questions == ["Did you say: set a timer for 5 minutes? Say yes or no."]
    assert result.match.intent == "TimerStart"
    assert len(host.skills["timers"].store.items()) == 1


def test_the_question_and_a_yes_in_korean():
    from assistant.asking import did_you_say, meant

    assert did_you_say("여섯 시 에 깨워", "ko").text.startswith("여섯 시 에 깨워, 맞아요?")
    yes = ("네", "응", "맞아 요", "네 맞아")
    # The decoder's way out spells what is not a sentence in syllables: "아니요" said
    # after a stray "네" arrives as "네 아 니 요", talk as "네 그 래 서".
    no = ("아니요", "네 아니", "", "네 아 니 요", "네 그 래 서", "네 안 돼", "요")
    assert [meant(a, "ko") for a in yes] == [True] * len(yes)
    assert [meant(a, "ko") for a in no] == [False] * len(no)


def test_repeat_that_after_a_yes_repeats_what_came_before_the_question(host):
    host.controls.last_reply = "2 plus 2 is 4."

    def answer(question: Reply) -> str:
        host.controls.last_reply = question.text  # as the voice loop does when it speaks
        return "yes"

    result = unsure_turn(host).take(heard("repeat that"), answer)
    assert result.match.intent == "SystemRepeat" and result.reply.text == "2 plus 2 is 4."


def test_a_command_the_asker_may_not_run_is_declined_without_a_question(host):
    questions: list[str] = []
    refuse = lambda match: "Sorry, that can't be done from this speaker."  # noqa: E731
    result = unsure_turn(host).take(
        heard("set a timer for 5 minutes"), answering("yes", questions), permit=refuse
    )
    assert questions == [] and result.outcome is Outcome.NOT_UNDERSTOOD
    assert host.skills["timers"].store.items() == []


def test_an_answer_is_the_best_hypothesis_not_a_yes_further_down(host):
    turn = turn_of(host, mode="free")
    assert turn.understand(heard("not yet", "yes"), answer=True).text == "not yet"


def test_a_command_answered_no_is_no_false_wake(host):
    """ "Delete what I just said" skips false wakes: a person who spoke and answered no
    must still find what they said."""
    result = unsure_turn(host).take(heard("set a timer for 5 minutes"), answering("no", []))
    kept = Interaction(source=Source.VOICE, transcript=result.transcript, outcome=result.outcome)
    assert not kept.is_false_wake
