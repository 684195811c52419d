"""The whole chain through the microphone path: PulseAudio null sinks as microphone and speaker.

The test plays a recording into the `mic` sink (the assistant's default source is its
monitor), `assistant run` captures it through sounddevice, and what it says is recorded
from the `spk` sink's monitor.
"""

import json
import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest
from conftest import ASSISTANT, REPO, rms, write_wav

pytestmark = pytest.mark.audio


class Running:
    """`assistant run` in the background, its stdout and stderr collected line by line."""

    def __init__(self, *args: str, env: dict) -> None:
        self.process = subprocess.Popen(
            [*ASSISTANT, "--log-level", "info", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
            cwd=REPO,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, lines in (
            (self.process.stdout, self.stdout),
            (self.process.stderr, self.stderr),
        ):
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True).start()

    @staticmethod
    def _collect(stream, lines):
        for line in stream:
            lines.append(line)

    def wait_for(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; stderr:\n{''.join(self.stderr)}")

    def stop(self, sig=signal.SIGTERM) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout=10)
        return code, time.monotonic() - started


def start_recording_speaker(path):
    return subprocess.Popen(
        [
            "parec",
            "--device=spk.monitor",
            "--format=s16le",
            "--rate=16000",
            "--channels=1",
            "--raw",
            str(path),
        ]
    )


def play_into_microphone(path):
    subprocess.run(["paplay", "--device=mic", str(path)], check=True, timeout=60)


def test_spoken_command_is_answered_on_the_speaker(pulse_server, tmp_path, ko_config, command_clip):
    clip = write_wav(tmp_path / "command.wav", command_clip("지금 몇 시야"))
    recording = tmp_path / "speaker.raw"
    recorder = start_recording_speaker(recording)
    assistant = Running(
        "--config", str(ko_config), "run", "--json", env={"PULSE_SERVER": pulse_server}
    )
    try:
        assistant.wait_for(
            lambda: any("microphone" in line and "open" in line for line in assistant.stderr),
            60,
            "the microphone",
        )
        play_into_microphone(clip)
        assistant.wait_for(lambda: assistant.stdout, 30, "an interaction")
        time.sleep(4)  # let the reply play out
    finally:
        recorder.terminate()
        recorder.wait()
        code, seconds = assistant.stop()
    [interaction] = [json.loads(line) for line in assistant.stdout]
    assert (interaction["intent"], interaction["outcome"]) == ("ClockTime", "handled"), interaction[
        "transcript"
    ]
    heard = np.frombuffer(recording.read_bytes(), np.int16)
    assert rms(heard) > 100, "the speaker stayed silent"
    assert code == 0 and seconds < 3
    assert "Traceback" not in "".join(assistant.stderr)
    # Privacy: what was said and answered never reaches the process log.
    assert "지금" not in "".join(assistant.stderr)


def test_sigint_stops_cleanly_while_listening(pulse_server, ko_config):
    assistant = Running("--config", str(ko_config), "run", env={"PULSE_SERVER": pulse_server})
    assistant.wait_for(
        lambda: any("microphone" in line and "open" in line for line in assistant.stderr),
        60,
        "the microphone",
    )
    code, seconds = assistant.stop(signal.SIGINT)
    assert code == 0 and seconds < 3
