"""The built-in skills' sentence templates, all enabled together, in English and Korean.

Every template is expanded on its own (not only the first few thousand sentences of an
intent), and each sample must come back as its own intent with the template's fixed
slots: no template may be shadowed by another intent. Korean templates may use only
words the Korean Vosk model knows, or the recogniser drops the phrase.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml
from hassil import Intents
from hassil.sample import sample_expression

from assistant.config import Config
from assistant.intents import IntentMatcher, _merge_sentence_files
from assistant.skills import builtin_skills_dir, enabled_skills

LANGUAGES = ("en", "ko")
SAMPLES_PER_TEMPLATE = 60


def template_samples(intents: Intents, template, language: str) -> list[str]:
    """A spread of the template's expansions: every k-th of the first few thousand."""
    expanded = sample_expression(
        template.expression, intents.slot_lists, intents.expansion_rules, language=language
    )
    head = list(itertools.islice(expanded, 4000))
    step = max(1, len(head) // SAMPLES_PER_TEMPLATE)
    return head[::step]


@pytest.fixture(scope="module", params=LANGUAGES)
def language_setup(request):
    language = request.param
    skills = enabled_skills(Config(language=language))
    merged, owner = _merge_sentence_files(skills, language)
    return language, skills, IntentMatcher(skills, language), Intents.from_dict(merged), owner


def test_every_builtin_skill_has_sentences_in_both_languages():
    folders = [p for p in builtin_skills_dir().iterdir() if (p / "__init__.py").is_file()]
    assert len(folders) >= 7
    for folder in folders:
        for language in LANGUAGES:
            assert (folder / "sentences" / f"{language}.yaml").is_file(), (
                f"{folder.name} {language}"
            )


def test_every_template_matches_its_own_intent(language_setup):
    language, _, matcher, intents, owner = language_setup
    checked = 0
    wrong = []
    for name, intent in intents.intents.items():
        for data in intent.data:
            for template in data.sentences:
                samples = template_samples(intents, template, language)
                assert samples, f"{name}: {template.text} expands to nothing"
                for sentence in samples:
                    match = matcher.match(sentence)
                    checked += 1
                    if match is None or match.intent != name:
                        wrong.append((name, template.text, sentence, match and match.intent))
                    elif any(match.slots.get(k) != _plain(v) for k, v in data.slots.items()):
                        wrong.append((name, template.text, sentence, match.slots))
    assert not wrong, f"{len(wrong)} of {checked} samples went astray, e.g. {wrong[:5]}"
    assert checked > 500


def _plain(value):
    return getattr(value, "value", value)


def test_the_recogniser_grammar_reaches_every_intent(language_setup):
    """Every intent can be heard in grammar mode: some phrase of the grammar parses as it."""
    _, _, matcher, intents, _ = language_setup
    reached = set()
    for phrase in matcher.grammar_phrases():
        match = matcher.match(phrase)
        assert match is not None, f"grammar phrase {phrase!r} parses as no intent"
        reached.add(match.intent)
    assert reached == set(intents.intents)


def test_examples_in_sentence_files_match_their_own_skill(language_setup):
    language, skills, matcher, _, _ = language_setup
    found = 0
    for skill in skills:
        data = yaml.safe_load(skill.sentence_file(language).read_text(encoding="utf-8"))
        for example in data.get("examples") or []:
            match = matcher.match(example)
            assert match is not None and match.skill == skill.name, (skill.name, example)
            found += 1
    assert found >= 10


def _template_words(path: Path) -> set[str]:
    """Every literal word of a sentence file: templates and list values, numbers left to hassil."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    merged = {
        "language": "ko",
        "intents": data.get("intents") or {},
        "lists": data.get("lists") or {},
        "expansion_rules": data.get("expansion_rules") or {},
    }
    intents = Intents.from_dict(merged)
    words: set[str] = set()
    for intent in intents.intents.values():
        for item in intent.data:
            for template in item.sentences:
                for sentence in sample_expression(
                    template.expression, intents.slot_lists, intents.expansion_rules,
                    language="ko", expand_ranges=False,
                ):  # fmt: skip
                    words.update(w for w in sentence.split() if not w.startswith("{"))
    for example in data.get("examples") or []:
        words.update(example.split())
    return words


def test_korean_templates_use_only_words_the_model_knows(ko_model_path):
    from assistant.stt import SpeechModel

    model = SpeechModel(ko_model_path)
    words: dict[str, set[str]] = {}
    for folder in sorted(builtin_skills_dir().iterdir()):
        path = folder / "sentences" / "ko.yaml"
        if path.is_file():
            words[folder.name] = _template_words(path)
    everything = set().union(*words.values())
    assert len(everything) > 100
    missing = model.missing_words(everything)
    by_skill = {name: sorted(w & missing) for name, w in words.items() if w & missing}
    assert not missing, f"words the Korean model lacks: {by_skill}"
