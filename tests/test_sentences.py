"""The built-in skills' sentence templates, all enabled together, in English and Korean.

Every template is expanded on its own (not only the first few thousand sentences of an
intent), and each sample must come back as its own intent with the template's fixed
slots: no template may be shadowed by another intent. Korean templates may use only
words the Korean Vosk model knows, or the recogniser drops the phrase.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hassil import Intents
from hassil.sample import sample_expression
from test_skills_support import FixedClock

from assistant.config import Config, parse
from assistant.intents import IntentMatcher, _merge_sentence_files
from assistant.sentence_files import shared_sentence_file
from assistant.skillkit import builtin_skills_dir, enabled_skills, load_responses, load_skills

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"

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


@pytest.mark.slow  # expands every template: about 10 s per language
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
                    match = matcher.match_strict(sentence)
                    checked += 1
                    if match is None or match.intent != name:
                        wrong.append((name, template.text, sentence, match and match.intent))
                    elif any(match.slots.get(k) != _plain(v) for k, v in data.slots.items()):
                        wrong.append((name, template.text, sentence, match.slots))
    assert not wrong, f"{len(wrong)} of {checked} samples went astray, e.g. {wrong[:5]}"
    assert checked > 500


def _plain(value):
    return getattr(value, "value", value)


@pytest.mark.slow  # builds and parses the whole grammar
def test_the_recogniser_grammar_reaches_every_intent(language_setup):
    """Every intent can be heard in grammar mode: some phrase of the grammar parses as it."""
    _, _, matcher, intents, _ = language_setup
    reached = set()
    for phrase in matcher.grammar_phrases():
        match = matcher.match_strict(phrase)
        assert match is not None, f"grammar phrase {phrase!r} parses as no intent"
        reached.add(match.intent)
    assert reached == set(intents.intents)


def test_examples_in_sentence_files_match_their_own_skill(language_setup):
    language, skills, matcher, _, _ = language_setup
    found = 0
    for skill in skills:
        data = yaml.safe_load(skill.sentence_file(language).read_text(encoding="utf-8"))
        for example in data.get("examples") or []:
            match = matcher.match_strict(example)
            assert match is not None and match.skill == skill.name, (skill.name, example)
            found += 1
    assert found >= 10


def _template_words(path: Path) -> set[str]:
    """Every literal word of a sentence file: templates and list values (with the shared
    rules and lists they use), numbers left to hassil."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    shared = yaml.safe_load(shared_sentence_file("ko").read_text(encoding="utf-8"))
    merged = {
        "language": "ko",
        "intents": data.get("intents") or {},
        "lists": {**shared["lists"], **(data.get("lists") or {})},
        "expansion_rules": {**shared["expansion_rules"], **(data.get("expansion_rules") or {})},
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


@pytest.mark.slow  # loads the Korean Vosk model
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


# ----- replies in the language files ---------------------------------------------------


def test_every_skill_has_every_reply_in_every_language():
    """Loading checks every declared key and placeholder: this is that check, for all."""
    checked = 0
    for skill in load_skills(Config()):
        for language in skill.languages:
            responses = load_responses(
                skill.name, skill.directory, language, skill.skill_class.replies
            )
            assert set(responses.templates) == set(skill.skill_class.replies)
            checked += len(responses.templates)
    assert checked > 200


def _owner_skill(base: Path, replies: str, language_files: dict[str, str]) -> Path:
    folder = base / "owner" / "hello"
    (folder / "sentences").mkdir(parents=True)
    (folder / "__init__.py").write_text(
        "from assistant.skillkit import Skill, handles\n\n\n"
        "class Hello(Skill):\n"
        f"    replies = {replies}\n\n"
        "    @handles('HelloSay')\n"
        "    def hello(self, request):\n"
        "        return self.say('hello', name='Ada')\n\n\n"
        "SKILL = Hello\n"
    )
    for language, text in language_files.items():
        (folder / "sentences" / f"{language}.yaml").write_text(text, encoding="utf-8")
    return base / "owner"


HELLO_EN = "language: en\nintents:\n  HelloSay: {data: [{sentences: [say hello]}]}\n"


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        ("responses: {}\n", r"en\.yaml: responses\.hello is missing"),
        ("responses: {hello: 'Hi {nmae}'}\n", r"responses\.hello uses \{nmae\}.*fills: name"),
        ("responses: {hello: 'Hi', bye: 'Bye'}\n", r"responses\.bye is not a reply"),
        ("responses: {hello: 'Hi {name'}\n", r"responses\.hello: "),
    ],
)
def test_a_broken_reply_is_an_error_at_load_time_naming_file_and_key(tmp_path, responses, message):
    from assistant.app import build_assistant
    from assistant.errors import SkillError

    owner = _owner_skill(tmp_path, "{'hello': ('name',)}", {"en": HELLO_EN + responses})
    config = parse({"data_dir": str(tmp_path / "data"), "skills": {"directories": [str(owner)]}})
    with pytest.raises(SkillError, match=message):
        build_assistant(config)


def test_a_third_language_is_yaml_only(tmp_path):
    """A pseudo-language "xx" for two skills, from files alone: the plants example and a
    copy of the built-in clock, with no change to any Python code."""
    import shutil

    from assistant.dispatch import Dispatcher
    from assistant.skillkit import Ports, build_context

    owner = tmp_path / "owner"
    shutil.copytree(EXAMPLES / "plants", owner / "plants")
    shutil.copytree(builtin_skills_dir() / "clock", owner / "uhr")
    clock_replies = yaml.safe_load((owner / "uhr/sentences/en.yaml").read_text())["responses"]
    pseudo = {key: f"[xx] {text}" for key, text in clock_replies.items()}
    (owner / "uhr/sentences/xx.yaml").write_text(yaml.safe_dump({
        "language": "xx",
        "intents": {"ClockWeekday": {"data": [{"sentences": ["welk dag"]}]}},
        "responses": {**pseudo, "weekday": "Vandaag: {weekday}!", "friday": "Vrydag"},
    }, allow_unicode=True))  # fmt: skip
    (owner / "plants/sentences/xx.yaml").write_text(
        "language: xx\nintents:\n"
        "  PlantsWatered: {data: [{sentences: ['{plant} gewaterd']}]}\n"
        "  PlantsAsk: {data: [{sentences: ['{plant} wanneer']}]}\n"
        "lists: {plant: {values: [varen]}}\n"
        "responses: {noted: '{plant}: genoteerd.', never: '{plant}: nooit.',\n"
        "            ago: '{plant}: {days} dagen.', thirsty: '{plant}: {days} dagen, dorst!'}\n"
    )
    config = parse({"data_dir": str(tmp_path / "data"), "skills": {"directories": [str(owner)]}})
    chosen = [s for s in load_skills(config) if s.name in ("uhr", "plants")]
    clock = FixedClock(datetime(2030, 5, 10, 9, 30).astimezone())  # a Friday
    ports = Ports(clock=clock)
    skills = {
        s.name: s.skill_class(build_context(s, ports, "xx", tmp_path / "data")) for s in chosen
    }
    dispatcher = Dispatcher(IntentMatcher(chosen, "xx"), skills)
    assert dispatcher.dispatch("welk dag").reply.text == "Vandaag: Vrydag!"
    assert dispatcher.dispatch("varen wanneer").reply.text == "varen: nooit."
    assert dispatcher.dispatch("varen gewaterd").reply.text == "varen: genoteerd."
    clock.moment += timedelta(days=4)
    assert dispatcher.dispatch("varen wanneer").reply.text == "varen: 4 dagen, dorst!"
