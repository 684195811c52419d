"""Checks of a configuration that need more than the file itself: the skills it enables,
their sentence templates, and the data directory.

`assistant config check` runs them, so a mistake is named once, there, with the key it
comes from, instead of breaking every later command. `assistant.config` stays free of
file-system and skill imports; this module is where the two meet.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import SUPPORTED_LANGUAGES, Config
from assistant.errors import ConfigError, SkillError

if TYPE_CHECKING:
    from assistant.skills import LoadedSkill


def check_usable(config: Config) -> None:
    """Raise ConfigError for anything in `config` that a later stage would choke on."""
    from assistant.skills import load_skills

    enabled = [skill for skill in load_skills(config) if skill.enabled]
    check_sentence_templates(enabled)
    check_data_dir(config)


def check_sentence_templates(skills: list[LoadedSkill]) -> None:
    """Parse every template of every enabled skill, in every language it has.

    hassil parses templates only when it first matches text, so a template that does
    not parse would otherwise pass here and fail on the first sentence spoken.
    """
    from assistant.intents import IntentMatcher, _merge_sentence_files

    for language in SUPPORTED_LANGUAGES:
        for skill in skills:
            try:
                merged, _ = _merge_sentence_files([skill], language)
            except SkillError as e:
                raise ConfigError(f"skills.{skill.name}: {e}") from None
            for where, template in _templates(merged):
                _parse(template, f"skills.{skill.name}: {language} {where}")
        try:
            matcher = IntentMatcher(skills, language)
            matcher.samples(1)  # expands lists and rules: a missing one is named here
        except ConfigError:
            raise
        except Exception as e:  # hassil raises plain exceptions for unknown lists and rules
            raise ConfigError(
                f"skills: the {language} sentence templates do not work together: "
                f"{type(e).__name__}: {e}"
            ) from None


def _templates(merged: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, template) for every sentence and expansion rule in a merged sentence file."""
    found: list[tuple[str, str]] = []
    for intent, body in (merged.get("intents") or {}).items():
        blocks = body.get("data") if isinstance(body, dict) else None
        for block in blocks if isinstance(blocks, list) else []:
            sentences = block.get("sentences") if isinstance(block, dict) else None
            for sentence in sentences if isinstance(sentences, list) else []:
                if isinstance(sentence, str):
                    found.append((f"intent {intent}", sentence))
    for rule, template in (merged.get("expansion_rules") or {}).items():
        if isinstance(template, str):
            found.append((f"expansion rule {rule}", template))
    return found


def _parse(template: str, where: str) -> None:
    from hassil.parse_expression import parse_sentence

    try:
        parse_sentence(template)
    except Exception as e:  # ParseError, and IndexError on some unbalanced input
        raise ConfigError(f"{where}: the template {template!r} does not parse: {e}") from None


def check_data_dir(config: Config) -> None:
    """The data directory must be a directory of the user running the assistant, or be
    creatable: a file in its place, or another user's folder, breaks every command."""
    path = config.data_path
    key = "data_dir" if config.data_dir else "data directory"
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        _check_creatable(path, key)
        return
    except OSError as e:
        raise ConfigError(f"{key}: {path}: {e.strerror or type(e).__name__}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{key}: {path} is not a directory")
    if info.st_uid != os.geteuid():
        raise ConfigError(
            f"{key}: {path} belongs to {_user_name(info.st_uid)}, not to "
            f"{_user_name(os.geteuid())} who runs the assistant; "
            "choose another data_dir or give the folder to this user"
        )


def _check_creatable(path: Path, key: str) -> None:
    for ancestor in path.parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise ConfigError(f"{key}: {path} cannot be created: {ancestor} is not a directory")
            return
        if ancestor.is_symlink() or os.path.lexists(ancestor):
            raise ConfigError(f"{key}: {path} cannot be created: {ancestor} is a broken link")


def _user_name(uid: int) -> str:
    import pwd

    try:
        return f"user {pwd.getpwuid(uid).pw_name}"
    except KeyError:
        return f"user id {uid}"
