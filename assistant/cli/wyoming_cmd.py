"""`assistant serve` and `assistant satellite`: the Wyoming protocol (docs/wyoming.md)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal

from assistant import config as config_module
from assistant.cli.common import UsageError
from assistant.errors import AssistantError

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="offer this assistant's stages to other speakers and Home Assistant (Wyoming)",
        description="Serve the wake word, recognition, intents, skills and speech over the "
        "Wyoming protocol on wyoming.host:wyoming.port, to the peers in wyoming.allow. "
        "Needs wyoming.enabled: true. Stops on Ctrl-C or SIGTERM.",
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
    from assistant.wyoming.host import Host

    config = _load_enabled(args.config)
    host = Host.build(config)
    try:
        asyncio.run(_serve(host, config))
    finally:
        host.close()
    return 0


async def _serve(host, config: config_module.Config) -> None:
    from assistant.wyoming.alive import supervised
    from assistant.wyoming.server import WyomingServer

    server = WyomingServer(host, config.wyoming)
    await _start(server.start, config)
    try:
        # Bound first (a port in use is reported at once), then every model loaded on the
        # thread that will use them, before the first peer waits for it.
        await asyncio.get_running_loop().run_in_executor(server.workers.turns, host.prepare)
        log.info("Wyoming service ready")
        await _announce_if_asked(config, "assistant")
        async with supervised("serving Wyoming"):
            await _until_signal()
    finally:
        await server.stop()


async def _start(start, config: config_module.Config) -> None:
    try:
        await start()
    except OSError as e:
        where = f"{config.wyoming.host} port {config.wyoming.port}"
        reason = os.strerror(e.errno) if e.errno else str(e)
        raise AssistantError(f"cannot listen on {where}: {reason}") from None


async def _announce_if_asked(config: config_module.Config, name: str):
    """Zeroconf only when asked for: the optional package is not even imported otherwise."""
    if not config.wyoming.discovery:
        return None
    from assistant.wyoming.discovery import announce

    return await announce(config.wyoming, name)


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")


def satellite_command(args: argparse.Namespace) -> int:
    config = _load_enabled(args.config)
    if config.wyoming.remote:
        from assistant.wyoming.remote import run_small_speaker

        return run_small_speaker(config)
    from assistant.wyoming.satellite import run_satellite

    return run_satellite(config)
