"""Entry point: global options, one sub-command module per area, errors made readable.

Each module in COMMAND_MODULES has `register(subparsers)`, which adds its commands
with `set_defaults(handler=...)`. Handlers take the parsed arguments and return an
exit code. Library errors (`AssistantError`) become one line on stderr here and
nowhere else, so no traceback ever reaches an owner.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from assistant import __version__
from assistant.errors import AssistantError

COMMAND_MODULES = ("run", "config_cmd", "models", "skills", "log", "system", "wyoming_cmd")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="An offline voice assistant that keeps only what you allow.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="configuration file (default: $ASSISTANT_CONFIG, ~/.config/assistant/assistant.yaml, "
        "then ./config/assistant.yaml)",
    )
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        help="process log level (default: from the configuration, 'warning')",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"assistant.cli.{name}").register(subparsers)
    return parser


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _configured_log_level(path: str | None) -> str:
    """The configuration's log_level; a broken file is reported by the command itself."""
    from assistant import config

    try:
        return config.load(path).log_level
    except AssistantError:
        return "warning"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    setup_logging(args.log_level or _configured_log_level(args.config))
    try:
        return int(args.handler(args) or 0)
    except AssistantError as e:
        print(f"assistant: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `assistant log list | head` closed the pipe: not an error for the owner.
        return 0
