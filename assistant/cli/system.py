"""Commands about the device the assistant runs on: `assistant devices` and `assistant doctor`.

`devices` answers the first question of every audio setup: which microphones and
speakers can the assistant see, which ones does the system pick by default, and does
the configured `audio.input_device` / `audio.output_device` name one of them.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from assistant import app
from assistant.cli.common import print_json

if TYPE_CHECKING:
    from assistant.devices import Configured, DeviceListing


def register(subparsers: argparse._SubParsersAction) -> None:
    devices = subparsers.add_parser(
        "devices",
        help="list microphones and speakers, marking the defaults and the configured ones",
        description="List the audio input and output devices PortAudio can open. "
        "Set audio.input_device / audio.output_device to a name (or part of one) "
        "or a number shown here.",
    )
    devices.add_argument("--json", action="store_true", help="print JSON")
    devices.set_defaults(handler=show_devices)

    doctor = subparsers.add_parser(
        "doctor",
        help="check that this device is ready: configuration, models, microphone, speaker, files",
        description="Run every check and print one line each, with the fix for what fails: "
        "the configuration, the wake word and speech models (loaded for real), the microphone "
        "(opened and listened to for 2 s), the speaker (a short tone), the data directory's "
        "permissions and the journal's integrity. Exits non-zero when a check fails.",
    )
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    doctor.set_defaults(handler=run_doctor)


def show_devices(args: argparse.Namespace) -> int:
    from assistant.devices import list_devices

    listing = list_devices(app.command_config(args).audio)
    if args.json:
        print_json(listing.as_dict())
    else:
        for line in format_listing(listing):
            print(line)
    if listing.problem:
        print(f"assistant: {listing.problem} (see: assistant doctor)", file=sys.stderr)
        return 1
    return 0


def format_listing(listing: DeviceListing) -> list[str]:
    lines = []
    for title, devices in (
        ("Input devices (microphones):", listing.input),
        ("Output devices (speakers):", listing.output),
    ):
        lines.append(title)
        if not devices:
            lines.append("  none found")
        width = max((len(d.name) for d in devices), default=0)
        for d in devices:
            marks = [m for m, on in (("default", d.default), ("configured", d.configured)) if on]
            mark = f"  ({', '.join(marks)})" if marks else ""
            lines.append(
                f"  {d.index:>3}  {d.name:<{width}}  {d.hostapi}, {d.channels} ch, "
                f"{d.default_samplerate:.0f} Hz{mark}"
            )
    lines.append("")
    for kind, setting in (
        ("input", listing.configured_input),
        ("output", listing.configured_output),
    ):
        lines.append(f"audio.{kind}_device: {_describe(setting, listing, kind)}")
    return lines


def _describe(setting: Configured, listing: DeviceListing, kind: str) -> str:
    devices = listing.input if kind == "input" else listing.output
    names = {d.index: d.name for d in devices}
    if setting.problem:
        return f"{setting.value!r} - not usable: {setting.problem}"
    if setting.value is None:
        if setting.index is None:
            return f"not set (system default), but there is no default {kind} device"
        return f"not set, using the system default: {setting.index} {names.get(setting.index, '')}"
    name = names.get(setting.index, "") if setting.index is not None else ""
    return f"{setting.value!r} -> {setting.index} {name}"


DOCTOR_MARKS = {"ok": "ok  ", "warning": "WARN", "error": "FAIL", "skipped": "SKIP"}


def run_doctor(args: argparse.Namespace) -> int:
    from assistant.doctor import run_checks

    checks = []
    for check in run_checks(args.config, lambda path: app.command_config(args)):
        checks.append(check)
        if not args.json:
            # One line per check as it finishes: the models take a while to load.
            print(f"{DOCTOR_MARKS[check.level]}  {check.name}: {check.detail}", flush=True)
            if check.fix:
                print(f"      fix: {check.fix}", flush=True)
    ok = all(c.ok for c in checks)
    if args.json:
        print_json({"ok": ok, "checks": [c.as_dict() for c in checks]})
    else:
        failures = sum(not c.ok for c in checks)
        plural = "s" if failures > 1 else ""
        print("all checks passed" if ok else f"{failures} check{plural} failed")
    return 0 if ok else 1
