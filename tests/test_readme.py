"""The README's walkthrough works as written: every `assistant` command it shows for
trying things out runs on a fresh data directory without an error."""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import REPO, run_cli, write_config

pytestmark = pytest.mark.slow  # starts a process per command

README = (REPO / "README.md").read_text(encoding="utf-8")
SAFE = ("ask", "skills", "config", "log")
"""Subcommands that need no microphone, model download or network."""


def shown_commands() -> list[str]:
    """`assistant ...` lines of the README's sh blocks, and its inline `assistant ...`."""
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    inline = re.findall(r"`(assistant [^`]+)`", README)
    commands = [c for c in lines + inline if c.startswith("assistant ")]
    return sorted({c for c in commands if _runnable(c)})


def _runnable(command: str) -> bool:
    """A command as typed, not a synopsis (`ask TEXT [--json]`, `list|show`)."""
    words = shlex.split(command)
    synopsis = any(mark in command for mark in ("|", "[", "...", " TEXT", " ID", " N"))
    complete = len(words) > (
        3 if words[1:3] == ["skills", "test"] else 2 if words[1] == "ask" else 1
    )
    return words[1] in SAFE and complete and not synopsis


def test_the_two_commands_are_there():
    setup = "scripts/dev-setup && .venv/bin/assistant models install en-us-small && "
    assert f"{setup}.venv/bin/assistant run" in README
    assert "\nscripts/test\n" in README
    assert (REPO / "scripts" / "test").is_file() and (REPO / "scripts" / "dev-setup").is_file()


def test_the_walkthrough_shows_enough_to_be_worth_running():
    commands = shown_commands()
    assert any(c.startswith("assistant ask") for c in commands)
    assert any(c.startswith("assistant skills test") for c in commands)
    assert 'assistant ask "지금 몇 시야"' in commands


@pytest.mark.parametrize("command", shown_commands())
def test_every_walkthrough_command_runs(command, tmp_path):
    arguments = shlex.split(command)[1:]
    korean = any(re.search("[가-힣]", a) for a in arguments)
    config = write_config(
        tmp_path / "assistant.yaml",
        f"language: {'ko' if korean else 'en'}\ndata_dir: {tmp_path / 'data'}\n",
    )
    result = run_cli("--config", str(config), *arguments)
    assert result.returncode == 0, f"{command}: {result.stderr}"
    assert "Traceback" not in result.stderr
