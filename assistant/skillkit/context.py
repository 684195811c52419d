"""Building a skill's context: the one place that decides which ports a skill gets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.paths import ensure_private_dir
from assistant.skillkit.api import SkillContext
from assistant.skillkit.loading import LoadedSkill
from assistant.skillkit.responses import load_responses


@dataclass
class Ports:
    """Everything the assistant can offer skills; each skill receives the declared subset.
    A port left None is simply not offered (`assistant skills test` has no journal)."""

    clock: Any = None
    scheduler: Any = None
    announcer: Any = None
    privacy: Any = None
    controls: Any = None
    catalogue: Any = None

    def offered(self) -> dict[str, Any]:
        return {name: port for name, port in vars(self).items() if port is not None}


def build_context(
    loaded: LoadedSkill,
    ports: Ports,
    language: str,
    skills_data_dir: Path,
    dry_run: bool = False,
) -> SkillContext:
    """The context of one skill: its settings, its checked replies in `language`, a private
    folder `skills_data_dir/<name>`, and only the ports its class declares.
    Raises SkillError when its responses are missing a key or use an unknown placeholder."""
    skill_class = loaded.skill_class
    offered = ports.offered()
    granted = {name: offered[name] for name in skill_class.ports if name in offered}
    return SkillContext(
        name=loaded.name,
        settings=loaded.settings,
        language=language,
        data_dir=ensure_private_dir(skills_data_dir / loaded.name),
        responses=load_responses(loaded.name, loaded.directory, language, skill_class.replies),
        ports=granted,
        dry_run=dry_run,
    )
