"""The owner's copy of the journal: entries as JSON lines or CSV, written to a new private
file without touching anything that already exists at that path."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from assistant.errors import JournalError
from assistant.journal.store import Entry
from assistant.paths import PRIVATE_FILE_MODE

FORMATS = ("jsonl", "csv")


def entry_json(entry: Entry) -> dict[str, Any]:
    """One entry as the owner sees it in JSON: id, local time, every field, false wake."""
    data = entry.to_json_dict()
    return {
        "id": data.pop("id"),
        "time": datetime.fromtimestamp(entry.started_at).astimezone().isoformat("T", "seconds"),
        **data,
        "false_wake": entry.is_false_wake,
    }


def write_entries(entries: Iterable[Entry], fmt: str, out: TextIO) -> int:
    """Write `entries` to `out` as `fmt` ('jsonl' or 'csv'); returns how many."""
    count = 0
    writer = None
    for entry in entries:
        data = entry_json(entry)
        if fmt == "jsonl":
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
        else:
            row = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v
                   for k, v in data.items()}  # fmt: skip
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
        count += 1
    if fmt == "csv" and writer is None:
        fields = [f.name for f in dataclasses.fields(Entry) if f.name not in ("audio", "id")]
        csv.writer(out).writerow(["id", "time", *fields, "false_wake"])
    out.flush()
    return count


def write_private(path: Path, force: bool, write: Callable[[TextIO], int]) -> int:
    """Write a new 0600 file at `path` with `write(out)`; returns what `write` returned.

    An existing path is refused; with `force` an existing regular file is replaced (a new
    file renamed over it, so its old mode and owner are never changed), and anything else
    (a device, a directory, a symbolic link) is still refused. The mode of something this
    function did not create is never changed.
    """
    _check_target(path, force)
    if not force:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                         PRIVATE_FILE_MODE)  # fmt: skip
        except FileExistsError:
            raise JournalError(f"{path} already exists; add --force to replace it") from None
        except OSError as e:
            raise JournalError(f"cannot write {path}: {os.strerror(e.errno or 0)}") from None
        return _fill(fd, path, write)
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as e:
        raise JournalError(f"cannot write {path}: {os.strerror(e.errno or 0)}") from None
    count = _fill(fd, Path(temporary), write)
    os.replace(temporary, path)  # renames the new file; never follows a link at `path`
    return count


def _check_target(path: Path, force: bool) -> None:
    if not path.parent.is_dir():
        raise JournalError(f"cannot write {path}: the folder {path.parent} does not exist")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        raise JournalError(f"{path} is a folder; give the name of a file to create")
    if not force:
        raise JournalError(f"{path} already exists; add --force to replace it")
    if not stat.S_ISREG(info.st_mode):
        raise JournalError(f"{path} exists and is not a regular file; it is left alone")


def _fill(fd: int, created: Path, write: Callable[[TextIO], int]) -> int:
    """Write through `fd` (a file this module created, 0600); remove it on any failure."""
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            count = write(out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        created.unlink(missing_ok=True)
        raise
    return count
