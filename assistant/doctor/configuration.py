"""The doctor's first check: the configuration file and every enabled skill's section."""

from __future__ import annotations

from collections.abc import Callable

from assistant import config as config_module
from assistant.doctor.result import Check, failed, passed
from assistant.errors import AssistantError


def check_config(
    path: str | None,
    load: Callable[[str | None], config_module.Config] = config_module.load,
) -> tuple[config_module.Config | None, Check]:
    name = "configuration"
    try:
        config = load(path)
        from assistant.skillkit import load_skills

        load_skills(config)  # each enabled skill validates its own section
    except AssistantError as e:
        return None, failed(name, str(e), "correct the file; `assistant config check` re-checks it")
    where = config.source or "built-in defaults (no configuration file)"
    return config, passed(name, f"{where} is valid (language {config.language})")
