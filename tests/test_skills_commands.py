"""The owner's commands: slot values reach a program as plain arguments, no shell is
spawned, a hanging program is killed with its process group at its time limit, and HTTP
commands reach only local addresses unless the owner allows more."""

from __future__ import annotations

import http.server
import json
import os
import sys
import threading
import time
from pathlib import Path

import pytest
from test_skills_support import make_assistant

from assistant.errors import ConfigError
from skills.commands.actions import run_program
from skills.commands.settings import Command

RECORDER = """\
import json, os, sys
out = os.environ["RECORD_TO"]
parent = open(f"/proc/{os.getppid()}/comm").read().strip()
with open(out, "w", encoding="utf-8") as f:
    json.dump({"argv": sys.argv[1:], "ppid": os.getppid(), "parent": parent,
               "env": os.environ.get("ASSISTANT_SLOT_TEXT")}, f)
print("recorded")
"""

HANGER = """\
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
open(sys.argv[1], "w").write(f"{os.getpid()} {child.pid}")
time.sleep(60)
"""

HOSTILE = ["; rm -rf ~", "$(reboot)", "../../etc/passwd", "`touch /tmp/pwned`", "a" * 10_000,
           "it's \"quoted\" & | > <", "한국어 \u202e odd"]  # fmt: skip


@pytest.fixture
def recorder(tmp_path, monkeypatch) -> tuple[Path, Path]:
    script = tmp_path / "record.py"
    script.write_text(RECORDER)
    out = tmp_path / "argv.json"
    monkeypatch.setenv("RECORD_TO", str(out))
    return script, out


def command_config(script: Path, **extra) -> dict:
    command = {
        "name": "note",
        "sentences": {"en": ["take a note {text}"], "ko": ["메모 {text}"]},
        "slots": {"text": "wildcard"},
        "run": [sys.executable, str(script), "--", "{text}"],
        "reply": {"en": "Noted: {output}"},
    }
    command.update(extra)
    return {"skills": {"commands": {"commands": [command]}}}


def test_hostile_slot_values_arrive_as_plain_arguments_without_a_shell(tmp_path, recorder):
    script, out = recorder
    command = Command(name="note", sentences={"en": ["x {text}"]}, slots={"text": "wildcard"},
                      run=(sys.executable, str(script), "--", "{text}"))  # fmt: skip
    for value in HOSTILE:
        outcome = run_program(command, {"text": value}, timeout=4, cwd=tmp_path, language="en")
        assert outcome.ok and outcome.output == "recorded"
        seen = json.loads(out.read_text(encoding="utf-8"))
        assert seen["argv"] == ["--", value]
        assert seen["env"] == value
        assert seen["ppid"] == os.getpid()  # started directly by us: no shell in between
        assert seen["parent"] not in ("sh", "bash", "dash")
    assert not Path("/tmp/pwned").exists()


def test_spoken_command_through_the_assistant(tmp_path, recorder):
    script, out = recorder
    assistant = make_assistant(tmp_path / "data", **command_config(script))
    try:
        for value in ("$(reboot)", "b" * 10_000):
            interaction, reply = assistant.ask(f"take a note {value}", record=False)
            assert interaction.intent == "Command_note"
            assert reply.text == "Noted: recorded"
            assert interaction.slots["text"] == value
            assert json.loads(out.read_text())["argv"] == ["--", value]
        # The matcher drops some punctuation from free text ("; " and dots); what it keeps
        # arrives unchanged, as one argument.
        for value, kept in (("; rm -rf ~", "rm -rf ~"), ("../../etc/passwd", "etc/passwd")):
            interaction, _ = assistant.ask(f"take a note {value}", record=False)
            assert kept in interaction.slots["text"]
            assert json.loads(out.read_text())["argv"] == ["--", interaction.slots["text"]]
    finally:
        assistant.close()


def test_listed_slot_values_map_to_what_the_owner_chose(tmp_path, recorder):
    script, out = recorder
    config = command_config(
        script, name="lights", sentences={"en": ["turn on the {room} lights"]},
        slots={"room": {"kitchen": "light.kitchen", "living room": "light.living_room"}},
        run=[sys.executable, str(script), "on", "{room}"], reply="The {room} is on.",
    )  # fmt: skip
    assistant = make_assistant(tmp_path / "data", **config)
    try:
        _, reply = assistant.ask("turn on the living room lights", record=False)
        assert reply.text == "The light.living_room is on."
        assert json.loads(out.read_text())["argv"] == ["on", "light.living_room"]
        interaction, _ = assistant.ask("turn on the garage lights", record=False)
        assert interaction.intent is None  # not one of the owner's rooms
    finally:
        assistant.close()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
def test_a_hanging_program_is_killed_with_its_children_at_the_time_limit(tmp_path):
    script = tmp_path / "hang.py"
    script.write_text(HANGER)
    pids = tmp_path / "pids"
    config = {"skills": {"commands": {"commands": [{
        "name": "hang", "sentences": {"en": ["hang around"]},
        "run": [sys.executable, str(script), str(pids)], "timeout_seconds": 1.0,
    }]}}}  # fmt: skip
    assistant = make_assistant(tmp_path / "data", **config)
    try:
        started = time.monotonic()
        interaction, reply = assistant.ask("hang around", record=False)
        assert time.monotonic() - started < 4
        assert reply.text == "Sorry, that command took too long and was stopped."
        program, child = (int(p) for p in pids.read_text().split())
        deadline = time.monotonic() + 3
        while (_alive(program) or _alive(child)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(program) and not _alive(child)
        assert assistant.ask("what time is it", record=False)[0].intent == "ClockTime"
    finally:
        assistant.close()


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"21 degrees")

    def log_message(self, *args):
        pass


def test_http_command_to_a_local_webhook(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = {"skills": {"commands": {"commands": [{
        "name": "temperature", "sentences": {"en": ["how warm is the {room}"]},
        "slots": {"room": ["kitchen", "bedroom"]},
        "http": {"url": f"http://127.0.0.1:{server.server_port}/api/webhook/t"},
        "reply": "It is {output}.",
    }]}}}  # fmt: skip
    assistant = make_assistant(tmp_path, **config)
    try:
        _, reply = assistant.ask("how warm is the bedroom", record=False)
        assert reply.text == "It is 21 degrees."
        assert _Hook.received[-1]["slots"] == {"room": "bedroom"}
        assert _Hook.received[-1]["command"] == "temperature"
    finally:
        assistant.close()
        server.shutdown()


def test_http_command_to_a_public_address_is_refused_without_allow_remote(tmp_path):
    config = {"skills": {"commands": {"commands": [{
        "name": "outside", "sentences": {"en": ["call outside"]},
        "http": {"url": "http://8.8.8.8/hook"},
    }]}}}  # fmt: skip
    assistant = make_assistant(tmp_path, **config)
    try:
        _, reply = assistant.ask("call outside", record=False)
        assert (
            reply.text == "Sorry, that command points outside this network, which is not allowed."
        )
    finally:
        assistant.close()


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ({"name": "x", "sentences": {"en": ["go"]}}, "exactly one of 'run'"),
        ({"name": "x", "sentences": {"en": ["go {where}"]}, "run": ["true"]}, "{where} is not one"),
        ({"name": "x y", "sentences": {"en": ["go"]}, "run": ["true"]}, "letters, digits"),
        (
            {"name": "x", "sentences": {"en": ["go"]}, "run": ["true"], "timeout_seconds": 30},
            "set 'wait: false'",
        ),
        (
            {"name": "x", "sentences": {"en": ["go"]}, "run": ["true"], "colour": "red"},
            "unknown key",
        ),
        (
            {
                "name": "x",
                "sentences": {"en": ["go {n}"]},
                "slots": {"n": {"range": [5]}},
                "run": ["true"],
            },
            "range must be",
        ),
    ],
)
def test_configuration_mistakes_are_named(tmp_path, command, message):
    with pytest.raises(ConfigError, match=message):
        make_assistant(tmp_path, skills={"commands": {"commands": [command]}})


# --- running actions: the address connected to, option-looking values, dry runs ------


class FakeDnsServer:
    """Stands in for a DNS server this machine cannot have: answers `name` with `answers`
    in turn (the last one from then on). Numeric addresses resolve as usual."""

    def __init__(self, monkeypatch, name: str, *answers: str) -> None:
        import socket

        self.name = name
        self.answers = list(answers)
        self.questions = 0
        real = socket.getaddrinfo

        def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
            if host != name:
                return real(host, port, family, type, proto, flags)
            self.questions += 1
            address = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            ip_family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if ip_family == socket.AF_INET6 else (address, port)
            return [(ip_family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


class _HostRecorder(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802 - the name http.server calls
        self.rfile.read(int(self.headers["Content-Length"]))
        _HostRecorder.seen.append(self.headers["Host"])
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"on")

    def log_message(self, *args):
        pass


@pytest.fixture
def local_hook():
    _HostRecorder.seen = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _HostRecorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _http_command(url: str) -> Command:
    from skills.commands.settings import HttpRequest

    return Command(name="hub", sentences={"en": ["lights on"]}, http=HttpRequest(url=url))


def test_a_name_that_resolves_elsewhere_the_second_time_is_not_followed(monkeypatch, local_hook):
    from skills.commands.actions import send_request

    # First answer local (the check), every later one public (a rebinding attack).
    dns = FakeDnsServer(monkeypatch, "hub.home", "127.0.0.1", "93.184.216.34")
    command = _http_command(f"http://hub.home:{local_hook.server_port}/api/lights")
    outcome = send_request(command, {}, timeout=3, allow_remote=False, language="en")
    assert outcome.ok and outcome.output == "on"
    assert _HostRecorder.seen == [f"hub.home:{local_hook.server_port}"]  # the name, kept
    assert dns.questions == 1  # resolved once; connected to the address that was checked


def test_a_name_that_answers_public_first_is_refused(monkeypatch, local_hook):
    from skills.commands.actions import send_request

    FakeDnsServer(monkeypatch, "hub.home", "93.184.216.34", "127.0.0.1")
    command = _http_command(f"http://hub.home:{local_hook.server_port}/api/lights")
    outcome = send_request(command, {}, timeout=3, allow_remote=False, language="en")
    assert outcome.problem == "refused" and _HostRecorder.seen == []


@pytest.mark.parametrize(
    ("address", "local"),
    [
        ("127.0.0.1", True), ("127.255.0.9", True), ("10.1.2.3", True), ("172.16.0.1", True),
        ("172.31.255.254", True), ("192.168.1.10", True), ("169.254.10.20", True),
        ("::1", True), ("fe80::1", True), ("fd12:3456::1", True), ("fc00::5", True),
        ("::ffff:192.168.1.1", True),
        ("2001::1", False), ("2001:1ff::1", False), ("198.18.0.1", False), ("198.19.255.1", False),
        ("240.0.0.1", False), ("255.255.255.254", False), ("172.32.0.1", False),
        ("100.64.0.1", False), ("8.8.8.8", False), ("0.0.0.0", False), ("::", False),
        ("::ffff:8.8.8.8", False), ("2606:4700::1111", False),
    ],
)  # fmt: skip
def test_only_loopback_rfc1918_link_local_and_ula_are_local(monkeypatch, address, local):
    from skills.commands.actions import resolve_checked

    FakeDnsServer(monkeypatch, "device.home", address)
    assert (resolve_checked("device.home", 80, allow_remote=False) is not None) is local
    assert resolve_checked("device.home", 80, allow_remote=True) is not None


def _touch(*run: str, slots: dict | None = None) -> Command:
    return Command(
        name="make", sentences={"en": ["make {name}"]}, slots=slots or {"name": "wildcard"},
        run=run,
    )  # fmt: skip


@pytest.mark.parametrize("value", ["--help", "-h", "-", "--version", "-rf"])
def test_a_value_that_looks_like_an_option_is_not_given_to_the_program(tmp_path, value):
    outcome = run_program(_touch("touch", "{name}"), {"name": value}, 4, tmp_path, "en")
    assert not outcome.ok and outcome.problem == "not_started"
    assert outcome.output == ""  # `touch --help` never ran, so nothing it printed
    assert list(tmp_path.iterdir()) == []


def test_after_the_owners_double_dash_a_dash_value_is_a_file_name(tmp_path):
    outcome = run_program(_touch("touch", "--", "{name}"), {"name": "--help"}, 4, tmp_path, "en")
    assert outcome.ok
    assert [p.name for p in tmp_path.iterdir()] == ["--help"]


def test_a_negative_number_may_go_to_a_number_range_slot(tmp_path, recorder):
    script, out = recorder
    command = Command(name="tilt", sentences={"en": ["tilt {degrees}"]},
                      slots={"degrees": {"range": [-90, 90]}},
                      run=(sys.executable, str(script), "{degrees}"))  # fmt: skip
    assert run_program(command, {"degrees": "-45"}, 4, tmp_path, "en").ok
    assert json.loads(out.read_text())["argv"] == ["-45"]
    assert not run_program(command, {"degrees": "--help"}, 4, tmp_path, "en").ok


def test_a_spoken_option_gets_an_apology_not_done(tmp_path):
    target = tmp_path / "files"
    target.mkdir()
    config = {"skills": {"commands": {"commands": [{
        "name": "make", "sentences": {"en": ["make a file called {name}"]},
        "slots": {"name": "wildcard"}, "run": ["touch", "{name}"],
    }]}}}  # fmt: skip
    assistant = make_assistant(tmp_path / "data", **config)
    try:
        interaction, reply = assistant.ask("make a file called --help", record=False)
        assert interaction.slots == {"name": "--help"}
        assert reply.text == "Sorry, that command could not be started."
    finally:
        assistant.close()


def test_a_slot_can_never_be_the_program(tmp_path):
    with pytest.raises(ConfigError, match=r"run\[0\] is the program"):
        Command(name="x", sentences={"en": ["run {p}"]}, slots={"p": ["ls"]}, run=("{p}",))


def test_dry_run_describes_the_program_and_runs_nothing(tmp_path):
    command = _touch("touch", "--", str(tmp_path / "{name}"))
    outcome = run_program(command, {"name": "a b"}, 4, tmp_path, "en", dry_run=True)
    assert outcome.ok and outcome.output == f"would run: touch -- '{tmp_path}/a b'"
    assert list(tmp_path.iterdir()) == []


def test_dry_run_describes_the_request_and_sends_nothing(local_hook):
    from skills.commands.actions import send_request

    url = f"http://127.0.0.1:{local_hook.server_port}/api/lights"
    outcome = send_request(_http_command(url), {}, 3, False, "en", dry_run=True)
    assert outcome.ok and outcome.output == f"would request: POST {url}"
    assert _HostRecorder.seen == []


def test_skills_test_shows_what_would_run_and_runs_nothing(tmp_path, local_hook, capsys):
    from assistant.cli.main import main

    marker = tmp_path / "touched"
    url = f"http://127.0.0.1:{local_hook.server_port}/api/lights"
    config = tmp_path / "assistant.yaml"
    config.write_text(
        f"data_dir: {tmp_path / 'data'}\n"
        "skills:\n  commands:\n    commands:\n"
        f"      - {{name: mark, sentences: {{en: [mark it]}}, run: [touch, '{marker}']}}\n"
        f"      - {{name: lights, sentences: {{en: [lights on]}}, http: {{url: '{url}'}}}}\n"
    )
    assert main(["--config", str(config), "skills", "test", "mark it"]) == 0
    assert f"reply:   would run: touch {marker}" in capsys.readouterr().out
    assert main(["--config", str(config), "skills", "test", "lights on"]) == 0
    assert f"reply:   would request: POST {url}" in capsys.readouterr().out
    assert not marker.exists() and _HostRecorder.seen == []
    # `ask` is the real thing.
    assert main(["--config", str(config), "ask", "mark it"]) == 0
    assert marker.exists()
