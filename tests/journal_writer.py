"""A separate process that writes the journal the way the service does, for crash and
concurrency tests. It reports each step on stdout only after the journal acknowledged it.

    python tests/journal_writer.py CONFIG insert [--count N] [--marker TEXT] [--audio]
                                                 [--delete-every K] [--pace SECONDS]
        prints "ack ID" after each committed insert; with --delete-every, every K inserts
        it deletes the oldest id it inserted: "deleting ID" before, "deleted ID" after.
        --count 0 writes until killed.

    python tests/journal_writer.py CONFIG disk-full
        limits the size of any file this process writes (RLIMIT_FSIZE), writes until the
        journal refuses, then lifts the limit and writes again. Prints one JSON line per
        observation: {"step": ..., ...}.

Imported by the journal tests for the shared pieces below (config files, a manual
clock, the marker search).
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import load  # noqa: E402
from assistant.errors import JournalError  # noqa: E402
from assistant.journal import Journal  # noqa: E402
from assistant.record import Interaction, Outcome  # noqa: E402

WRITER = Path(__file__).resolve()
STORAGE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def write_config(directory: Path, data_dir: Path, **journal: object) -> Path:
    """A configuration file whose journal lives in `data_dir`."""
    path = directory / "assistant.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(data_dir), "journal": journal}))
    return path


class ManualClock:
    """Fake clock moved by hand: a test cannot wait the 30 days retention is about."""

    def __init__(self, start: float) -> None:
        self.t = start

    def time(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t).astimezone()

    def advance(self, seconds: float) -> None:
        self.t += seconds


def marker_hits(data_dir: Path, marker: str, *extra_dirs: Path) -> dict[str, int]:
    """Occurrences of the marker's UTF-8 bytes in the journal files, audio and `extra_dirs`."""
    needle = marker.encode()
    files = [data_dir / f"journal.db{suffix}" for suffix in STORAGE_SUFFIXES]
    for folder in (data_dir / "audio", *extra_dirs):
        if folder.is_dir():
            files += [p for p in folder.rglob("*") if p.is_file()]
    hits = {}
    for file in files:
        if file.exists():
            count = file.read_bytes().count(needle)
            if count:
                hits[str(file)] = count
    return hits


def interaction(i: int, marker: str | None, audio: bool) -> Interaction:
    words = f"{marker} {i}" if marker else f"ordinary request number {i}"
    return Interaction(
        wake_word="hey_jarvis",
        wake_score=0.9,
        transcript=f"set a timer for {i % 60} minutes {words}",
        intent="SetTimer",
        skill="timer",
        slots={"minutes": i % 60, "note": words},
        reply=f"Timer set. {words}",
        outcome=Outcome.HANDLED,
        timings_ms={"listen": 800.0, "recognize": 60.0},
        audio=(words.encode() * 200)[:16000] if audio else None,
    )


def run_insert(journal: Journal, args: argparse.Namespace) -> None:
    inserted: list[int] = []
    i = 0
    while args.count == 0 or i < args.count:
        i += 1
        row_id = journal.record(interaction(i, args.marker, args.audio))
        print(f"ack {row_id}", flush=True)
        inserted.append(row_id)
        if args.delete_every and i % args.delete_every == 0:
            victim = inserted.pop(0)
            print(f"deleting {victim}", flush=True)
            journal.delete_ids([victim])
            print(f"deleted {victim}", flush=True)
        if args.pace:
            time.sleep(args.pace)


def run_disk_full(journal: Journal) -> None:
    def report(step: str, **data: object) -> None:
        print(json.dumps({"step": step, **data}), flush=True)

    # Without this the kernel kills the process at the limit instead of failing the write.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    limit = journal.db_path.stat().st_size + 64 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    failure = None
    for i in range(2000):
        try:
            journal.record(interaction(i, "filler " * 300, audio=True))
        except JournalError as e:
            failure = str(e)
            break
    status = journal.status()
    report("limited", failure=failure, logging=status.logging, reason=status.reason)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    row_id = journal.record(interaction(99999, "after the disk has room", audio=True))
    status = journal.status()
    report("recovered", row_id=row_id, logging=status.logging, reason=status.reason,
           stored=[e.transcript for e in journal.last(1)])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("mode", choices=("insert", "disk-full"))
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--marker")
    parser.add_argument("--audio", action="store_true")
    parser.add_argument("--delete-every", type=int, default=0)
    parser.add_argument("--pace", type=float, default=0.0)
    args = parser.parse_args()
    journal = Journal.open(load(args.config), sweep_every=None)
    assert isinstance(journal, Journal)
    if args.mode == "insert":
        run_insert(journal, args)
    else:
        run_disk_full(journal)
    journal.close()


if __name__ == "__main__":
    main()
