"""Arithmetic, percentages and conversions against the way people ask (a list written
from everyday phrasings in tests/data, not from the templates), in English and Korean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from test_skills_support import make_assistant

PHRASINGS = yaml.safe_load(
    (Path(__file__).parent / "data" / "arithmetic_phrasings.yaml").read_text(encoding="utf-8")
)
CASES = [(language, item["say"], item["answer"]) for language in PHRASINGS
         for item in PHRASINGS[language]]  # fmt: skip


def result_of(reply: str, language: str) -> str | None:
    """The number a reply gives as its result: after the last "is" ("... is 8.047
    kilometers."), in Korean the last number before "입니다"."""
    pattern = r"(-?[\d.]*\d)\D*입니다\.$" if language == "ko" else r"\bis (-?[\d.]*\d)"
    found = re.findall(pattern, reply)
    return found[-1] if found else None


@pytest.fixture(scope="module")
def assistants(tmp_path_factory):
    made = {lang: make_assistant(tmp_path_factory.mktemp(lang), language=lang)
            for lang in PHRASINGS}  # fmt: skip
    yield made
    for assistant in made.values():
        assistant.close()


def test_the_list_is_long_enough_and_covers_both_languages():
    assert len(CASES) >= 50
    assert {language for language, _, _ in CASES} == {"en", "ko"}


@pytest.mark.parametrize(("language", "said", "answer"), CASES)
def test_everyday_phrasings_get_the_right_answer(assistants, language, said, answer):
    interaction, reply = assistants[language].ask(said, record=False)
    assert interaction.skill == "arithmetic", f"not understood: {said!r}"
    assert result_of(reply.text, language) == answer, reply.text


@pytest.mark.parametrize(
    ("language", "said", "expected"),
    [
        ("en", "what's 15 percent of 80", "15 percent of 80 is 12."),
        ("en", "15% of 80", "15 percent of 80 is 12."),
        ("en", "what is fifteen percent of eighty", "15 percent of 80 is 12."),
        ("en", "what is 12.5 percent of 80", None),  # no decimals yet: not understood
        ("ko", "팔십 의 십오 퍼센트 는 얼마", "80의 15퍼센트는 12입니다."),
    ],
)
def test_percentages(assistants, language, said, expected):
    interaction, reply = assistants[language].ask(said, record=False)
    if expected is None:
        assert interaction.intent is None
    else:
        assert (interaction.intent, reply.text) == ("MathPercent", expected)
