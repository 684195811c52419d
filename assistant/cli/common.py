"""Small helpers shared by the command modules: JSON output, durations, confirmation."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from assistant.errors import AssistantError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_DURATION_SECONDS = 100 * 365 * 86400
"""A century: longer durations overflow the dates they are added to."""


class UsageError(AssistantError):
    """The command line itself is wrong (bad value for an option)."""

    exit_code = 2


def parse_duration(text: str) -> float:
    """'90s', '10m', '1h', '2d', '1w' or plain seconds → seconds."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(f"{text!r} is not a duration (examples: 90s, 10m, 1h, 2d, 1w)")
    number, unit = match.groups()
    seconds = float(number) * _UNIT_SECONDS[unit]
    if seconds > MAX_DURATION_SECONDS:
        raise UsageError(f"{text!r} is too long a duration (at most 100 years)")
    return seconds


def print_json(data: Any) -> None:
    """One JSON document per line, UTF-8 as is (Korean stays readable)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=False) + "\n")
    sys.stdout.flush()


def confirm(question: str, assume_yes: bool) -> bool:
    """Ask on the terminal; without a terminal, refuse unless --yes was given."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(f"{question} Refusing without a terminal to ask on; add --yes.")
    answer = input(f"{question} [y/N] ").strip().lower()
    return answer in ("y", "yes")
