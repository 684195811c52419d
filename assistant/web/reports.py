"""The one place that reads the journal's reports (deletion, verification, policy).

The journal returns them as dicts today and may return typed dataclasses tomorrow;
`as_mapping` accepts both, so such a change is absorbed here and nowhere else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DAY = 86400.0


def as_mapping(report: Any) -> dict[str, Any]:
    """A journal report as a plain dict, whether it is a dataclass, a mapping or an object."""
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return dataclasses.asdict(report)
    if isinstance(report, Mapping):
        return dict(report)
    return dict(vars(report))


@dataclass(frozen=True)
class Erasure:
    """What a deletion did, and what the byte scan afterwards found."""

    deleted: int
    audio_removed: int
    erased: bool
    """The write-ahead log was cut: no old copy of the deleted rows remains in it."""
    problem: str | None
    scan_ok: bool | None
    """The verification verdict (None: it could not run, see `scan_problem`)."""
    residue_places: int
    scan_problem: str | None

    @property
    def complete(self) -> bool:
        return self.erased and self.scan_ok is True


def erasure(deletion: Any, verification: Any | None, scan_problem: str | None = None) -> Erasure:
    done = as_mapping(deletion)
    checked = as_mapping(verification) if verification is not None else {}
    return Erasure(
        deleted=int(done.get("deleted", 0)),
        audio_removed=int(done.get("audio_removed", 0)),
        erased=bool(done.get("erased", False)),
        problem=done.get("problem"),
        scan_ok=bool(checked["ok"]) if "ok" in checked else None,
        residue_places=len(checked.get("residue") or ()),
        scan_problem=scan_problem,
    )


@dataclass(frozen=True)
class LoggingState:
    """Whether the next interaction would be kept; cheap (no count over the journal)."""

    enabled: bool
    logging: bool
    not_logging_because: str | None
    paused_until: float | None

    def pause_left_seconds(self, now: float) -> float | None:
        return None if self.paused_until is None else max(0.0, self.paused_until - now)


def logging_state(journal: Any) -> LoggingState:
    status = as_mapping(journal.status())
    return LoggingState(
        enabled=bool(journal.policy.enabled),
        logging=bool(status["logging"]),
        not_logging_because=status.get("reason"),
        paused_until=status.get("paused_until"),
    )


@dataclass(frozen=True)
class Summary:
    """The privacy summary: what is stored, for how long, and whether logging is on."""

    enabled: bool
    logging: bool
    not_logging_because: str | None
    paused_until: float | None
    retention_days: float
    max_interactions: int
    keep_audio: bool
    audio_retention_days: float
    interactions: int
    audio_files: int
    oldest: float | None
    newest: float | None
    bytes_on_disk: int
    last_verified: float | None
    last_verify_ok: bool | None

    def oldest_age_days(self, now: float) -> float | None:
        return None if self.oldest is None else max(0.0, (now - self.oldest) / DAY)

    def pause_left_seconds(self, now: float) -> float | None:
        return None if self.paused_until is None else max(0.0, self.paused_until - now)


def summary(journal: Any) -> Summary:
    policy = as_mapping(journal.policy_summary())
    last = journal.last_verification()
    return Summary(
        enabled=bool(policy["enabled"]),
        logging=bool(policy["logging"]),
        not_logging_because=policy.get("not_logging_because"),
        paused_until=policy.get("paused_until"),
        retention_days=float(policy["retention_days"]),
        max_interactions=int(policy["max_interactions"]),
        keep_audio=bool(policy["keep_audio"]),
        audio_retention_days=float(policy["audio_retention_days"]),
        interactions=int(policy["interactions"]),
        audio_files=int(policy["audio_files"]),
        oldest=policy.get("oldest"),
        newest=policy.get("newest"),
        bytes_on_disk=int(journal.size_on_disk()),
        last_verified=last[0] if last else None,
        last_verify_ok=last[1] if last else None,
    )
