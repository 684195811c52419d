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
