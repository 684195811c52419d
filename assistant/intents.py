"""Sentence templates of the enabled skills → intents and slots (hassil).

Each skill ships `sentences/<lang>.yaml` in hassil's format. The matcher merges the
enabled skills' files for one language, remembers which skill owns each intent, and
expands the templates into the phrase list that Vosk's grammar mode uses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import yaml

from assistant.errors import ConfigError, SkillError
from assistant.skills import LoadedSkill

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
        if result is None:
            return None
        slots = {name: _plain(entity.value) for name, entity in result.entities.items()}
        return IntentMatch(result.intent.name, self.owner[result.intent.name], slots)

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
