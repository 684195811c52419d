"""Results as JSON (everything) and as a markdown table (the published figures)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.common import Row, Section


def write_json(path: Path, run: dict[str, Any], sections: list[Section]) -> None:
    data = {**run, "sections": [s.to_json() for s in sections]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def markdown(run: dict[str, Any], sections: list[Section]) -> str:
    m = run["machine"]
    lines = [
        f"Benchmark run {run['started']} (size: {run['size']}, {run['seconds']:.0f} s)",
        "",
        f"Machine: {m['nproc']} cores, {m['cpu_model']}, {m['memory_gib']} GiB, "
        f"Python {m['python']}, "
        f"load average at start {m['load_average']}",
        "",
    ]
    for section in sections:
        lines += [
            f"### {section.title}",
            "",
            "| measure | case | value | baseline | ratio | goal |",
            "|---|---|---|---|---|---|",
        ]
        lines += [_row(r) for r in section.rows]
        lines.append("")
        lines += [f"- {note}" for note in section.notes]
        lines.append("")
    return "\n".join(lines)


def _row(row: Row) -> str:
    value = f"{_number(row.value)} {row.unit}".strip()
    baseline = f"{_number(row.baseline)} ({row.baseline_name})" if row.baseline is not None else ""
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
    goal = row.goal
    if row.met is not None:
        goal = f"{goal} {'met' if row.met else '**not met**'}".strip()
    return f"| {row.measure} | {row.case} | {value} | {baseline} | {ratio} | {goal} |"


def _number(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if x == 0:
        return "0"
    magnitude = abs(x)
    if magnitude >= 100:
        return f"{x:,.0f}"
    if magnitude >= 10:
        return f"{x:.1f}"
    if magnitude >= 0.01:
        return f"{x:.3g}"
    return f"{x:.2e}"
