"""The privacy promises, checked on the whole assistant rather than one module.

- A fresh install that handles 100 interactions keeps no audio and writes no transcript
  or reply to the process log.
- With a data directory it cannot write, the assistant still answers, says it cannot log,
  and logs again once it can.
- Hostile transcripts go through every skill without a shell and without a file outside
  the data directory.
"""

import logging
import os
import resource
import signal
import subprocess

import pytest
from conftest import run_cli, write_config

from assistant.app import build_assistant
from assistant.config import parse
from assistant.journal import Journal
from assistant.skillkit import Request

COMMANDS = [
    "what time is it",
    "what is twelve times seven",
    "how many grams in a pound",
    "set a pasta timer for ten minutes",
    "how much time is left",
    "cancel all timers",
    "what can you do",
    "marmalade sandwiches with the neighbours",  # not understood: logged as such
    "set volume to 5",
    "what's the date",
]

HOSTILE = [
    "; rm -rf ~",
    "$(reboot)",
    "`touch /tmp/pwned`",
    "../../etc/passwd",
    "../../../../tmp/escaped",
    "x" * 10_000,
    "\u202e\u0000\ufeff🙂 zalgo z̷̛a̶l̸g̵o\n\r\t",
]


def test_a_fresh_install_keeps_no_audio_and_logs_no_words(tmp_path, caplog):
    config = parse({"data_dir": str(tmp_path / "data")})  # every other key at its default
    caplog.set_level(logging.WARNING)  # the default process log level
    journal = Journal.open(config)
    assistant = build_assistant(config, journal=journal)
    try:
        for i in range(100):
            assistant.ask(COMMANDS[i % len(COMMANDS)])
    finally:
        assistant.close()
    with Journal.open(config) as reopened:
        assert len(reopened.last(200)) == 100
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in (".wav", ".raw", ".pcm")]
    logged = caplog.text.lower()
    for command in COMMANDS:
        assert command not in logged
    assert "pasta" not in logged and "sandwich" not in logged


def _limit_file_size():
    # Any write into a file beyond 0 bytes fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


@pytest.mark.slow  # three assistant processes
def test_an_unwritable_data_directory_does_not_stop_the_answers(tmp_path):
    config = write_config(tmp_path / "a.yaml", f"data_dir: {tmp_path / 'data'}\n")
    blocked = run_cli(
        "--config", str(config), "ask", "what is two plus two", preexec_fn=_limit_file_size
    )
    assert blocked.returncode == 0, blocked.stderr
    assert "4" in blocked.stdout or "four" in blocked.stdout
    assert "journal" in blocked.stderr.lower() and "Traceback" not in blocked.stderr
    assert "two plus two" not in blocked.stderr
    recovered = run_cli("--config", str(config), "ask", "what is three plus three")
    assert recovered.returncode == 0
    listed = run_cli("--config", str(config), "log", "list", "--json")
    assert "three plus three" in listed.stdout


@pytest.fixture
def spawn_watch(monkeypatch):
    """Records every process started and fails on any shell (os.system, shell=True)."""
    started = []
    real_popen_init = subprocess.Popen.__init__

    def watched_init(self, args, *a, **kw):
        assert not kw.get("shell"), f"a shell was spawned for {args!r}"
        started.append(args)
        return real_popen_init(self, args, *a, **kw)

    def no_system(command):
        raise AssertionError(f"os.system called with {command!r}")

    monkeypatch.setattr(subprocess.Popen, "__init__", watched_init)
    monkeypatch.setattr(os, "system", no_system)
    return started


@pytest.mark.parametrize("language", ["en", "ko"])
def test_hostile_text_goes_through_every_skill_as_data(tmp_path, spawn_watch, language):
    data = tmp_path / "data"
    config = parse({"language": language, "data_dir": str(data)})
    assistant = build_assistant(config, journal=Journal.open(config))
    outside_before = {p for p in tmp_path.parent.rglob("*") if data not in p.parents}
    try:
        for hostile in HOSTILE:
            assistant.ask(hostile)  # as a whole transcript
            for intent, skill_name in assistant.matcher.owner.items():
                # ... and as the value of every slot name the skills know, for every intent
                slots = {
                    name: hostile
                    for name in ("name", "room", "a", "b", "unit", "value", "hours", "minutes")
                }
                request = Request(intent, slots, hostile, language)
                skill = assistant.skills[skill_name]
                assistant.dispatcher.call_skill(skill_name, lambda s=skill, r=request: s.handle(r))
    finally:
        assistant.close()
    assert spawn_watch == []  # no skill started a program (no owner commands are configured)
    outside_after = {p for p in tmp_path.parent.rglob("*") if data not in p.parents}
    assert outside_after - outside_before == set()
    assert not os.path.exists("/tmp/pwned") and not os.path.exists("/tmp/escaped")
