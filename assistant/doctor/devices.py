"""Doctor checks of the audio devices: the microphone listens, the speaker plays a tone."""

from __future__ import annotations

import math
import os
import socket

from assistant import config as config_module
from assistant.doctor.result import Check, failed, passed, warning
from assistant.errors import AssistantError

LISTEN_SECONDS = 2.0
"""How long the microphone check listens."""
SILENCE_PEAK = 8
"""int16 units: a frame whose loudest sample stays below this is digital silence
(a muted input or a sound server with nothing behind it); a real microphone's own
noise is above it."""
SIGNAL_OVER_FLOOR_DB = 12.0
"""How far above the noise floor (the quietest frames) sound must rise to count as
heard: a voice or a clap near the microphone, not the steady hum of the room."""
TONE_SECONDS = 0.3


def check_microphone(config: config_module.Config, seconds: float = LISTEN_SECONDS) -> Check:
    name = "microphone"
    device = config.audio.input_device
    try:
        from assistant.audio import MicrophoneSource

        source = MicrophoneSource(device)
        source.open()
    except AssistantError as e:
        return failed(name, _device_detail("input", e), _device_fix("input", device))
    try:
        peaks, levels = _listen(source, seconds)
    except AssistantError as e:
        return failed(name, f"it opened, then {e}", _device_fix("input", device))
    finally:
        source.close()
    return _judge_levels(name, peaks, levels, seconds)


def _listen(source, seconds: float) -> tuple[list[int], list[float]]:
    """Loudest sample and RMS of every frame heard in `seconds` of real time."""
    import time

    import numpy as np

    from assistant.measure import rms

    peaks: list[int] = []
    levels: list[float] = []
    deadline = None  # counted from the first block: a stream may take a moment to start
    for frame in source.frames():  # raises AudioError when the device delivers nothing
        if frame is not None:
            deadline = deadline or time.monotonic() + seconds
            samples = frame.astype(np.float64)
            peaks.append(int(np.abs(samples).max()))
            levels.append(rms(samples))
        if deadline is not None and time.monotonic() >= deadline:
            break
    return peaks, levels


def _judge_levels(name: str, peaks: list[int], levels: list[float], seconds: float) -> Check:
    listened = f"{seconds:g} s"
    if not peaks:
        return failed(
            name,
            f"it opened but delivered no audio in {listened}",
            "check the device with `assistant devices`; reconnect it",
        )
    if max(peaks) < SILENCE_PEAK:
        return warning(
            name,
            f"it opens, but heard only silence in {listened} (no signal): muted, "
            "disconnected, or the sound server's input has nothing behind it",
            "unmute and raise the input (alsamixer, or pactl set-source-mute @DEFAULT_SOURCE@ 0), "
            "check the cable, and set audio.input_device to the microphone (`assistant devices`)",
        )
    floor = _db(sorted(levels)[len(levels) // 10])
    loudest = _db(max(levels))
    if loudest - floor < SIGNAL_OVER_FLOOR_DB:
        return warning(
            name,
            f"it opens and hears steady noise at {floor:.0f} dBFS, "
            f"but nothing above it in {listened}",
            "run the doctor again and speak during the check; if it still hears nothing, "
            "raise the input gain (alsamixer)",
        )
    return passed(
        name, f"heard sound up to {loudest:.0f} dBFS over a noise floor of {floor:.0f} dBFS"
    )


def _db(rms: float) -> float:
    return 20 * math.log10(max(rms, 1.0) / 32768)


def check_speaker(config: config_module.Config) -> Check:
    name = "speaker"
    device = config.audio.output_device
    try:
        from assistant.audio import SpeakerSink, tone

        sink = SpeakerSink(device)
        sink.play(tone(660, TONE_SECONDS), 22050)
    except AssistantError as e:
        return failed(name, _device_detail("output", e), _device_fix("output", device))
    sink.wait(timeout=TONE_SECONDS + 5)
    finished = not sink.playing
    sink.stop()
    if not finished:
        return failed(
            name,
            "it opened but did not finish playing a short tone",
            "the device is stuck or busy: reconnect it, or restart the sound server",
        )
    return passed(name, f"played a {TONE_SECONDS:.1f} s tone on {_device_label(device)}")


def _device_label(device: str | int | None) -> str:
    return "the system default" if device is None else repr(device)


def _device_detail(kind: str, error: AssistantError) -> str:
    # PortAudio's words for "there is no device at all" are "Error querying device -1".
    if not _any_device(kind):
        return f"no {kind} device found ({error})"
    return str(error)


def _device_fix(kind: str, device: str | int | None) -> str:
    """What to do when an audio device cannot be used, with the likeliest cause first."""
    server = _dead_sound_server()
    if server:
        return (
            f"start the sound server: nothing answers at PULSE_SERVER={server} "
            "(systemctl --user start pipewire-pulse, or pulseaudio --start)"
        )
    if not _any_device(kind):
        what = "microphone" if kind == "input" else "speaker"
        return (
            f"no {kind} device is visible: connect a {what} (USB) or start the sound server; "
            "`assistant devices` lists what the assistant can open"
        )
    setting = f"audio.{kind}_device"
    if device is None:
        return (
            f"set {setting} to a device that `assistant devices` lists (the system default failed)"
        )
    return f"set {setting} to a device that `assistant devices` lists ({device!r} did not work)"


def _dead_sound_server() -> str | None:
    """$PULSE_SERVER when it names a Unix socket that nobody answers on, else None."""
    value = os.environ.get("PULSE_SERVER", "")
    path = value[len("unix:") :] if value.startswith("unix:") else value
    if not path.startswith("/"):
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except OSError:
            return value
    return None


def _any_device(kind: str) -> bool:
    try:
        import sounddevice as sd

        return any(d[f"max_{kind}_channels"] > 0 for d in sd.query_devices())
    except Exception:  # PortAudio missing or not starting: no device either way
        return False
