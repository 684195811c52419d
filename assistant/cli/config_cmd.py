"""`assistant config check|show`."""

from __future__ import annotations

import argparse
import dataclasses

from assistant import config as config_module
from assistant.cli.common import print_json
from assistant.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="check or show the configuration")
    commands = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = commands.add_parser(
        "check", help="validate the configuration and the skills it enables"
    )
    check.set_defaults(handler=check_config)
    show = commands.add_parser("show", help="print the configuration in force, defaults included")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=show_config)


def load_config(args: argparse.Namespace) -> config_module.Config:
    """The configuration named on the command line, validated (skills included)."""
    config = config_module.load(args.config)
    from assistant.skillkit import load_skills

    load_skills(config)  # validates every enabled skill's own section
    return config


def check_config(args: argparse.Namespace) -> int:
    from assistant.config_check import check_usable

    config = config_module.load(args.config)
    try:
        check_usable(config)  # skills, their sentence templates and the data directory
    except ConfigError as e:
        raise ConfigError(f"{config.source}: {e}" if config.source else str(e)) from None
    print(f"{config.source or 'built-in defaults'}: configuration is valid")
    return 0


SECRETS = (("web", "password"),)
"""Settings shown as set or not, never as written: `config show` output gets pasted."""
HIDDEN = "(set, not shown)"


def show_config(args: argparse.Namespace) -> int:
    config = load_config(args)
    data = dataclasses.asdict(config)
    for section, key in SECRETS:
        if data.get(section, {}).get(key) is not None:
            data[section][key] = HIDDEN
    if args.json:
        print_json(data)
    else:
        import yaml

        print(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), end="")
    return 0
