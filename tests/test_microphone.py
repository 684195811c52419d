"""The whole chain through the microphone path: PulseAudio null sinks as microphone and speaker.

The test plays a recording into the `mic` sink (the assistant's default source is its
monitor), `assistant run` captures it through sounddevice, and what it says is recorded
from the `spk` sink's monitor.
"""

import signal
import subprocess
import time

import numpy as np
import pytest
from conftest import rms, write_wav
from running import Running, record_speaker

pytestmark = [pytest.mark.audio, pytest.mark.slow]

MICROPHONE_OPEN = "microphone (system default) open"


def play_into_microphone(path):
    subprocess.run(["paplay", "--device=mic", str(path)], check=True, timeout=60)


def test_spoken_command_is_answered_on_the_speaker(pulse_server, tmp_path, ko_config, command_clip):
    clip = write_wav(tmp_path / "command.wav", command_clip("지금 몇 시야"))
    recording = tmp_path / "speaker.raw"
    recorder = record_speaker(recording)
    assistant = Running(ko_config, {"PULSE_SERVER": pulse_server})
    try:
        assistant.wait_for_log(MICROPHONE_OPEN)
        play_into_microphone(clip)
        [interaction] = assistant.wait_for_answers(1, timeout=30)
        time.sleep(4)  # let the reply play out
    finally:
        recorder.terminate()
        recorder.wait()
        code, seconds = assistant.stop()
    assert (interaction["intent"], interaction["outcome"]) == ("ClockTime", "handled"), interaction[
        "transcript"
    ]
    heard = np.frombuffer(recording.read_bytes(), np.int16)
    assert rms(heard) > 100, "the speaker stayed silent"
    assert code == 0 and seconds < 3
    stderr = "\n".join(assistant.stderr)
    assert "Traceback" not in stderr
    # Privacy: what was said and answered never reaches the process log.
    assert "지금" not in stderr


def test_as_a_service_nothing_said_or_answered_reaches_standard_output(
    pulse_server, tmp_path, ko_config, command_clip
):
    """Under systemd, standard output is the system journal: without --json and without a
    terminal, the reply (which may echo what was said) is not printed."""
    import sqlite3

    clip = write_wav(tmp_path / "command.wav", command_clip("지금 몇 시야"))
    journal = tmp_path / "data" / "journal.db"

    def journaled() -> int:
        if not journal.exists():
            return 0
        with sqlite3.connect(journal) as db:
            return db.execute("SELECT COUNT(*) FROM interactions").fetchone()[0]

    assistant = Running(ko_config, {"PULSE_SERVER": pulse_server}, json=False)
    try:
        assistant.wait_for_log(MICROPHONE_OPEN)
        play_into_microphone(clip)
        assistant.wait_for(lambda: journaled() == 1, "the interaction in the journal", 30)
    finally:
        code, _ = assistant.stop()
    with sqlite3.connect(journal) as db:
        [(reply,)] = db.execute("SELECT reply FROM interactions").fetchall()
    assert reply.startswith("지금은"), reply  # answered, and kept where the owner set
    assert code == 0 and assistant.stdout == []


def test_sigint_stops_cleanly_while_listening(pulse_server, ko_config):
    assistant = Running(ko_config, {"PULSE_SERVER": pulse_server})
    try:
        assistant.wait_for_log(MICROPHONE_OPEN)
        code, seconds = assistant.stop(signal.SIGINT)
    finally:
        assistant.kill()
    assert code == 0 and seconds < 3
