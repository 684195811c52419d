"""`assistant devices` against a real PulseAudio server, reached through PortAudio and ALSA."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.audio, pytest.mark.slow]


def run_devices(*args: str, config=None, env=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "assistant"]
    if config is not None:
        command += ["--config", str(config)]
    return subprocess.run(
        [*command, "devices", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def write_config(tmp_path, input_device=None, output_device=None):
    lines = ["audio:"]
    for key, value in (("input_device", input_device), ("output_device", output_device)):
        lines.append(f"  {key}: {json.dumps(value)}")
    path = tmp_path / "assistant.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def section(text: str, title: str) -> list[str]:
    """The device lines printed under `title`."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    out = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        out.append(line)
    return out


def test_lists_inputs_and_outputs_and_marks_the_defaults(pulse_server, tmp_path):
    result = run_devices(config=write_config(tmp_path))
    assert result.returncode == 0, result.stderr
    inputs = section(result.stdout, "Input devices (microphones):")
    outputs = section(result.stdout, "Output devices (speakers):")
    # PortAudio sees the sound server through ALSA's pulse plugin.
    assert any(" pulse " in line for line in inputs)
    assert any(" pulse " in line for line in outputs)
    assert len([line for line in inputs if "(default" in line]) == 1
    assert len([line for line in outputs if "(default" in line]) == 1
    assert not any("configured" in line for line in inputs + outputs)
    assert "audio.input_device: not set, using the system default" in result.stdout
    assert "Traceback" not in result.stderr


def test_json_parses_and_agrees_with_the_defaults(pulse_server, tmp_path):
    result = run_devices("--json", config=write_config(tmp_path))
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    for kind in ("input", "output"):
        devices = listing[kind]
        assert devices, f"no {kind} devices"
        assert all(d["channels"] > 0 for d in devices)
        [default] = [d for d in devices if d["default"]]
        setting = listing["configured"][kind]
        assert setting == {"value": None, "index": default["index"], "problem": None}


def test_marks_the_configured_devices(pulse_server, tmp_path):
    config = write_config(tmp_path, input_device="pulse", output_device="pulse")
    listing = json.loads(run_devices("--json", config=config).stdout)
    for kind in ("input", "output"):
        [configured] = [d for d in listing[kind] if d["configured"]]
        assert configured["name"] == "pulse"
        assert listing["configured"][kind]["index"] == configured["index"]

    text = run_devices(config=config).stdout
    [line] = [
        line for line in section(text, "Input devices (microphones):") if "configured" in line
    ]
    assert " pulse " in line
    assert "audio.output_device: 'pulse' -> " in text


def test_configured_by_number(pulse_server, tmp_path):
    first = json.loads(run_devices("--json", config=write_config(tmp_path)).stdout)["output"][0]
    config = write_config(tmp_path, output_device=first["index"])
    listing = json.loads(run_devices("--json", config=config).stdout)
    assert [d["index"] for d in listing["output"] if d["configured"]] == [first["index"]]


def test_a_configured_device_that_does_not_exist_is_named(pulse_server, tmp_path):
    config = write_config(tmp_path, input_device="Blue Yeti USB")
    result = run_devices(config=config)
    assert result.returncode == 1
    assert "audio.input_device: 'Blue Yeti USB' - not usable:" in result.stdout
    assert "configured microphone 'Blue Yeti USB' is not usable" in result.stderr
    answer = run_devices("--json", config=config)
    assert answer.returncode == 1
    listing = json.loads(answer.stdout)
    assert "'Blue Yeti USB' is not usable" in listing["problem"]
    assert listing["configured"]["input"]["index"] is None
    assert "Blue Yeti USB" in listing["configured"]["input"]["problem"]
    assert not any(d["configured"] for d in listing["input"])


def test_without_a_sound_server_it_says_none_found(tmp_path):
    # No /dev/snd on this machine and no server behind PULSE_SERVER: nothing to open.
    if os.path.exists("/dev/snd"):
        pytest.skip("this machine has real sound cards")
    result = run_devices(
        config=write_config(tmp_path), env={"PULSE_SERVER": f"unix:{tmp_path}/no-server"}
    )
    assert result.returncode == 1
    assert "no microphone: the system has no input device" in result.stderr
    assert section(result.stdout, "Input devices (microphones):") == ["  none found"]
    assert "there is no default input device" in result.stdout
    assert "Traceback" not in result.stderr
