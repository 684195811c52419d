"""`python -m bench`: run the benchmarks, write bench/results/<time>.json and latest.md,
and print the markdown table.

    python -m bench                 # everything, full size (about 20 minutes)
    python -m bench --quick         # the smallest sizes (under 2 minutes)
    python -m bench --only journal  # one benchmark (comma-separate several)
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.common import REPO, SCALES, Context, Section, Speech, machine
from bench.report import markdown, write_json


def _benchmarks():
    from bench import idle, journal, latency, recognition, wake, web

    return {
        "wake_cpu": wake.wake_cpu,
        "wake_accuracy": wake.wake_accuracy,
        "idle": idle.idle,
        "recognition": recognition.recognition,
        "latency": latency.latency,
        "journal": journal.journal,
        "web": web.web,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", action="store_const", const="quick", dest="size", help="the smallest sizes"
    )
    size.add_argument(
        "--size", choices=sorted(SCALES), help="full (default), quick, or smoke (for the test)"
    )
    parser.add_argument(
        "--only", metavar="NAMES", help="comma-separated: " + ", ".join(_benchmarks())
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=REPO / "bench" / "results",
        help="where the JSON and latest.md go (default: bench/results)",
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="generated speech cache (default: RESULTS_DIR/clips)"
    )
    args = parser.parse_args(argv)
    args.size = args.size or "full"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    benchmarks = _benchmarks()
    names = (
        list(benchmarks)
        if not args.only
        else [n.strip() for n in args.only.split(",") if n.strip()]
    )
    unknown = [n for n in names if n not in benchmarks]
    if unknown:
        print(
            f"bench: unknown benchmark {', '.join(unknown)} (known: {', '.join(benchmarks)})",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    speech = Speech(args.cache_dir or args.results_dir / "clips")
    started = time.time()
    run = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "size": args.size,
        "machine": machine(),
        "command": "python -m bench " + " ".join(argv or sys.argv[1:]),
    }
    sections: list[Section] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        for name in names:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            ctx = Context(SCALES[args.size], Path(work) / name, speech)
            began = time.perf_counter()
            try:
                section = benchmarks[name](ctx)
            except Exception:
                failed = True
                section = Section(
                    name, f"{name} (failed)", notes=["failed: " + traceback.format_exc(limit=3)]
                )
                traceback.print_exc()
            section.seconds = time.perf_counter() - began
            print(f"bench: {name} took {section.seconds:.0f} s", file=sys.stderr, flush=True)
            sections.append(section)
    run["seconds"] = time.time() - started
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(started))
    write_json(args.results_dir / f"{stamp}.json", run, sections)
    text = markdown(run, sections)
    (args.results_dir / "latest.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
