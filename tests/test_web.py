"""The history page over real HTTP on loopback: access, CSRF, Host, audio paths, body size,
password guessing, paging, deletion. The server is the real Starlette app under uvicorn,
in a thread of the test process, so the limiter's clock can be moved without sleeping."""

from __future__ import annotations

import http.client
import math
import re
import shutil
import socket
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
import uvicorn

from assistant import config as config_module
from assistant.journal import Journal
from assistant.record import Interaction, Outcome, Source
from assistant.web.app import create_app
from assistant.web.security import LoginLimiter
from assistant.web.server import bind

MARKER = "zebra-marker-4417"
AUDIO_MARKER = "umbrella-marker-9083"
PASSWORD = "correct horse battery"


def tone(seconds: float = 1.0, hz: float = 440.0) -> bytes:
    """16 kHz mono int16 audio for the kept-audio entry."""
    n = int(16000 * seconds)
    return b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / 16000))) for i in range(n)
    )


def fill_journal(config: config_module.Config, count: int = 120, now: float | None = None) -> None:
    """`count` ordinary interactions over the last days, one with MARKER, one with kept audio."""
    now = now or time.time()
    with Journal.open(config, sweep_every=None) as journal:
        for i in range(count):
            spoken = i % 3 != 0
            journal.record(Interaction(
                started_at=now - (count - i) * 3600 * 3,
                source=Source.VOICE if spoken else Source.TYPED,
                wake_word="hey_jarvis" if spoken else None,
                wake_score=0.91 if spoken else None,
                transcript=f"what time is it number {i}",
                intent="ClockTime", skill="clock",
                reply=f"It is {i % 12 + 1} o'clock.",
                outcome=Outcome.NOT_UNDERSTOOD if i % 5 == 0 else Outcome.HANDLED,
                timings_ms={"listen": 900.0, "decode": 80.0, "total": 1050.0},
            ))  # fmt: skip
        journal.record(Interaction(
            started_at=now - 60, transcript=f"remember the {MARKER} please",
            intent="Remember", slots={"thing": MARKER}, reply=f"I will remember {MARKER}.",
            outcome=Outcome.HANDLED, timings_ms={"total": 700.0},
        ))  # fmt: skip
        journal.record(Interaction(
            started_at=now - 30, transcript=f"say {AUDIO_MARKER} aloud", reply="Done.",
            outcome=Outcome.HANDLED, audio=tone(), timings_ms={"total": 650.0},
        ))  # fmt: skip


def make_config(tmp_path: Path, **web: object) -> config_module.Config:
    return config_module.parse({
        "data_dir": str(tmp_path / "data"),
        "journal": {"keep_audio": True, "retention_days": 365},
        "web": {"port": 8765, **web},
    })  # fmt: skip


class FakeClock:
    """A fake only for time: the limiter's window passes without the test sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Page:
    port: int
    token: str
    journal: Journal
    clock: FakeClock

    def request(
        self, method: str, path: str, body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:  # fmt: skip
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if isinstance(body, str):
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            body = body.encode()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return (
                response.status,
                dict(response.getheaders()),
                response.read().decode("utf-8", "replace"),
            )
        finally:
            conn.close()

    def sign_in(self) -> str:
        status, headers, _ = self.request("GET", f"/?token={self.token}")
        assert status == 303
        return re.search(r"assistant_session=([^;]+)", headers["set-cookie"]).group(1)

    def get(self, path: str, cookie: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path, headers={"Cookie": f"assistant_session={cookie}"})

    def post(self, path: str, cookie: str, fields: list[tuple[str, str]]):
        return self.request(
            "POST", path, urlencode(fields), {"Cookie": f"assistant_session={cookie}"}
        )


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


TOKEN = "test-token-" + "x" * 20


class CurrentApp:
    """The ASGI app the running server hands requests to: each test installs a fresh one
    from `create_app`, so one uvicorn server (started once) serves every test."""

    def __init__(self) -> None:
        self.app = None

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def server():
    """uvicorn on a free loopback port, in a thread of the test process."""
    current = CurrentApp()
    sock = bind("127.0.0.1", 0)
    running = uvicorn.Server(uvicorn.Config(current, access_log=False, log_level="warning",
                                            lifespan="off", ws="none", http="h11"))  # fmt: skip
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the page did not start"
        time.sleep(0.02)
    yield current, sock.getsockname()[1]
    running.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
def filled_data_dir(tmp_path_factory) -> Path:
    """One filled journal per session; each test works on its own copy."""
    base = tmp_path_factory.mktemp("web-template")
    fill_journal(make_config(base))
    return base / "data"


@pytest.fixture
def page(tmp_path, filled_data_dir, server):
    shutil.copytree(filled_data_dir, tmp_path / "data")
    yield from _page(make_config(tmp_path), server)


@pytest.fixture
def password_page(tmp_path, filled_data_dir, server):
    shutil.copytree(filled_data_dir, tmp_path / "data")
    yield from _page(make_config(tmp_path, password=PASSWORD), server)


def _page(config, server):
    current, port = server
    journal = Journal.open(config, sweep_every=None)
    clock = FakeClock()
    current.app = create_app(config, journal, token=TOKEN, limiter=LoginLimiter(clock=clock))
    yield Page(port, TOKEN, journal, clock)
    current.app = None
    journal.close()


# --- access ---------------------------------------------------------------------------------


def test_token_opens_a_session_with_a_strict_cookie_and_leaves_the_address_bar(page):
    status, headers, _ = page.request("GET", f"/?token={page.token}")
    assert status == 303 and headers["location"] == "/"
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    session = re.search(r"assistant_session=([^;]+)", cookie).group(1)
    status, headers, html = page.get("/", session)
    assert status == 200 and "what time is it number 119" in html
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "script-src 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer"
    assert "<script" not in html and " style=" not in html


@pytest.mark.parametrize("path", ["/", "/entry/1", "/audio/122", "/privacy", "/?q=zebra"])
def test_no_token_gets_nothing(page, path):
    status, headers, body = page.request("GET", path)
    assert status == 401
    assert MARKER not in body and "what time is it" not in body
    assert "set-cookie" not in headers


def test_a_wrong_token_gets_nothing(page):
    for token in ("wrong", page.token[:-1], page.token + "x", ""):
        status, headers, body = page.request("GET", f"/?token={token}")
        assert status == 401, token
        assert "set-cookie" not in headers and "what time is it" not in body


def test_state_changes_without_a_session_or_csrf_token_are_refused(page):
    before = page.journal.count()
    # No session at all (a cross-site form cannot carry our SameSite=Strict cookie).
    status, _, _ = page.request("POST", "/delete", urlencode({"scope": "all", "up_to": "999"}))
    assert status == 401
    cookie = page.sign_in()
    # A session but no CSRF field, then a wrong one: what a forged form would send.
    for fields in ([("scope", "all"), ("up_to", "999")],
                   [("scope", "all"), ("up_to", "999"), ("csrf", "forged")]):  # fmt: skip
        status, _, body = page.post("/delete", cookie, fields)
        assert status == 403 and "expired" in body
        assert page.post("/pause", cookie, [*fields, ("duration", "1h")])[0] == 403
    assert page.journal.count() == before
    assert page.journal.paused_until() is None


def test_a_foreign_host_header_is_refused(page):
    cookie = page.sign_in()
    for host in ("evil.example", "evil.example:80", f"attacker.test:{page.port}"):
        status, _, body = page.request(
            "GET", "/", headers={"Host": host, "Cookie": f"assistant_session={cookie}"}
        )
        assert status == 400 and "what time is it" not in body


@pytest.mark.parametrize(
    "path",
    ["/audio/..%2f..%2fjournal.db", "/audio/../journal.db", "/audio/%2e%2e/journal.db",
     "/audio/1", "/audio/-1", "/audio/99999", "/static/..%2f..%2fjournal%2fstore.py",
     "/static/../app.py", "/audio/122/../../../etc/passwd"],
)  # fmt: skip
def test_audio_urls_take_an_entry_id_and_nothing_else(page, path):
    cookie = page.sign_in()
    status, headers, body = page.get(path, cookie)
    assert status == 404
    assert "SQLite format" not in body and "root:" not in body and "import" not in body


def test_kept_audio_is_served_by_entry_id(page):
    cookie = page.sign_in()
    kept = [e for e in page.journal.page(limit=5) if e.audio_path]
    assert len(kept) == 1
    status, headers, body = page.get(f"/audio/{kept[0].id}", cookie)
    assert status == 200 and headers["content-type"] == "audio/wav"
    assert int(headers["content-length"]) == 44 + 32000


def raw_post(port: int, cookie: str, headers: bytes, chunks: list[bytes]) -> bytes:
    """Send a POST as an attacker would, stop when the server hangs up, return its answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        b"POST /delete HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: assistant_session="
        + cookie.encode() + b"\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + headers + b"\r\n"
    )  # fmt: skip
    try:
        for chunk in chunks:
            sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server refused and closed while the body was still coming
    answer = b""
    try:
        while data := sock.recv(65536):
            answer += data
    except ConnectionResetError:
        pass
    sock.close()
    return answer


def test_a_10_mb_body_is_refused_before_it_is_read(page):
    cookie = page.sign_in()
    ten_mb = 10 * 1024 * 1024
    block = b"x" * 65536
    answer = raw_post(page.port, cookie, b"Content-Length: %d\r\n" % ten_mb,
                      [block] * (ten_mb // len(block)))  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 413 ")
    # Without a Content-Length (chunked) the body is counted as it arrives.
    chunk = b"%x\r\n%s\r\n" % (len(block), block)
    answer = raw_post(page.port, cookie, b"Transfer-Encoding: chunked\r\n",
                      [chunk] * 160 + [b"0\r\n\r\n"])  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert page.get("/", cookie)[0] == 200
    assert page.journal.count() == 122


def test_password_guessing_is_rate_limited(password_page):
    page = password_page
    status, headers, html = page.request("GET", "/login")
    cookie = re.search(r"assistant_session=([^;]+)", headers["set-cookie"]).group(1)
    csrf = csrf_of(html)
    conn = http.client.HTTPConnection("127.0.0.1", page.port, timeout=30)  # one kept-alive
    statuses = []
    for i in range(1000):
        # bytes, so headers and body leave in one packet (no delayed-ACK wait per attempt)
        body = urlencode({"csrf": csrf, "password": f"guess{i:04d}"}).encode()
        conn.request("POST", "/login", body,
                     {"Host": f"127.0.0.1:{page.port}", "Cookie": f"assistant_session={cookie}",
                      "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
    conn.close()
    assert statuses.count(401) == 5  # five wrong passwords were checked ...
    assert statuses.count(429) == 995  # ... and every later attempt refused unchecked
    # Even the right password waits out the window ...
    status, headers, _ = page.post("/login", cookie, [("csrf", csrf), ("password", PASSWORD)])
    assert status == 429 and int(headers["retry-after"]) > 0
    page.clock.now += 301
    status, headers, _ = page.post("/login", cookie, [("csrf", csrf), ("password", PASSWORD)])
    assert status == 303 and "assistant_session=" in headers["set-cookie"]
    signed_in = re.search(r"assistant_session=([^;]+)", headers["set-cookie"]).group(1)
    assert signed_in != cookie  # a new session on sign-in: the old id is worth nothing
    assert page.get("/", signed_in)[0] == 200


def test_login_without_its_csrf_token_is_refused(password_page):
    page = password_page
    status, headers, html = page.request("GET", "/login")
    cookie = re.search(r"assistant_session=([^;]+)", headers["set-cookie"]).group(1)
    status, headers, _ = page.post("/login", cookie, [("password", PASSWORD)])
    assert status == 403 and "set-cookie" not in headers


def test_hostile_numbers_and_words_are_refused_cleanly(page):
    cookie = page.sign_in()
    csrf = csrf_of(page.get("/", cookie)[2])
    hostile = (
        "/?before=" + "9" * 30, "/?before=-5", "/?before=%D9%A3", "/?day=2026-13-45",
        "/?day=9999-12-31", "/?room=" + "r" * 65, "/?outcome=<script>", "/?q=" + "x" * 500,
        "/entry/" + "9" * 30,
    )  # fmt: skip
    for path in hostile:
        status, _, body = page.get(path, cookie)
        assert status in (400, 404), path
        assert "<script>" not in body and "Traceback" not in body
    for ids in (["9" * 30], ["-1"], ["٣"], ["1e3"]):
        status, _, body = page.post(
            "/delete/confirm", cookie, [("csrf", csrf), ("scope", "ids")] + [("id", i) for i in ids]
        )
        assert status == 400 and "Nothing was selected" in body, ids
    status, _, body = page.post("/delete", cookie, [("csrf", csrf), ("scope", "everything")])
    assert status == 400 and "Unknown kind of deletion" in body
    assert page.journal.count() == 122
    # What was searched is shown back escaped, never as markup.
    html = page.get("/?q=%3Cb%3Ebold%3C%2Fb%3E", cookie)[2]
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
