"""Small speakers in other rooms: two assistant processes on loopback. The small one has
the microphone and the speaker (the PulseAudio test server's `mic` and `spk`), the main
one recognises, answers and journals with the room's name."""

from __future__ import annotations

import asyncio
import subprocess
import time

import numpy as np
import pytest
from conftest import rms, write_wav
from running import record_speaker
from wyoming_helpers import (
    Proc,
    client,
    free_port,
    is_the_time_question,
    journal_entries,
    read_until,
    wyoming_config,
)

from assistant.wyoming.host import room_of

pytestmark = [pytest.mark.slow, pytest.mark.audio]


def play_into_microphone(path) -> None:
    subprocess.run(["paplay", "--device=mic", str(path)], check=True, timeout=60)


def heard(recording, since_bytes: int = 0) -> float:
    """Seconds of sound (not silence) on the speaker in a raw 16 kHz recording."""
    samples = np.frombuffer(recording.read_bytes()[since_bytes:], dtype="<i2")
    blocks = samples[: len(samples) // 1600 * 1600].reshape(-1, 1600)
    return sum(rms(b) > 300 for b in blocks) * 0.1


@pytest.fixture
def rooms(tmp_path, pulse_server):
    port = free_port()
    main_config = wyoming_config(tmp_path / "main.yaml", tmp_path / "main", port, "  room: hall\n")
    small_config = wyoming_config(
        tmp_path / "small.yaml", tmp_path / "small", free_port(),
        f"  room: kitchen\n  remote: tcp://127.0.0.1:{port}\n",
    )  # fmt: skip
    started: list[Proc] = []

    def start(which: str) -> Proc:
        if which == "main":
            proc = Proc(main_config, "serve")
            proc.wait_for_log("Wyoming service ready")
        else:
            proc = Proc(small_config, "satellite")
            proc.wait_for_log("small speaker listening")
        started.append(proc)
        return proc

    yield start, main_config, tmp_path
    for proc in started:
        proc.kill()


def test_a_command_in_the_kitchen_is_answered_there_and_journaled_with_the_room(
    rooms, command_clip
):
    start, main_config, tmp = rooms
    main, small = start("main"), start("small")
    assert "vosk" not in small.maps().lower()  # the small speaker never loads Vosk
    recording = tmp / "speaker.raw"
    recorder = record_speaker(recording)
    try:
        play_into_microphone(write_wav(tmp / "cmd.wav", command_clip("지금 몇 시야")))
        [entry] = journal_entries(main_config, 1)
        time.sleep(3)  # the reply is still playing
    finally:
        recorder.terminate()
        recorder.wait()
    assert is_the_time_question(entry.transcript) and entry.intent == "ClockTime"
    assert entry.outcome == "handled" and room_of(entry) == "kitchen"
    assert heard(recording) > 1.0  # the reply, through the kitchen's speaker
    assert small.count("not reachable") == 0
    for proc in (main, small):
        logged = "\n".join(proc.stderr)
        assert "지금" not in logged and entry.reply not in logged

    # The small speaker dies in the middle of the next command.
    cut = write_wav(tmp / "cut.wav", command_clip("오늘 며칠"))
    player = subprocess.Popen(["paplay", "--device=mic", str(cut)])
    main.wait_for_log("a remote turn from", count=2)
    time.sleep(0.3)
    small.kill()
    player.wait()
    newest = journal_entries(main_config, 2)[0]
    assert newest.outcome == "cancelled" and room_of(newest) == "kitchen"
    assert newest.transcript is None
    assert _handled(main_config)  # the main speaker is free for the next peer


def _handled(config_path) -> bool:
    from wyoming.asr import Transcript

    from assistant import config as config_module

    port = config_module.load(config_path).wyoming.port

    async def ask() -> bool:
        async with client(port) as c:
            await c.write_event(Transcript(text="지금 몇 시야").event())
            event, _ = await read_until(c, "handled", "not-handled")
            return event.type == "handled"

    return asyncio.run(ask())


def test_the_small_speaker_says_when_the_main_one_is_away_and_reconnects(rooms, command_clip):
    start, main_config, tmp = rooms
    main, small = start("main"), start("small")
    assert main.stop() == 0
    recording = tmp / "speaker.raw"
    recorder = record_speaker(recording)
    try:
        play_into_microphone(write_wav(tmp / "away.wav", command_clip("지금 몇 시야", "오늘 며칠")))
        time.sleep(2)
    finally:
        recorder.terminate()
        recorder.wait()
    assert heard(recording) > 1.0  # "the main speaker is not reachable", twice
    assert small.count("not reachable") == 1  # the fault is logged once, not per attempt
    start("main")
    small.wait_for_log("answers again", timeout=30)
    play_into_microphone(write_wav(tmp / "back.wav", command_clip("지금 몇 시야")))
    [entry] = journal_entries(main_config, 1)
    assert entry.intent == "ClockTime" and room_of(entry) == "kitchen"
