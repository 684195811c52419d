"""The journal the owner switched off (`journal.enabled: false`): the same methods as
`Journal`, keeping nothing and creating no file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.config import Config
from assistant.journal.erase import DeletionReport, Selection
from assistant.journal.store import Entry, JournalStatus, WallClock, damaged_copies
from assistant.record import Interaction, Source


class DisabledJournal:
    """What `Journal.open` returns when logging is switched off: keeps nothing."""

    recording = False
    moved_aside = None

    def __init__(self, config: Config, clock: Any = None) -> None:
        self.policy = config.journal
        self.clock = clock or WallClock()
        self.data_dir = config.data_path

    def record(self, interaction: Interaction) -> None:
        return None

    def status(self) -> JournalStatus:
        return JournalStatus(False, "logging is switched off (journal.enabled: false)")

    def last(self, n: int = 1, source: Source | str | None = None) -> list[Entry]:
        return []

    def get(self, entry_id: int) -> None:
        return None

    def entries(self, *args: Any, **kwargs: Any) -> list[Entry]:
        return []

    def iter_entries(self, *args: Any, **kwargs: Any) -> Iterator[Entry]:
        return iter(())

    def newest_id(self) -> int:
        return 0

    def page(self, *args: Any, **kwargs: Any) -> list[Entry]:
        return []

    def count(self, *args: Any, **kwargs: Any) -> int:
        return 0

    def per_day(self, since: float) -> list[tuple[str, int, int]]:
        return []

    def last_verification(self) -> tuple[float, bool] | None:
        return None

    def delete(self, selection: Selection, wait: float = 0) -> DeletionReport:
        return DeletionReport()

    def delete_ids(self, ids: Any) -> DeletionReport:
        return DeletionReport()

    def delete_range(self, since: float | None, until: float | None) -> DeletionReport:
        return DeletionReport()

    def delete_matching(self, text: str) -> DeletionReport:
        return DeletionReport()

    def delete_all(self) -> DeletionReport:
        return DeletionReport()

    def prune(self) -> DeletionReport:
        return DeletionReport()

    def pause(self, seconds: float) -> float:
        # Nothing is logged anyway; the answer is still the truthful resume time.
        return self.clock.time() + seconds

    def resume(self) -> None:
        return None

    def paused_until(self) -> float | None:
        return None

    def size_on_disk(self) -> int:
        return 0

    def policy_summary(self) -> dict[str, Any]:
        return {
            "enabled": False,
            "logging": False,
            "not_logging_because": "logging is switched off (journal.enabled: false)",
            "paused_until": None,
            "retention_days": self.policy.retention_days,
            "max_interactions": self.policy.max_interactions,
            "keep_audio": self.policy.keep_audio,
            "audio_retention_days": self.policy.audio_retention_days,
            "interactions": 0,
            "audio_files": 0,
            "oldest": None,
            "newest": None,
        }

    def stats(self) -> dict[str, Any]:
        return {**self.policy_summary(), "by_day": {}, "false_wakes": 0, "typed": 0,
                "bytes_on_disk": 0}  # fmt: skip

    def verify(self) -> dict[str, Any]:
        return {"ok": True, "integrity": ["ok"], "residue": [], "wal_cleared": True,
                "erasure_pending": False, "audio_missing": [], "audio_unreferenced": [],
                "damaged_copies": [str(p) for p in damaged_copies(self.data_dir)]
                if self.data_dir.is_dir() else []}  # fmt: skip

    def close(self) -> None:
        return None

    def __enter__(self) -> DisabledJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
