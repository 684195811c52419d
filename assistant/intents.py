"""Sentence templates of the enabled skills → intents and slots (hassil).

Each skill ships `sentences/<lang>.yaml` in hassil's format. The matcher merges the
enabled skills' files for one language, remembers which skill owns each intent, and
expands the templates into the phrase list that Vosk's grammar mode uses.
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

from assistant.errors import ConfigError, SkillError
from assistant.skillkit import LoadedSkill

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntentMatch:
    intent: str
    skill: str
    slots: dict[str, Any] = field(default_factory=dict)


class IntentMatcher:
    """Matches text to an intent of one of the enabled skills, in one language."""

    def __init__(self, skills: list[LoadedSkill], language: str) -> None:
        from hassil import Intents

        self.language = language
        merged, self.owner = _merge_sentence_files(skills, language)
        self.template_source = merged
        """The merged templates as read (what the compiled grammar's cache key hashes)."""
        try:
            self._intents = Intents.from_dict(merged)
        except Exception as e:  # hassil raises plain exceptions for template syntax errors
            raise SkillError(f"invalid sentence templates for {language!r}: {e}") from None

    @property
    def templates(self):
        """The parsed templates (a hassil Intents)."""
        return self._intents

    @property
    def intent_names(self) -> list[str]:
        return sorted(self.owner)

    def match(self, text: str) -> IntentMatch | None:
        from hassil import recognize

        if not text.strip():
            return None
        result = recognize(text, self._intents, language=self.language)
        for respaced in self._respaced(text) if result is None else ():
            result = recognize(respaced, self._intents, language=self.language)
            if result is not None:
                break
        if result is None:
            return None
        slots = {name: _plain(entity.value) for name, entity in result.entities.items()}
        return IntentMatch(result.intent.name, self.owner[result.intent.name], slots)

    @cached_property
    def _template_words(self) -> frozenset[str]:
        from hassil.intents import RangeSlotList

        from assistant.grammar_fst import spoken_numbers

        words = _words_of(self.template_source)
        for slot_list in self._intents.slot_lists.values():
            if isinstance(slot_list, RangeSlotList):
                numbers = spoken_numbers(slot_list.get_numbers(), self.language)
                words.update(w for text in numbers for w in text.split())
        return frozenset(words)

    def _respaced(self, text: str) -> list[str]:
        """Typed Korean glues particles and endings to the word before ("몇 시예요"); the
        templates, written in the recogniser's words, keep them apart ("몇 시 예요"). Each
        word the templates do not know is cut into two they do (endings that only exist
        glued, such as 이야, become their spoken form, 야); every way of cutting is tried."""
        if self.language != "ko":
            return []
        words = text.split()
        choices = [self._splits(word) for word in words]
        if all(c == [word] for c, word in zip(choices, words, strict=True)):
            return []
        return [" ".join(words) for words in itertools.islice(itertools.product(*choices), 16)]

    def _splits(self, word: str) -> list[str]:
        known = self._template_words
        if word in known:
            return [word]
        found = []
        for cut in range(len(word) - 1, 0, -1):
            head, tail = word[:cut], GLUED_ENDINGS.get(word[cut:], word[cut:])
            if head in known and tail in known:
                found.append(f"{head} {tail}")
        return found or [word]

    def samples(self, per_intent: int) -> list[tuple[str, str]]:
        """(intent, sentence) pairs: the first `per_intent` sentences each intent's templates
        allow (full enumeration explodes with number ranges; see assistant.grammar)."""
        from hassil import sample_intents

        return list(
            sample_intents(
                self._intents, language=self.language, max_sentences_per_intent=per_intent
            )
        )

    def grammar_phrases(self) -> list[str]:
        """What the recogniser may hear: a covering sample of every template, numbers in words."""
        from assistant.grammar import covering_phrases

        return covering_phrases(self._intents, self.language)


GLUED_ENDINGS = {"이야": "야", "이지": "지", "에요": "예요", "이에요": "이에요", "이요": "요"}
"""Korean endings as typed after a word → the word the templates (and the recogniser) use."""


def _words_of(data: Any) -> set[str]:
    """Every word written in the templates, lists and rules (names of slots and rules out)."""
    if isinstance(data, dict):
        return {w for key, value in data.items() for w in _words_of(value) | _words_of(key)}
    if isinstance(data, list):
        return {w for item in data for w in _words_of(item)}
    if isinstance(data, str):
        return set(re.findall(r"\w+", re.sub(r"\{[^}]*\}|<[^>]*>", " ", data)))
    return set()


def _plain(value: Any) -> Any:
    # hassil gives 5.0 for "5" and 5 for "five"; owners and skills expect 5 either way.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _merge_sentence_files(
    skills: list[LoadedSkill], language: str
) -> tuple[dict[str, Any], dict[str, str]]:
    merged: dict[str, Any] = {
        "language": language,
        "intents": {},
        "lists": {},
        "expansion_rules": {},
    }
    owner: dict[str, str] = {}
    for skill in skills:
        path = skill.sentence_file(language)
        sources: list[tuple[object, dict[str, Any]]] = (
            [(path, _read_yaml(path))] if path.is_file() else []
        )
        extra = skill.skill_class.extra_sentences(skill.settings, language)
        if extra:
            sources.append((f"skills.{skill.name}", extra))
        for where, data in sources:
            _merge_one(merged, owner, skill.name, where, data)
    return merged, owner


def _merge_one(
    merged: dict[str, Any], owner: dict[str, str], skill_name: str, path: Any, data: dict[str, Any]
) -> None:
    for intent_name, intent in (data.get("intents") or {}).items():
        if intent_name in owner:
            raise ConfigError(
                f"{path}: intent {intent_name} is already defined by skill {owner[intent_name]}"
            )
        owner[intent_name] = skill_name
        merged["intents"][intent_name] = intent
    for key in ("lists", "expansion_rules"):
        for name, value in (data.get(key) or {}).items():
            if name in merged[key] and merged[key][name] != value:
                raise ConfigError(
                    f"{path}: {key[:-1].replace('_', ' ')} {name!r} differs from another skill's"
                )
            merged[key][name] = value


def _read_yaml(path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise SkillError(f"{path}: cannot read sentence templates: {e}") from None
    if not isinstance(data, dict):
        raise SkillError(f"{path}: expected a mapping with 'intents'")
    return data
