"""Runs every doctor check in the order an owner would fix things."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from assistant import config as config_module
from assistant.doctor.configuration import check_config
from assistant.doctor.devices import check_microphone, check_speaker
from assistant.doctor.models import check_speech_model, check_voice, check_wake_word
from assistant.doctor.result import SKIPPED, Check
from assistant.doctor.storage import check_data_dir, check_journal


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
