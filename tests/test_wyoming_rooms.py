"""Small speakers in other rooms: two assistant processes on loopback. The small one has
the microphone and the speaker (the PulseAudio test server's `mic` and `spk`), the main
one recognises, answers and journals with the room's name; it has a microphone and a
speaker of its own in the hall (`hallmic`, `hallspk`), so what each room hears is told
apart."""

from __future__ import annotations

import asyncio
import subprocess
import time

import numpy as np
import pytest
from conftest import rms, run_cli, silence, write_wav
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


HALL = {"PULSE_SINK": "hallspk", "PULSE_SOURCE": "hallmic.monitor"}
"""The main speaker's own devices: PulseAudio clients take them from the environment."""


@pytest.fixture(scope="module")
def hall_devices(pulse_server):
    loaded = [
        subprocess.run(["pactl", "load-module", "module-null-sink", *args],
                       check=True, capture_output=True, text=True).stdout.strip()
        for args in (["sink_name=hallspk"], ["sink_name=hallmic", "rate=16000", "channels=1"])
    ]  # fmt: skip
    yield HALL
    for module in loaded:
        subprocess.run(["pactl", "unload-module", module], capture_output=True)


def record(device: str, path) -> subprocess.Popen:
    """What a sink plays, as raw 16 kHz int16 (its monitor)."""
    return subprocess.Popen(
        ["parec", f"--device={device}.monitor", "--format=s16le", "--rate=16000",
         "--channels=1", "--raw", str(path)]
    )  # fmt: skip


@pytest.fixture
def rooms(tmp_path, hall_devices):
    port = free_port()
    main_config = wyoming_config(tmp_path / "main.yaml", tmp_path / "main", port, "  room: hall\n")
    # These tests are about rooms: the spoken timer is heard right, but its copies played
    # faster and slower are not (tests/test_recognition.py covers the second opinion).
    with main_config.open("a", encoding="utf-8") as config:
        config.write("stt:\n  second_opinion: false\n")
    small_config = wyoming_config(
        tmp_path / "small.yaml", tmp_path / "small", free_port(),
        f"  room: kitchen\n  remote: tcp://127.0.0.1:{port}\n",
    )  # fmt: skip
    started: list[Proc] = []

    def start(which: str) -> Proc:
        if which == "main":
            proc = Proc(main_config, "serve", env=hall_devices)
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


def _handled(config_path, text: str = "지금 몇 시야", room: str | None = None) -> bool:
    """A text request to the main speaker, as Home Assistant sends one (from `room`)."""
    from wyoming.asr import Transcript

    from assistant import config as config_module

    port = config_module.load(config_path).wyoming.port
    context = {"room": room} if room else None

    async def ask() -> bool:
        async with client(port) as c:
            await c.write_event(Transcript(text=text, context=context).event())
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


# ----- what was set in a room rings there ---------------------------------------------------------

TIMER_VOICE = ("ko+m7", 130)
"""espeak-ng's Korean "타이머" is heard by the compiled grammar in this voice and pace only,
of those tried (ko, ko+f2, ko+f3, ko+f4, ko+m2, ko+m7 at 130 and 160 words a minute): as
"차 타이머 삼 초 맞춰 놔", a three-second tea timer, over four frame alignments."""


def _listen_to_both(tmp, seconds: float) -> tuple[float, float]:
    """Seconds of sound on the kitchen's and the hall's speakers over the next `seconds`."""
    kitchen, hall = tmp / f"kitchen-{time.monotonic()}.raw", tmp / f"hall-{time.monotonic()}.raw"
    recorders = [record("spk", kitchen), record("hallspk", hall)]
    try:
        time.sleep(seconds)
    finally:
        for recorder in recorders:
            recorder.terminate()
            recorder.wait()
    return heard(kitchen), heard(hall)


def test_a_timer_said_in_the_kitchen_rings_on_the_kitchens_speaker(rooms, say):
    start, main_config, tmp = rooms
    main, small = start("main"), start("small")
    main.wait_for_log("the kitchen speaker is connected")
    voice, speed = TIMER_VOICE
    clip = np.concatenate([silence(1.0), say("hey jarvis"), silence(0.6),
                           say("타이머 삼 초 맞춰 줘", voice, speed), silence(2.5)])  # fmt: skip
    play_into_microphone(write_wav(tmp / "timer.wav", clip))
    [entry] = journal_entries(main_config, 1)  # journaled as the reply goes out
    assert entry.intent == "TimerStart" and entry.slots.get("seconds") == 3
    assert room_of(entry) == "kitchen" and entry.source == "voice"
    time.sleep(3)  # the reply ("차 타이머를 3초로 맞췄어요", about 2.5 s) is over
    kitchen, hall = _listen_to_both(tmp, 8)
    assert kitchen > 2.0, kitchen  # it rings, and rings again, in the kitchen
    assert hall == 0, hall  # and not in the hall
    # "Stop" from the kitchen silences it.
    assert _handled(main_config, "그만", room="kitchen")
    time.sleep(4)  # what was already playing ends
    assert _listen_to_both(tmp, 4) == (0, 0)
    for proc in (main, small):
        assert "타이머" not in "\n".join(proc.stderr)


def test_a_timer_for_a_room_whose_speaker_is_away_rings_in_the_hall(rooms):
    """Asked for as text from the kitchen (as Home Assistant sends it): a text request says
    nothing aloud, so every sound below is the ring."""
    start, main_config, tmp = rooms
    start("main")  # no kitchen speaker connected
    assert _handled(main_config, "타이머 이 초 맞춰 줘", room="kitchen")
    kitchen, hall = _listen_to_both(tmp, 7)
    assert hall > 1.5 and kitchen == 0
    assert _handled(main_config, "그만", room="kitchen")


# ----- the main speaker listens on its own microphone too --------------------------------------


def test_the_main_speaker_answers_its_own_microphone_and_the_rooms_in_one_process(
    rooms, command_clip
):
    start, main_config, tmp = rooms
    main = start("main")
    main.wait_for_log("Listening:")  # its own microphone is open
    hall_recording = tmp / "hall.raw"
    recorder = record("hallspk", hall_recording)
    try:
        clip = write_wav(tmp / "hall.wav", command_clip("지금 몇 시야"))
        player = subprocess.Popen(["paplay", "--device=hallmic", str(clip)])
        # While the hall's command is being said, the kitchen asks twice as text.
        answers = [_handled(main_config, "오늘 며칠", room="kitchen") for _ in range(2)]
        player.wait()
        entries = journal_entries(main_config, 3)
        time.sleep(3)  # the hall's reply is still playing
    finally:
        recorder.terminate()
        recorder.wait()
    assert answers == [True, True]
    spoken = [e for e in entries if e.source == "voice"]
    typed = [e for e in entries if e.source == "typed"]
    assert len(spoken) == 1 and is_the_time_question(spoken[0].transcript)
    assert spoken[0].outcome == "handled" and room_of(spoken[0]) is None  # its own microphone
    assert [room_of(e) for e in typed] == ["kitchen", "kitchen"]
    assert all(e.intent == "ClockDate" for e in typed)
    assert heard(hall_recording) > 1.0  # the hall's answer, on the hall's speaker
    # A typed command reaches the same assistant (its control socket): its timer rings here.
    asked = run_cli("--config", str(main_config), "ask", "타이머 이 초 맞춰 줘")
    assert asked.returncode == 0 and "no assistant is running" not in asked.stderr
    kitchen, hall = _listen_to_both(tmp, 6)
    assert hall > 1.0 and kitchen == 0
    assert _handled(main_config, "그만")
    assert "지금" not in "\n".join(main.stderr)


def test_serve_without_its_microphone_hears_nothing_of_the_hall(
    tmp_path, hall_devices, command_clip
):
    port = free_port()
    config = wyoming_config(tmp_path / "m.yaml", tmp_path / "data", port, "  microphone: false\n")
    main = Proc(config, "serve", env=hall_devices)
    try:
        main.wait_for_log("Wyoming service ready")
        time.sleep(2)  # long enough for a microphone to open, had it been asked for
        play_into_hall = [
            "paplay",
            "--device=hallmic",
            str(write_wav(tmp_path / "c.wav", command_clip("지금 몇 시야"))),
        ]
        subprocess.run(play_into_hall, check=True, timeout=60)
        time.sleep(1)  # a voice turn, had there been one, would be over
        assert _handled(config)  # the peers are served
        entries = journal_entries(config, 1)
        assert [e.source for e in entries] == ["typed"]  # the hall's command was not heard
        assert main.count("microphone") == 0  # none was opened
    finally:
        assert main.stop() == 0
