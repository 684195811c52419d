"""What a doctor check returns: a `Check` and its levels."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

OK, WARNING, ERROR, SKIPPED = "ok", "warning", "error", "skipped"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    level: str
    """ok, warning (passes, but look at it), error (fails the doctor) or skipped."""
    detail: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def passed(name: str, detail: str) -> Check:
    return Check(name, True, OK, detail)


def warning(name: str, detail: str, fix: str) -> Check:
    return Check(name, True, WARNING, detail, fix)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, False, ERROR, detail, fix)
