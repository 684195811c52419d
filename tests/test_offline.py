"""Offline means offline: the assistant loads no library that phones home, and every socket
it opens, traced by strace while it really listens and answers, is a local (AF_UNIX) one.

onnxruntime is the reason for the first check: its native module makes DNS lookups for
telemetry (mobile.events.data.microsoft.com) about 10 s after a session starts, and again
later, whatever its Python API is told. openWakeWord imports it (with SciPy and
scikit-learn) even when it runs TensorFlow Lite models, so the assistant runs those models
itself (assistant/wake_models.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import running
from conftest import ASSISTANT, REPO, write_config, write_wav
from running import Running

pytestmark = pytest.mark.slow

NEVER_LOADED = ("onnxruntime", "scipy", "sklearn", "openwakeword")
TRACED_CALLS = "socket,connect,bind,sendto,sendmsg"
LIVE_SECONDS = 30.0
"""Long enough for onnxruntime's first telemetry lookups (about 10 s after it starts)."""

if not shutil.which("strace"):
    pytest.fail("strace is not installed (see scripts/dev-setup for the packages the tests need)")


# --- what strace saw ---------------------------------------------------------------------------

LINE = re.compile(r"^(?P<pid>\d+)\s+(?P<body>.*)$")
CALL = re.compile(r"^(?P<name>\w+)\((?P<args>.*)\)\s+=\s+(?P<result>-?\d+)")
ADDRESS = re.compile(r"sa_family=(?P<family>AF_\w+)(?P<rest>[^}]*)")
PORT = re.compile(r"htons\((\d+)\)")
HOST = re.compile(r'inet_(?:addr|pton)\((?:AF_INET6, )?"([^"]+)"')


@dataclass
class Trace:
    """Sockets opened (family and type) and addresses used (connect, bind, sendto, sendmsg)."""

    opened: list[str] = field(default_factory=list)
    addressed: list[tuple[str, str, str, int | None]] = field(default_factory=list)
    """(call, family, host, port) of every address that is not a file (AF_UNIX) one."""

    @classmethod
    def read(cls, path: Path) -> Trace:
        trace, unfinished = cls(), {}
        for line in path.read_text(errors="replace").splitlines():
            match = LINE.match(line)
            if not match:
                continue
            pid, body = match["pid"], match["body"]
            if body.endswith("<unfinished ...>"):
                unfinished[pid] = body.removesuffix("<unfinished ...>")
                continue
            if body.startswith("<... ") and pid in unfinished:
                body = unfinished.pop(pid) + body.split("resumed>", 1)[1]
            trace._add(body)
        return trace

    def _add(self, body: str) -> None:
        call = CALL.match(body)
        if not call:
            return
        if call["name"] == "socket":
            family, kind = (a.strip() for a in call["args"].split(",")[:2])
            self.opened.append(f"{family} {kind.split('|')[0]}")
            return
        for address in ADDRESS.finditer(call["args"]):
            if address["family"] == "AF_UNIX":
                continue
            host, port = HOST.search(address["rest"]), PORT.search(address["rest"])
            self.addressed.append(
                (
                    call["name"],
                    address["family"],
                    host[1] if host else "",
                    int(port[1]) if port else None,
                )
            )

    @property
    def network_sockets(self) -> list[str]:
        """Sockets of any family but AF_UNIX, except urllib3's IPv6 probe (see IPV6_PROBE)."""
        return [s for s in self.opened if not s.startswith("AF_UNIX") and s != IPV6_PROBE[0]]

    @property
    def network_uses(self) -> list[tuple[str, str, str, int | None]]:
        """Addresses connected, bound or sent to, except urllib3's IPv6 probe."""
        return [a for a in self.addressed if a != IPV6_PROBE[1]]


IPV6_PROBE = ("AF_INET6 SOCK_STREAM", ("bind", "AF_INET6", "::1", 0))
"""urllib3 (imported by Vosk for its model downloader, through `requests`) learns whether
the kernel has IPv6 by binding a stream socket to [::1]:0, loopback, and closing it: no
packet is sent. Anything else shows up."""


def strace(log: Path) -> list[str]:
    return [
        "strace",
        "-f",
        "-qq",
        "-e",
        "signal=none",
        "-e",
        f"trace={TRACED_CALLS}",
        "-o",
        str(log),
    ]


def test_the_trace_sees_a_dns_lookup_in_a_loopback_only_namespace(tmp_path):
    """The check below can fail: a name lookup (what onnxruntime's telemetry does) shows up
    as an AF_INET socket and a connect to the resolver. Run in a network namespace with
    only loopback, so the lookup cannot leave the machine."""
    log = tmp_path / "trace.log"
    lookup = (
        "import socket\ntry: socket.getaddrinfo('offline-check.invalid', 80)\nexcept OSError: pass"
    )
    subprocess.run(
        ["unshare", "-n", *strace(log), sys.executable, "-c", lookup], check=True, timeout=60
    )
    trace = Trace.read(log)
    assert "AF_INET SOCK_DGRAM" in trace.network_sockets
    assert ("connect", "AF_INET", 53) in {(c, f, p) for c, f, _, p in trace.network_uses}


# --- which libraries are loaded -------------------------------------------------------------------

LOADED_AFTER_DETECTING = """
import json, sys
import numpy as np
from assistant.config import Config
from assistant.wake import WakeDetector
detector = WakeDetector(Config())
noise = np.random.default_rng(0).normal(0, 3000, 1280 * 40).astype(np.int16)
for start in range(0, len(noise), 1280):
    detector.process(noise[start : start + 1280])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_wake_detector_loads_no_library_that_phones_home():
    result = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER_DETECTING],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=True,
    )
    loaded = set(json.loads(result.stdout))
    assert "tflite_runtime" in loaded  # the models did run
    assert loaded.isdisjoint(NEVER_LOADED), loaded & set(NEVER_LOADED)


def imported_modules(importtime_stderr: str) -> set[str]:
    """Top-level names of the modules `python -X importtime` reports."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def test_assistant_run_imports_no_library_that_phones_home(tmp_path, ko_config, command_clip):
    clip = write_wav(tmp_path / "command.wav", command_clip("지금 몇 시야"))
    command = [ASSISTANT[0], "-X", "importtime", *ASSISTANT[1:]]
    result = subprocess.run(
        [*command, "--config", str(ko_config), "run", "--input", str(clip), "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    [interaction] = [json.loads(line) for line in result.stdout.splitlines()]
    assert interaction["intent"] == "ClockTime"
    loaded = imported_modules(result.stderr)
    assert {"tflite_runtime", "vosk"} <= loaded  # the report covers the whole run
    assert loaded.isdisjoint(NEVER_LOADED), loaded & set(NEVER_LOADED)


# --- which sockets are opened ---------------------------------------------------------------


def test_assistant_run_on_a_recording_opens_no_network_socket(tmp_path, ko_config, command_clip):
    clip = write_wav(tmp_path / "command.wav", command_clip("지금 몇 시야"))
    log = tmp_path / "trace.log"
    result = subprocess.run(
        [*strace(log), *ASSISTANT, "--config", str(ko_config), "run", "--input", str(clip)]
        + ["--json"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert [json.loads(line)["intent"] for line in result.stdout.splitlines()] == ["ClockTime"]
    trace = Trace.read(log)
    assert trace.opened, "strace recorded nothing"
    assert trace.network_sockets == [] and trace.network_uses == [], trace


def _assistant_pid(tracer: subprocess.Popen) -> int:
    """The assistant strace started (its only direct child)."""
    children = Path(f"/proc/{tracer.pid}/task/{tracer.pid}/children").read_text().split()
    return int(children[0])


@pytest.mark.audio
def test_live_listening_and_answering_opens_no_network_socket(
    pulse_server, tmp_path, ko_config, command_clip, monkeypatch
):
    clip = write_wav(tmp_path / "command.wav", command_clip("지금 몇 시야"))
    log = tmp_path / "trace.log"
    monkeypatch.setattr(running, "ASSISTANT", [*strace(log), *ASSISTANT])
    assistant = Running(ko_config, {"PULSE_SERVER": pulse_server})
    try:
        assistant.wait_for_log("microphone (system default) open")
        listening_since = time.monotonic()
        subprocess.run(["paplay", "--device=mic", str(clip)], check=True, timeout=60)
        [interaction] = assistant.wait_for_answers(1, timeout=30)
        time.sleep(max(0.0, LIVE_SECONDS - (time.monotonic() - listening_since)))
        assert assistant.process.poll() is None, "\n".join(assistant.stderr)
        os.kill(_assistant_pid(assistant.process), signal.SIGTERM)
        assert assistant.process.wait(timeout=15) == 0
    finally:
        assistant.kill()
    assert (interaction["wake_word"], interaction["intent"]) == ("hey_jarvis", "ClockTime")
    trace = Trace.read(log)
    assert any(s.startswith("AF_UNIX") for s in trace.opened)  # PulseAudio, seen by the trace
    assert trace.network_sockets == [] and trace.network_uses == [], trace


class _Webhook(threading.Thread):
    """A local HTTP service on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        import http.server

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()
                self.wfile.write("열었어요".encode())

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        super().__init__(target=self.server.serve_forever, daemon=True)


def test_an_http_command_the_owner_configured_is_the_only_network_socket(tmp_path, command_clip):
    hook = _Webhook()
    hook.start()
    config = write_config(
        tmp_path / "assistant.yaml",
        f"language: ko\ndata_dir: {tmp_path / 'data'}\naudio:\n  earcon: false\n"
        "skills:\n  commands:\n    commands:\n"
        "      - name: open_door\n"
        '        sentences: {ko: ["문 열어 줘"]}\n'
        f"        http: {{url: 'http://127.0.0.1:{hook.port}/api/webhook/door'}}\n"
        '        reply: "{output}"\n',
    )
    clip = write_wav(tmp_path / "command.wav", command_clip("문 열어 줘"))
    log = tmp_path / "trace.log"
    try:
        result = subprocess.run(
            [*strace(log), *ASSISTANT, "--config", str(config), "run", "--input", str(clip)]
            + ["--json"],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=REPO,
        )
    finally:
        hook.server.shutdown()
    assert result.returncode == 0, result.stderr[-2000:]
    [interaction] = [json.loads(line) for line in result.stdout.splitlines()]
    assert interaction["reply"] == "열었어요", interaction
    assert [r["command"] for r in hook.received] == ["open_door"]
    trace = Trace.read(log)
    assert set(trace.network_sockets) == {"AF_INET SOCK_STREAM"}, trace
    assert set(trace.network_uses) == {("connect", "AF_INET", "127.0.0.1", hook.port)}, trace
