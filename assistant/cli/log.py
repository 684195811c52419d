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
from datetime import datetime, timedelta
from pathlib import Path

from assistant import config as config_module
from assistant.cli.common import UsageError, confirm, parse_duration, print_json
from assistant.cli.log_output import (
    clean,
    count_text,
    print_entries,
    print_preview,
    print_report,
    print_stats,
    print_verify,
    when_text,
)
from assistant.journal import (
    Journal,
    Selection,
)
from assistant.journal.export import FORMATS, entry_json, write_entries, write_private

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
        intent = _text(args.intent, "--intent")
        entries = journal.entries(selection, limit=args.limit, intent=intent, source=args.source)
    print_entries(entries, args.json)
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
        print(f"{key:>13}: {clean('-' if value is None else str(value))}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    text = _text(args.text, "TEXT")
    if not text.strip():
        raise UsageError("give some words to search for")
    with _open(args, read_only=True) as journal:
        entries = journal.entries(Selection(matching=text), limit=args.limit)
    print_entries(entries, args.json)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as journal:
        stats = journal.stats()
    if args.json:
        print_json(stats.to_json_dict())
    else:
        print_stats(stats)
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
            print_preview(list(plan.entries))
        if not confirm(f"Delete {count_text(len(plan.entries))} and erase them from the files?",
                       args.yes):  # fmt: skip
            print("Nothing deleted.")
            return 1
        report = journal.delete(plan.selection)
    return print_report(report, args.json, verb="Deleted")


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
    print(f"Exported {count_text(count)} to {path}.", file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        report = journal.verify()
    if args.json:
        print_json(report.to_json_dict())
    else:
        print_verify(report)
    return 0 if report.ok else 1


def cmd_prune(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        report = journal.prune()
    return print_report(report, args.json, verb="Retention applied: deleted")


def cmd_pause(args: argparse.Namespace) -> int:
    seconds = parse_duration(_text(args.duration, "DURATION"))
    with _open(args) as journal:
        until = journal.pause(seconds)
    print(f"Logging paused until {when_text(until)}; it switches itself back on then.")
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
        raise argparse.ArgumentTypeError(f"{clean(repr(text))} is not a whole number") from None
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
