"""Typed accuracy on sentences written the way people talk (tests/phrasings/<lang>.yaml),
and other talk (tests/phrasings/<lang>_other_talk.yaml) that must change nothing.

Both go through IntentMatcher.match as typed text does: the templates first, then the
fuzzy matcher, whose matches may answer a question but never change anything."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

from assistant.config import Config
from assistant.intents import IntentMatcher
from assistant.rejection import changes_state
from assistant.skillkit import enabled_skills

PHRASINGS = Path(__file__).parent / "phrasings"
LANGUAGES = ("en", "ko")
MINIMUM_RIGHT = 0.95
"""Share of each list that must come back with the right intent and slots."""
MINIMUM_LISTED = 200
MINIMUM_OTHER_TALK = 60


def load_phrasings(path: Path) -> list:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@functools.cache
def matcher_for(language: str) -> IntentMatcher:
    return IntentMatcher(enabled_skills(Config(language=language)), language)


@pytest.fixture(params=LANGUAGES)
def matcher(request) -> IntentMatcher:
    return matcher_for(request.param)


def typed_accuracy(matcher: IntentMatcher, items: list[dict]) -> tuple[int, list[str]]:
    """(how many came back right, what went wrong for the others)."""
    wrong = []
    for item in items:
        match = matcher.match(item["text"])
        got = (match.intent, match.slots) if match else None
        if got != (item["intent"], item.get("slots") or {}):
            wrong.append(f"{item['text']!r}: {got}, expected {item['intent']}")
    return len(items) - len(wrong), wrong


def test_natural_phrasings_are_understood_when_typed(matcher):
    items = load_phrasings(PHRASINGS / f"{matcher.language}.yaml")
    assert len(items) >= MINIMUM_LISTED
    right, wrong = typed_accuracy(matcher, items)
    assert right >= MINIMUM_RIGHT * len(items), f"{right}/{len(items)}:\n" + "\n".join(wrong)


def test_the_phrasings_reach_every_intent_of_every_enabled_skill(matcher):
    items = load_phrasings(PHRASINGS / f"{matcher.language}.yaml")
    listed = {item["intent"] for item in items}
    assert set(matcher.intent_names) <= listed


def test_other_talk_never_changes_anything(matcher):
    sentences = load_phrasings(PHRASINGS / f"{matcher.language}_other_talk.yaml")
    assert len(sentences) >= MINIMUM_OTHER_TALK
    actions = [
        (text, m.intent) for text in sentences if (m := matcher.match(text)) and changes_state(m)
    ]
    assert actions == []


@pytest.mark.parametrize(
    ("language", "text", "intent"),
    [
        ("en", "how many grams are there in a pound", "MathConvert"),
        ("en", "whats the time", "ClockTime"),
        ("en", "what are my alarms", "AlarmList"),
        ("ko", "도쿄는 지금 몇 시야", "ClockTime"),
    ],
)
def test_a_question_the_templates_miss_is_answered_fuzzily(language, text, intent):
    matcher = matcher_for(language)
    assert matcher.match_strict(text) is None
    match = matcher.match(text)
    assert match is not None and match.intent == intent and match.fuzzy


@pytest.mark.parametrize(
    ("language", "text", "closest"),
    [
        # Each is closest to a command, but none is one of its sentences: never acted on.
        ("en", "can you please a cake timer for forty minutes", "TimerStart"),
        ("en", "wake me at seven tomorrow if you can", "AlarmSet"),
        ("en", "please delete what i said just now", "PrivacyDeleteLast"),
        ("ko", "방금 말 지워 줄래", "PrivacyDeleteLast"),
        ("ko", "소리 좀 더 키워 볼래", "SystemVolumeUp"),
    ],
)
def test_a_command_the_templates_miss_is_not_acted_on(language, text, closest):
    from assistant.fuzzy import FuzzyMatcher

    matcher = matcher_for(language)
    nearest = FuzzyMatcher(matcher.templates, matcher.owner).match(text)
    assert nearest is not None and nearest[0] == closest
    assert matcher.match(text) is None


def test_a_fuzzy_reading_never_runs_an_owner_s_skill(tmp_path):
    """Text close to, but not one of, an owner's skill sentences is not carried out."""
    from assistant.config import SkillsConfig

    examples = Path(__file__).parent.parent / "docs" / "examples"
    config = Config(language="en", skills=SkillsConfig(directories=[str(examples)]))
    matcher = IntentMatcher(enabled_skills(config), "en")
    assert matcher.match_strict("i have not watered the fern") is None
    assert matcher.match("i have not watered the fern") is None
    assert matcher.match("fern watered") is None


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_number_of_thousands_of_digits_is_not_understood_and_raises_nothing(language):
    matcher = IntentMatcher(enabled_skills(Config(language=language)), language)
    huge = "9" * 5000
    assert matcher.match_fuzzy(f"what is {huge} plus 1") is None
    assert matcher.match_fuzzy(f"{huge} 더하기 일") is None
