"""The journal's public interface: typed reports, the switched-off journal, the deletion
plan, and the cheap paths (row count, read-only opening)."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from journal_writer import ManualClock, write_config

from assistant.cli.main import main
from assistant.config import Config, JournalConfig
from assistant.journal import (
    DeletionPlan,
    DisabledJournal,
    Journal,
    JournalStats,
    PolicySummary,
    Selection,
    VerifyReport,
)
from assistant.record import Interaction, Source


def open_journal(tmp_path, clock=None, **policy) -> Journal:
    config = Config(data_dir=str(tmp_path / "data"), journal=JournalConfig(**policy))
    return Journal.open(config, clock, sweep_every=None)


def switched_off(tmp_path) -> Journal:
    config = Config(data_dir=str(tmp_path / "off"), journal=JournalConfig(enabled=False))
    return Journal.open(config, sweep_every=None)


@pytest.mark.parametrize("make", [open_journal, switched_off], ids=["on", "off"])
def test_reports_are_frozen_dataclasses_with_json(tmp_path, make):
    with make(tmp_path) as journal:
        journal.record(Interaction(transcript="lights on", source=Source.TYPED))
        reports = (journal.verify(), journal.stats(), journal.policy_summary())
    for report, kind in zip(reports, (VerifyReport, JournalStats, PolicySummary), strict=True):
        assert isinstance(report, kind) and dataclasses.is_dataclass(report)
        with pytest.raises(dataclasses.FrozenInstanceError):
            report.oops = 1  # type: ignore[attr-defined]
        json.dumps(report.to_json_dict())  # plain JSON, nothing left to convert
    verify, stats, summary = reports
    assert verify.ok and verify.to_json_dict()["ok"] is True
    assert stats.policy == summary and stats.to_json_dict()["interactions"] == summary.interactions
    assert summary.interactions == (1 if isinstance(journal, Journal) and journal.recording else 0)


def test_the_switched_off_journal_is_the_same_interface(tmp_path):
    journal = switched_off(tmp_path)
    assert isinstance(journal, DisabledJournal) and isinstance(journal, Journal)
    # Nothing copied by hand: every public method is the journal's own, but one that
    # measures files.
    assert {n for n in vars(DisabledJournal) if not n.startswith("_")} == {"size_on_disk"}
    assert journal.record(Interaction(transcript="hello")) is None
    assert journal.last(5) == [] and journal.delete_all().deleted == 0
    assert not journal.status().logging
    journal.close()
    assert not (tmp_path / "off").exists()


def test_a_deletion_plan_never_takes_rows_that_arrived_after_it(tmp_path):
    with open_journal(tmp_path) as journal:
        shown = [journal.record(Interaction(transcript=f"doctor {i}")) for i in range(3)]
        plan = journal.plan_deletion(Selection(matching="doctor", ids=(*shown, 999)))
        assert isinstance(plan, DeletionPlan)
        assert [e.id for e in plan.entries] == shown and plan.missing_ids == (999,)
        late = journal.record(Interaction(transcript="doctor appointment, said meanwhile"))
        report = journal.delete(Selection(matching="doctor", up_to_id=plan.selection.up_to_id))
        assert report.ids == tuple(shown)
        assert [e.id for e in journal.last(5)] == [late]
        everything = journal.plan_deletion(Selection(everything=True))
        assert everything.selection.up_to_id is None  # "--all" means all, also what is new


def test_the_sweep_after_a_write_counts_nothing_by_walking_rows(tmp_path):
    clock = ManualClock(1_790_000_000)
    with open_journal(tmp_path, clock, max_interactions=5) as journal:
        for i in range(8):
            journal.record(Interaction(started_at=clock.time() + i, transcript=f"n{i}"))
        statements: list[str] = []
        journal._connection().set_trace_callback(statements.append)
        journal.record(Interaction(started_at=clock.time() + 9, transcript="newest"))
        journal._connection().set_trace_callback(None)
        assert [e.transcript for e in journal.last(9)] == ["newest", "n7", "n6", "n5", "n4"]
    walks = [s for s in statements if "OFFSET" in s.upper() or "COUNT(*)" in s.upper()]
    assert walks == []
    assert any("row_count" in s for s in statements)


def test_read_only_log_commands_skip_the_integrity_check(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    with Journal.open(Config(data_dir=str(data)), sweep_every=None) as journal:
        journal.record(Interaction(started_at=time.time(), transcript="play jazz"))
    config = write_config(tmp_path, data)
    checked: list[str] = []

    def counting_check(path):
        checked.append(str(path))
        return None

    monkeypatch.setattr("assistant.journal.store.check_health", counting_check)
    for command in (["list"], ["search", "jazz"], ["stats"], ["show", "1"]):
        assert main(["--config", str(config), "log", *command]) == 0
    assert checked == []
    assert main(["--config", str(config), "log", "verify"]) == 0
    assert len(checked) == 1  # commands that change or check the journal still check it
    assert "play jazz" in capsys.readouterr().out


def test_a_full_journal_erases_in_small_batches_never_over_the_limits(tmp_path):
    clock = ManualClock(1_790_000_000)
    with open_journal(tmp_path, clock, max_interactions=300, retention_days=30) as journal:
        for i in range(300):
            journal.record(Interaction(started_at=clock.time() + i, transcript=f"n{i}"))
        statements: list[str] = []
        journal._connection().set_trace_callback(statements.append)
        counts = []
        for i in range(300, 306):
            journal.record(Interaction(started_at=clock.time() + i, transcript=f"n{i}"))
            counts.append(journal.policy_summary().interactions)
        journal._connection().set_trace_callback(None)
        assert counts == [297, 298, 299, 300, 297, 298]  # 1% early, never over 300
        assert sum("VACUUM" in s for s in statements) == 2
    # By age: once the oldest passes 30 days, rows within 1% of it (7.2 hours) go with it.
    with open_journal(tmp_path, clock, retention_days=30) as journal:
        journal.delete_all()
        base = clock.t
        hourly = [journal.record(Interaction(started_at=base + h * 3600, transcript=f"h{h}"))
                  for h in range(20)]  # fmt: skip
        clock.t = base + 30 * 86400 + 3600 + 1  # h0 and h1 are over the limit
        report = journal.prune()
        assert report.ids == tuple(hourly[:9])  # up to 7.2 hours early: h2..h8 too
