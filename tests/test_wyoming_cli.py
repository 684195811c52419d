"""The Wyoming commands at the edge: off by default, clear errors, discovery only when
asked for (the optional zeroconf package is not even imported otherwise)."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import sys

import pytest
from conftest import run_cli

from assistant import config as config_module
from assistant.cli import wyoming_cmd


@pytest.mark.slow
@pytest.mark.parametrize("command", ["serve", "satellite"])
def test_off_by_default_with_one_line_and_exit_2(tmp_path, command):
    path = tmp_path / "a.yaml"
    path.write_text(f"data_dir: {tmp_path / 'data'}\n")
    result = run_cli("--config", str(path), command)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "assistant: error: the Wyoming protocol is off: set wyoming.enabled: true (docs/wyoming.md)"
    ]


def test_discovery_off_imports_no_zeroconf():
    config = config_module.Config()
    assert asyncio.run(wyoming_cmd._announce_if_asked(config, "assistant")) is None
    assert "zeroconf" not in sys.modules and "wyoming.zeroconf" not in sys.modules


def test_discovery_on_without_the_package_is_one_clear_error(monkeypatch):
    from assistant.wyoming.discovery import DiscoveryError

    monkeypatch.setitem(sys.modules, "zeroconf", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "wyoming.zeroconf", raising=False)
    base = config_module.Config()
    config = dataclasses.replace(base, wyoming=dataclasses.replace(base.wyoming, discovery=True))
    with pytest.raises(DiscoveryError, match="wyoming-discovery"):
        asyncio.run(wyoming_cmd._announce_if_asked(config, "assistant"))


@pytest.mark.slow
def test_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = tmp_path / "a.yaml"
        path.write_text(
            f"language: ko\ndata_dir: {tmp_path / 'data'}\n"
            f"wyoming:\n  enabled: true\n  port: {port}\n"
        )
        result = run_cli("--config", str(path), "serve")
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("assistant: error: cannot listen on 127.0.0.1 port")


class UnpluggedMicrophone:
    """Stands in for a USB microphone pulled out mid-stream (this machine has none to pull):
    a few frames, then the error the real source raises."""

    realtime = True

    def frames(self):
        import numpy as np

        from assistant.errors import AudioError

        yield from (np.zeros(1280, dtype=np.int16) for _ in range(3))
        raise AudioError("the microphone disappeared")


class NeverWakes:
    def process(self, frame):
        return None


def test_a_lost_microphone_ends_the_small_speaker_with_its_error():
    from assistant.errors import AudioError
    from assistant.wyoming.remote import SmallSpeaker

    base = config_module.Config()
    wyoming = dataclasses.replace(base.wyoming, enabled=True, remote="tcp://127.0.0.1:9")
    speaker = SmallSpeaker(dataclasses.replace(base, wyoming=wyoming), NeverWakes(), None, None)
    with pytest.raises(AudioError, match="disappeared"):
        asyncio.run(speaker.run(UnpluggedMicrophone()))


# ----- the systemd drop-in ------------------------------------------------------------------------

REPO = __import__("pathlib").Path(__file__).resolve().parent.parent
DROP_IN = REPO / "systemd" / "examples" / "wyoming.conf"


def _settings(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] not in "#;["]


def test_the_drop_in_opens_one_port_and_the_default_unit_none():
    drop_in = _settings(DROP_IN.read_text())
    assert "SocketBindAllow=tcp:10700" in drop_in and "SocketBindDeny=any" in drop_in
    assert "PrivateNetwork=no" in drop_in
    assert not any(line.startswith("IPAddressDeny") for line in drop_in)  # the unit's stays
    unit = _settings((REPO / "systemd" / "assistant.service").read_text())
    assert "IPAddressDeny=any" in unit and "PrivateNetwork=yes" in unit


@pytest.mark.skipif(
    __import__("shutil").which("systemd-analyze") is None, reason="needs systemd-analyze"
)
def test_the_documented_exposure_scores_are_current(tmp_path):
    import re
    import shutil
    import subprocess

    def exposure(with_drop_in: bool) -> str:
        unit = tmp_path / ("with" if with_drop_in else "without") / "assistant.service"
        unit.parent.mkdir()
        shutil.copy(REPO / "systemd" / "assistant.service", unit)
        if with_drop_in:
            (unit.parent / "assistant.service.d").mkdir()
            shutil.copy(DROP_IN, unit.parent / "assistant.service.d" / "wyoming.conf")
        out = subprocess.run(
            ["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit)],
            capture_output=True, text=True,
        ).stdout  # fmt: skip
        return re.search(r"Overall exposure level for \S+: (\d+\.\d)", out).group(1)

    docs = (REPO / "docs" / "wyoming.md").read_text()
    stated = re.search(r"default unit \*\*(\d+\.\d)\*\* and the unit with `wyoming.conf`\s+"
                       r"applied \*\*(\d+\.\d)\*\*", docs)  # fmt: skip
    assert stated, "docs/wyoming.md must state both scores"
    assert stated.groups() == (exposure(False), exposure(True))


@pytest.mark.slow
def test_serve_stops_pinging_systemd_when_its_wyoming_loop_is_stuck():
    import time

    from assistant.notify import Notifier
    from assistant.wyoming.serving import BothLoopsWatchdog, LoopThread

    events = LoopThread()
    try:
        watchdog = BothLoopsWatchdog(Notifier(None), events)
        watchdog.stale_after = 2.0
        watchdog.feed()  # the voice loop is alive
        time.sleep(1.2)
        assert watchdog.is_fresh()
        events.loop.call_soon_threadsafe(time.sleep, 3.5)  # a handler that blocks the loop
        time.sleep(3.2)
        watchdog.feed()
        assert not watchdog.is_fresh()  # the voice loop alone does not keep it pinged
        time.sleep(1.5)
        assert watchdog.is_fresh()  # and once the loop runs again, it is pinged again
    finally:
        events.close()
