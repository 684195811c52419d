"""One assistant, whoever asks: `assistant run` says when it listens and when it cannot,
and `assistant ask` reaches the running assistant through its control socket."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import rms, run_cli, write_config
from running import Running, record_speaker

pytestmark = [pytest.mark.audio, pytest.mark.slow]


@pytest.fixture
def ko_setup(tmp_path):
    # Korean: the model the tests have; typed commands need no recognition anyway.
    return write_config(
        tmp_path / "assistant.yaml",
        f"language: ko\ndata_dir: {tmp_path / 'data'}\naudio:\n  earcon: false\n",
    )


def test_run_says_it_listens_and_a_typed_timer_rings_on_its_speaker(
    pulse_server, tmp_path, ko_setup
):
    recording = tmp_path / "speaker.raw"
    assistant = Running(ko_setup, {"PULSE_SERVER": pulse_server}, log_level="warning")
    recorder = None
    try:
        assistant.wait_for_log("Listening:")
        [ready] = [line for line in assistant.stderr if line.startswith("Listening:")]
        assert 'say "hey jarvis"' in ready and "(ko)" in ready
        assert "Microphone: the system default; speaker: the system default" in ready
        assert "keeping 30 days of history (at most 10,000), no audio" in ready
        assert ready.endswith("Ctrl-C stops.")
        recorder = record_speaker(recording, {"PULSE_SERVER": pulse_server})
        time.sleep(0.5)  # the recorder is connected before the timer can ring
        asked = run_cli("--config", str(ko_setup), "ask", "타이머 이 초 맞춰 줘", "--json")
        assert asked.returncode == 0, asked.stderr
        assert "no assistant is running" not in asked.stderr
        deadline = time.monotonic() + 20
        heard = np.zeros(0, np.int16)
        while time.monotonic() < deadline:
            time.sleep(0.5)
            heard = np.frombuffer(recording.read_bytes(), np.int16)
            if len(heard) and rms(heard[-8000:]) > 100:
                break
        assert rms(heard) > 100, "the timer never rang on the running assistant's speaker"
    finally:
        if recorder is not None:
            recorder.terminate()
            recorder.wait()
        code, _ = assistant.stop()
    assert code == 0
    assert "Traceback" not in "\n".join(assistant.stderr)


def test_without_an_assistant_ask_says_timers_wait_for_it(tmp_path, ko_setup):
    asked = run_cli("--config", str(ko_setup), "ask", "타이머 이 초 맞춰 줘")
    assert asked.returncode == 0, asked.stderr
    assert "timers and alarms ring once `assistant run`" in asked.stderr


def test_no_microphone_is_said_in_plain_words_and_it_keeps_trying(pulse_server, tmp_path):
    config = write_config(
        tmp_path / "assistant.yaml",
        f"language: ko\ndata_dir: {tmp_path / 'data'}\naudio:\n"
        "  earcon: false\n  input_device: Blue Yeti USB\n",
    )
    assistant = Running(config, {"PULSE_SERVER": pulse_server}, log_level="warning")
    try:
        assistant.wait_for_log("No microphone:")
        time.sleep(2)  # several retries go by
        assert assistant.process.poll() is None, "it gave up instead of retrying"
    finally:
        code, _ = assistant.stop()
    stderr = "\n".join(assistant.stderr)
    assert assistant.log_count("No microphone:") == 1
    assert "`assistant devices`" in stderr and "`assistant doctor`" in stderr
    assert "Error querying device" not in stderr and "Traceback" not in stderr
    assert code == 0
