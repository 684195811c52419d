"""`assistant log` commands: the owner's view of the journal, and the way to erase it.

A thin layer over `assistant.journal`: parse, call, print. These commands run safely
while the service is running (they share the database through SQLite's locks), and
they never load a speech engine, so they start fast.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import re
import sys
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from assistant import config as config_module
from assistant.cli.common import UsageError, confirm, parse_duration, print_json
from assistant.journal import DeletionReport, Entry, Journal, Selection
from assistant.paths import PRIVATE_FILE_MODE

PREVIEW_ROWS = 10
SAID_WIDTH = 48


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
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50)")
    p.add_argument("--intent", metavar="NAME", help="only this intent")
    p.add_argument("--source", choices=("voice", "typed"), help="only spoken or only typed")
    _add_json(p)
    p.set_defaults(handler=cmd_list)

    p = commands.add_parser("show", help="show one interaction in full")
    p.add_argument("id", type=int, metavar="ID")
    _add_json(p)
    p.set_defaults(handler=cmd_show)

    p = commands.add_parser("search", help="interactions whose words contain TEXT (any case)")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50)")
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
    p.add_argument("ids", type=int, nargs="*", metavar="ID", help="ids shown by 'log list'")
    p.add_argument("--older-than", metavar="AGE", help="recorded more than AGE ago (7d, 12h)")
    _add_range(p)
    p.add_argument("--matching", metavar="TEXT", help="whose words contain TEXT (any case)")
    p.add_argument("--all", action="store_true", help="everything in the journal")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _add_json(p)
    p.set_defaults(handler=cmd_delete)

    p = commands.add_parser("export", help="write the whole journal out (your data, yours to take)")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="default: jsonl")
    p.add_argument("--output", "-o", metavar="FILE", help="file to write (0600); default: stdout")
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
    with _open(args) as journal:
        now = journal.clock.time()
        selection = Selection(
            since=parse_when(args.since, now, end_of_day=False),
            until=parse_when(args.until, now, end_of_day=True),
            everything=True,
        )
        entries = journal.entries(
            selection, limit=_limit(args.limit), intent=args.intent, source=args.source
        )
    _print_entries(entries, args.json)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _open(args) as journal:
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
    if not args.text.strip():
        raise UsageError("give some words to search for")
    with _open(args) as journal:
        entries = journal.entries(Selection(matching=args.text), limit=_limit(args.limit))
    _print_entries(entries, args.json)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        stats = journal.stats()
        stats["database"] = str(Path(journal.data_dir) / "journal.db")
    if args.json:
        print_json(stats)
        return 0
    print(f"Journal:       {stats['database']} ({_size(stats['bytes_on_disk'])} on disk)")
    print(f"Logging:       {_logging_state(stats)}")
    print(f"Policy:        {_policy_text(stats)}")
    print(
        f"Interactions:  {stats['interactions']} "
        f"(typed {stats['typed']}, false wakes {stats['false_wakes']}, "
        f"with audio {stats['audio_files']})"
    )
    print(f"Oldest:        {_when(stats['oldest']) if stats['oldest'] else '-'}")
    if stats["by_day"]:
        print("By day:")
        for day, outcomes in stats["by_day"].items():
            counts = "  ".join(f"{name} {n}" for name, n in sorted(outcomes.items()))
            print(f"  {day}  total {sum(outcomes.values()):>4}   {counts}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        selection = _deletion_selection(args, journal.clock.time())
        if not selection.everything:
            # Delete what was shown, not rows that arrive while the owner reads the list.
            selection = dataclasses.replace(selection, up_to_id=journal.newest_id())
        chosen = journal.entries(selection, oldest_first=True)
        if args.ids:
            missing = sorted(set(args.ids) - {e.id for e in chosen})
            if missing:
                print(f"No interaction with id {', '.join(map(str, missing))}.", file=sys.stderr)
        if not chosen and not args.all:
            print("Nothing matches; nothing deleted.")
            return 0 if not args.ids else 1
        if not args.json:
            _print_preview(chosen)
        if not confirm(f"Delete {_count(len(chosen))} and erase them from the files?", args.yes):
            print("Nothing deleted.")
            return 1
        report = journal.delete(selection)
    return _print_report(report, args.json, verb="Deleted")


def cmd_export(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        entries = journal.iter_entries(oldest_first=True)
        if args.output:
            path = Path(args.output)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
            os.fchmod(fd, PRIVATE_FILE_MODE)  # the export holds what was said: keep it private
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                count = _export(entries, args.format, out)
            print(f"Exported {_count(count)} to {path}.", file=sys.stderr)
        else:
            _export(entries, args.format, sys.stdout)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        report = journal.verify()
    if args.json:
        print_json(report)
        return 0 if report["ok"] else 1
    integrity = report["integrity"]
    print(
        f"Integrity:            {'ok' if integrity == ['ok'] else 'DAMAGED: ' + '; '.join(integrity[:5])}"
    )
    if not report["wal_cleared"]:
        print("Deleted content:      NOT CHECKED: another program kept the write-ahead log busy")
    elif report["residue"]:
        print(
            f"Deleted content:      FOUND in {len(report['residue'])} places of the database file"
        )
    else:
        print("Deleted content:      none left in the database files")
    if report["erasure_pending"]:
        print(
            "Erasure:              an earlier deletion is not yet erased; run 'assistant log prune'"
        )
    if report["audio_missing"]:
        print(f"Audio:                {len(report['audio_missing'])} referenced files are missing")
    if report["audio_unreferenced"]:
        print(
            f"Audio:                {len(report['audio_unreferenced'])} files belong to no "
            "interaction (removed by 'assistant log prune')"
        )
    for path in report["damaged_copies"]:
        print(
            f"Damaged journal:      {path} was found damaged and moved aside. It may still hold "
            "old interactions; delete the file when you no longer need it."
        )
    print("Result:               " + ("ok" if report["ok"] else "problems found"))
    return 0 if report["ok"] else 1


def cmd_prune(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        report = journal.prune()
    return _print_report(report, args.json, verb="Retention applied: deleted")


def cmd_pause(args: argparse.Namespace) -> int:
    seconds = parse_duration(args.duration)
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


def _open(args: argparse.Namespace) -> Any:
    config = config_module.load(args.config)
    journal = Journal.open(config, sweep_every=None)
    if not journal.recording:
        print(
            "Note: logging is switched off (journal.enabled: false); nothing new is recorded.",
            file=sys.stderr,
        )
    return journal


def parse_when(text: str | None, now: float, end_of_day: bool) -> float | None:
    """An age ('2d': that long before now) or an ISO date/time (local time) → Unix time.

    A date alone with `end_of_day` means the end of that day, so `--until 2026-11-28`
    includes the 28th.
    """
    if text is None:
        return None
    if re.fullmatch(r"\s*\d+(\.\d+)?\s*[smhdw]?\s*", text) and not re.fullmatch(r"\d{8}", text):
        return now - parse_duration(text)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{text!r} is neither an age (2d, 12h) nor a date (2026-11-28 or 2026-11-28T10:00)"
        ) from None
    if end_of_day and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text):
        moment += timedelta(days=1)
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive means the owner's local time
    return moment.timestamp()


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
    if args.matching is not None and not args.matching.strip():
        raise UsageError("--matching needs some words")
    return Selection(
        ids=tuple(args.ids) if args.ids else None,
        since=since,
        until=until,
        matching=args.matching,
        everything=args.all,
    )


def _limit(n: int) -> int:
    if n < 1:
        raise UsageError("--limit must be at least 1")
    return n


def entry_json(entry: Entry) -> dict[str, Any]:
    data = entry.to_json_dict()
    return {
        "id": data.pop("id"),
        "time": _iso(entry.started_at),
        **data,
        "false_wake": entry.is_false_wake,
    }


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
        print_json(dataclasses.asdict(report))
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


def _export(entries: Iterable[Entry], fmt: str, out: TextIO) -> int:
    count = 0
    writer = None
    for entry in entries:
        data = entry_json(entry)
        if fmt == "jsonl":
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
        else:
            row = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v
                   for k, v in data.items()}  # fmt: skip
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
        count += 1
    if fmt == "csv" and writer is None:
        fields = [f.name for f in dataclasses.fields(Entry) if f.name not in ("audio", "id")]
        csv.writer(out).writerow(["id", "time", *fields, "false_wake"])
    out.flush()
    return count


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


def _logging_state(stats: dict[str, Any]) -> str:
    if stats["logging"]:
        return "on"
    if stats["paused_until"]:
        return f"paused until {_when(stats['paused_until'])}"
    return f"off: {stats['not_logging_because']}"


def _policy_text(stats: dict[str, Any]) -> str:
    text = (
        f"text kept {_days(stats['retention_days'])}, at most "
        f"{stats['max_interactions']} interactions; "
    )
    if stats["keep_audio"]:
        return text + f"command audio kept {_days(stats['audio_retention_days'])}"
    return text + "command audio not kept"


def _days(n: float) -> str:
    return f"{n:g} day{'s' if n != 1 else ''}"
