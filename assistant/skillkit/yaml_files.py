"""Reading a skill's YAML files (sentences, responses, examples)."""

from __future__ import annotations

from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (its wheels are): the same safe
subset, several times faster. Every start and reload reads each skill's files (about 15
files: most of the time it takes to load the skills)."""


def load_yaml(text: str) -> Any:
    """YAML text → data, safe types only."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)
