"""Rejection and the sentence automaton, without a model: what is acted on and what is declined."""

from __future__ import annotations

import pytest

from assistant.intents import IntentMatch
from assistant.rejection import Thresholds, Verdict, agrees, changes_state, recognise
from assistant.sentence_graph import Prefix, SentenceGraph

# "what time is it" | "delete all records" | "five" | "five minutes"
GRAPH = SentenceGraph(
    start=0,
    transitions={
        0: {"지금": 1, "기록": 3, "다섯": 6},
        1: {"몇": 2},
        2: {"시야": 5},
        3: {"다": 4},
        4: {"지워": 7},
        7: {"줘": 5},
        6: {"분": 5},
    },
    finals={5, 6},
)
INTENTS = {"지금 몇 시야": "ClockTime", "기록 다 지워 줘": "PrivacyDeleteAll", "다섯": "Number"}


def match(text: str) -> IntentMatch | None:
    intent = INTENTS.get(text)
    return (
        IntentMatch(intent, "privacy" if intent == "PrivacyDeleteAll" else "clock")
        if intent
        else None
    )


def decide(hypotheses, confidence=None, graph=GRAPH):
    return recognise(hypotheses, confidence, match, graph, Thresholds(questions=0.5, actions=0.8))


def test_a_whole_sentence_that_parses_is_accepted():
    understood = decide(["지금 몇 시야"], 0.9)
    assert understood.accepted and understood.match.intent == "ClockTime"


def test_a_transcript_from_the_way_out_is_declined_even_if_a_later_guess_parses():
    understood = decide(["영 시 에", "지금 몇 시야"], 1.0)
    assert understood.verdict is Verdict.OUTSIDE_GRAMMAR and understood.match is None


def test_a_state_changing_command_needs_more_confidence_than_a_question():
    assert decide(["지금 몇 시야"], 0.6).accepted
    deletion = decide(["기록 다 지워 줘"], 0.6)
    assert deletion.verdict is Verdict.LOW_CONFIDENCE and not deletion.accepted
    assert decide(["기록 다 지워 줘"], 0.85).accepted
    assert decide(["지금 몇 시야"], 0.4).verdict is Verdict.LOW_CONFIDENCE


def test_nothing_heard_and_a_sentence_without_intent_are_declined():
    assert decide([]).verdict is Verdict.NOTHING_HEARD
    assert decide(["다섯 분"], 1.0).verdict is Verdict.NO_INTENT


def test_without_a_compiled_grammar_the_first_hypothesis_that_parses_wins():
    understood = decide(["영 시 에", "지금 몇 시야"], None, graph=None)
    assert understood.accepted and understood.text == "지금 몇 시야"


def test_owner_commands_and_deletions_change_state_questions_do_not():
    assert changes_state(IntentMatch("PrivacyDeleteAll", "privacy"))
    assert changes_state(IntentMatch("Anything", "commands"))
    assert not changes_state(IntentMatch("ClockTime", "clock"))


def test_every_intent_of_an_owner_s_skill_changes_state():
    # An owner's skill may write files or act on the house: even a question-like intent of
    # it is held to the stricter standard, and a fuzzy reading never runs it.
    assert changes_state(IntentMatch("PlantsWatered", "plants"))
    assert changes_state(IntentMatch("ClockTime", "my_clock"))


@pytest.mark.parametrize(
    "text,expected",
    [
        ("지금 몇 시야", Prefix.COMPLETE),
        ("다섯", Prefix.EXTENDABLE),
        ("다섯 분", Prefix.COMPLETE),
        ("지금 몇", Prefix.PARTIAL),
        ("몇 지금", Prefix.NONE),
        ("", Prefix.PARTIAL),
    ],
)
def test_prefix_classification(text, expected):
    assert GRAPH.prefix(text) is expected


def test_sentence_graph_round_trips_through_json():
    again = SentenceGraph.from_json(GRAPH.to_json())
    assert again == GRAPH


def test_a_model_without_a_dynamic_graph_gets_no_compiled_grammar(tmp_path):
    from assistant.stt import load_compiled_grammar

    (tmp_path / "graph").mkdir()
    assert load_compiled_grammar(object(), tmp_path, tmp_path / "cache") is None
    assert not (tmp_path / "cache").exists()


def test_the_second_opinion_agrees_only_on_the_same_intent_and_slots():
    said = IntentMatch("TimerStart", "timers", {"minutes": 5})

    def parse(text):
        return {
            "5": IntentMatch("TimerStart", "timers", {"minutes": 5}),
            "6": IntentMatch("TimerStart", "timers", {"minutes": 6}),
            "q": IntentMatch("ClockTime", "clock"),
        }.get(text)

    assert agrees(said, ["", "5"], parse)
    assert not agrees(said, ["6", "q"], parse)  # another number is another command
    assert not agrees(said, ["", "noise"], parse)
    assert not agrees(said, [], parse)
