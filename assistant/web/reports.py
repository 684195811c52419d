"""What the page shows of the journal's typed reports (deletion, verification, policy),
gathered into the small values the templates read."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from assistant.journal.reports import PolicySummary

if TYPE_CHECKING:
    from assistant.journal import DeletionReport, Journal, VerifyReport

DAY = 86400.0


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


def erasure(
    deletion: DeletionReport, verification: VerifyReport | None, scan_problem: str | None = None
) -> Erasure:
    return Erasure(
        deleted=deletion.deleted,
        audio_removed=deletion.audio_removed,
        erased=deletion.erased,
        problem=deletion.problem,
        scan_ok=verification.ok if verification is not None else None,
        residue_places=len(verification.residue) if verification is not None else 0,
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


def logging_state(journal: Journal) -> LoggingState:
    status = journal.status()
    return LoggingState(
        enabled=bool(journal.policy.enabled),
        logging=status.logging,
        not_logging_because=status.reason,
        paused_until=status.paused_until,
    )


@dataclass(frozen=True)
class Summary(PolicySummary):
    """The privacy summary: the journal's policy report, its size on disk, and the last
    `verify` result."""

    bytes_on_disk: int = 0
    last_verified: float | None = None
    last_verify_ok: bool | None = None

    def oldest_age_days(self, now: float) -> float | None:
        return None if self.oldest is None else max(0.0, (now - self.oldest) / DAY)

    def pause_left_seconds(self, now: float) -> float | None:
        return None if self.paused_until is None else max(0.0, self.paused_until - now)


def summary(journal: Journal) -> Summary:
    policy = journal.policy_summary()
    last = journal.last_verification()
    reported = {f.name: getattr(policy, f.name) for f in fields(PolicySummary)}
    return Summary(
        **reported,
        bytes_on_disk=int(journal.size_on_disk()),
        last_verified=last[0] if last else None,
        last_verify_ok=last[1] if last else None,
    )
