"""The control socket: a typed command reaches the running assistant, and only it."""

from __future__ import annotations

import json
import os
import socket
import stat

import pytest

from assistant.control import (
    MAX_LINE_BYTES,
    ControlError,
    ControlServer,
    NotRunning,
    ask_running,
    is_running,
    parse_request,
    socket_path,
)
from tests.test_skills_support import make_assistant


@pytest.fixture
def running(tmp_path):
    """A real assistant (text stack) serving its control socket."""
    from assistant.config import parse
    from assistant.journal import Journal

    data = tmp_path / "data"
    journal = Journal.open(parse({"data_dir": str(data)}))
    assistant = make_assistant(data, journal=journal)

    def handle(text, record, speak, answer):
        interaction, _reply = assistant.ask(text, record=record, answer=answer)
        return interaction.to_json_dict()

    server = ControlServer(assistant.config.data_path, handle)
    yield assistant, server
    server.close()
    assistant.close()
    journal.close()


def _raw_exchange(path, payload: bytes) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(path))
        sock.sendall(payload)
        return json.loads(sock.makefile("rb").readline())


def test_a_typed_command_reaches_the_running_assistant(running):
    assistant, server = running
    result = ask_running(
        assistant.config.data_path, "set a timer for ten minutes", answer=lambda q: ""
    )
    assert result["intent"] == "TimerStart"
    assert result["outcome"] == "handled"
    # The timer lives in the running assistant, not in a throwaway copy.
    listed = ask_running(assistant.config.data_path, "how much time is left", answer=lambda q: "")
    assert "minute" in listed["reply"]


def test_a_question_is_asked_back_and_answered(running):
    assistant, _server = running
    ask_running(assistant.config.data_path, "what time is it", answer=lambda q: "")
    asked: list[str] = []

    def answer(question: str) -> str:
        asked.append(question)
        return "no"

    result = ask_running(assistant.config.data_path, "delete all my history", answer=answer)
    assert asked == ["Do you want me to delete your whole history? Say yes or no."]
    assert result["outcome"] == "handled"
    # "no" kept the history: the time question asked first is still there.
    assert "what time is it" in [e.transcript for e in assistant.recorder.journal.last(5)]


def test_socket_is_private(running):
    assistant, server = running
    mode = os.stat(server.path).st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(os.stat(assistant.config.data_path).st_mode) == 0o700


def test_garbage_is_refused_and_the_server_goes_on(running):
    assistant, server = running
    hostile = (
        b"\xff\xfe\n",
        b"[1,2]\n",
        b'{"op": "rm -rf"}\n',
        b'{"op":"ask","text":""}\n',
        b"[" * 60000 + b"\n",  # nested past the parser's recursion limit
        b'{"op":"ask","text":"\\ud800 what time is it"}\n',  # a lone surrogate
    )
    for payload in hostile:
        reply = _raw_exchange(server.path, payload)
        assert reply["error"].startswith("bad request")
    oversized = b'{"op":"ask","text":"' + b"a" * MAX_LINE_BYTES + b'"}\n'
    assert "too long" in _raw_exchange(server.path, oversized)["error"]
    result = ask_running(assistant.config.data_path, "what time is it", answer=lambda q: "")
    assert result["outcome"] == "handled"


def test_no_assistant_running(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    assert not is_running(data)
    with pytest.raises(NotRunning):
        ask_running(data, "what time is it", answer=lambda q: "")


def test_a_stale_socket_is_taken_over_and_a_live_one_is_not(tmp_path, running):
    assistant, server = running
    with pytest.raises(ControlError, match="already running"):
        ControlServer(assistant.config.data_path, lambda *a: {})
    stale_dir = tmp_path / "stale"
    stale_dir.mkdir(mode=0o700)
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(socket_path(stale_dir)))
    leftover.close()  # bound but never listening: what a crashed process leaves behind
    replacement = ControlServer(stale_dir, lambda text, record, speak, answer: {"reply": text})
    try:
        assert ask_running(stale_dir, "hello", answer=lambda q: "")["reply"] == "hello"
    finally:
        replacement.close()
    assert not socket_path(stale_dir).exists()


@pytest.mark.parametrize(
    "line, reason",
    [
        (b"not json\n", "JSON"),
        (b'{"op": "ask", "text": 5}\n', "text"),
        (b'{"op": "ask", "text": "hi", "record": "yes"}\n', "record"),
        (b'{"op": "ask", "text": "hi", "speak": 1}\n', "speak"),
    ],
)
def test_parse_request_reasons(line, reason):
    with pytest.raises(ValueError, match=reason):
        parse_request(line)


def test_a_question_nobody_answers_ends_the_turn_and_keeps_everything(running, monkeypatch):
    import assistant.control as control

    monkeypatch.setattr(control, "ANSWER_TIMEOUT_SECONDS", 0.5)
    assistant, server = running
    ask_running(assistant.config.data_path, "what time is it", answer=lambda q: "")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(server.path))
        sock.sendall(b'{"op": "ask", "text": "delete all my history"}\n')
        replies = sock.makefile("rb")
        assert "question" in json.loads(replies.readline())
        # ...and never answers: the turn ends as if nobody spoke, and frees the assistant.
        result = json.loads(replies.readline())["result"]
    assert result["reply"].endswith("Okay, I kept the history.")
    assert "what time is it" in [e.transcript for e in assistant.recorder.journal.last(5)]
