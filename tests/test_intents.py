"""The intent matcher over the real enabled skills, in English and Korean: text to the
right intent and slots, nothing for text no skill understands, and the phrase list the
recogniser's grammar is built from. No recogniser, no processes."""

from __future__ import annotations

import functools
import re

import pytest

from assistant.config import Config
from assistant.grammar import normalise
from assistant.intents import IntentMatch, IntentMatcher
from assistant.skillkit import enabled_skills


@functools.cache
def matcher_for(language: str) -> IntentMatcher:
    return IntentMatcher(enabled_skills(Config(language=language)), language)


@functools.cache
def grammar_vocabulary(language: str) -> frozenset[str]:
    return frozenset(
        w for phrase in matcher_for(language).grammar_phrases() for w in phrase.split()
    )


@pytest.fixture(params=["en", "ko"])
def matcher(request) -> IntentMatcher:
    return matcher_for(request.param)


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
    assert matcher_for(language).match(sentence).intent == intent
    assert set(sentence.split()) <= grammar_vocabulary(language)


def test_every_grammar_phrase_sample_matches_an_intent(matcher):
    # A phrase the recogniser may emit but no template accepts would be heard and then
    # answered with "I did not understand"; typed-only symbols are left for the model's
    # vocabulary check to drop, so those phrases are skipped here.
    phrases = [p for p in matcher.grammar_phrases() if not re.search(r"[%+*/]", p)]
    sample = phrases[:: max(1, len(phrases) // 50)]
    unmatched = [p for p in sample if matcher.match_strict(p) is None]
    assert not unmatched


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        # The shared time forms (skills/_shared/sentences/en.yaml), as clocks are read.
        ("wake me up at seven", {"hour": 7}),
        ("wake me up at seven thirty pm", {"hour": 7, "minute": 30, "ampm": "pm"}),
        ("set an alarm for six oh five", {"hour": 6, "minute": 5}),
        ("set an alarm for 6:45", {"hour": 6, "minute": 45}),
        ("set an alarm for half past six", {"hour": 6, "minute": 30}),
        ("set an alarm for ten past seven", {"hour": 7, "minute": 10}),
        ("set an alarm for quarter to eight", {"hour": 7, "minute": 45}),
        ("set an alarm for twenty to eight", {"hour": 7, "minute": 40}),
        ("wake me at eight tomorrow morning", {"hour": 8, "day": "tomorrow", "ampm": "am"}),
    ],
)
def test_english_times_of_day_as_people_say_them(english, text, slots):
    assert english.match(text) == IntentMatch("AlarmSet", "alarms", slots)


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("일곱 시 반 에 깨워 줘", {"hour": 7, "minute": 30}),
        ("일곱시 반에 깨워줘", {"hour": 7, "minute": 30}),  # typed: glued and unspaced
        ("여섯 시 삼십 분 에 깨워 줘", {"hour": 6, "minute": 30}),
        ("7시 15분에 깨워 줘", {"hour": 7, "minute": 15}),
        ("내일 저녁 여섯 시 에 알람 맞춰 줘", {"day": "tomorrow", "ampm": "pm", "hour": 6}),
    ],
)
def test_korean_times_of_day_as_people_say_and_type_them(korean, text, slots):
    assert korean.match(text) == IntentMatch("AlarmSet", "alarms", slots)


def test_a_timer_request_needs_its_verb(english):
    """The sentence "can you please a cake timer…" is none: the verb of a request is not optional
    (the timer alone, "a cake timer for forty minutes", still is one)."""
    assert english.match_strict("can you please a cake timer for forty minutes") is None
    assert english.match("can you please a cake timer for forty minutes") is None
    expected = IntentMatch("TimerStart", "timers", {"timer_name": "cake", "minutes": 40})
    assert english.match("can you please set a cake timer for forty minutes") == expected
    assert english.match("a cake timer for forty minutes") == expected


def test_fillers_are_skipped_in_typed_text(english, korean):
    assert english.match("um hey jarvis what time is it") == IntentMatch("ClockTime", "clock")
    assert not english.match("um hey jarvis what time is it").fuzzy
    assert korean.match("음 혹시 지금 몇 시야") == IntentMatch("ClockTime", "clock")


def test_a_fuzzy_match_answers_questions_and_says_so(english):
    match = english.match("what are my alarms")
    assert match == IntentMatch("AlarmList", "alarms") and match.fuzzy
    assert english.match_strict("what are my alarms") is None


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        # The recogniser writes a number its model has no single word for in pieces
        # (assistant.grammar_fst.spelled_words); the matcher joins them back.
        ("이십 육 초 타이머 맞춰 줘", ("TimerStart", {"seconds": 26})),
        ("마흔 하나 분 타이머 맞춰 줘", ("TimerStart", {"minutes": 41})),
        ("삼백 십이 의 삼백 십이 퍼센트 은 얼마 예요", ("MathPercent", {"a": 312, "b": 312})),
        ("섭씨 칠백 삼십 구 도 를 화씨로 좀 바꿔", ("MathConvert", {"value": 739})),
    ],
)
def test_a_korean_number_heard_in_pieces_is_read_whole(korean, heard, expected):
    found = korean.match_strict(heard)
    assert found is not None, heard
    intent, slots = expected
    assert found.intent == intent and slots.items() <= found.slots.items()


def test_a_word_the_model_lacks_is_spelled_with_the_fewest_words_it_has():
    from assistant.grammar_fst import spelled_words

    vocabulary = {
        w: i for i, w in enumerate(["이", "십", "이십", "육", "십육", "칠백", "삼십", "구"])
    }
    assert spelled_words(["이십육"], vocabulary) == ["이십", "육"]  # not "이 십육"
    assert spelled_words(["칠백삼십구", "구"], vocabulary) == ["칠백", "삼십", "구", "구"]
    assert spelled_words(["이십칠"], vocabulary) is None  # 칠 is not a word of this model
    assert spelled_words(["timers"], {"timer": 1, "s": 2}) is None  # only Korean is spelled
    assert spelled_words(["이이이이"], vocabulary) is None  # more than three pieces
