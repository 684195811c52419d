"""SIGHUP with a configuration that cannot be built: the service keeps the assistant it
has, and the one it tried to build leaves nothing running behind it.

Each bad configuration here was seen to kill the service or leave a second assistant
running, whose timers went on firing and rewriting timers.json (a timer set afterwards
was then lost from the file). The service runs in this process on the test audio
server's microphone, so its threads and files can be looked at directly.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from conftest import write_config

from assistant.audio import MicrophoneSource, WavFileSink
from assistant.service import Service

pytestmark = [pytest.mark.audio, pytest.mark.slow]  # loads the Korean model

BROKEN_SKILL = """
from assistant.skillkit import Skill


class Broken(Skill):
    def start(self):
        raise TypeError("start() is broken")


SKILL = Broken
"""


class JumpClock:
    """The real clock plus an offset the test moves forward: a timer ends when the test
    says so, not after minutes of waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time()).astimezone()


def running_threads() -> Counter[str]:
    """Threads by name; PortAudio's callback threads (Python's 'Dummy-N') come and go
    with each reopened microphone and are no part of an assistant."""
    return Counter(t.name for t in threading.enumerate() if not t.name.startswith("Dummy-"))


def bad_configurations(tmp_path: Path, good: str) -> dict[str, str]:
    owner = tmp_path / "owner_skills"
    (owner / "fails_to_start").mkdir(parents=True)
    (owner / "fails_to_start" / "__init__.py").write_text(BROKEN_SKILL)
    (tmp_path / "a_file").write_text("not a directory")
    unparsable = (
        "skills:\n  commands:\n    commands:\n      - name: lights\n"
        '        sentences: {ko: ["불 켜 (줘"]}\n        run: ["/bin/true"]\n'
    )
    return {
        "TypeError": good + f"skills:\n  directories: [{owner}]\n",
        "ParseError": good + unparsable,
        "FileExistsError": good.replace(str(tmp_path / "data"), str(tmp_path / "a_file")),
        # Past 64 bits: once an OverflowError deep in SQLite, now refused by the check of
        # the configuration itself, which names the key.
        "journal.max_interactions": good + "journal:\n  max_interactions: 100000000000000000000\n",
    }


def wait_until(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def messages(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


def timers_saved(data: Path) -> list[str | None]:
    path = data / "skills" / "timers" / "timers.json"
    return [item["name"] for item in json.loads(path.read_text())["items"]]


def test_rejected_reloads_keep_the_old_assistant_and_leave_nothing_running(
    pulse_server, tmp_path, caplog
):
    caplog.set_level(logging.INFO)
    data = tmp_path / "data"
    good = f"language: ko\ndata_dir: {data}\naudio:\n  earcon: false\n"
    config = write_config(tmp_path / "assistant.yaml", good)
    clock = JumpClock()
    service = Service(
        str(config),
        lambda c: (MicrophoneSource(c.audio.input_device), WavFileSink(tmp_path / "out.wav")),
        clock=clock,
    )
    serving = threading.Thread(target=service.serve, name="test-serve", daemon=True)
    serving.start()
    opened = lambda: len(messages(caplog, "microphone (system default) open"))  # noqa: E731
    try:
        wait_until(lambda: opened() == 1, "the microphone")
        original = service.assistant
        original.ask("타이머 이 분 맞춰 줘")  # a timer the rejected assistants must not touch
        before = running_threads()

        for count, (kind, text) in enumerate(bad_configurations(tmp_path, good).items(), 1):
            write_config(config, text)
            service.request_reload()
            wait_until(
                lambda c=count: len(messages(caplog, "new configuration rejected")) == c, kind
            )
            wait_until(lambda c=count: opened() == c + 1, f"listening again after {kind}")
            assert service.assistant is original, kind
            assert running_threads() == before, kind
            assert serving.is_alive(), kind
            rejection = messages(caplog, "new configuration rejected")[-1]
            assert kind in rejection or kind == "FileExistsError" and "a_file" in rejection
            assert "\n" not in rejection

        service.assistant.ask("파스타 타이머 십 분 맞춰 줘")
        assert sorted(timers_saved(data), key=str) == [None, "파스타"]
        clock.offset += 150  # the two-minute timer ends (the scheduler polls every second)
        wait_until(lambda: timers_saved(data) == ["파스타"], "the two-minute timer to ring")
        time.sleep(1.5)  # a second assistant's scheduler would now rewrite the file too
        assert timers_saved(data) == ["파스타"]

        write_config(config, good.replace("earcon: false", "earcon: true"))
        service.request_reload()
        wait_until(lambda: messages(caplog, "configuration reloaded"), "the valid reload")
        assert service.assistant is not original
        # reused, not loaded again: the model the listener decodes with (the grammar variant)
        assert service.assistant.audio.listener.model is original.audio.listener.model
        wait_until(lambda: running_threads() == before, "the old assistant's threads to end")
    finally:
        service.stop()
        serving.join(timeout=15)
    assert not serving.is_alive()
    assert "scheduler" not in running_threads()
