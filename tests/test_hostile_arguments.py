"""Every subcommand, every hostile argument: an answer or one clear error, never a
traceback, and the journal keeps what it held.

The commands are enumerated from the argparse parser itself, so a new command is
covered without touching this file. The hostile values are in hostile_arguments.json
(bytes that are not UTF-8, NaN, 20-digit and negative numbers, dates at the ends of
the calendar, `--` and `-h` inside text, very long strings, path traversal, empty
strings, odd Unicode). Each value goes, one at a time, into each positional argument
and each option that takes a value, with the other arguments set to something
ordinary.

Each case is a process of its own: a fork of this process (which has already
imported the assistant, so hundreds of cases fit in seconds) that runs the command
line's `main()` exactly as `python -m assistant` would, with stdin, stdout and stderr
on files and an uncaught exception printed as the interpreter prints it. Fork
children run two at a time, each under a time limit. A separate test runs a few of
the cases through the real `python -m assistant` entry point.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import run_cli, write_config

from assistant.cli.main import build_parser, main

pytestmark = pytest.mark.slow

CORPUS_FILE = Path(__file__).with_name("hostile_arguments.json")
PARALLEL = 2
CASE_TIME_LIMIT_SECONDS = 60.0
MAX_STDERR_LINES = 4
"""One error line, plus at most a logged warning or two from the stage that failed."""
SEEDED_QUESTIONS = ("what time is it", "what can you do", "what time is it")

ORDINARY = {
    "text": "what time is it",
    "name": "hostile-test-model",  # not in the catalogue: nothing can be downloaded
    "id": "1",
    "duration": "1h",
}
"""Values for the arguments that are not the one under test, by argparse `dest`."""

ORDINARY_OPTIONS = {("run",): ["--input", "no-such-recording.wav"]}
"""Options a command always gets: `run` without --input would listen forever."""

SERVES_UNTIL_STOPPED = {("web", "--port", "zero")}
"""Rows whose value is a valid choice that starts a server (`web --port 0`: any free
port), which then serves until stopped, as it should: nothing to wait for here."""


def load_corpus() -> list[tuple[str, str]]:
    """(name, value) pairs; bytes that are not UTF-8 arrive as Python passes them from
    the command line (lone surrogates, os.fsdecode)."""
    values = []
    for entry in json.loads(CORPUS_FILE.read_text(encoding="utf-8")):
        if "hex" in entry:
            value = os.fsdecode(bytes.fromhex(entry["hex"]))
        elif "repeat" in entry:
            piece, times = entry["repeat"]
            value = piece * times
        else:
            value = entry["text"]
        values.append((entry["name"], value))
    return values


def leaf_commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command that runs something, as (words, parser): `("log", "list")`, ..."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += leaf_commands(sub, (*path, name))
    if not found and path:
        found.append((path, parser))
    return found


def takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0 and not isinstance(
        action, argparse._HelpAction | argparse._VersionAction | argparse._SubParsersAction
    )


def slots(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The arguments a hostile value can go into: positionals, then options with a value."""
    actions = [a for a in parser._actions if takes_value(a)]
    return [a for a in actions if not a.option_strings] + [a for a in actions if a.option_strings]


@dataclass(frozen=True)
class Case:
    command: tuple[str, ...]
    slot: str
    """The argument the hostile value went into ("TEXT", "--limit", "extra")."""
    value_name: str
    argv: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return (" ".join(self.command), self.slot, self.value_name)

    @property
    def id(self) -> str:
        return "-".join((*self.command, self.slot.lstrip("-"), self.value_name))


def ordinary_positionals(parser: argparse.ArgumentParser, skip: argparse.Action | None) -> list:
    words = []
    for action in slots(parser):
        if action.option_strings or action is skip or action.nargs in ("*", "?"):
            continue
        words.append(ORDINARY.get(action.dest, "x"))
    return words


def build_cases(config_file: Path) -> list[Case]:
    cases = []
    for command, parser in leaf_commands(build_parser()):
        base = ["--config", str(config_file), *command, *ORDINARY_OPTIONS.get(command, [])]
        targets = slots(parser)
        for value_name, value in load_corpus():
            if not targets:  # a command without values still meets the hostile word
                cases.append(Case(command, "extra", value_name, (*base, value)))
            for action in targets:
                positionals = ordinary_positionals(parser, skip=action)
                if action.option_strings:
                    option = max(action.option_strings, key=len)
                    argv = (*base, *positionals, option, value)
                    slot = option
                else:
                    index = [a for a in slots(parser) if not a.option_strings].index(action)
                    positionals.insert(index, value)
                    # `--` first: a value like "-h" is the argument, not an option
                    separator = ["--"] if value.startswith("-") else []
                    argv = (*base, *separator, *positionals)
                    slot = action.metavar or action.dest.upper()
                case = Case(command, slot, value_name, argv)
                if case.key not in SERVES_UNTIL_STOPPED:
                    cases.append(case)
    return cases


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    seconds: float


def _child(argv: tuple[str, ...], workdir: Path, out: Path, err: Path) -> None:
    """Run the command line in this forked process as the interpreter would; never returns."""
    code = 1
    try:
        os.chdir(workdir)
        for fd, path, flags in (
            (0, os.devnull, os.O_RDONLY),
            (1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            (2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        ):
            opened = os.open(path, flags, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        import logging

        logging.root.handlers.clear()  # as in a fresh interpreter: main() sets them up
        try:
            code = main(list(argv))
        except SystemExit as e:
            if isinstance(e.code, str):
                print(e.code, file=sys.stderr)
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code if isinstance(code, int) and 0 <= code < 256 else 1)


def run_all(cases: list[Case], workdir: Path, outputs: Path) -> dict[tuple, Result]:
    """Each case in a forked process, PARALLEL at a time, each under the time limit."""
    results: dict[tuple, Result] = {}
    waiting = list(enumerate(cases))
    running: dict[int, tuple[int, Case, float]] = {}
    while waiting or running:
        while waiting and len(running) < PARALLEL:
            index, case = waiting.pop(0)
            out, err = outputs / f"{index}.out", outputs / f"{index}.err"
            pid = os.fork()
            if pid == 0:
                _child(case.argv, workdir, out, err)
            running[pid] = (index, case, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for child, (_, _, started) in list(running.items()):
                if time.monotonic() - started > CASE_TIME_LIMIT_SECONDS:
                    os.kill(child, signal.SIGKILL)
            time.sleep(0.005)
            continue
        if pid not in running:
            continue  # a process some command started and left to us
        index, case, started = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        read = lambda p: p.read_text(encoding="utf-8", errors="replace")  # noqa: E731
        results[case.key] = Result(
            code,
            read(outputs / f"{index}.out"),
            read(outputs / f"{index}.err") + ("\n[killed: no answer in time]" if code < 0 else ""),
            time.monotonic() - started,
        )
    return results


def journal_rows(data_dir: Path) -> set[tuple]:
    [database] = data_dir.rglob("journal.db")
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return set(db.execute("SELECT id, transcript, reply FROM interactions"))


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """Seed a journal, run every case against it, and return the results and the rows."""
    root = tmp_path_factory.mktemp("hostile")
    config_file = write_config(
        root / "assistant.yaml",
        f"language: en\ndata_dir: {root / 'data'}\naudio:\n  earcon: false\n",
    )
    for question in SEEDED_QUESTIONS:
        assert main(["--config", str(config_file), "ask", question]) == 0
    before = journal_rows(root / "data")
    assert len(before) == len(SEEDED_QUESTIONS)
    # Deep enough that "../../../../etc/passwd" stays inside the temporary folder.
    workdir = root / "w" / "o" / "r" / "k" / "dir"
    workdir.mkdir(parents=True)
    outputs = root / "outputs"
    outputs.mkdir()
    passwd_before = Path("/etc/passwd").read_bytes()
    cases = build_cases(config_file)
    # One parser for every case: building it is a third of a case's time, and parsing
    # leaves it as it was.
    parser = build_parser()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("assistant.cli.main.build_parser", lambda: parser)
        results = run_all(cases, workdir, outputs)
    assert Path("/etc/passwd").read_bytes() == passwd_before  # traversal wrote nowhere real
    return cases, results, before, journal_rows(root / "data"), root


def _case_params() -> list:
    """The case table, known before the run: its rows are the test's parameters."""
    params = []
    for case in build_cases(Path("assistant.yaml")):
        params.append(pytest.param(case.key, id=case.id))
    return params


@pytest.mark.parametrize("key", _case_params())
def test_hostile_argument(hostile_run, key):
    _, results, _, _, _ = hostile_run
    result = results[key]
    assert result.code >= 0, f"{key}: killed\n{result.stderr}"
    assert "Traceback" not in result.stderr, f"{key}:\n{result.stderr}"
    # One tidy line is not enough: an exception nobody expected is still a crash.
    assert "--debug for details" not in result.stderr, f"{key}: {result.stderr}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) <= MAX_STDERR_LINES, f"{key}: {len(lines)} lines:\n{result.stderr[:3000]}"
    if result.code != 0:  # a refusal says why; "not understood" answers on stdout
        assert lines or result.stdout.strip(), f"{key}: exit {result.code} without a word"


def test_every_command_met_every_hostile_value(hostile_run):
    cases, results, _, _, _ = hostile_run
    commands = {case.command for case in cases}
    assert {("ask",), ("run",), ("config", "check"), ("log", "delete")} <= commands
    assert len(commands) == len(leaf_commands(build_parser()))
    names = {name for name, _ in load_corpus()}
    for command in commands:
        assert {c.value_name for c in cases if c.command == command} == names, command
    assert set(results) == {case.key for case in cases}


def test_the_journal_keeps_what_it_held(hostile_run):
    _, _, before, after, _ = hostile_run
    assert before <= after, f"lost: {sorted(before - after)}"


def test_nothing_escaped_the_working_folder(hostile_run):
    *_, root = hostile_run
    assert not list(root.rglob("pwned*"))  # the shell-looking value ran no shell
    assert not Path("/etc/passwd.wav").exists() and not Path("/pwned").exists()


@pytest.mark.parametrize(
    "raw",
    [b"caf\xe9", b"\xff\xfe", b"what time is it \x80"],
    ids=["latin1", "invalid", "continuation"],
)
@pytest.mark.parametrize("command", [["ask"], ["skills", "test"], ["log", "search"]])
def test_real_entry_point_refuses_bytes_that_are_not_utf8(tmp_path, command, raw):
    config = write_config(tmp_path / "a.yaml", f"data_dir: {tmp_path / 'data'}\n")
    result = run_cli("--config", str(config), *command, os.fsdecode(raw))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert "is not valid UTF-8" in line
    assert not (tmp_path / "data").exists() or not list((tmp_path / "data").rglob("journal.db"))
