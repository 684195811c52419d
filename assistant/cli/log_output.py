"""What `assistant log` prints for people: tables, previews, reports. Text that people said
is cleaned of control characters before it reaches the terminal."""

from __future__ import annotations

import re
import sys
import time

from assistant.cli.common import print_json
from assistant.journal import DeletionReport, Entry, JournalStats, VerifyReport
from assistant.journal.export import entry_json

PREVIEW_ROWS = 10
SAID_WIDTH = 48


def print_stats(stats: JournalStats) -> None:
    policy = stats.policy
    print(f"Journal:       {stats.database} ({_size(stats.bytes_on_disk)} on disk)")
    print(f"Logging:       {_logging_state(stats)}")
    print(f"Policy:        {_policy_text(stats)}")
    print(
        f"Interactions:  {policy.interactions} "
        f"(typed {stats.typed}, false wakes {stats.false_wakes}, "
        f"with audio {policy.audio_files})"
    )
    print(f"Oldest:        {when_text(policy.oldest) if policy.oldest else '-'}")
    if stats.by_day:
        print("By day:")
        for day, outcomes in stats.by_day.items():
            counts = "  ".join(f"{name} {n}" for name, n in sorted(outcomes.items()))
            print(f"  {day}  total {sum(outcomes.values()):>4}   {counts}")


def print_verify(report: VerifyReport) -> None:
    integrity = "ok" if report.integrity_ok else "DAMAGED: " + "; ".join(report.integrity[:5])
    print(f"Integrity:            {integrity}")
    if not report.wal_cleared:
        print("Deleted content:      NOT CHECKED: another program kept the write-ahead log busy")
    elif report.residue:
        print(f"Deleted content:      FOUND in {len(report.residue)} places of the database file")
    else:
        print("Deleted content:      none left in the database files")
    if report.erasure_pending:
        print(
            "Erasure:              an earlier deletion is not yet erased; run 'assistant log prune'"
        )
    if report.audio_missing:
        print(f"Audio:                {len(report.audio_missing)} referenced files are missing")
    if report.audio_unreferenced:
        print(
            f"Audio:                {len(report.audio_unreferenced)} files belong to no "
            "interaction (removed by 'assistant log prune')"
        )
    for path in report.damaged_copies:
        print(
            f"Damaged journal:      {path} was found damaged and moved aside. It may still hold "
            "old interactions; delete the file when you no longer need it."
        )
    print("Result:               " + ("ok" if report.ok else "problems found"))


def print_entries(entries: list[Entry], as_json: bool) -> None:
    if as_json:
        for entry in entries:
            print_json(entry_json(entry))
        return
    if not entries:
        print("No interactions recorded.")
        return
    print(f"{'ID':>6}  {'WHEN':19}  {'SOURCE':6}  {'OUTCOME':26}  {'INTENT':18}  SAID")
    for e in entries:
        outcome = str(e.outcome) if e.outcome else "-"
        if e.is_false_wake:
            outcome += " (false wake)"
        said = clean(e.transcript or "-")
        if len(said) > SAID_WIDTH:
            said = said[: SAID_WIDTH - 1] + "…"
        print(
            f"{e.id:>6}  {when_text(e.started_at):19}  {str(e.source):6}  {outcome:26}  "
            f"{clean(e.intent or '-')[:18]:18}  {said}"
        )


def print_preview(chosen: list[Entry]) -> None:
    if chosen:
        audio = sum(1 for e in chosen if e.audio_path)
        extra = f" and {audio} audio file{'s' if audio != 1 else ''}" if audio else ""
        print(
            f"Will delete {count_text(len(chosen))}{extra}, recorded "
            f"{when_text(chosen[0].started_at)} to {when_text(chosen[-1].started_at)}:"
        )
        print_entries(chosen[:PREVIEW_ROWS], as_json=False)
        if len(chosen) > PREVIEW_ROWS:
            print(f"  ... and {len(chosen) - PREVIEW_ROWS} more")
    else:
        print("The journal is empty; --all will only clear what remains in the files.")


def print_report(report: DeletionReport, as_json: bool, verb: str) -> int:
    if as_json:
        print_json(report.to_json_dict())
    else:
        print(f"{verb} {count_text(report.deleted)} and {report.audio_removed} audio file"
              f"{'s' if report.audio_removed != 1 else ''}.")  # fmt: skip
        if report.erased:
            print("Erased from the database files.")
    if not report.erased:
        print(f"assistant: error: deletion not yet erased from the files: {report.problem}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Keep control characters (terminal escapes) in typed text off the owner's terminal."""
    return _CONTROL.sub("?", text)


def when_text(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def count_text(n: int) -> str:
    return f"{n} interaction{'s' if n != 1 else ''}"


def _size(n: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


def _logging_state(stats: JournalStats) -> str:
    policy = stats.policy
    if policy.logging:
        return "on"
    if policy.paused_until:
        return f"paused until {when_text(policy.paused_until)}"
    return f"off: {policy.not_logging_because}"


def _policy_text(stats: JournalStats) -> str:
    policy = stats.policy
    text = (
        f"text kept {_days(policy.retention_days)}, at most "
        f"{policy.max_interactions} interactions; "
    )
    if policy.keep_audio:
        return text + f"command audio kept {_days(policy.audio_retention_days)}"
    return text + "command audio not kept"


def _days(n: float) -> str:
    return f"{n:g} day{'s' if n != 1 else ''}"
