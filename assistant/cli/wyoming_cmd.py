"""`assistant serve` and `assistant satellite`: the Wyoming protocol (docs/wyoming.md)."""

from __future__ import annotations

import argparse
import logging

from assistant import config as config_module
from assistant.cli.common import UsageError

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="offer this assistant's stages to other speakers and Home Assistant (Wyoming)",
        description="Serve the wake word, recognition, intents, skills and speech over the "
        "Wyoming protocol on wyoming.host:wyoming.port, to the peers in wyoming.allow, and "
        "listen on this speaker's own microphone (unless wyoming.microphone: false). "
        "Needs wyoming.enabled: true. Stops on Ctrl-C or SIGTERM; SIGHUP reloads.",
    )
    serve.set_defaults(handler=serve_command)
    satellite = subparsers.add_parser(
        "satellite",
        help="run this speaker as a small speaker of the main one, or a Home Assistant satellite",
        description="With wyoming.remote set: a small speaker that runs only the microphone, "
        "the wake word and the speaker, and lets the main assistant at wyoming.remote "
        "answer. Without it: a Wyoming satellite on wyoming.host:wyoming.port that Home "
        "Assistant can add. Needs wyoming.enabled: true.",
    )
    satellite.set_defaults(handler=satellite_command)


def _load_enabled(path: str | None) -> config_module.Config:
    config = config_module.load(path)
    if not config.wyoming.enabled:
        raise UsageError("the Wyoming protocol is off: set wyoming.enabled: true (docs/wyoming.md)")
    return config


def serve_command(args: argparse.Namespace) -> int:
    from assistant.wyoming.serving import serve

    return serve(args.config, _load_enabled(args.config))


async def _announce_if_asked(config: config_module.Config, name: str):
    """Zeroconf only when asked for: the optional package is not even imported otherwise."""
    from assistant.wyoming.discovery import announce_if_asked

    return await announce_if_asked(config.wyoming, name)


def satellite_command(args: argparse.Namespace) -> int:
    config = _load_enabled(args.config)
    if config.wyoming.remote:
        from assistant.wyoming.remote import run_small_speaker

        return run_small_speaker(config)
    from assistant.wyoming.satellite import run_satellite

    return run_satellite(config)
