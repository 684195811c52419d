"""Faults the running service survives, injected into a real audio server.

Each test runs `assistant run` on PulseAudio null sinks (play into `mic`, record
`spk.monitor`) and breaks something mid-stream: the audio server goes away and comes
back, the microphone's device is removed and added again, the speaker's server dies,
the configuration is replaced by a broken one. Afterwards a spoken command must still
be answered, without a restart, and the fault must be in the process log once, not
once per retry. Tests that kill a server use a private one, so the session's shared
server (and whoever uses it) is not disturbed.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, rms, write_config, write_wav
from running import Running, record_speaker

pytestmark = [pytest.mark.audio, pytest.mark.slow]

MIC_OPEN = "INFO assistant.audio: microphone (system default) open"
MIC_LOST = "WARNING assistant.service: "  # followed by the device error and "; retrying"
MIC_BACK = "microphone is back; listening again"
RETRY = "microphone still unavailable; next attempt"


class PrivatePulse:
    """A PulseAudio server of one test (tests/audio_server.sh), which it may stop and
    start again at the same address, as a restarted sound server would be."""

    def __init__(self) -> None:
        # Short: a Unix socket path must fit in 108 bytes, pytest's tmp_path may not.
        self.runtime = Path(tempfile.mkdtemp(prefix="pa-", dir="/tmp"))
        self.address = ""
        self.start()

    @property
    def env(self) -> dict[str, str]:
        return {"PULSE_SERVER": self.address}

    def start(self) -> None:
        out = subprocess.run(
            ["bash", str(REPO / "tests" / "audio_server.sh"), str(self.runtime)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        self.address = out.strip().splitlines()[-1].split("=", 1)[1]

    def stop(self) -> None:
        self.pactl("exit", check=False)
        socket = Path(self.address.removeprefix("unix:"))
        deadline = time.monotonic() + 10
        while socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def pactl(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            ["pactl", *args], capture_output=True, text=True, check=check,
            env={**os.environ, **self.env}, timeout=20,
        )  # fmt: skip
        return result.stdout

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.runtime, ignore_errors=True)


@pytest.fixture
def private_pulse():
    server = PrivatePulse()
    yield server
    server.close()


@pytest.fixture
def running():
    started: list[Running] = []

    def start(config: Path, env: dict[str, str], log_level: str = "info") -> Running:
        assistant = Running(config, env, log_level)
        started.append(assistant)
        return assistant

    yield start
    for assistant in started:
        assistant.kill()


def play(server_env: dict[str, str], clip: Path, device: str = "mic") -> None:
    subprocess.run(
        ["paplay", f"--device={device}", str(clip)], check=True, timeout=60,
        env={**os.environ, **server_env},
    )  # fmt: skip


def is_clock_answer(interaction: dict) -> bool:
    return (interaction["intent"], interaction["outcome"]) == ("ClockTime", "handled")


def microphone_faults(stderr: list[str]) -> list[str]:
    """The service's warnings about the microphone, in order: each fault, then its recovery."""
    return [
        "lost" if line.endswith("; retrying") else "back"
        for line in stderr
        if line.startswith(MIC_LOST) and (line.endswith("; retrying") or line.endswith(MIC_BACK))
    ]


def heard_level(recording: Path) -> float:
    """RMS of what the speaker's recorder has written so far (0 before it starts)."""
    data = recording.read_bytes() if recording.exists() else b""
    return rms(np.frombuffer(data[: len(data) // 2 * 2], np.int16))


def journal_count(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "journal.db") as conn:
        return conn.execute("SELECT count(*) FROM interactions").fetchone()[0]


def assert_stopped_cleanly(assistant: Running, data_dir: Path) -> None:
    code, seconds = assistant.stop()
    assert code == 0, "\n".join(assistant.stderr)
    assert seconds < 3, f"SIGTERM took {seconds:.1f} s"
    # A journal closed cleanly leaves no write-ahead log behind: the last connection
    # to close checkpoints it into the database and removes it.
    assert not (data_dir / "journal.db-wal").exists()
    assert "Traceback" not in "\n".join(assistant.stderr)


def test_microphone_comes_back_after_the_audio_server_restarts(
    private_pulse, running, ko_config, command_clip, tmp_path
):
    clip = write_wav(tmp_path / "command.wav", command_clip("지금 몇 시야"))
    assistant = running(ko_config, private_pulse.env, log_level="debug")
    assistant.wait_for_log(MIC_OPEN)

    private_pulse.stop()
    assistant.wait_for(lambda: microphone_faults(assistant.stderr) == ["lost"], "the fault", 15)
    # The server stays away long enough for several attempts (0.5, 1, 2 s apart).
    assistant.wait_for_log(RETRY, count=2, timeout=15)
    private_pulse.start()
    assistant.wait_for_log(MIC_BACK, timeout=30)

    play(private_pulse.env, clip)
    [interaction] = assistant.wait_for_answers(1)
    assert is_clock_answer(interaction), interaction["transcript"]
    assert_stopped_cleanly(assistant, tmp_path / "data")
    # Logged once as a warning, however many attempts it took.
    assert microphone_faults(assistant.stderr) == ["lost", "back"]
    assert assistant.log_count(RETRY) >= 2
    assert journal_count(tmp_path / "data") == 1


def test_microphone_comes_back_after_its_device_is_removed(
    private_pulse, running, ko_config, command_clip, tmp_path
):
    """The USB microphone case: its device vanishes from the sound server and returns."""
    clip = write_wav(tmp_path / "command.wav", command_clip("지금 몇 시야"))
    assistant = running(ko_config, private_pulse.env)
    assistant.wait_for_log(MIC_OPEN)

    [module] = [
        line.split("\t")[0]
        for line in private_pulse.pactl("list", "short", "modules").splitlines()
        if "sink_name=mic" in line
    ]
    private_pulse.pactl("unload-module", module)
    time.sleep(1)
    private_pulse.pactl(
        "load-module", "module-null-sink", "sink_name=mic", "rate=16000", "channels=1"
    )
    private_pulse.pactl("set-default-source", "mic.monitor")
    # The server moves the stream back to the new device; a stream that stalls in the
    # move is noticed after MicrophoneSource.STALL_SECONDS and reopened. Let that settle.
    time.sleep(3.5)
    assistant.wait_for(
        lambda: microphone_faults(assistant.stderr)[-1:] != ["lost"], "the microphone", 30
    )

    play(private_pulse.env, clip)
    [interaction] = assistant.wait_for_answers(1)
    assert is_clock_answer(interaction), interaction["transcript"]
    assert_stopped_cleanly(assistant, tmp_path / "data")
    # However the server handled the move, each fault is one line, then its recovery.
    faults = microphone_faults(assistant.stderr)
    assert faults == ["lost", "back"] * (len(faults) // 2)


def test_sighup_rejects_a_broken_configuration_and_applies_a_valid_one(
    pulse_server, running, ko_config, command_clip, tmp_path
):
    clip = write_wav(tmp_path / "command.wav", command_clip("지금 몇 시야"))
    env = {"PULSE_SERVER": pulse_server}
    assistant = running(ko_config, env)
    assistant.wait_for_log(MIC_OPEN)
    good = ko_config.read_text()

    write_config(ko_config, good + "listen:\n  max_command_seconds: [8\n")  # broken YAML
    assistant.process.send_signal(signal.SIGHUP)
    assistant.wait_for_log("new configuration rejected, keeping the old one")
    assistant.wait_for_log(MIC_OPEN, count=2)
    play(env, clip)
    [first] = assistant.wait_for_answers(1)
    assert is_clock_answer(first), first["transcript"]

    # A valid change: the journal moves to another data directory.
    write_config(ko_config, good.replace(str(tmp_path / "data"), str(tmp_path / "data2")))
    assistant.process.send_signal(signal.SIGHUP)
    assistant.wait_for_log("configuration reloaded")
    assistant.wait_for_log(MIC_OPEN, count=3)
    play(env, clip)
    second = assistant.wait_for_answers(2)[1]
    assert is_clock_answer(second), second["transcript"]

    assert_stopped_cleanly(assistant, tmp_path / "data2")
    assert assistant.log_count("new configuration rejected") == 1
    rejection = next(line for line in assistant.stderr if "rejected" in line)
    assert "not valid YAML" in rejection and str(ko_config) in rejection
    assert journal_count(tmp_path / "data") == 1
    assert journal_count(tmp_path / "data2") == 1


def test_replies_are_dropped_while_the_speaker_fails_and_play_again_when_it_returns(
    pulse_server, private_pulse, running, command_clip, tmp_path
):
    """The microphone is on the session's sound server, the speaker on a second one
    (as a speaker on its own sound server would be); the second one dies and returns."""
    alsa = tmp_path / "xdg" / "alsa"
    alsa.mkdir(parents=True)
    server = private_pulse.address.removeprefix("unix:")
    (alsa / "asoundrc").write_text(
        f'pcm.speaker {{\n  type pulse\n  server "unix:{server}"\n  device "spk"\n}}\n'
        f'ctl.speaker {{\n  type pulse\n  server "unix:{server}"\n}}\n'
    )
    config = write_config(
        tmp_path / "assistant.yaml",
        f"language: ko\ndata_dir: {tmp_path / 'data'}\n"
        "audio:\n  output_device: speaker\n  earcon: true\n",
    )
    two_commands = write_wav(tmp_path / "two.wav", command_clip("지금 몇 시야", "지금 몇 시야"))
    one_command = write_wav(tmp_path / "one.wav", command_clip("지금 몇 시야"))
    env = {"PULSE_SERVER": pulse_server, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assistant = running(config, env)
    assistant.wait_for_log(MIC_OPEN)

    private_pulse.stop()
    play(env, two_commands)
    answers = assistant.wait_for_answers(2)
    assert all(is_clock_answer(a) for a in answers), [a["transcript"] for a in answers]
    # Two earcons and two replies dropped: one warning (the rest at info level).
    assert assistant.log_count("WARNING assistant.service: reply dropped") == 1
    assert assistant.log_count("the output device is still failing") >= 3

    private_pulse.start()
    recording = tmp_path / "speaker.raw"
    recorder = record_speaker(recording, private_pulse.env)
    try:
        play(env, one_command)
        third = assistant.wait_for_answers(3)[2]
        assistant.wait_for_log("the output device works again", timeout=10)
        assistant.wait_for(lambda: heard_level(recording) > 100, "the reply on the speaker", 15)
    finally:
        recorder.terminate()
        recorder.wait()
    assert is_clock_answer(third), third["transcript"]
    assert heard_level(recording) > 100, "the speaker stayed silent"
    assert_stopped_cleanly(assistant, tmp_path / "data")
    assert assistant.log_count("WARNING assistant.service: reply dropped") == 1
