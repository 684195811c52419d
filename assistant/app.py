"""The composition root: configuration, journal, skills and the assistant, built here
for the command line, the service, bench/ and tests alike.

Only the configuration is imported up front: `assistant log list` calls `log_level`
and must not load the audio, skill or model libraries.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from assistant import config as config_module
from assistant.config import Config
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.audio import AudioSink, AudioSource
    from assistant.controls import Announcements, Controls
    from assistant.host import SkillHost
    from assistant.journal import DisabledJournal, Journal
    from assistant.pipeline import Assistant
    from assistant.recorder import JournalPort, Watcher
    from assistant.scheduler import Scheduler
    from assistant.skillkit import ClockPort, LoadedSkill, SkillContext
    from assistant.stages import LoadedModels

__all__ = [
    "build_assistant",
    "build_skill_host",
    "command_config",
    "load_config",
    "log_level",
    "open_assistant",
    "open_journal",
    "scratch_assistant",
    "skill_context",
]


# ----- configuration ------------------------------------------------------------------


def load_config(path: str | None) -> Config:
    """Read and validate the configuration (ConfigError names the bad key)."""
    return config_module.load(path)


def command_config(args: argparse.Namespace) -> Config:
    """The configuration of one command line, read once however often it is asked for."""
    loaded = vars(args).get("_loaded_config")
    if loaded is None:
        loaded = load_config(args.config)
        args._loaded_config = loaded
    return loaded


def log_level(args: argparse.Namespace) -> str:
    """The configured log level; a broken file is reported by the command itself."""
    try:
        return command_config(args).log_level
    except AssistantError:
        return "warning"


# ----- the parts ----------------------------------------------------------------------


def open_journal(config: Config) -> Journal | DisabledJournal:
    from assistant.journal import Journal

    return Journal.open(config)


def skill_context(
    loaded: LoadedSkill,
    config: Config,
    clock: ClockPort,
    journal: JournalPort | None,
    controls: Controls,
    announcements: Announcements,
    scheduler: Scheduler,
    catalog: list[LoadedSkill],
    dry_run: bool = False,
) -> SkillContext:
    """What one skill is given: its settings, its replies, a private folder, and only the
    ports its class declares (the privacy skill gets a few journal actions, never the
    journal)."""
    from assistant.skillkit import JournalPrivacy, Ports, build_context

    ports = Ports(
        clock=clock,
        scheduler=scheduler,
        announcer=announcements,
        privacy=JournalPrivacy(journal) if journal is not None else None,
        controls=controls,
        catalogue=tuple(catalog),
    )
    return build_context(loaded, ports, config.language, config.data_path / "skills", dry_run)


def build_skill_host(
    config: Config, clock: ClockPort, journal: JournalPort | None, dry_run: bool = False
) -> SkillHost:
    """The enabled skills, instantiated but not started (nothing runs, nothing is written).
    `dry_run`: skills that act on the world describe what they would do instead."""
    from assistant.controls import Announcements, Controls
    from assistant.dispatch import Dispatcher, instantiate
    from assistant.host import SkillHost
    from assistant.intents import IntentMatcher
    from assistant.paths import ensure_private_dir
    from assistant.scheduler import Scheduler
    from assistant.skillkit import enabled_skills

    data_dir = ensure_private_dir(config.data_path)
    controls = Controls(data_dir / "controls.json", clock)
    announcements = Announcements()
    scheduler = Scheduler(clock)
    loaded = enabled_skills(config)
    matcher = IntentMatcher(loaded, config.language)
    skills = instantiate(
        loaded,
        lambda skill: skill_context(
            skill, config, clock, journal, controls, announcements, scheduler, loaded, dry_run
        ),
    )
    dispatcher = Dispatcher(matcher, skills)
    return SkillHost(loaded, matcher, skills, dispatcher, controls, announcements, scheduler)


# ----- the assistant ------------------------------------------------------------------


def build_assistant(
    config: Config,
    *,
    journal: JournalPort | None = None,
    clock: ClockPort | None = None,
    source: AudioSource | None = None,
    sink: AudioSink | None = None,
    watcher: Watcher | None = None,
    reuse: LoadedModels | None = None,
    prepare_audio: bool = False,
    start: bool = True,
    dry_run: bool = False,
) -> Assistant:
    """An assistant, whole or not at all: on any exception, what was built is closed
    (the journal given included) and the exception goes on.

    `journal`: None keeps nothing; it is owned by the assistant from here on.
    `watcher(interaction)`: called after the journal, with the row id.
    `reuse`: models a previous assistant loaded (a reload).
    `prepare_audio`: load the models now. `start`: start the skills (timers, scheduler);
    a reload builds with `start=False` and starts the new one when it switches.
    """
    from assistant.pipeline import Assistant
    from assistant.recorder import Recorder
    from assistant.rejection import Thresholds
    from assistant.skillkit import SystemClock
    from assistant.stages import AudioStages
    from assistant.turn import Turn

    recorder = Recorder(journal, watcher)
    host: SkillHost | None = None
    try:
        clock = clock or SystemClock()
        host = build_skill_host(config, clock, journal, dry_run)
        audio = AudioStages(config, host.matcher, reuse)
        thresholds = Thresholds(config.stt.min_confidence, config.stt.min_confidence_actions)
        turn = Turn(
            host.dispatcher,
            host.controls,
            config.stt.mode,
            audio.decode_free,
            audio.sentences,
            thresholds,
            audio.second_opinion if config.stt.second_opinion else None,
            config.stt.ask_when_unsure,
        )
        assistant = Assistant(config, host, turn, audio, recorder, clock, source, sink)
        if prepare_audio:
            assistant.prepare_audio()
        if start:
            assistant.start()
    except BaseException:
        if host is not None:
            host.close()
        recorder.close()
        raise
    return assistant


def open_assistant(
    config: Config,
    *,
    clock: ClockPort | None = None,
    source: AudioSource | None = None,
    sink: AudioSink | None = None,
    watcher: Watcher | None = None,
    reuse: LoadedModels | None = None,
    prepare_audio: bool = False,
    start: bool = True,
) -> Assistant:
    """`build_assistant` with the configured journal: what the CLI and the service run."""
    return build_assistant(
        config,
        journal=open_journal(config),
        clock=clock,
        source=source,
        sink=sink,
        watcher=watcher,
        reuse=reuse,
        prepare_audio=prepare_audio,
        start=start,
    )


STATE_FILES = ("controls.json", "skills")
"""What skills read and write in the data directory (the journal is not among them)."""


@contextmanager
def scratch_assistant(config: Config) -> Iterator[Assistant]:
    """An assistant that reads the real state (timers, alarms, volume) from a copy, with
    no journal and owner commands only described: trying a sentence changes nothing, and
    "what alarms do I have" still names the alarms that are set."""
    with tempfile.TemporaryDirectory(prefix="assistant-skills-test-") as scratch:
        _copy_state(config.data_path, Path(scratch))
        replica = dataclasses.replace(config, data_dir=scratch)
        assistant = build_assistant(replica, dry_run=True)
        try:
            yield assistant
        finally:
            assistant.close()


def _copy_state(data_dir: Path, scratch: Path) -> None:
    """Copy the skills' state into `scratch` (private, like the original)."""
    import shutil

    for name in STATE_FILES:
        original = data_dir / name
        if original.is_dir() and not original.is_symlink():
            shutil.copytree(original, scratch / name)
        elif original.is_file() and not original.is_symlink():
            shutil.copy2(original, scratch / name)
