"""Interactions and false wakes per day as bar geometry for an inline SVG (no script).

False wakes (spoken, then nothing understood) are the figure to watch when tuning
`wake.threshold`: many of them mean the threshold is too low.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WIDTH = 360
HEIGHT = 150
LABEL_HEIGHT = 18
TOP_MARGIN = 18
"""Room for the scale label above the tallest bar."""
DAYS = 30


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    total_bars: list[Bar]
    false_wake_bars: list[Bar]
    labels: list[tuple[float, str, str]]
    """x, text, SVG text-anchor (the outermost labels stay inside the picture)."""
    peak: int
    days: int


def build(per_day: list[tuple[str, int, int]], today: date, days: int = DAYS) -> Chart:
    """Bars for the `days` days up to `today`; days without interactions are gaps."""
    counts = {day: (n, wakes) for day, n, wakes in per_day}
    shown = [today - timedelta(days=days - 1 - i) for i in range(days)]
    plot = HEIGHT - LABEL_HEIGHT - TOP_MARGIN
    peak = max([counts.get(d.isoformat(), (0, 0))[0] for d in shown] + [1])
    slot = WIDTH / days
    totals: list[Bar] = []
    wakes: list[Bar] = []
    labels: list[tuple[float, str, str]] = []
    for i, day in enumerate(shown):
        n, false_wakes = counts.get(day.isoformat(), (0, 0))
        x = i * slot
        if n:
            h = plot * n / peak
            totals.append(
                Bar(x + 1, TOP_MARGIN + plot - h, slot - 2, h, f"{day}: {n} interactions")
            )
        if false_wakes:
            h = plot * false_wakes / peak
            wakes.append(Bar(x + slot / 4, TOP_MARGIN + plot - h, slot / 2, h,
                             f"{day}: {false_wakes} false wakes"))  # fmt: skip
        if i % 7 == (days - 1) % 7:
            centre = x + slot / 2
            anchor = "end" if centre > WIDTH - 30 else "start" if centre < 30 else "middle"
            labels.append((WIDTH if anchor == "end" else centre, day.strftime("%d %b"), anchor))
    return Chart(WIDTH, HEIGHT, totals, wakes, labels, peak, days)
