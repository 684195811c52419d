"""Templates (Jinja2, autoescaped, from package data) and the formatting they use."""

from __future__ import annotations

import json
import time
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse


class Pages:
    def __init__(self, tls: bool) -> None:
        self.tls = tls
        self.env = Environment(
            loader=PackageLoader("assistant.web", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            when=when, duration=duration, size=size, pretty=pretty, number=number
        )

    def render(
        self, request: Request, name: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        client = request.client.host if request.client else ""
        page = self.env.get_template(name).render(
            request_path=request.url.path,
            tls=self.tls,
            remote=client not in ("127.0.0.1", "::1"),
            **context,
        )
        return HTMLResponse(page, status_code=status)


def when(t: float | None) -> str:
    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def duration(seconds: float | None) -> str:
    """'2 h 05 min', '14 min', '40 s': the time left in a pause, the age of the oldest entry."""
    if seconds is None:
        return "-"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def number(value: float) -> str:
    """30.0 → '30', 1.25 → '1.2': days as an owner writes them."""
    return f"{value:.1f}".removesuffix(".0")


def size(n: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"


def pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)
