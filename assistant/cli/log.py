"""`assistant log` commands: the owner's view of the journal, and the way to erase it.

A thin layer over `assistant.journal`: parse, call, print. These commands run safely
while the service is running (they share the database through SQLite's locks), and
they never load a speech engine, so they start fast.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from assistant import config as config_module
from assistant.cli.common import UsageError, confirm, parse_duration, print_json
from assistant.journal import (
    DeletionReport,
    Entry,
    Journal,
    JournalStats,
    Selection,
    VerifyReport,
)
from assistant.journal.export import FORMATS, entry_json, write_entries, write_private

PREVIEW_ROWS = 10
SAID_WIDTH = 48
MAX_COUNT = 10**9
"""Largest --limit or id accepted (SQLite integers end at 2**63; no journal gets near)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "log",
        help="see, export and delete what the assistant has recorded",
        description="The interaction journal: what was heard and answered, kept only as long as "
        "your configuration allows (journal.* keys).",
    )
    commands = parser.add_subparsers(dest="log_command", metavar="ACTION", required=True)

    p = commands.add_parser("list", help="list recorded interactions, newest first")
    _add_range(p)
    p.add_argument(
        "--limit", type=_count_arg, default=50, metavar="N", help="at most N (default 50)"
    )
    p.add_argument("--intent", metavar="NAME", help="only this intent")
    p.add_argument("--source", choices=("voice", "typed"), help="only spoken or only typed")
    _add_json(p)
    p.set_defaults(handler=cmd_list)

    p = commands.add_parser("show", help="show one interaction in full")
    p.add_argument("id", type=_count_arg, metavar="ID")
    _add_json(p)
    p.set_defaults(handler=cmd_show)

    p = commands.add_parser("search", help="interactions whose words contain TEXT (any case)")
    p.add_argument("text", metavar="TEXT")
    p.add_argument(
        "--limit", type=_count_arg, default=50, metavar="N", help="at most N (default 50)"
    )
    _add_json(p)
    p.set_defaults(handler=cmd_search)

    p = commands.add_parser(
        "stats", help="counts by day and outcome, false wakes, size on disk, policy in force"
    )
    _add_json(p)
    p.set_defaults(handler=cmd_stats)

    p = commands.add_parser(
        "delete",
        help="delete interactions and erase them from the files",
        description="Delete interactions by id, by time or by words, and erase them from the "
        "database files. Shows what will be deleted and asks first, unless --yes.",
    )
    p.add_argument("ids", type=_count_arg, nargs="*", metavar="ID", help="ids shown by 'log list'")
    p.add_argument("--older-than", metavar="AGE", help="recorded more than AGE ago (7d, 12h)")
    _add_range(p)
    p.add_argument("--matching", metavar="TEXT", help="whose words contain TEXT (any case)")
    p.add_argument("--all", action="store_true", help="everything in the journal")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _add_json(p)
    p.set_defaults(handler=cmd_delete)

    p = commands.add_parser("export", help="write the whole journal out (your data, yours to take)")
    p.add_argument("--format", choices=FORMATS, default="jsonl", help="default: jsonl")
    p.add_argument(
        "--output", "-o", metavar="FILE", help="new file to write (0600); default: stdout"
    )
    p.add_argument("--force", action="store_true", help="replace FILE if it is an existing file")
    p.set_defaults(handler=cmd_export)

    p = commands.add_parser(
        "verify", help="check integrity, and that no deleted content remains in the files"
    )
    _add_json(p)
    p.set_defaults(handler=cmd_verify)

    p = commands.add_parser("prune", help="apply the retention policy now")
    _add_json(p)
    p.set_defaults(handler=cmd_prune)

    p = commands.add_parser("pause", help="record nothing for a while (e.g. 1h); survives restarts")
    p.add_argument("duration", metavar="DURATION", help="90m, 1h, 2d ...")
    p.set_defaults(handler=cmd_pause)

    p = commands.add_parser("resume", help="end a pause now")
    p.set_defaults(handler=cmd_resume)


def _add_range(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="WHEN", help="from: an age (2d, 1h) or a date (2026-11-28)")
    p.add_argument(
        "--until", metavar="WHEN", help="up to: an age or a date (a date alone includes that day)"
    )


def _add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="JSON output (one object per line)")


# --- handlers -----------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as journal:
        now = journal.clock.time()
        selection = Selection(
            since=parse_when(args.since, now, end_of_day=False),
            until=parse_when(args.until, now, end_of_day=True),
            everything=True,
        )
        entries = journal.entries(selection, limit=args.limit,
                                  intent=_text(args.intent, "--intent"), source=args.source)  # fmt: skip
    _print_entries(entries, args.json)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as journal:
        entry = journal.get(args.id)
    if entry is None:
        print(f"assistant: error: no interaction with id {args.id}", file=sys.stderr)
        return 1
    if args.json:
        print_json(entry_json(entry))
        return 0
    data = entry_json(entry)
    for key, value in data.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False) if value else "-"
        print(f"{key:>13}: {_clean('-' if value is None else str(value))}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    text = _text(args.text, "TEXT")
    if not text.strip():
        raise UsageError("give some words to search for")
    with _open(args, read_only=True) as journal:
        entries = journal.entries(Selection(matching=text), limit=args.limit)
    _print_entries(entries, args.json)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as journal:
        stats = journal.stats()
    if args.json:
        print_json(stats.to_json_dict())
        return 0
    policy = stats.policy
    print(f"Journal:       {stats.database} ({_size(stats.bytes_on_disk)} on disk)")
    print(f"Logging:       {_logging_state(stats)}")
    print(f"Policy:        {_policy_text(stats)}")
    print(
        f"Interactions:  {policy.interactions} "
        f"(typed {stats.typed}, false wakes {stats.false_wakes}, "
        f"with audio {policy.audio_files})"
    )
    print(f"Oldest:        {_when(policy.oldest) if policy.oldest else '-'}")
    if stats.by_day:
        print("By day:")
        for day, outcomes in stats.by_day.items():
            counts = "  ".join(f"{name} {n}" for name, n in sorted(outcomes.items()))
            print(f"  {day}  total {sum(outcomes.values()):>4}   {counts}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        plan = journal.plan_deletion(_deletion_selection(args, journal.clock.time()))
        if plan.missing_ids:
            print(f"No interaction with id {', '.join(map(str, plan.missing_ids))}.",
                  file=sys.stderr)  # fmt: skip
        if not plan.entries and not args.all:
            print("Nothing matches; nothing deleted.")
            return 0 if not args.ids else 1
        if not args.json:
            _print_preview(list(plan.entries))
        if not confirm(f"Delete {_count(len(plan.entries))} and erase them from the files?",
                       args.yes):  # fmt: skip
            print("Nothing deleted.")
            return 1
        report = journal.delete(plan.selection)
    return _print_report(report, args.json, verb="Deleted")


def cmd_export(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as journal:
        entries = journal.iter_entries(oldest_first=True)
        if not args.output:
            write_entries(entries, args.format, sys.stdout)
            return 0
        path = Path(_text(args.output, "--output"))
        count = write_private(
            path, args.force, lambda out: write_entries(entries, args.format, out)
        )
    print(f"Exported {_count(count)} to {path}.", file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        report = journal.verify()
    if args.json:
        print_json(report.to_json_dict())
    else:
        _print_verify(report)
    return 0 if report.ok else 1


def _print_verify(report: VerifyReport) -> None:
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


def cmd_prune(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        report = journal.prune()
    return _print_report(report, args.json, verb="Retention applied: deleted")


def cmd_pause(args: argparse.Namespace) -> int:
    seconds = parse_duration(_text(args.duration, "DURATION"))
    with _open(args) as journal:
        until = journal.pause(seconds)
    print(f"Logging paused until {_when(until)}; it switches itself back on then.")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        journal.resume()
        enabled = journal.recording
    print("Logging resumed." if enabled else "No pause; logging is switched off in the config.")
    return 0


# --- helpers ------------------------------------------------------------------------------


def _open(args: argparse.Namespace, read_only: bool = False) -> Journal:
    """The journal; `read_only` commands skip the integrity check (a damaged file still
    fails their reads with a clear error, and the service checks it on start)."""
    config = config_module.load(args.config)
    journal = Journal.open(config, sweep_every=None, check_health=not read_only)
    if not journal.recording:
        print(
            "Note: logging is switched off (journal.enabled: false); nothing new is recorded.",
            file=sys.stderr,
        )
    return journal


def _text(value: str | None, name: str) -> str:
    """An argument as text; bytes that are not UTF-8 reach Python as lone surrogates."""
    if value is None:
        return value  # type: ignore[return-value]
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{name} is not valid UTF-8 text") from None
    return value


def _count_arg(text: str) -> int:
    """A positive whole number small enough for SQLite (argparse turns errors into usage)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_clean(repr(text))} is not a whole number") from None
    if not 1 <= n <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_COUNT}")
    return n


def parse_when(text: str | None, now: float, end_of_day: bool) -> float | None:
    """An age ('2d': that long before now) or an ISO date/time (local time) → Unix time.

    A date alone with `end_of_day` means the end of that day, so `--until 2026-11-28`
    includes the 28th.
    """
    if text is None:
        return None
    text = _text(text, "--since/--until")
    if re.fullmatch(r"\s*\d+(\.\d+)?\s*[smhdw]?\s*", text) and not re.fullmatch(r"\d{8}", text):
        return now - parse_duration(text)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{text!r} is neither an age (2d, 12h) nor a date (2026-11-28 or 2026-11-28T10:00)"
        ) from None
    try:
        if end_of_day and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text):
            moment += timedelta(days=1)
        if moment.tzinfo is None:
            moment = moment.astimezone()  # naive means the owner's local time
        return moment.timestamp()
    except (OverflowError, ValueError, OSError):
        raise UsageError(f"{text!r} is outside the dates this system can handle") from None


def _deletion_selection(args: argparse.Namespace, now: float) -> Selection:
    since = parse_when(args.since, now, end_of_day=False)
    until = parse_when(args.until, now, end_of_day=True)
    if args.older_than:
        older = now - parse_duration(args.older_than)
        until = older if until is None else min(until, older)
    given = bool(args.ids) or since is not None or until is not None or bool(args.matching)
    if args.all and given:
        raise UsageError("--all deletes everything; do not combine it with other choices")
    if not args.all and not given:
        raise UsageError(
            "say what to delete: IDs, --older-than, --since/--until, --matching or --all"
        )
    matching = _text(args.matching, "--matching")
    if matching is not None and not matching.strip():
        raise UsageError("--matching needs some words")
    return Selection(
        ids=tuple(args.ids) if args.ids else None,
        since=since,
        until=until,
        matching=matching,
        everything=args.all,
    )


def _print_entries(entries: list[Entry], as_json: bool) -> None:
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
        said = _clean(e.transcript or "-")
        if len(said) > SAID_WIDTH:
            said = said[: SAID_WIDTH - 1] + "…"
        print(
            f"{e.id:>6}  {_when(e.started_at):19}  {str(e.source):6}  {outcome:26}  "
            f"{_clean(e.intent or '-')[:18]:18}  {said}"
        )


def _print_preview(chosen: list[Entry]) -> None:
    if chosen:
        audio = sum(1 for e in chosen if e.audio_path)
        extra = f" and {audio} audio file{'s' if audio != 1 else ''}" if audio else ""
        print(
            f"Will delete {_count(len(chosen))}{extra}, recorded "
            f"{_when(chosen[0].started_at)} to {_when(chosen[-1].started_at)}:"
        )
        _print_entries(chosen[:PREVIEW_ROWS], as_json=False)
        if len(chosen) > PREVIEW_ROWS:
            print(f"  ... and {len(chosen) - PREVIEW_ROWS} more")
    else:
        print("The journal is empty; --all will only clear what remains in the files.")


def _print_report(report: DeletionReport, as_json: bool, verb: str) -> int:
    if as_json:
        print_json(report.to_json_dict())
    else:
        print(f"{verb} {_count(report.deleted)} and {report.audio_removed} audio file"
              f"{'s' if report.audio_removed != 1 else ''}.")  # fmt: skip
        if report.erased:
            print("Erased from the database files.")
    if not report.erased:
        print(f"assistant: error: deletion not yet erased from the files: {report.problem}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _clean(text: str) -> str:
    """Keep control characters (terminal escapes) in typed text off the owner's terminal."""
    return _CONTROL.sub("?", text)


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


def _count(n: int) -> str:
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
        return f"paused until {_when(policy.paused_until)}"
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
