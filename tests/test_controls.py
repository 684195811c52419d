"""Controls (volume kept across restarts, a microphone mute that ends by itself) and
Announcements (what skills say outside a request, and how a ringing one repeats)."""

from __future__ import annotations

import stat
import threading

import pytest

from assistant.controls import (
    RING_INTERVAL_SECONDS,
    RING_LIMIT,
    VOLUME_STEPS,
    Announcements,
    Controls,
)


class SetClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def __call__(self) -> float:  # as a monotonic clock for Announcements
        return self.now


# ----- Controls -----------------------------------------------------------------------


def test_volume_is_clamped_kept_in_a_private_file_and_read_back(tmp_path):
    state = tmp_path / "controls.json"
    controls = Controls(state, SetClock())
    assert controls.volume == VOLUME_STEPS and controls.gain == 1.0
    assert controls.set_volume(4) == 4 and controls.gain == 0.4
    assert controls.set_volume(99) == VOLUME_STEPS
    assert controls.set_volume(-3) == 0 and controls.gain == 0.0
    controls.set_volume(7)
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert Controls(state, SetClock()).volume == 7


@pytest.mark.parametrize("content", ["", "not json", '{"volume": "loud"}', "[]", '{"v": 3}'])
def test_an_unreadable_volume_file_means_full_volume(tmp_path, content):
    state = tmp_path / "controls.json"
    state.write_text(content)
    assert Controls(state, SetClock()).volume == VOLUME_STEPS


def test_a_volume_that_cannot_be_saved_still_applies_and_is_logged(tmp_path, caplog):
    (tmp_path / "a_file").write_text("")
    state = tmp_path / "a_file" / "controls.json"  # its folder is a file: cannot be written
    controls = Controls(state, SetClock())
    assert controls.set_volume(3) == 3 and controls.gain == 0.3
    assert "cannot save the volume setting" in caplog.text


def test_the_microphone_mute_ends_by_itself(tmp_path):
    clock = SetClock()
    controls = Controls(tmp_path / "c.json", clock)
    assert not controls.microphone_muted
    assert controls.mute_microphone(600) == clock.now + 600
    assert controls.microphone_muted
    clock.now += 599
    assert controls.microphone_muted
    clock.now += 2
    assert not controls.microphone_muted


# ----- Announcements ------------------------------------------------------------------


def test_a_plain_announcement_is_said_once():
    clock = SetClock()
    announcements = Announcements(clock)
    announcements.announce("Your alarm was missed.", earcon="alarm")
    item = announcements.due()
    assert (item.text, item.earcon, item.repeat) == ("Your alarm was missed.", "alarm", False)
    clock.now += 60
    assert announcements.due() is None and not announcements.ringing


def test_a_ringing_announcement_repeats_after_the_interval_until_stopped():
    clock = SetClock()
    announcements = Announcements(clock)
    announcements.announce("The tea timer is done.", earcon="alarm", repeat=True)
    first = announcements.due()
    assert first is not None and announcements.ringing
    clock.now += RING_INTERVAL_SECONDS / 2
    assert announcements.due() is None  # too soon to ring again
    clock.now += RING_INTERVAL_SECONDS / 2
    assert announcements.due() is first
    assert announcements.stop() is True
    clock.now += RING_INTERVAL_SECONDS
    assert announcements.due() is None and not announcements.ringing
    assert announcements.stop() is False  # nothing left to silence


def test_a_ring_nobody_stops_ends_after_the_limit():
    clock = SetClock()
    announcements = Announcements(clock)
    announcements.announce("The pasta timer is done.", repeat=True)
    rings = 0
    for _ in range(RING_LIMIT * 3):
        if announcements.due() is not None:
            rings += 1
        clock.now += RING_INTERVAL_SECONDS
    assert rings == RING_LIMIT
    assert not announcements.ringing


def test_stop_also_drops_what_is_queued():
    announcements = Announcements(SetClock())
    announcements.announce("one")
    announcements.announce("two", repeat=True)
    assert announcements.stop() is True
    assert announcements.due() is None


def test_skills_announce_from_other_threads():
    announcements = Announcements(SetClock())
    threads = [
        threading.Thread(target=announcements.announce, args=(f"timer {i}",)) for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    said = set()
    while (item := announcements.due()) is not None:
        said.add(item.text)
    assert said == {f"timer {i}" for i in range(20)}
