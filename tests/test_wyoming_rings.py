"""What was set in a room rings there: the timer remembers its room (in a state file that
older ones still load), the voice loop sends what is due to that room's standing link,
and rings here, naming the room, when no speaker of that room is connected. In one
process: the real skills, the real synthesiser, a real `wyoming` client as the kitchen."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from conftest import rms
from test_skills_support import make_assistant
from wyoming.snd import Played
from wyoming_helpers import client, free_port, pcm_of, read_until

from assistant.audio import WavFileSink
from assistant.config import WyomingConfig
from assistant.wyoming.info import satellite_info
from assistant.wyoming.serving import LoopThread, NoMicrophone


def test_a_timer_remembers_its_room_and_older_state_files_still_load(tmp_path):
    saved = tmp_path / "skills" / "timers" / "timers.json"
    saved.parent.mkdir(parents=True)
    old = {"items": [{"at": time.time() + 600, "name": "rice", "details": {"seconds": 600},
                      "id": "0badcafe"}]}  # fmt: skip
    saved.write_text(json.dumps(old))
    assistant = make_assistant(tmp_path)
    try:
        [older] = assistant.skills["timers"].store.items()
        assert older.name == "rice" and older.room is None  # rings on this speaker
        interaction, _ = assistant.ask("set a pasta timer for 5 minutes", record=False,
                                       room="kitchen")  # fmt: skip
        assert interaction.intent == "TimerStart"
    finally:
        assistant.close()
    rooms = {i["name"]: i.get("room") for i in json.loads(saved.read_text())["items"]}
    assert rooms == {"rice": None, "pasta": "kitchen"}


class LoopRunner:
    """The assistant's voice loop with no microphone, on a thread, until stopped."""

    def __init__(self, assistant) -> None:
        self.assistant = assistant
        self.thread = threading.Thread(target=assistant.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.assistant.stop()
        self.thread.join(5)


@pytest.fixture
def looping(tmp_path):
    """An English assistant whose loop has no microphone and speaks into a WAV file."""
    assistant = make_assistant(tmp_path / "data")
    assistant.source = NoMicrophone()
    assistant.sink = WavFileSink(tmp_path / "here.wav")
    yield assistant
    assistant.close()


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_with_no_speaker_in_its_room_a_timer_rings_here_and_says_for_which_room(looping):
    from assistant.wyoming.rooms import RoomLinks

    looping.rooms = RoomLinks()  # serving rooms, but the kitchen's speaker is not connected
    looping.ask("set a pasta timer for 1 second", record=False, room="kitchen")
    runner = LoopRunner(looping)
    try:
        rang = _wait_for(lambda: looping.controls.last_reply != "Pasta timer set for 1 second.")
    finally:
        runner.stop()
    assert rang
    assert looping.controls.last_reply == "For the kitchen: Your pasta timer is done."
    assert looping.sink._chunks  # it was said on this speaker


@pytest.mark.slow
def test_a_timer_rings_on_the_standing_link_of_its_room(looping):
    from assistant.wyoming.server import WyomingServer

    events = LoopThread()
    config = WyomingConfig(enabled=True, port=free_port())
    server = WyomingServer(None, config)
    events.run(server.start())
    looping.rooms = server.rooms
    runner = None

    async def kitchen():
        async with client(config.port) as c:
            await c.write_event(satellite_info("kitchen", ["hey_jarvis"]).event())
            for _ in range(100):
                if server.rooms.connected("kitchen"):
                    break
                await asyncio.sleep(0.05)
            looping.ask("set a pasta timer for 1 second", record=False, room="kitchen")
            _, ring = await read_until(c, "audio-stop")
            await c.write_event(Played().event())
            _, again = await read_until(c, "audio-stop")  # it rings until "stop"
            await c.write_event(Played().event())
            looping.announcements.stop()
            return ring, again

    try:
        runner = LoopRunner(looping)
        ring, again = asyncio.run(kitchen())
        # The kitchen hung up: what rings for it from now on rings here.
        assert _wait_for(lambda: not server.rooms.connected("kitchen"))
    finally:
        if runner is not None:
            runner.stop()
        events.run(server.stop())
        events.close()
    assert rms(pcm_of(ring)) > 500 and rms(pcm_of(again)) > 500
    assert len(pcm_of(again)) == pytest.approx(len(pcm_of(ring)), rel=0.05)  # the same again
    assert ring[0].type == "audio-start"
    assert looping.sink._chunks == []  # nothing rang here
    assert looping.controls.last_reply == "Pasta timer set for 1 second."


@pytest.mark.slow
def test_a_room_speaker_that_stops_reading_loses_its_rings_to_the_main_speaker(monkeypatch):
    """A frozen small speaker (connected, never reading) must not swallow its room's rings:
    once its rings back up or sending stalls, `deliver` says no, so the voice loop rings here."""
    import socket

    import numpy as np

    from assistant.wyoming import rooms as rooms_module
    from assistant.wyoming.server import WyomingServer

    monkeypatch.setattr(rooms_module, "SEND_TIMEOUT_SECONDS", 1.0)
    events = LoopThread()
    config = WyomingConfig(enabled=True, port=free_port())
    server = WyomingServer(None, config)
    events.run(server.start())
    frozen = socket.socket()
    frozen.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        frozen.connect(("127.0.0.1", config.port))
        info = satellite_info("attic", ["hey_jarvis"]).event()
        frozen.sendall(json.dumps({"type": info.type, "data": info.data}).encode() + b"\n")
        assert _wait_for(lambda: server.rooms.connected("attic"))
        loud = (np.sin(np.arange(16000 * 20) / 3) * 8000).astype(np.int16)  # 20 s, 640 kB
        answers = [server.rooms.deliver("attic", loud, 16000, False)]
        assert _wait_for(lambda: not server.rooms.deliver("attic", loud, 16000, False), 15)
    finally:
        frozen.close()
        events.run(server.stop())
        events.close()
    assert answers == [True]  # taken at first; refused once the speaker stopped reading
