"""Vosk on the real Korean model: grammar mode built from the skills' sentences."""

import pytest

from assistant.config import parse
from assistant.intents import IntentMatcher
from assistant.skills import enabled_skills
from assistant.stt import Grammar, SpeechModel, transcribe


@pytest.fixture(scope="session")
def ko_model(ko_model_path):
    return SpeechModel(ko_model_path)


@pytest.fixture(scope="session")
def ko_grammar(ko_model):
    matcher = IntentMatcher(enabled_skills(parse({"language": "ko"})), "ko")
    return Grammar(ko_model, matcher.grammar_phrases())


@pytest.mark.parametrize("command", ["지금 몇 시야", "오늘 무슨 요일", "지금 시간 알려 줘", "요일 알려 줘"])
def test_korean_command_is_recognised_exactly_in_grammar_mode(ko_model, ko_grammar, say, command):
    pcm = say(command, "ko").tobytes() + bytes(32000)
    assert transcribe(ko_model, ko_grammar.phrases, pcm) == command


def test_grammar_drops_phrases_with_words_the_model_lacks(ko_model):
    grammar = Grammar(ko_model, ["지금 몇 시야", "지금 몇 시 이야"])
    assert "이야" in grammar.missing_words
    assert "지금 몇 시야" in grammar.phrases
    assert "지금 몇 시 이야" not in grammar.phrases


def test_free_mode_recognises_without_a_grammar(ko_model, say):
    # Free mode uses the full vocabulary: it hears *something* Korean, rarely the exact phrase.
    text = transcribe(ko_model, None, say("지금 몇 시야", "ko").tobytes() + bytes(32000))
    assert any("\uac00" <= ch <= "\ud7a3" for ch in text), text


def test_a_directory_that_is_not_a_model_is_refused(tmp_path):
    from assistant.errors import ModelError

    with pytest.raises(ModelError, match="not a Vosk model"):
        SpeechModel(tmp_path)
