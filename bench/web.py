"""The history page (`assistant web`) on a large journal: first page, search, deep page, idle cost.

The journal is bulk-generated exactly as in bench/journal.py (its schema created by
`Journal.open`, rows from `store.row_values`, one `executemany` transaction) at the
largest journal size of the run (1M rows at full size). Then `assistant web` runs as
the owner starts it, and over loopback:

- the first page of 50 interactions: server time (the page's Server-Timing header)
  and wall time of the request, against `assistant log list` (the same 50 rows, a
  fresh process) in the same run;
- a search for a word that is in no row (every row is read), against `assistant log
  search` of the same word;
- the oldest page, reached by keyset (`?before=ID`): the same cost as the first;
- resident memory and CPU time of the idle server over a few seconds.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from bench.common import (
    REPO,
    Context,
    Section,
    load_config,
    median,
    proc_cpu_seconds,
    proc_status_kb,
    write_config,
)
from bench.journal import ABSENT_WORD, RETENTION, _cli, _grow, _label, _wall

FIRST_PAGE_GOAL_MS = 100.0
IDLE_SECONDS = 5.0


class PageClient:
    """Signs in with the printed token and times requests."""

    def __init__(self, url: str) -> None:
        match = re.match(r"http://([\d.]+):(\d+)/\?token=(\S+)", url)
        assert match, url
        self.host, self.port, token = match.group(1), int(match.group(2)), match.group(3)
        status, headers, _ = self._get(f"/?token={token}", {})
        assert status == 303, status
        self.cookie = headers["set-cookie"].split(";")[0]

    def _get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def timed(self, path: str, repeats: int) -> tuple[float, float, bytes]:
        """Median (server ms, wall ms) and the last body."""
        server, wall, body = [], [], b""
        for _ in range(repeats):
            began = time.perf_counter()
            status, headers, body = self._get(path, {"Cookie": self.cookie})
            wall.append((time.perf_counter() - began) * 1000)
            assert status == 200, (path, status)
            server.append(float(headers["server-timing"].split("dur=")[1]))
        return median(server), median(wall), body


def _start(config_path: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "--config", str(config_path), "web", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    line = process.stdout.readline()
    if "token=" not in line:
        process.kill()
        raise RuntimeError(f"assistant web did not start: {process.stderr.read()[-2000:]}")
    return process, line.split(": ", 1)[1].strip()


def web(ctx: Context) -> Section:
    from assistant.journal import Journal

    section = Section("web", "History page: first page, search and idle cost")
    scale = ctx.scale
    directory = ctx.scratch("web")
    config_path = write_config(directory, extra=RETENTION)
    config = load_config(config_path)
    Journal.open(config, sweep_every=None).close()
    db = config.data_path / "journal.db"
    size = max(scale.journal_sizes)
    _grow(db, size, time.time() - 3600, size)
    case = _label(size)
    repeats = max(3, scale.cli_repeats)

    process, url = _start(config_path)
    try:
        page = PageClient(url)
        page.timed("/", 1)  # warm the page cache once, as an owner's second visit would be
        server_ms, wall_ms, body = page.timed("/", repeats)
        shown = len(re.findall(rb'href="/entry/\d+"', body))
        list_s, _ = _wall(_cli(config_path, "list"), repeats)
        section.add("first page of 50, server time", server_ms, "ms", case, list_s * 1000,
                    "assistant log list (fresh process)", goal=f"<= {FIRST_PAGE_GOAL_MS:.0f} ms",
                    met=server_ms <= FIRST_PAGE_GOAL_MS)  # fmt: skip
        section.add("first page of 50, request wall time", wall_ms, "ms", case, list_s * 1000,
                    "assistant log list (fresh process)")  # fmt: skip
        oldest = re.findall(rb'href="/entry/(\d+)"', page.timed(f"/?before={size}", 1)[2])
        deep_ms, _, _ = page.timed("/?before=60", repeats)
        section.add("oldest page (keyset ?before=), server time", deep_ms, "ms", case,
                    server_ms, "first page, server time")  # fmt: skip
        search_ms, search_wall_ms, _ = page.timed(f"/?q={quote(ABSENT_WORD)}", repeats)
        search_s, _ = _wall(_cli(config_path, "search", ABSENT_WORD), repeats)
        section.add("search (a word in no row), server time", search_ms, "ms", case,
                    search_s * 1000, "assistant log search (fresh process)")  # fmt: skip
        cpu_before = proc_cpu_seconds(process.pid)
        time.sleep(IDLE_SECONDS)
        idle_cpu = proc_cpu_seconds(process.pid) - cpu_before
        rss_mb = proc_status_kb(process.pid, "VmRSS") / 1024
        section.add("assistant web resident memory, idle", rss_mb, "MB", case)
        section.add(f"assistant web CPU time over {IDLE_SECONDS:.0f} s idle", idle_cpu * 1000,
                    "ms", case, goal="< 50 ms", met=idle_cpu < 0.05)  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=30)
    section.details[case] = {"rows_on_first_page": shown, "oldest_page_ids": len(oldest),
                             "search_wall_ms": search_wall_ms}  # fmt: skip
    section.notes += [
        f"Server time is the page's Server-Timing header (from the request reaching the app to "
        f"the response starting), median of {repeats} after one warm-up request; the CLI "
        "baselines are wall times of a fresh process, which include Python's start.",
        "Paging is keyset on the id (WHERE id < ? ORDER BY id DESC LIMIT 51), so the oldest "
        "page costs what the first does; OFFSET would read every skipped row.",
        f"Search reads every row for {ABSENT_WORD!r}, a word in no row: the worst case.",
    ]
    return section
