"""The intent matcher over the real enabled skills, in English and Korean: text to the
right intent and slots, nothing for text no skill understands, and the phrase list the
recogniser's grammar is built from. No recogniser, no processes."""

from __future__ import annotations

import re

import pytest

from assistant.config import Config
from assistant.grammar import normalise
from assistant.intents import IntentMatch, IntentMatcher
from assistant.skillkit import enabled_skills


@pytest.fixture(scope="module", params=["en", "ko"])
def matcher(request) -> IntentMatcher:
    language = request.param
    return IntentMatcher(enabled_skills(Config(language=language)), language)


def matcher_for(language: str) -> IntentMatcher:
    return IntentMatcher(enabled_skills(Config(language=language)), language)


@pytest.fixture(scope="module")
def english() -> IntentMatcher:
    return matcher_for("en")


@pytest.fixture(scope="module")
def korean() -> IntentMatcher:
    return matcher_for("ko")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what time is it", IntentMatch("ClockTime", "clock", {})),
        ("could you tell me the date please", IntentMatch("ClockDate", "clock", {})),
        (
            "set a pasta timer for ten minutes",
            IntentMatch("TimerStart", "timers", {"timer_name": "pasta", "minutes": 10}),
        ),
        ("set a timer for 5 minutes", IntentMatch("TimerStart", "timers", {"minutes": 5})),
        (
            "cancel the pasta timer",
            IntentMatch("TimerCancel", "timers", {"timer_name": "pasta"}),
        ),
        ("how much time is left", IntentMatch("TimerRemaining", "timers", {})),
    ],
)
def test_english_questions_and_commands_match_their_intent_and_slots(english, text, expected):
    assert english.match(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("몇 시 예요", IntentMatch("ClockTime", "clock", {})),
        # Typed Korean glues the ending to the word before; the templates keep it apart.
        ("몇 시예요", IntentMatch("ClockTime", "clock", {})),
        ("지금 몇 시예요", IntentMatch("ClockTime", "clock", {})),
        ("오늘 무슨 요일이야", IntentMatch("ClockWeekday", "clock", {})),
        (
            "파스타 타이머 십 분 맞춰 줘",
            IntentMatch("TimerStart", "timers", {"timer_name": "파스타", "minutes": 10}),
        ),
        ("타이머 얼마나 남아", IntentMatch("TimerRemaining", "timers", {})),
    ],
)
def test_korean_questions_and_commands_match_their_intent_and_slots(korean, text, expected):
    assert korean.match(text) == expected


def test_each_language_matches_only_its_own_sentences(english, korean):
    assert english.match("몇 시예요") is None
    assert korean.match("what time is it") is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "zqx blorp frobnicate",
        "feed the cat",
        "!!! ??? ...",
        "what time is it " * 640,  # 10 kB of words the templates know, in no sentence
        "가" * 10_240,  # one 10 kB word: every cut is tried and none is known
    ],
    ids=["empty", "blank", "junk", "unknown request", "punctuation", "10 kB words", "10 kB word"],
)
def test_text_no_skill_understands_matches_nothing(matcher, text):
    assert matcher.match(text) is None


def test_every_enabled_skill_owns_the_intents_it_declares(matcher):
    owners = {matcher.owner[name] for name in matcher.intent_names}
    assert {"clock", "timers", "alarms", "arithmetic", "system", "privacy"} <= owners
    assert matcher.owner["ClockTime"] == "clock"
    assert matcher.owner["TimerStart"] == "timers"


def test_grammar_phrases_are_the_recognisers_lower_case_words(matcher):
    phrases = matcher.grammar_phrases()
    assert len(phrases) > 100
    assert phrases == sorted(set(phrases))  # each once, in a stable order
    for phrase in phrases:
        assert phrase == normalise(phrase), phrase  # lower case, no punctuation, single spaces
        assert phrase == phrase.lower() and phrase.strip() == phrase and "  " not in phrase
        assert not re.search(r"\d", phrase), phrase  # numbers are spelled out, as spoken


@pytest.mark.parametrize(
    ("language", "sentence", "intent"),
    [
        ("en", "what time is it", "ClockTime"),
        ("en", "set a pasta timer for ten minutes", "TimerStart"),
        ("en", "cancel all timers", "TimerCancelAll"),
        ("ko", "몇 시 예요", "ClockTime"),
        ("ko", "파스타 타이머 십 분 맞춰 줘", "TimerStart"),
        ("ko", "타이머 얼마나 남아", "TimerRemaining"),
    ],
)
def test_grammar_phrases_cover_the_words_of_every_sentence(language, sentence, intent):
    # The phrases are a covering sample, not every sentence: what they promise is that
    # each word a template can produce is in the recogniser's grammar.
    matcher = matcher_for(language)
    vocabulary = {word for phrase in matcher.grammar_phrases() for word in phrase.split()}
    assert matcher.match(sentence).intent == intent
    assert set(sentence.split()) <= vocabulary


def test_every_grammar_phrase_sample_matches_an_intent(matcher):
    # A phrase the recogniser may emit but no template accepts would be heard and then
    # answered with "I did not understand"; typed-only symbols are left for the model's
    # vocabulary check to drop, so those phrases are skipped here.
    phrases = [p for p in matcher.grammar_phrases() if not re.search(r"[%+*/]", p)]
    sample = phrases[:: max(1, len(phrases) // 50)]
    unmatched = [p for p in sample if matcher.match(p) is None]
    assert not unmatched
