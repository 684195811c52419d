"""Finding skills and loading them: folders, their `SKILL` class, their settings.

Built-in skills live in the top-level `skills` folder, found by path rather than
imported, so that `assistant` never depends on the `skills` package; owners add their
own with `skills.directories`. Each skill is imported once, as `assistant_skill_<name>`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import Config, from_mapping
from assistant.errors import ConfigError, SkillError
from assistant.skillkit.api import Skill


@dataclass
class LoadedSkill:
    name: str
    directory: Path
    skill_class: type[Skill]
    settings: Any
    enabled: bool

    def sentence_file(self, language: str) -> Path:
        return self.directory / "sentences" / f"{language}.yaml"

    @property
    def languages(self) -> list[str]:
        return sorted(p.stem for p in (self.directory / "sentences").glob("*.yaml"))


def builtin_skills_dir() -> Path:
    """The built-in skills' folder, located without importing it."""
    spec = importlib.util.find_spec("skills")
    if spec is None or not spec.submodule_search_locations:
        raise SkillError("the built-in skills folder (package 'skills') is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def discover(config: Config) -> dict[str, Path]:
    """Skill name → folder, built-ins first; an owner's skill may not reuse a built-in name."""
    found: dict[str, Path] = {}
    dirs = [builtin_skills_dir()] + [Path(d).expanduser() for d in config.skills.directories]
    for base in dirs:
        if not base.is_dir():
            raise ConfigError(f"skills.directories: {base} is not a directory")
        for folder in sorted(base.iterdir()):
            if not (folder / "__init__.py").is_file():
                continue
            if folder.name in found:
                raise ConfigError(
                    f"skills: {folder} has the same name as the skill in {found[folder.name]}"
                )
            found[folder.name] = folder
    return found


def import_skill_class(name: str, folder: Path) -> type[Skill]:
    module_name = f"assistant_skill_{name}"
    if module_name in sys.modules:
        module = sys.modules[module_name]
    else:
        spec = importlib.util.spec_from_file_location(
            module_name, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        if spec is None or spec.loader is None:
            raise SkillError(f"skill {name}: cannot import {folder}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as e:
            del sys.modules[module_name]
            raise SkillError(f"skill {name}: failed to import: {type(e).__name__}: {e}") from e
    skill_class = getattr(module, "SKILL", None)
    if not (isinstance(skill_class, type) and issubclass(skill_class, Skill)):
        raise SkillError(
            f"skill {name}: {folder / '__init__.py'} must define SKILL = <Skill subclass>"
        )
    return skill_class


def load_skills(config: Config) -> list[LoadedSkill]:
    """Every discovered skill with validated settings; raises ConfigError on a bad section."""
    folders = discover(config)
    unknown = set(config.skills.settings) - set(folders)
    if unknown:
        raise ConfigError(
            f"skills.{sorted(unknown)[0]}: no such skill (available: {', '.join(sorted(folders))})"
        )
    loaded = []
    for name, folder in folders.items():
        skill_class = import_skill_class(name, folder)
        section = dict(config.skills.settings.get(name) or {})
        enabled = section.pop("enabled", skill_class.enabled_by_default)
        if not isinstance(enabled, bool):
            raise ConfigError(f"skills.{name}.enabled: expected true/false, got {enabled!r}")
        settings: Any = from_mapping(skill_class.Settings, section, f"skills.{name}")
        loaded.append(LoadedSkill(name, folder, skill_class, settings, enabled))
    return loaded


def enabled_skills(config: Config) -> list[LoadedSkill]:
    return [s for s in load_skills(config) if s.enabled]


def settings_as_dict(settings: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(settings) and not isinstance(settings, type):
        return dataclasses.asdict(settings)
    return {}
