"""Erasure under load: thousands of interactions, hundreds of random deletions by every
route, while another process keeps writing; after every deletion, every file of the data
directory is searched for the deleted markers.

    python -m bench.journal_stress [--interactions 5000] [--deletions 500] [--seed 1]

Prints one JSON line with the counts and timings; exits non-zero if any deleted marker
was found, or a deletion claimed an erasure the scan did not confirm.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
WRITER = REPO / "tests" / "journal_writer.py"
ROUTES = ("ids", "range", "matching", "retention", "voice")
DAY = 86400.0
PACE_SECONDS = 0.005
"""Between this process's interactions (people do not speak 200 times a second)."""


@dataclass
class StressResult:
    interactions: int = 0
    deletions: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    deleted_rows: int = 0
    not_erased: int = 0
    """Deletions that said so honestly (the other process held the WAL)."""
    leaked: list[str] = field(default_factory=list)
    """Deleted markers found in a file after a deletion reported as erased."""
    failed: list[str] = field(default_factory=list)
    """Journal errors this process met (a busy database should never reach anyone)."""
    writer_acks: int = 0
    seconds: float = 0.0
    deletion_seconds: list[float] = field(default_factory=list)


class Clock:
    """Real time, except when set back to record rows that are already old."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset


SCANNER = r"""
import json, re, sys
from pathlib import Path
marker = re.compile(rb"zq[0-9a-f]{12}")
for _ in sys.stdin:
    found = set()
    for path in Path(sys.argv[1]).rglob("*"):
        try:
            found.update(m.decode() for m in marker.findall(path.read_bytes()))
        except (IsADirectoryError, FileNotFoundError):
            pass
    print(json.dumps(sorted(found)), flush=True)
"""


class Scanner:
    """Searches every file of the data directory for markers, from its own process.

    Not in-process: opening and closing the database files here would drop the POSIX
    locks that this process's SQLite connection holds on them (see `journal.residue`).
    """

    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SCANNER, str(data_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def markers(self) -> set[str]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("scan\n")
        self.process.stdin.flush()
        return set(json.loads(self.process.stdout.readline()))

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def run_stress(
    work: Path,
    interactions: int,
    deletions: int,
    seed: int,
    writer_pace: float = 0.01,
    max_interactions: int | None = None,
) -> StressResult:
    """With `max_interactions` the journal is kept full, so the sweep after each write
    expires the oldest rows too, as on a device in use (default: no count limit)."""
    from assistant.config import load
    from assistant.errors import JournalError
    from assistant.journal import Journal, Selection
    from assistant.record import Interaction

    rng = random.Random(seed)
    data = work / "data"
    config_path = work / "assistant.yaml"
    policy = {"keep_audio": True, "audio_retention_days": 3650, "retention_days": 30,
              "max_interactions": max_interactions or 10_000_000}  # fmt: skip
    config_path.write_text(yaml.safe_dump({"data_dir": str(data), "journal": policy}))
    clock = Clock()
    journal = Journal.open(load(str(config_path)), clock, sweep_every=None)
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), str(config_path), "insert", "--count", "0", "--audio",
         "--pace", str(writer_pace)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    scanner = Scanner(data)
    result = StressResult()
    live: dict[int, str] = {}
    gone: set[str] = set()
    every = max(1, interactions // max(1, deletions))
    began = time.perf_counter()
    try:
        for i in range(interactions):
            marker = f"zq{rng.getrandbits(48):012x}"
            old = rng.random() < 0.03  # recorded 40 days ago: the retention route's prey
            clock.offset = -40 * DAY if old else 0.0
            words = " ".join(rng.choice(("lights", "timer", "기린", "grandma", "kitchen"))
                             for _ in range(int(rng.expovariate(1 / 120)) + 1))  # fmt: skip
            row = Interaction(
                started_at=clock.time(),
                transcript=f"{words} {marker}",
                slots={"note": marker},
                reply=f"noted {marker}",
                audio=marker.encode() * 10 if rng.random() < 0.1 else None,
            )
            try:
                row_id = journal.record(row)
            except JournalError as e:
                result.failed.append(f"record: {e}")
                row_id = None
            clock.offset = 0.0
            if row_id is not None:
                live[row_id] = marker
            result.interactions += 1
            # SQLite's busy wait backs off; without a pause the other writer rarely gets in.
            time.sleep(PACE_SECONDS)
            if i % every or result.deletions >= deletions or not live:
                continue
            route = ROUTES[result.deletions % len(ROUTES)]
            t0 = time.perf_counter()
            try:
                report = _delete(route, journal, live, rng, Selection)
            except JournalError as e:
                result.failed.append(f"delete by {route}: {e}")
                continue
            result.deletion_seconds.append(time.perf_counter() - t0)
            result.deletions += 1
            result.by_route[route] = result.by_route.get(route, 0) + 1
            result.deleted_rows += report.deleted
            present = {e.id for e in journal.iter_entries()}
            gone.update(live.pop(k) for k in sorted(live) if k not in present)
            if not report.erased:
                result.not_erased += 1
                continue
            leaked = gone & scanner.markers()
            result.leaked += sorted(leaked - set(result.leaked))
    finally:
        scanner.close()
        writer.kill()
        out, _ = writer.communicate()
        result.writer_acks = sum(1 for line in out.splitlines() if line.startswith("ack"))
        journal.close()
    result.seconds = time.perf_counter() - began
    return result


def _delete(route: str, journal, live: dict[int, str], rng: random.Random, Selection):
    ids = sorted(live)
    if route == "ids":
        return journal.delete_ids(rng.sample(ids, min(len(ids), rng.randint(1, 5))))
    if route == "matching":
        return journal.delete_matching(live[rng.choice(ids)].upper())
    if route == "voice":  # "delete what I just said", as the privacy skill calls it
        newest = journal.last(1)
        return journal.delete_ids([newest[0].id] if newest else [])
    if route == "retention":
        return journal.prune()
    start = rng.randrange(len(ids))
    # The ids may have expired meanwhile (the other process's sweep): then none is chosen.
    chosen = journal.entries(Selection(ids=tuple(ids[start : start + rng.randint(1, 4)])),
                             oldest_first=True)  # fmt: skip
    if not chosen:
        return journal.delete_ids([])
    return journal.delete_range(chosen[0].started_at, chosen[-1].started_at + 0.0005)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.journal_stress")
    parser.add_argument("--interactions", type=int, default=5000)
    parser.add_argument("--deletions", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-interactions", type=int, help="keep the journal full at N")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        result = run_stress(
            Path(work),
            args.interactions,
            args.deletions,
            args.seed,
            max_interactions=args.max_interactions,
        )
    times = sorted(result.deletion_seconds)
    summary = {**asdict(result), "deletion_seconds": None,
               "deletion_median_s": times[len(times) // 2] if times else None,
               "deletion_max_s": times[-1] if times else None}  # fmt: skip
    print(json.dumps(summary))
    return 1 if result.leaked or result.failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
