"""`assistant doctor`: is this device ready to be an assistant, and if not, what to do.

Each check returns a `Check`: its name, whether it passed, a level (ok, warning,
error), what was found and, when something is wrong, the fix in one line. Checks do
the real thing (load the models, open the microphone and listen, play a tone) rather
than look for files, because "the file is there" is not what an owner needs to know.

Only an error makes the doctor fail. A microphone that opens but hears nothing is a
warning: a quiet room, a muted input and an unplugged microphone on a sound server all
sound the same for two seconds, and only the owner can tell which it is.
"""

from __future__ import annotations

import math
import os
import pwd
import socket
import stat
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant import config as config_module
from assistant.errors import AssistantError
from assistant.paths import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE

__all__ = ["Check", "run_checks", "OK", "WARNING", "ERROR", "SKIPPED"]

OK, WARNING, ERROR, SKIPPED = "ok", "warning", "error", "skipped"

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
MAX_LISTED_PATHS = 5


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    level: str
    """ok, warning (passes, but look at it), error (fails the doctor) or skipped."""
    detail: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def passed(name: str, detail: str) -> Check:
    return Check(name, True, OK, detail)


def warning(name: str, detail: str, fix: str) -> Check:
    return Check(name, True, WARNING, detail, fix)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, False, ERROR, detail, fix)


def run_checks(
    config_path: str | None,
    load: Callable[[str | None], config_module.Config] = config_module.load,
) -> Iterator[Check]:
    """Every check, in the order an owner would fix things; each is yielded as soon as
    it is done, so a terminal shows progress while the models load. `load` reads the
    configuration (the command line passes the one it has read already)."""
    config, check = check_config(config_path, load)
    yield check
    later = (
        "data directory",
        "wake word",
        "speech model",
        "voice",
        "microphone",
        "speaker",
        "journal",
    )
    if config is None:
        for name in later:
            yield Check(
                name,
                False,
                SKIPPED,
                "not checked: the configuration is not valid",
                "fix the configuration first",
            )
        return
    checks: list[Callable[[config_module.Config], Check]] = [
        check_data_dir,
        check_wake_word,
        check_speech_model,
        check_voice,
        check_microphone,
        check_speaker,
        check_journal,
    ]
    for run in checks:
        yield run(config)


# ----- configuration ------------------------------------------------------------------


def check_config(
    path: str | None,
    load: Callable[[str | None], config_module.Config] = config_module.load,
) -> tuple[config_module.Config | None, Check]:
    name = "configuration"
    try:
        config = load(path)
        from assistant.skillkit import load_skills

        load_skills(config)  # each enabled skill validates its own section
    except AssistantError as e:
        return None, failed(name, str(e), "correct the file; `assistant config check` re-checks it")
    where = config.source or "built-in defaults (no configuration file)"
    return config, passed(name, f"{where} is valid (language {config.language})")


# ----- files --------------------------------------------------------------------------


def check_data_dir(config: config_module.Config) -> Check:
    name = "data directory"
    root = config.data_path
    if not root.exists():
        return passed(name, f"{root} does not exist yet; it is created private (0700) on first run")
    try:
        info = root.stat()
        loose_dirs, loose_files = _loose_paths(root)
    except OSError as e:
        return failed(
            name,
            f"cannot read {root}: {e.strerror or e}",
            f"run the doctor as the user the assistant runs as (owner: {_owner(root)})",
        )
    if info.st_uid != os.geteuid():
        return failed(
            name,
            f"{root} belongs to {_owner(root)}, not to the user running this",
            f"run as {_owner(root)} (sudo -u {_owner(root)} ...), or: chown -R "
            f"{_user_name(os.geteuid())}: {root}",
        )
    if not os.access(root, os.W_OK | os.X_OK):
        return failed(name, f"{root} is not writable", f"chmod 700 {root}")
    if not loose_dirs and not loose_files:
        return passed(name, f"{root}: directories 0700, files 0600")
    found = [f"{p} is {_mode(p)}" for p in (loose_dirs + loose_files)[:MAX_LISTED_PATHS]]
    more = len(loose_dirs) + len(loose_files) - len(found)
    detail = "others may read what the household said: " + "; ".join(found)
    if more > 0:
        detail += f"; and {more} more"
    return failed(name, detail, _chmod_fix(root, loose_dirs, loose_files))


def _loose_paths(root: Path) -> tuple[list[Path], list[Path]]:
    """Directories not 0700 and files not 0600 under `root` (itself included); symbolic
    links are not followed."""
    dirs, files = [], []
    for path in [root, *sorted(root.rglob("*"))]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if stat.S_ISDIR(mode) and stat.S_IMODE(mode) != PRIVATE_DIR_MODE:
            dirs.append(path)
        elif stat.S_ISREG(mode) and stat.S_IMODE(mode) != PRIVATE_FILE_MODE:
            files.append(path)
    return dirs, files


def _chmod_fix(root: Path, dirs: list[Path], files: list[Path]) -> str:
    if len(dirs) + len(files) > MAX_LISTED_PATHS:
        return (
            f"find {root} -type d -exec chmod 700 {{}} + && "
            f"find {root} -type f -exec chmod 600 {{}} +"
        )
    commands = []
    if dirs:
        commands.append("chmod 700 " + " ".join(map(str, dirs)))
    if files:
        commands.append("chmod 600 " + " ".join(map(str, files)))
    return " && ".join(commands)


def _mode(path: Path) -> str:
    return f"{stat.S_IMODE(path.lstat().st_mode):04o}"


def _owner(path: Path) -> str:
    try:
        return _user_name(path.stat().st_uid)
    except OSError:
        return "its owner"


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


# ----- models -------------------------------------------------------------------------


def check_wake_word(config: config_module.Config) -> Check:
    name = "wake word"
    from assistant.audio import FRAME_SAMPLES

    try:
        import numpy as np

        from assistant.wake import WakeDetector, find_model

        detector = WakeDetector(config)
        detector.process(np.zeros(FRAME_SAMPLES, np.int16))  # loaded is not enough: run it once
        where = ", ".join(f"{w} ({find_model(w, config)})" for w in config.wake.words)
    except AssistantError as e:
        return failed(
            name,
            str(e),
            "set wake.words to an available model, or put the .tflite "
            f"file in {config.data_path / 'wake'}",
        )
    return passed(name, f"loaded and running: {where}")


def check_speech_model(config: config_module.Config) -> Check:
    name = "speech model"
    from assistant.models import DEFAULT_MODELS, install_hint, resolve_stt_model

    try:
        location = resolve_stt_model(config)
        from assistant.stt import SpeechModel

        SpeechModel(location.path).recognizer()
    except AssistantError as e:
        wanted = (
            (config.stt.model,) if config.stt.model else DEFAULT_MODELS.get(config.language, ())
        )
        hints = (
            " or ".join(install_hint(n) for n in wanted if n) or "`assistant models install NAME`"
        )
        return failed(
            name,
            str(e),
            f"install it with {hints}, or set stt.model to a model "
            "directory (`assistant models list` shows what is installed)",
        )
    return passed(name, f"{location.name} ({location.origin}, {location.path}) loaded")


def check_voice(config: config_module.Config) -> Check:
    name = "voice"
    try:
        from assistant.speech import Synthesizer

        speech = config.speech
        samples, rate = Synthesizer(
            config.language, speech.voice, speech.rate, speech.volume
        ).synthesize("ok")
    except AssistantError as e:
        return failed(
            name,
            str(e),
            "sudo apt-get install espeak-ng; set speech.voice to one "
            "that `espeak-ng --voices` lists, or leave it unset",
        )
    if not len(samples):
        return failed(
            name, "espeak-ng produced no audio", "sudo apt-get install --reinstall espeak-ng"
        )
    return passed(
        name, f"espeak-ng speaks {config.language} ({len(samples) / rate:.1f} s for a word)"
    )


# ----- audio devices ------------------------------------------------------------------


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


# ----- journal ------------------------------------------------------------------------


def check_journal(config: config_module.Config) -> Check:
    name = "journal"
    from assistant.journal import Journal
    from assistant.journal.store import DB_NAME

    if not (config.data_path / DB_NAME).exists():
        state = "on" if config.journal.enabled else "off"
        return passed(name, f"no journal yet (logging is {state}); it is created on first use")
    try:
        journal = Journal.open(config, sweep_every=None)
    except AssistantError as e:
        return failed(
            name, str(e), "check the data directory (above); `assistant log verify` shows more"
        )
    try:
        status = journal.status()
        report = journal.verify()
    except AssistantError as e:
        return failed(
            name,
            str(e),
            "check free space and the data directory; `assistant log verify` shows more",
        )
    finally:
        journal.close()
    return _judge_journal(name, status, report, journal.moved_aside)


def _judge_journal(name: str, status, report: Any, moved_aside: Path | None) -> Check:
    if moved_aside is not None:
        return failed(
            name,
            f"the journal was damaged; it was moved to {moved_aside} and a new one started",
            f"nothing to repair; delete {moved_aside} when you no longer need it",
        )
    if report.integrity != ("ok",):
        return failed(
            name,
            "integrity check failed: " + "; ".join(report.integrity[:3]),
            "stop the assistant and start it again: a damaged journal is moved aside "
            "(kept) and a new one started",
        )
    if report.residue or report.erasure_pending or report.audio_unreferenced:
        return failed(
            name, "deleted content is not yet fully erased from the files", "assistant log prune"
        )
    if report.audio_missing:
        return failed(
            name,
            f"{len(report.audio_missing)} kept recordings are missing",
            "assistant log prune, then assistant log verify",
        )
    if not status.logging and status.reason and status.reason.startswith("cannot log"):
        return failed(name, status.reason, "free some space, and check the data directory (above)")
    notes = []
    if report.damaged_copies:
        notes.append(f"damaged copies kept: {', '.join(report.damaged_copies)}")
    if not report.wal_cleared:
        notes.append("deleted content not checked: another program kept the journal busy")
    state = "logging" if status.logging else f"not logging ({status.reason})"
    if notes:
        return warning(
            name,
            f"sound, {state}; " + "; ".join(notes),
            "delete damaged copies you no longer need; `assistant log verify` rechecks",
        )
    return passed(name, f"sound, {state}; deleted content erased")
