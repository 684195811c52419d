"""Reply texts from the `responses:` section of a skill's `sentences/<lang>.yaml`.

    responses:
      timer_set: "Timer set for {duration}."

A skill declares its keys and the placeholders it fills in (`Skill.replies`); loading
checks every key is there and no template uses a placeholder the skill does not fill,
so a mistake in a language file is an error at start, naming the file and the key,
never a wrong sentence at the moment someone asks.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import SkillError
from assistant.skillkit.words import Words
from assistant.skillkit.yaml_files import load_yaml

FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class Responses:
    language: str
    templates: Mapping[str, str]
    source: str
    """The file the templates came from, for error messages."""

    def render(self, key: str, values: Mapping[str, Any]) -> tuple[str, str]:
        """(shown text, spoken text): `Words` values give their own form to each."""
        template = self.templates.get(key)
        if template is None:
            raise SkillError(f"{self.source}: no response {key!r}")
        shown = {k: v.text if isinstance(v, Words) else v for k, v in values.items()}
        said = {k: v.spoken if isinstance(v, Words) else v for k, v in values.items()}
        try:
            return template.format(**shown), template.format(**said)
        except (KeyError, IndexError, ValueError) as e:
            raise SkillError(f"{self.source}: response {key!r} cannot be filled: {e}") from None


def placeholders(template: str) -> set[str]:
    """The names a template fills in: '{count} of {item.name:>3}' → {'count', 'item'}."""
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            names.add(field.split(".")[0].split("[")[0])
    return names


def sentence_file(directory: Path, language: str) -> Path:
    return directory / "sentences" / f"{language}.yaml"


def load_responses(
    skill_name: str, directory: Path, language: str, declared: Mapping[str, tuple[str, ...]]
) -> Responses:
    """The checked responses of one skill in one language (English when the skill has
    no file for the language); raises SkillError naming the file and the key."""
    path = sentence_file(directory, language)
    if not path.is_file() and language != FALLBACK_LANGUAGE:
        path = sentence_file(directory, FALLBACK_LANGUAGE)
    if not path.is_file():
        if declared:
            raise SkillError(f"skill {skill_name}: no sentence file for {language!r} at {path}")
        return Responses(language, {}, str(path))
    templates = _read_section(path)
    check_responses(templates, declared, str(path))
    return Responses(language, templates, str(path))


def check_responses(
    templates: Mapping[str, str], declared: Mapping[str, tuple[str, ...]], where: str
) -> None:
    missing = sorted(set(declared) - set(templates))
    if missing:
        raise SkillError(f"{where}: responses.{missing[0]} is missing")
    unknown = sorted(set(templates) - set(declared))
    if unknown:
        raise SkillError(f"{where}: responses.{unknown[0]} is not a reply of this skill")
    for key, template in templates.items():
        try:
            used = placeholders(template)
        except ValueError as e:
            raise SkillError(f"{where}: responses.{key}: {e}") from None
        extra = sorted(used - set(declared[key]))
        if extra:
            known = ", ".join(declared[key]) or "none"
            raise SkillError(
                f"{where}: responses.{key} uses {{{extra[0]}}}, which the skill does not "
                f"fill in (it fills: {known})"
            )


def _read_section(path: Path) -> dict[str, str]:
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise SkillError(f"{path}: cannot read: {e}") from None
    section = data.get("responses") if isinstance(data, dict) else None
    if section is None:
        return {}
    if not isinstance(section, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in section.items()
    ):
        raise SkillError(f"{path}: responses must map names to texts")
    return section
