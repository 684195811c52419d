"""`assistant doctor`: is this device ready to be an assistant, and if not, what to do.

Each check returns a `Check`: its name, whether it passed, a level (ok, warning,
error), what was found and, when something is wrong, the fix in one line. Checks do
the real thing (load the models, open the microphone and listen, play a tone) rather
than look for files, because "the file is there" is not what an owner needs to know.

Only an error makes the doctor fail. A microphone that opens but hears nothing is a
warning: a quiet room, a muted input and an unplugged microphone on a sound server all
sound the same for two seconds, and only the owner can tell which it is.

The checks are grouped by what they look at: `configuration` and `models` (what the
owner installed and set), `devices` (microphone and speaker), `storage` (the data
directory and the journal); `runner` runs them in order and `result` is what each
one returns.
"""

from __future__ import annotations

from assistant.doctor.configuration import check_config
from assistant.doctor.devices import (
    LISTEN_SECONDS,
    SIGNAL_OVER_FLOOR_DB,
    SILENCE_PEAK,
    TONE_SECONDS,
    check_microphone,
    check_speaker,
)
from assistant.doctor.models import check_speech_model, check_voice, check_wake_word
from assistant.doctor.result import ERROR, OK, SKIPPED, WARNING, Check, failed, passed, warning
from assistant.doctor.runner import run_checks
from assistant.doctor.storage import MAX_LISTED_PATHS, check_data_dir, check_journal

__all__ = [
    "Check",
    "run_checks",
    "OK",
    "WARNING",
    "ERROR",
    "SKIPPED",
    "passed",
    "warning",
    "failed",
    "check_config",
    "check_data_dir",
    "check_wake_word",
    "check_speech_model",
    "check_voice",
    "check_microphone",
    "check_speaker",
    "check_journal",
    "LISTEN_SECONDS",
    "SILENCE_PEAK",
    "SIGNAL_OVER_FLOOR_DB",
    "TONE_SECONDS",
    "MAX_LISTED_PATHS",
]
