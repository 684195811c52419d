"""What `assistant run` tells the person at the speaker: one line when it starts
listening, and plain words when there is no microphone.

The lines go to stderr (stdout carries `--json` interactions) and hold no transcript.
"""

from __future__ import annotations

from pathlib import Path

from assistant.config import Config, JournalConfig

STOP_HINT = "Ctrl-C stops."


def spoken_wake_word(word: str) -> str:
    """`hey_jarvis` (a model name) or `/models/hey_jarvis.tflite` → "hey jarvis"."""
    return Path(word).stem.replace("_", " ")


def retention_phrase(journal: JournalConfig) -> str:
    """The journal's policy in one phrase, as an owner would say it."""
    if not journal.enabled:
        return "keeping no history"
    days = f"{journal.retention_days:g} day{'s' if journal.retention_days != 1 else ''}"
    audio = f"audio for {journal.audio_retention_days:g} days" if journal.keep_audio else "no audio"
    return f"keeping {days} of history (at most {journal.max_interactions:,}), {audio}"


def device_phrase(value: str | int | None) -> str:
    return "the system default" if value is None else repr(value)


def ready_line(config: Config) -> str:
    words = " or ".join(f'"{spoken_wake_word(w)}"' for w in config.wake.words)
    return (
        f"Listening: say {words}, then a command ({config.language}). "
        f"Microphone: {device_phrase(config.audio.input_device)}; "
        f"speaker: {device_phrase(config.audio.output_device)}; "
        f"{retention_phrase(config.journal)}. {STOP_HINT}"
    )


def no_microphone_line(config: Config) -> str:
    return (
        f"No microphone: {device_phrase(config.audio.input_device)} cannot be opened. "
        "Plug one in (or set audio.input_device); `assistant devices` lists what there "
        "is and `assistant doctor` checks the setup. Trying again quietly."
    )


def microphone_back_line() -> str:
    return f"The microphone works again; listening. {STOP_HINT}"
