"""The skill catalogue: every skill found, enabled or not, with its intents and languages
(what `assistant skills list` prints)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from assistant.config import SUPPORTED_LANGUAGES, Config


@dataclass(frozen=True)
class SkillEntry:
    name: str
    enabled: bool
    intents: list[str]
    languages: list[str]
    """Languages with at least one intent."""
    directory: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def skill_catalog(config: Config) -> list[SkillEntry]:
    from assistant.intents import _merge_sentence_files
    from assistant.skillkit import load_skills

    entries = []
    for skill in load_skills(config):
        intents: set[str] = set()
        languages = []
        for language in SUPPORTED_LANGUAGES:
            merged, _ = _merge_sentence_files([skill], language)
            if merged["intents"]:
                languages.append(language)
            intents.update(merged["intents"])
        entries.append(
            SkillEntry(skill.name, skill.enabled, sorted(intents), languages, str(skill.directory))
        )
    return entries
