"""Typed accuracy on sentences written the way people talk (tests/phrasings/<lang>.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.config import Config
from assistant.intents import IntentMatcher
from assistant.skillkit import enabled_skills

PHRASINGS = Path(__file__).parent / "phrasings"
MINIMUM_RIGHT = {"ko": 0.9, "en": 0.9}
"""Share of the list that must come back with the right intent and slots."""


def load_phrasings(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def typed_accuracy(language: str, path: Path) -> tuple[float, list[str]]:
    matcher = IntentMatcher(enabled_skills(Config(language=language)), language)
    wrong = []
    items = load_phrasings(path)
    for item in items:
        match = matcher.match(item["text"])
        got = (match.intent, match.slots) if match else None
        if got != (item["intent"], item.get("slots") or {}):
            wrong.append(f"{item['text']!r}: {got}")
    return 1 - len(wrong) / len(items), wrong


@pytest.mark.parametrize("language", sorted(MINIMUM_RIGHT))
def test_natural_phrasings_are_understood_when_typed(language):
    path = PHRASINGS / f"{language}.yaml"
    assert len(load_phrasings(path)) >= 80
    right, wrong = typed_accuracy(language, path)
    assert right >= MINIMUM_RIGHT[language], "\n".join(wrong)
