"""The enabled skills' sentence files for one language, merged into one hassil document.

Every language has a shared file (`skills/_shared/sentences/<lang>.yaml`): expansion
rules and lists for politeness and times of day, and the filler words typed text may
carry (`skip_words`). It comes first; each skill's file and its `extra_sentences` follow.
A rule or list may be defined twice only with the same body.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ConfigError, SkillError
from assistant.skillkit import LoadedSkill, builtin_skills_dir
from assistant.skillkit.yaml_files import load_yaml

SHARED = "_shared"
"""The folder under skills/ that holds the shared rules (no code: not a skill)."""


def shared_sentence_file(language: str) -> Path:
    return builtin_skills_dir() / SHARED / "sentences" / f"{language}.yaml"


def merge_sentence_files(
    skills: list[LoadedSkill], language: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """(the merged document, intent name → the skill that owns it)."""
    merged: dict[str, Any] = {
        "language": language,
        "intents": {},
        "lists": {},
        "expansion_rules": {},
        "skip_words": [],
    }
    owner: dict[str, str] = {}
    shared = shared_sentence_file(language)
    if shared.is_file():
        _merge_one(merged, owner, SHARED, shared, read_sentence_file(shared))
    for skill in skills:
        path = skill.sentence_file(language)
        sources: list[tuple[object, dict[str, Any]]] = (
            [(path, read_sentence_file(path))] if path.is_file() else []
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
                    f"{path}: {key[:-1].replace('_', ' ')} {name!r} differs from another"
                    " skill's or the shared one"
                )
            merged[key][name] = value
    for word in data.get("skip_words") or []:
        if word not in merged["skip_words"]:
            merged["skip_words"].append(word)


def read_sentence_file(path: Path) -> dict[str, Any]:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise SkillError(f"{path}: cannot read sentence templates: {e}") from None
    if not isinstance(data, dict):
        raise SkillError(f"{path}: expected a mapping with 'intents'")
    return data
