"""`assistant models list|path|install|remove`: the speech models on this device."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from assistant import config as config_module
from assistant import models
from assistant.cli.common import print_json
from assistant.errors import ModelError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list, install or remove speech models")
    commands = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    listing = commands.add_parser("list", help="show installed models and which one is in use")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=list_models)

    path = commands.add_parser("path", help="print the directory of the speech model in use")
    path.set_defaults(handler=print_path)

    install = commands.add_parser(
        "install",
        help="download, verify and unpack a model into the data directory",
        description="Known models: "
        + ", ".join(
            f"{n} ({e.language}, {e.size / 1e6:.0f} MB)" for n, e in models.CATALOGUE.items()
        ),
    )
    install.add_argument("name", help="catalogue name, e.g. en-us-small")
    install.add_argument(
        "--url", help="download from this address instead (a mirror on your network)"
    )
    install.add_argument(
        "--sha256", help="expected SHA-256 of the zip, when it differs from the catalogue's"
    )
    install.add_argument("--quiet", action="store_true", help="no progress bar")
    install.add_argument("--force", action="store_true", help="reinstall even if already installed")
    install.set_defaults(handler=install_model)

    remove = commands.add_parser("remove", help="delete a model from the data directory")
    remove.add_argument("name")
    remove.set_defaults(handler=remove_model)


def _in_use(config: config_module.Config) -> tuple[models.ModelLocation | None, str | None]:
    try:
        return models.resolve_stt_model(config), None
    except ModelError as e:
        return None, str(e)


def list_models(args: argparse.Namespace) -> int:
    config = config_module.load(args.config)
    installed = models.installed_models(config)
    in_use, problem = _in_use(config)
    installed_names = {m.name for m in installed if m.origin == models.ORIGIN_DATA_DIR}
    available = {n: e for n, e in models.CATALOGUE.items() if n not in installed_names}
    if args.json:
        print_json(
            {
                "language": config.language,
                "in_use": in_use.as_dict() if in_use else None,
                "problem": problem,
                "installed": [m.as_dict() for m in installed],
                "available": [
                    {"name": n, "language": e.language, "size": e.size, "url": e.url}
                    for n, e in available.items()
                ],
            }
        )
        return 0
    if installed:
        width = max(len(m.name) for m in installed)
        origin_width = max(len(m.origin) for m in installed)
        for m in installed:
            mark = "*" if in_use and m.path == in_use.path else " "
            print(f"{mark} {m.name:<{width}}  {m.origin:<{origin_width}}  {m.path}")
    else:
        print("no models installed")
    if in_use:
        print(f"in use for {config.language!r}: {in_use.name} ({in_use.origin}) {in_use.path}")
    else:
        print(f"in use for {config.language!r}: none; {problem}")
    if available:
        print(
            "available to install: "
            + ", ".join(f"{n} ({e.size / 1e6:.0f} MB)" for n, e in available.items())
        )
    return 0


def print_path(args: argparse.Namespace) -> int:
    config = config_module.load(args.config)
    print(models.resolve_stt_model(config).path)
    return 0


def install_model(args: argparse.Namespace) -> int:
    config = config_module.load(args.config)
    target = models.models_dir(config) / args.name
    if target.exists() and not args.force:
        location = models.install(config, args.name, url=args.url, sha256=args.sha256)
        print(f"{location.name} is already installed in {location.path} (--force reinstalls it)")
        return 0
    bar = None
    if not args.quiet and sys.stderr.isatty():
        entry = models.CATALOGUE.get(args.name)
        size = f" ({entry.size / 1e6:.1f} MB)" if entry and not args.sha256 else ""
        source = args.url or (entry.url if entry else "")
        print(f"downloading {args.name}{size} from {source}", file=sys.stderr)
        bar = ProgressBar(sys.stderr)
    location = models.install(
        config,
        args.name,
        url=args.url,
        sha256=args.sha256,
        on_progress=bar.show if bar else None,
        force=args.force,
    )
    print(f"installed {location.name} in {location.path}")
    return 0


class ProgressBar:
    """`[#####-----]  42%  17.3/41.2 MB  2.1 MB/s` on one line of a terminal."""

    WIDTH = 24
    INTERVAL = 0.1
    """Seconds between redraws."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.last_drawn = 0.0

    def show(self, progress: models.DownloadProgress) -> None:
        now = time.monotonic()
        if progress.resumed_from == progress.done and not progress.finished:
            self.started = now  # a new request: speed counts from here
        if progress.finished or now - self.last_drawn >= self.INTERVAL:
            self.last_drawn = now
            self.stream.write("\r" + self.line(progress, now))
            if progress.finished:
                self.stream.write("\n")
            self.stream.flush()

    def line(self, progress: models.DownloadProgress, now: float) -> str:
        elapsed = max(now - self.started, 1e-6)
        speed = (progress.done - progress.resumed_from) / elapsed / 1e6
        if progress.total:
            fraction = min(progress.done / progress.total, 1.0)
            filled = int(fraction * self.WIDTH)
            return (
                f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {fraction * 100:3.0f}%  "
                f"{progress.done / 1e6:.1f}/{progress.total / 1e6:.1f} MB  {speed:.1f} MB/s"
            )
        return f"{progress.done / 1e6:.1f} MB  {speed:.1f} MB/s"


def remove_model(args: argparse.Namespace) -> int:
    config = config_module.load(args.config)
    in_use, _ = _in_use(config)
    path = models.remove(config, args.name)
    print(f"removed {args.name} ({path})")
    if in_use and in_use.path == path:
        print(f"note: it was the model in use for {config.language!r}")
    return 0
