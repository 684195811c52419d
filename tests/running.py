"""`assistant run` as a background process, and the speaker's monitor as a recording:
what the audio tests drive and listen to."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from conftest import ASSISTANT, REPO


class Running:
    """`assistant run --json` in the background; stdout and stderr collected by line."""

    def __init__(
        self, config: Path, env: dict[str, str], log_level: str = "info", json: bool = True
    ) -> None:
        options = ["--json"] if json else []
        self.process = subprocess.Popen(
            [*ASSISTANT, "--log-level", log_level, "--config", str(config), "run", *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **env}, cwd=REPO,
        )  # fmt: skip
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, lines in (self.process.stdout, self.stdout), (self.process.stderr, self.stderr):
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True).start()

    @staticmethod
    def _collect(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def log_count(self, text: str) -> int:
        return sum(text in line for line in self.stderr)

    def wait_for(self, predicate, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; stderr:\n" + "\n".join(self.stderr))

    def wait_for_log(self, text: str, count: int = 1, timeout: float = 60) -> None:
        self.wait_for(lambda: self.log_count(text) >= count, repr(text), timeout)

    def wait_for_answers(self, count: int, timeout: float = 40) -> list[dict]:
        self.wait_for(lambda: len(self.stdout) >= count, f"{count} answer(s)", timeout)
        return [json.loads(line) for line in self.stdout]

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout=15)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def record_speaker(path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Record what the assistant plays (the `spk` sink's monitor) as raw 16 kHz int16."""
    return subprocess.Popen(
        ["parec", "--device=spk.monitor", "--format=s16le", "--rate=16000", "--channels=1",
         "--raw", str(path)],
        env={**os.environ, **(env or {})},
    )  # fmt: skip
