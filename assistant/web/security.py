"""Who may open the page, and the limits and headers every answer carries.

- Access: the random token printed by `assistant web` (once, in the URL) or the
  configured password starts a session; the session cookie is HttpOnly,
  SameSite=Strict, and Secure under HTTPS. Sessions live in memory only.
- CSRF: every form that changes something carries the session's token in a hidden
  field, compared with `hmac.compare_digest`.
- Password guessing: failures are counted per client address and overall in a sliding
  window, with an injectable clock.
- DNS rebinding: Starlette's TrustedHostMiddleware refuses any Host header not configured.
- Every answer: a strict Content-Security-Policy, no framing, no referrer, no caching.
- Request bodies over `MAX_BODY_BYTES` are refused before they are read.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "assistant_session"
SESSION_SECONDS = 12 * 3600.0
MAX_SESSIONS = 64
MAX_BODY_BYTES = 64 * 1024
"""Forms here carry ids and a few words; a deletion of a whole page of ids fits easily."""

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
     b"form-action 'self'; frame-ancestors 'none'; img-src 'self' data:; media-src 'self'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]  # fmt: skip


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; an absent value never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass
class Session:
    csrf: str
    created: float
    signed_in: bool = False


@dataclass
class Sessions:
    """In-memory sessions: a restart of `assistant web` signs everyone out."""

    clock: Callable[[], float] = time.monotonic
    _by_id: dict[str, Session] = field(default_factory=dict)

    def new(self, signed_in: bool) -> tuple[str, Session]:
        self._expire()
        if len(self._by_id) >= MAX_SESSIONS:
            # Drop a session nobody signed into first, so strangers cannot push the owner out.
            victim = next((k for k, s in self._by_id.items() if not s.signed_in), None)
            del self._by_id[victim or next(iter(self._by_id))]
        session_id = secrets.token_urlsafe(32)
        session = Session(csrf=secrets.token_urlsafe(32), created=self.clock(), signed_in=signed_in)
        self._by_id[session_id] = session
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        self._expire()
        return self._by_id.get(session_id)

    def end(self, session_id: str | None) -> None:
        if session_id:
            self._by_id.pop(session_id, None)

    def _expire(self) -> None:
        cutoff = self.clock() - SESSION_SECONDS
        for key in [k for k, s in self._by_id.items() if s.created < cutoff]:
            del self._by_id[key]


@dataclass
class LoginLimiter:
    """At most `per_client` failed passwords per address and `overall` in total per window."""

    clock: Callable[[], float] = time.monotonic
    per_client: int = 5
    overall: int = 20
    window: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _all: deque[float] = field(default_factory=deque)

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again (0: now)."""
        now = self.clock()
        self._forget(now)
        waits = [0.0]
        mine = self._failures.get(client)
        if mine and len(mine) >= self.per_client:
            waits.append(mine[0] + self.window - now)
        if len(self._all) >= self.overall:
            waits.append(self._all[0] + self.window - now)
        return max(waits)

    def failed(self, client: str) -> None:
        now = self.clock()
        self._failures.setdefault(client, deque()).append(now)
        self._all.append(now)

    def _forget(self, now: float) -> None:
        cutoff = now - self.window
        while self._all and self._all[0] <= cutoff:
            self._all.popleft()
        for client in list(self._failures):
            times = self._failures[client]
            while times and times[0] <= cutoff:
                times.popleft()
            if not times:
                del self._failures[client]


class SecurityHeaders:
    """Adds the security headers to every response, errors included, and a Server-Timing
    header with the time the page took to answer (what bench/web.py measures)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        began = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = f"app;dur={(time.perf_counter() - began) * 1000:.2f}".encode()
                message["headers"] = [
                    *message.get("headers", []), *SECURITY_HEADERS, (b"server-timing", took)
                ]  # fmt: skip
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuses request bodies over `limit` bytes: by Content-Length up front, else by counting."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.limit:
            await _plain(send, 413, "Request body too large.")
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _plain(send, 413, "Request body too large.")


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    headers = [(b"content-type", b"text/plain; charset=utf-8"),
               (b"content-length", str(len(body)).encode()), (b"connection", b"close")]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
