"""Doctor checks of what the assistant keeps: the data directory's modes and the journal."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path
from typing import Any

from assistant import config as config_module
from assistant.doctor.result import Check, failed, passed, warning
from assistant.errors import AssistantError
from assistant.paths import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE

MAX_LISTED_PATHS = 5


def check_data_dir(config: config_module.Config) -> Check:
    name = "data directory"
    root = config.data_path
    if not root.exists():
        return passed(name, f"{root} does not exist yet; it is created private (0700) on first run")
    try:
        info = root.stat()
        loose_dirs, loose_files = _loose_paths(root)
    except OSError as e:
        return failed(
            name,
            f"cannot read {root}: {e.strerror or e}",
            f"run the doctor as the user the assistant runs as (owner: {_owner(root)})",
        )
    if info.st_uid != os.geteuid():
        return failed(
            name,
            f"{root} belongs to {_owner(root)}, not to the user running this",
            f"run as {_owner(root)} (sudo -u {_owner(root)} ...), or: chown -R "
            f"{_user_name(os.geteuid())}: {root}",
        )
    if not os.access(root, os.W_OK | os.X_OK):
        return failed(name, f"{root} is not writable", f"chmod 700 {root}")
    if not loose_dirs and not loose_files:
        return passed(name, f"{root}: directories 0700, files 0600")
    found = [f"{p} is {_mode(p)}" for p in (loose_dirs + loose_files)[:MAX_LISTED_PATHS]]
    more = len(loose_dirs) + len(loose_files) - len(found)
    detail = "others may read what the household said: " + "; ".join(found)
    if more > 0:
        detail += f"; and {more} more"
    return failed(name, detail, _chmod_fix(root, loose_dirs, loose_files))


def _loose_paths(root: Path) -> tuple[list[Path], list[Path]]:
    """Directories not 0700 and files not 0600 under `root` (itself included); symbolic
    links are not followed."""
    dirs, files = [], []
    for path in [root, *sorted(root.rglob("*"))]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if stat.S_ISDIR(mode) and stat.S_IMODE(mode) != PRIVATE_DIR_MODE:
            dirs.append(path)
        elif stat.S_ISREG(mode) and stat.S_IMODE(mode) != PRIVATE_FILE_MODE:
            files.append(path)
    return dirs, files


def _chmod_fix(root: Path, dirs: list[Path], files: list[Path]) -> str:
    if len(dirs) + len(files) > MAX_LISTED_PATHS:
        return (
            f"find {root} -type d -exec chmod 700 {{}} + && "
            f"find {root} -type f -exec chmod 600 {{}} +"
        )
    commands = []
    if dirs:
        commands.append("chmod 700 " + " ".join(map(str, dirs)))
    if files:
        commands.append("chmod 600 " + " ".join(map(str, files)))
    return " && ".join(commands)


def _mode(path: Path) -> str:
    return f"{stat.S_IMODE(path.lstat().st_mode):04o}"


def _owner(path: Path) -> str:
    try:
        return _user_name(path.stat().st_uid)
    except OSError:
        return "its owner"


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def check_journal(config: config_module.Config) -> Check:
    name = "journal"
    from assistant.journal import Journal
    from assistant.journal.store import DB_NAME

    if not (config.data_path / DB_NAME).exists():
        state = "on" if config.journal.enabled else "off"
        return passed(name, f"no journal yet (logging is {state}); it is created on first use")
    try:
        journal = Journal.open(config, sweep_every=None)
    except AssistantError as e:
        return failed(
            name, str(e), "check the data directory (above); `assistant log verify` shows more"
        )
    try:
        status = journal.status()
        report = journal.verify()
    except AssistantError as e:
        return failed(
            name,
            str(e),
            "check free space and the data directory; `assistant log verify` shows more",
        )
    finally:
        journal.close()
    return _judge_journal(name, status, report, journal.moved_aside)


def _judge_journal(name: str, status, report: Any, moved_aside: Path | None) -> Check:
    if moved_aside is not None:
        return failed(
            name,
            f"the journal was damaged; it was moved to {moved_aside} and a new one started",
            f"nothing to repair; delete {moved_aside} when you no longer need it",
        )
    if report.integrity != ("ok",):
        return failed(
            name,
            "integrity check failed: " + "; ".join(report.integrity[:3]),
            "stop the assistant and start it again: a damaged journal is moved aside "
            "(kept) and a new one started",
        )
    if report.residue or report.erasure_pending or report.audio_unreferenced:
        return failed(
            name, "deleted content is not yet fully erased from the files", "assistant log prune"
        )
    if report.audio_missing:
        return failed(
            name,
            f"{len(report.audio_missing)} kept recordings are missing",
            "assistant log prune, then assistant log verify",
        )
    if not status.logging and status.reason and status.reason.startswith("cannot log"):
        return failed(name, status.reason, "free some space, and check the data directory (above)")
    notes = []
    if report.damaged_copies:
        notes.append(f"damaged copies kept: {', '.join(report.damaged_copies)}")
    if not report.wal_cleared:
        notes.append("deleted content not checked: another program kept the journal busy")
    state = "logging" if status.logging else f"not logging ({status.reason})"
    if notes:
        return warning(
            name,
            f"sound, {state}; " + "; ".join(notes),
            "delete damaged copies you no longer need; `assistant log verify` rechecks",
        )
    return passed(name, f"sound, {state}; deleted content erased")
