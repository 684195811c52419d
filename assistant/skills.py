"""The skill API (what a skill receives, what it returns) and discovery of skills.

A skill is a folder `<dir>/<name>/` with `__init__.py` defining `SKILL`, a subclass of
`Skill`, and `sentences/<lang>.yaml` with hassil templates. Built-in skills live in
the top-level `skills` package; owners add their own with `skills.directories`.

A skill never touches audio devices or the database: it gets a `SkillContext` with
narrow services and returns a `Reply`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

from assistant.config import Config, from_mapping
from assistant.errors import ConfigError, SkillError
from assistant.record import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """What a skill is asked to handle."""

    intent: str
    slots: dict[str, Any]
    text: str
    language: str
    source: Source = Source.VOICE


@dataclass
class Reply:
    """What a skill answers. `text` is spoken; `earcon` names a sound played first."""

    text: str
    earcon: str | None = None
    on_answer: Callable[[str], Reply] | None = None
    """When set, the reply is a question: the next utterance (no wake word needed) is
    passed to it as text, and its reply is spoken. Called with "" when no answer came."""
    private: bool = False
    """True: the journal records nothing of this interaction ("delete what I just said"
    must not leave itself behind)."""


class Clock(Protocol):
    def time(self) -> float: ...
    def now(self) -> datetime: ...


class SystemClock:
    """Wall clock; tests pass their own object with the same two methods."""

    def time(self) -> float:
        return time.time()

    def now(self) -> datetime:
        return datetime.now().astimezone()


class Announcer(Protocol):
    """Lets a skill speak later (a timer that ends), outside any request."""

    def announce(self, text: str, earcon: str | None = None, repeat: bool = False) -> None: ...
    def stop(self) -> bool:
        """Silence a repeating announcement; True if one was ringing."""
        ...


class Scheduler(Protocol):
    """Calls `callback` at Unix time `when` on the assistant's scheduler thread."""

    def call_at(self, when: float, callback: Callable[[], None]) -> object: ...
    def cancel(self, handle: object) -> None: ...


@dataclass
class SkillContext:
    name: str
    settings: Any
    """The skill's validated settings (an instance of its `Settings` class)."""
    language: str
    data_dir: Path
    """A private directory for the skill's own state (timers that survive restarts)."""
    clock: Clock = field(default_factory=SystemClock)
    announcer: Announcer | None = None
    scheduler: Scheduler | None = None
    services: dict[str, Any] = field(default_factory=dict)
    """Narrow, named services some skills need: 'journal' (privacy), 'controls' (system),
    'catalog' (the enabled skills and their sentences, for "what can you do")."""
    dry_run: bool = False
    """True when a sentence is only being tried (`assistant skills test`): a skill that acts
    on the world (runs a program, sends a request) describes what it would do instead."""


@dataclass(frozen=True)
class NoSettings:
    """For skills that take no settings of their own."""


class Skill:
    """Base class. Override `handle`; keep `__init__` cheap (no network, no models)."""

    Settings: ClassVar[type] = NoSettings
    enabled_by_default: ClassVar[bool] = True
    needs_network: ClassVar[bool] = False
    """A skill that reaches the network is opt-in and says so (privacy promise 1)."""

    def __init__(self, context: SkillContext) -> None:
        self.context = context

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    @classmethod
    def extra_sentences(cls, settings: Any, language: str) -> dict[str, Any]:
        """Templates made from the owner's settings, in the sentence-file format
        (`intents`, `lists`, `expansion_rules`); merged after `sentences/<lang>.yaml`."""
        return {}

    def start(self) -> None:
        """Called once the assistant runs (restore persisted state, schedule work)."""

    def close(self) -> None:
        """Called on shutdown."""


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
    import skills

    return Path(skills.__file__).parent


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


def _import_skill_class(name: str, folder: Path) -> type[Skill]:
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
        skill_class = _import_skill_class(name, folder)
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
