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
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
import uvicorn

from assistant import config as config_module
from assistant.errors import ConfigError
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
    for path in ("/?before=" + "9" * 30, "/?before=-5", "/?before=%D9%A3", "/?day=2026-13-45",
                 "/?outcome=<script>", "/?q=" + "x" * 500, "/entry/" + "9" * 30):  # fmt: skip
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


# --- what the owner sees and does ------------------------------------------------------------


def test_keyset_paging_walks_every_entry_once_newest_first(page):
    cookie = page.sign_in()
    seen: list[int] = []
    path = "/"
    while path:
        status, _, html = page.get(path, cookie)
        assert status == 200
        seen += [int(i) for i in re.findall(r'href="/entry/(\d+)"', html)]
        older = re.search(r'href="(/\?[^"]*before=\d+[^"]*)" rel="next"', html)
        path = older.group(1).replace("&amp;", "&") if older else ""
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 122


def test_search_and_filters(page):
    cookie = page.sign_in()
    html = page.get(f"/?q={MARKER.upper()}", cookie)[2]
    assert re.findall(r'href="/entry/(\d+)"', html) == ["121"]
    html = page.get("/?outcome=not_understood&source=typed", cookie)[2]
    ids = [int(i) for i in re.findall(r'href="/entry/(\d+)"', html)]
    assert ids and all((i - 1) % 15 == 0 for i in ids)  # i % 5 == 0 and i % 3 == 0
    status, _, html = page.get("/?day=yesterday", cookie)
    assert status == 400 and "is not a date" in html


def test_entry_details(page):
    cookie = page.sign_in()
    html = page.get("/entry/121", cookie)[2]
    assert f"remember the {MARKER} please" in html and "Remember" in html
    assert "700 ms" in html and "not kept" in html
    html = page.get("/entry/122", cookie)[2]
    assert '<audio controls preload="auto" src="/audio/122">' in html


def test_deleting_a_search_result_confirms_the_count_and_reports_the_byte_scan(page):
    cookie = page.sign_in()
    csrf = csrf_of(page.get("/", cookie)[2])
    fields = [("csrf", csrf), ("scope", "filter"), ("q", "number 11")]  # 11, 110..119
    status, _, html = page.post("/delete/confirm", cookie, fields)
    assert status == 200 and "Delete 11 interactions?" in html
    up_to = re.search(r'name="up_to" value="(\d+)"', html).group(1)
    status, _, html = page.post("/delete", cookie, [*fields, ("up_to", up_to)])
    assert status == 200 and "Deleted 11 interactions" in html
    assert "no deleted content remains" in html
    assert page.journal.count() == 111
    assert page.journal.last_verification()[1] is True


def test_deleting_by_outcome_and_source_deletes_exactly_those(page):
    cookie = page.sign_in()
    csrf = csrf_of(page.get("/", cookie)[2])
    fields = [("csrf", csrf), ("scope", "filter"), ("outcome", "not_understood"),
              ("source", "voice")]  # fmt: skip
    html = page.post("/delete/confirm", cookie, fields)[2]
    expected = page.journal.count(source="voice", outcome="not_understood")
    assert f"Delete {expected} interactions?" in html
    up_to = re.search(r'name="up_to" value="(\d+)"', html).group(1)
    html = page.post("/delete", cookie, [*fields, ("up_to", up_to)])[2]
    assert f"Deleted {expected} interactions" in html
    assert page.journal.count(source="voice", outcome="not_understood") == 0
    assert page.journal.count(source="typed", outcome="not_understood") > 0


def test_deleting_a_day_leaves_the_other_days(page):
    from datetime import date

    entries = page.journal.page(limit=None)
    day = date.fromtimestamp(entries[60].started_at).isoformat()
    on_day = [e.id for e in entries if date.fromtimestamp(e.started_at).isoformat() == day]
    cookie = page.sign_in()
    csrf = csrf_of(page.get("/", cookie)[2])
    fields = [("csrf", csrf), ("scope", "filter"), ("day", day)]
    html = page.post("/delete/confirm", cookie, fields)[2]
    assert f"Delete {len(on_day)} interactions?" in html and f"on {day}" in html
    up_to = re.search(r'name="up_to" value="(\d+)"', html).group(1)
    assert f"Deleted {len(on_day)} interactions" in page.post(
        "/delete", cookie, [*fields, ("up_to", up_to)])[2]  # fmt: skip
    left = {e.id for e in page.journal.page(limit=None)}
    assert not left & set(on_day) and len(left) == 122 - len(on_day)


def test_delete_selected_and_everything(page):
    cookie = page.sign_in()
    csrf = csrf_of(page.get("/", cookie)[2])
    fields = [("csrf", csrf), ("scope", "ids"), ("id", "3"), ("id", "4"), ("id", "122")]
    assert "Delete 3 interactions?" in page.post("/delete/confirm", cookie, fields)[2]
    html = page.post("/delete", cookie, fields)[2]
    assert "Deleted 3 interactions" in html and "Audio files removed: 1." in html
    assert not list((page.journal.data_dir / "audio").iterdir())
    html = page.post("/delete/confirm", cookie, [("csrf", csrf), ("scope", "all")])[2]
    assert "Delete 119 interactions?" in html
    up_to = re.search(r'name="up_to" value="(\d+)"', html).group(1)
    html = page.post("/delete", cookie, [("csrf", csrf), ("scope", "all"), ("up_to", up_to)])[2]
    assert "Deleted 119 interactions" in html and page.journal.count() == 0
    assert "The journal is empty." in page.get("/", cookie)[2]


def test_pause_shows_the_time_left_and_resume_ends_it(page):
    cookie = page.sign_in()
    csrf = csrf_of(page.get("/", cookie)[2])
    status, headers, _ = page.post("/pause", cookie, [("csrf", csrf), ("duration", "1h")])
    assert status == 303
    html = page.get("/", cookie)[2]
    assert re.search(r"resumes in <strong>(59 min|1 h 00 min)</strong>", html)
    assert page.journal.record(Interaction(transcript="while paused")) is None
    page.post("/resume", cookie, [("csrf", csrf), ("back", "privacy")])
    assert page.journal.paused_until() is None and "Logging is on." in page.get("/", cookie)[2]


def test_privacy_summary_and_chart(page):
    cookie = page.sign_in()
    html = page.get("/privacy", cookie)[2]
    assert "122 interactions" in html and "1 with audio" in html
    assert "kept for 1 day" in html and "365 days" in html and "never run" in html
    assert "assistant log delete --all" in html and "not encrypted" in html
    assert html.count("false wakes</title>") >= 5 and "interactions</title>" in html
    csrf = csrf_of(html)
    assert page.post("/verify", cookie, [("csrf", csrf)])[0] == 303
    assert "passed" in page.get("/privacy", cookie)[2]


def test_the_page_never_imports_the_speech_engines(tmp_path):
    code = (
        "import sys; from assistant.cli import main; main.build_parser();"
        "from assistant.web import app, server; import uvicorn, uvicorn.protocols.http.h11_impl;"
        "heavy = ('numpy', 'vosk', 'openwakeword', 'tflite_runtime', 'onnxruntime', 'sounddevice',"
        " 'pyttsx3', 'hassil', 'scipy');"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(
    ("web", "message"),
    [({"listen": "0.0.0.0"}, "web.password: required"),
     ({"listen": "speaker.local"}, "not an IP address"),
     ({"port": 70000}, "web.port"),
     ({"password": "short"}, "at least 8"),
     ({"certificate": "cert.pem"}, "give both")],
)  # fmt: skip
def test_the_web_section_is_validated(web, message):
    with pytest.raises(ConfigError, match=message):
        config_module.parse({"web": web})


# --- the optional service unit ---------------------------------------------------------------

WEB_UNIT = Path(__file__).resolve().parent.parent / "systemd" / "assistant-web.service"
needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="needs systemd-analyze (apt-get install systemd)",
)


@needs_analyze
@pytest.mark.slow
def test_the_web_unit_is_valid_and_hardened(tmp_path):
    copy = tmp_path / "assistant-web.service"
    copy.write_text(WEB_UNIT.read_text().replace("/opt/assistant/venv/bin/assistant",
                                                 shutil.which("true")))  # fmt: skip
    verify = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                            capture_output=True, text=True)  # fmt: skip
    assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(WEB_UNIT)],
        capture_output=True, text=True,
    )  # fmt: skip
    score = float(re.search(r"Overall exposure level for \S+: (\d+\.\d)", security.stdout)[1])
    assert score <= 1.5
    text = WEB_UNIT.read_text()
    assert "SupplementaryGroups" not in text and "DeviceAllow" not in text  # no sound devices
    setup = (WEB_UNIT.parent.parent / "scripts" / "setup-pi.sh").read_text()
    assert "assistant-web" not in setup  # optional: never enabled by the installer


def test_the_chart_scales_bars_to_the_busiest_day_and_keeps_labels_inside():
    from datetime import date

    from assistant.web import chart

    today = date(2026, 11, 29)
    drawn = chart.build([("2026-11-27", 10, 4), ("2026-11-29", 5, 0), ("2026-10-01", 99, 9)],
                        today)  # fmt: skip
    assert drawn.peak == 10  # the day outside the 30 days does not count
    tallest, half = drawn.total_bars
    assert tallest.height == pytest.approx(2 * half.height)
    assert tallest.y + tallest.height == pytest.approx(half.y + half.height)  # one baseline
    assert tallest.y >= chart.TOP_MARGIN
    [wakes] = drawn.false_wake_bars
    assert wakes.height == pytest.approx(0.4 * tallest.height) and "2026-11-27" in wakes.title
    assert all(0 <= x <= chart.WIDTH for x, _, _ in drawn.labels)
    assert drawn.labels[-1][1:] == ("29 Nov", "end")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_https_with_the_configured_certificate_marks_the_cookie_secure(tmp_path):
    import ssl

    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    config_file = tmp_path / "assistant.yaml"
    config_file.write_text(
        f"data_dir: {tmp_path / 'data'}\nweb:\n  certificate: cert.pem\n  key: key.pem\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "--config", str(config_file), "web", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        match = re.search(r"https://127\.0\.0\.1:(\d+)/\?token=(\S+)", line)
        assert match, line + process.stderr.read()
        context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", int(match[1]), context=context)
        conn.request("GET", f"/?token={match[2]}")
        response = conn.getresponse()
        assert response.status == 303
        cookie = response.getheader("set-cookie")
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        conn.close()
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


# --- the command line -------------------------------------------------------------------------


def test_command_line_mistakes_are_one_line_errors(tmp_path, capsys):
    from assistant.cli.main import main

    config_file = tmp_path / "assistant.yaml"
    config_file.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    busy = bind("127.0.0.1", 0)
    try:
        port = str(busy.getsockname()[1])
        assert main(["--config", str(config_file), "web", "--port", port]) == 1
    finally:
        busy.close()
    assert f"cannot listen on 127.0.0.1 port {port}" in capsys.readouterr().err
    assert main(["--config", str(config_file), "web", "--listen", "0.0.0.0"]) == 2
    assert "set web.password" in capsys.readouterr().err
    assert main(["--config", str(config_file), "web", "--port", "70000"]) == 2
    assert "--port: must be between 0 and 65535" in capsys.readouterr().err
    config_file.write_text("web:\n  listen: 0.0.0.0\n", encoding="utf-8")
    assert main(["--config", str(config_file), "web"]) == 2
    err = capsys.readouterr().err
    assert "web.password: required" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists()  # nothing was created by a refused start
