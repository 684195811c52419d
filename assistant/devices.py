"""The audio devices PortAudio can open, with the system defaults and the configured
`audio.input_device` / `audio.output_device` resolved (what `assistant devices` shows)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from assistant.config import AudioConfig
from assistant.errors import AudioError

KINDS = ("input", "output")


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    hostapi: str
    channels: int
    default_samplerate: float
    default: bool
    configured: bool


@dataclass(frozen=True)
class Configured:
    """What the configuration asks for on one side, and what it resolves to."""

    value: str | int | None
    """audio.input_device / audio.output_device as written; None: the system default."""
    index: int | None
    """The device it resolves to; None when it resolves to nothing."""
    problem: str | None


@dataclass(frozen=True)
class DeviceListing:
    input: list[Device]
    output: list[Device]
    configured_input: Configured
    configured_output: Configured

    @property
    def problem(self) -> str | None:
        """Why the assistant cannot listen, in plain words; None when it can."""
        chosen = self.configured_input
        if chosen.problem:
            return f"the configured microphone {chosen.value!r} is not usable: {chosen.problem}"
        if chosen.index is None:
            return "no microphone: the system has no input device"
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "problem": self.problem,
            "input": [asdict(d) for d in self.input],
            "output": [asdict(d) for d in self.output],
            "configured": {
                "input": asdict(self.configured_input),
                "output": asdict(self.configured_output),
            },
        }


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as e:
        # The Python module loads fine, the C library behind it is missing.
        raise AudioError(f"PortAudio is not available ({e}); install libportaudio2") from None
    return sounddevice


def _default_index(sd: Any, kind: str) -> int | None:
    """The index the system picks for `kind`, or None when there is no such device."""
    try:
        return int(sd.query_devices(kind=kind)["index"])
    except sd.PortAudioError:
        return None


def _resolve(sd: Any, value: str | int | None, kind: str) -> Configured:
    if value is None:
        return Configured(value, _default_index(sd, kind), None)
    try:
        info = sd.query_devices(value, kind=kind)
    except (ValueError, sd.PortAudioError) as e:
        # sounddevice explains ambiguous and unknown names well; keep its words.
        return Configured(value, None, str(e))
    return Configured(value, int(info["index"]), None)


def list_devices(audio: AudioConfig) -> DeviceListing:
    """Every device PortAudio offers, split by direction, with the defaults and the
    configured devices marked."""
    sd = _sounddevice()
    try:
        infos = sd.query_devices()
        hostapis = sd.query_hostapis()
    except sd.PortAudioError as e:
        raise AudioError(f"cannot list audio devices: {e}") from None
    configured = {
        "input": _resolve(sd, audio.input_device, "input"),
        "output": _resolve(sd, audio.output_device, "output"),
    }
    listing: dict[str, list[Device]] = {kind: [] for kind in KINDS}
    for kind in KINDS:
        default = _default_index(sd, kind)
        chosen = configured[kind].index if configured[kind].value is not None else None
        for info in infos:
            channels = int(info[f"max_{kind}_channels"])
            if channels == 0:
                continue
            listing[kind].append(
                Device(
                    index=int(info["index"]),
                    name=str(info["name"]),
                    hostapi=str(hostapis[info["hostapi"]]["name"]),
                    channels=channels,
                    default_samplerate=float(info["default_samplerate"]),
                    default=info["index"] == default,
                    configured=info["index"] == chosen,
                )
            )
    return DeviceListing(
        listing["input"], listing["output"], configured["input"], configured["output"]
    )
