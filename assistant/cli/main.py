"""Entry point: global options, one sub-command module per area, errors made readable.

Each module in COMMAND_MODULES has `register(subparsers)`, which adds its commands
with `set_defaults(handler=...)`. Handlers take the parsed arguments and return an
exit code. This module is the one error path of the command line: a library error
(`AssistantError`) becomes one line on stderr and its exit code, a mistake on the
command line one line and exit 2, and anything unexpected one line naming its type
and exit 1. A traceback appears only with `--debug`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import NoReturn

from assistant import __version__
from assistant.errors import AssistantError

COMMAND_MODULES = ("run", "config_cmd", "models", "skills", "log", "system", "web", "wyoming_cmd")

EXIT_USAGE = 2
EXIT_UNEXPECTED = 1
EXIT_INTERRUPTED = 130
SHOWN_ARGUMENT_CHARS = 40
"""How much of a refused argument the error line repeats."""


class CommandLineParser(argparse.ArgumentParser):
    """argparse with one-line errors: the usage text is one `--help` away."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = CommandLineParser(
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
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an unexpected error (for a bug report)",
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


def refuse_undecodable(argv: list[str]) -> str | None:
    """The error line for the first argument that is not valid UTF-8, else None.

    Python hands such bytes over as lone surrogates; passed on they would fail deep
    inside a stage (the journal, JSON, the recogniser) instead of here.
    """
    for position, argument in enumerate(argv, start=1):
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            raw = os.fsencode(argument)[:SHOWN_ARGUMENT_CHARS]
            return (
                f"argument {position} is not valid UTF-8 text ({raw!r}); "
                "write it in UTF-8 (is the terminal's locale UTF-8?)"
            )
    return None


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    parsed: list[argparse.Namespace] = []
    try:
        return _run(arguments, parsed)
    except AssistantError as e:
        print(f"assistant: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `assistant log list | head` closed the pipe: not an error for the owner.
        _silence_stdout()
        return 0
    except OSError as e:
        if parsed and parsed[0].debug:
            raise
        # The system's own words and the file concerned: enough to act on.
        where = f": {e.filename}" if e.filename else ""
        print(f"assistant: error: {e.strerror or type(e).__name__}{where}", file=sys.stderr)
        return EXIT_UNEXPECTED
    except Exception as e:
        if parsed and parsed[0].debug:
            raise
        # The type only: a message may quote what was said, and stderr reaches journald.
        print(
            f"assistant: error: unexpected {type(e).__name__}; "
            "run the same command with --debug for details",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED


def _run(arguments: list[str], parsed: list[argparse.Namespace]) -> int:
    """Parse and run; the parsed arguments are appended to `parsed` for the error path."""
    problem = refuse_undecodable(arguments)
    if problem:
        print(f"assistant: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    args = parser.parse_args(arguments)
    parsed.append(args)
    empty = _empty_option(parser, args)
    if empty:
        # `run --input ""` would otherwise mean "no recording": listen on the microphone.
        print(f"assistant: error: argument {empty}: an empty value is not allowed", file=sys.stderr)
        return EXIT_USAGE
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from assistant.app import log_level

    setup_logging(args.log_level or log_level(args))
    return int(args.handler(args) or 0)


def _empty_option(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The first option given an empty string, in the parser and its subcommands."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = [sub for sub in action.choices.values() if _was_chosen(sub, args)]
            for sub in chosen:
                found = _empty_option(sub, args)
                if found:
                    return found
        elif action.option_strings and getattr(args, action.dest, None) == "":
            return action.option_strings[-1]
    return None


def _was_chosen(sub: argparse.ArgumentParser, args: argparse.Namespace) -> bool:
    handler = sub.get_default("handler")
    return handler is None or handler is getattr(args, "handler", None)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
