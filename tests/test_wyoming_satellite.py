"""`assistant satellite` as Home Assistant sees it: a client made of the `wyoming`
library's own classes plays Home Assistant's part against the running satellite, whose
microphone and speaker are the PulseAudio test server's `mic` and `spk`."""

from __future__ import annotations

import asyncio
import subprocess
import time

import numpy as np
import pytest
from conftest import KOREAN_VOICE, rms, silence, write_wav
from running import record_speaker
from wyoming.asr import Transcribe, Transcript
from wyoming.info import Describe, Info
from wyoming.satellite import RunSatellite
from wyoming.tts import Synthesize
from wyoming_helpers import (
    Proc,
    audio_stream,
    client,
    free_port,
    journal_entries,
    pcm_of,
    read_until,
    wyoming_config,
)

from assistant.wyoming.host import room_of

pytestmark = [pytest.mark.slow, pytest.mark.audio]


def play_into_microphone(path) -> subprocess.Popen:
    return subprocess.Popen(["paplay", "--device=mic", str(path)])


def test_home_assistant_runs_a_pipeline_through_the_satellite(tmp_path, pulse_server, say):
    port = free_port()
    config = wyoming_config(tmp_path / "sat.yaml", tmp_path / "data", port, "  room: bedroom\n")
    satellite = Proc(config, "satellite")
    satellite.wait_for_log("satellite listening for Home Assistant")
    command = np.concatenate([silence(1.0), say("hey jarvis"), silence(0.6),
                              say("지금 몇 시야", KOREAN_VOICE), silence(2.0)])  # fmt: skip
    answer = np.concatenate([say("네", KOREAN_VOICE), silence(2.0)])
    reply_text = "지금은 오후 세 시예요"
    reply = say(reply_text, KOREAN_VOICE)
    recording = tmp_path / "speaker.raw"

    async def home_assistant():
        async with client(port) as c:
            c.read_timeout = 60
            await c.write_event(Describe().event())
            info_event, _ = await read_until(c, "info")
            await c.write_event(RunSatellite().event())
            await asyncio.sleep(0.5)
            player = play_into_microphone(write_wav(tmp_path / "cmd.wav", command))
            run, early = await read_until(c, "run-pipeline")
            await c.write_event(Transcribe(language="ko").event())  # speech-to-text starts
            heard: list = []
            started = time.monotonic()
            while time.monotonic() - started < 3.5:  # what our speech-to-text would hear
                heard.append(await c.read_event())
            await c.write_event(Transcript(text="지금 몇 시야").event())
            _, tail = await read_until(c, "audio-stop")  # the satellite stops streaming
            player.wait()
            recorder = record_speaker(recording)
            await c.write_event(Synthesize(text=reply_text).event())
            for event in audio_stream(reply):
                await c.write_event(event)
            await read_until(c, "played")
            recorder.terminate()
            recorder.wait()
            # The reply asked a question: the conversation goes on without a wake word.
            await c.write_event(Transcribe(language="ko").event())
            player = play_into_microphone(write_wav(tmp_path / "yes.wav", answer))
            follow_up_start, before_start = await read_until(c, "audio-start")
            follow_up = [await c.read_event() for _ in range(20)]
            await c.write_event(Transcript(text="네").event())
            await read_until(c, "audio-stop")
            player.wait()
            return info_event, early, run, heard + tail, before_start, follow_up

    try:
        info_event, early, run, streamed, before_start, follow_up = asyncio.run(home_assistant())
    finally:
        satellite.stop()
    info = Info.from_event(info_event)
    assert info.satellite is not None and info.satellite.area == "bedroom"
    assert [m.name for m in info.wake[0].models] == ["hey_jarvis"]
    assert not any(e.type == "audio-chunk" for e in early)  # nothing streamed before the wake
    assert run.data["start_stage"] == "asr" and run.data["end_stage"] == "tts"
    command_audio = pcm_of(streamed)
    assert len(command_audio) / 16000 > 1.0 and rms(command_audio) > 300  # the command itself
    speaker = np.frombuffer(recording.read_bytes(), dtype="<i2")
    assert rms(speaker) > 300 and len(speaker) / 16000 > 0.8  # the reply played
    assert not any(e.type == "run-pipeline" for e in before_start)  # no wake word needed
    assert any(e.type == "audio-chunk" for e in follow_up)
    entries = journal_entries(config, 2)
    first = next(e for e in entries if e.wake_word == "hey_jarvis")
    assert first.transcript == "지금 몇 시야" and first.reply == reply_text
    assert room_of(first) == "bedroom"
    assert any(e.transcript == "네" and e.wake_word is None for e in entries)
    assert reply_text not in "\n".join(satellite.stderr)
