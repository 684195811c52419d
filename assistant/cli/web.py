"""`assistant web`: the household's history page, served on this device.

A thin layer over `assistant.web.server`: parse, load the configuration, serve.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys

from assistant import config as config_module
from assistant.cli.common import UsageError
from assistant.errors import AssistantError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "web",
        help="serve the history page (review, listen, delete) on this device",
        description="Serve the history page and print its address with a random access "
        "token. By default it listens on 127.0.0.1 only; the web.* keys of the configuration "
        "set the address, a password for other devices and HTTPS (docs/web.md).",
    )
    parser.add_argument("--listen", metavar="ADDRESS", help="IP address to listen on (web.listen)")
    parser.add_argument("--port", type=int, metavar="N", help="port (web.port; 0: any free port)")
    parser.set_defaults(handler=cmd_web)


def cmd_web(args: argparse.Namespace) -> int:
    config = config_module.load(args.config)
    if args.listen is not None:
        _check_listen(args.listen, config)
    if args.port is not None and not 0 <= args.port < 65536:
        raise UsageError("--port: must be between 0 and 65535")
    try:
        import jinja2  # noqa: F401
        import python_multipart  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ModuleNotFoundError as e:
        raise MissingExtra(
            f"the history page needs {e.name}: pip install 'household-assistant[web]'"
        ) from None
    from assistant.web.server import serve

    serve(config, host=args.listen, port=args.port, out=sys.stdout)
    return 0


class MissingExtra(AssistantError):
    exit_code = 2


def _check_listen(address: str, config: config_module.Config) -> None:
    try:
        loopback = ipaddress.ip_address(address).is_loopback
    except ValueError:
        raise UsageError(f"--listen: {address!r} is not an IP address") from None
    if not loopback and not config.web.password:
        raise UsageError(
            "--listen: set web.password in the configuration to listen beyond loopback"
        )
