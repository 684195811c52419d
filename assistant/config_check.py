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
    from assistant.skillkit import LoadedSkill


def check_usable(config: Config) -> None:
    """Raise ConfigError for anything in `config` that a later stage would choke on."""
    from assistant.skillkit import load_skills

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
        files = {}
        for skill in skills:
            try:
                files[skill.name], _ = _merge_sentence_files([skill], language)
            except SkillError as e:
                raise ConfigError(f"skills.{skill.name}: {e}") from None
        merged, _ = _merge_sentence_files(skills, language)  # conflicts between skills
        known = _defined_names(merged)
        for name, single in files.items():
            for where, template in _templates(single):
                expression = _parse(template, f"skills.{name}: {language} {where}")
                _check_references(expression, known, f"skills.{name}: {language} {where}")
        IntentMatcher(skills, language)


def _defined_names(merged: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(lists, expansion rules) defined for all intents or inside one intent's block."""
    lists = set(merged.get("lists") or {})
    rules = set(merged.get("expansion_rules") or {})
    for body in (merged.get("intents") or {}).values():
        blocks = body.get("data") if isinstance(body, dict) else None
        for block in blocks if isinstance(blocks, list) else []:
            if isinstance(block, dict):
                lists.update(block.get("lists") or {})
                rules.update(block.get("expansion_rules") or {})
    return lists, rules


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


def _parse(template: str, where: str) -> Any:
    from hassil.parse_expression import parse_sentence

    try:
        return parse_sentence(template).expression
    except Exception as e:  # ParseError, and IndexError on some unbalanced input
        raise ConfigError(f"{where}: the template {template!r} does not parse: {e}") from None


def _check_references(expression: Any, known: tuple[set[str], set[str]], where: str) -> None:
    """Every {list} and <rule> a template names must exist (hassil finds out only while
    matching, on the first sentence that reaches it)."""
    from hassil.expression import Group, ListReference, RuleReference

    lists, rules = known
    if isinstance(expression, ListReference) and expression.list_name not in lists:
        raise ConfigError(f"{where}: the list {{{expression.list_name}}} is not defined")
    if isinstance(expression, RuleReference) and expression.rule_name not in rules:
        raise ConfigError(f"{where}: the rule <{expression.rule_name}> is not defined")
    if isinstance(expression, Group):
        for item in expression.items:
            _check_references(item, known, where)


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
