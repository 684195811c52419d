"""Unpacking a model zip safely and atomically.

Every member is checked before anything is written: no path may leave the target
(absolute, `..`, drive letters, symbolic links), no name may appear twice, and no name
may be both a file and a folder. The zip is unpacked into a hidden staging folder
next to the target and renamed into place, so a model directory either is complete
or does not exist.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zlib
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from assistant.errors import ModelError
from assistant.models.catalog import validate_model_dir, visible_children
from assistant.models.download import CHUNK_BYTES, check_free_space
from assistant.paths import PRIVATE_FILE_MODE, ensure_private_dir

if TYPE_CHECKING:
    import zipfile

MAX_UNPACKED_BYTES = 8 * 1024**3
"""Refuse zips that claim to unpack to more than this (a damaged or hostile file)."""


def unpack_into_place(archive: Path, top_folder: str, source: str, target: Path) -> None:
    """Unpack `archive` (downloaded from `source`) so that its model becomes `target`."""
    import zipfile

    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.staging."))
    try:
        try:
            with zipfile.ZipFile(archive) as zf:
                extract_safely(zf, staging)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as e:
            # RuntimeError: an encrypted member; NotImplementedError: an unknown compression.
            raise ModelError(
                f"the downloaded file is not a usable zip archive ({e}); nothing was installed"
            ) from None
        root = _model_root(staging, top_folder)
        validate_model_dir(root, f"the archive from {source}")
        _swap_into_place(root, target)
    except ModelError:
        archive.unlink(missing_ok=True)  # refused as it is: downloading it again won't help
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_into_place(new: Path, target: Path) -> None:
    """Rename `new` to `target`; a reinstall moves the old model aside, and back on failure."""
    if not target.exists():
        os.replace(new, target)
        return
    old_holder = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old."))
    old = old_holder / target.name
    os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old, target)
        raise
    finally:
        shutil.rmtree(old_holder, ignore_errors=True)


def _model_root(staging: Path, top_folder: str) -> Path:
    if top_folder and (staging / top_folder).is_dir():
        return staging / top_folder
    children = visible_children(staging)
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    return staging


def extract_safely(zf: zipfile.ZipFile, dest: Path) -> None:
    """Unpack every member under `dest`, after checking that every member is safe."""
    members = zf.infolist()
    paths = check_members(members)
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        raise ModelError(f"the archive claims to unpack to {total / 1e9:.1f} GB; refusing it")
    check_free_space(dest, total)
    base = dest.resolve()
    for member, relative in zip(members, paths, strict=True):
        target = base.joinpath(*relative.parts)
        if not target.resolve().is_relative_to(base):
            raise ModelError(f"the archive holds an unsafe path {member.filename!r}; refusing it")
        if member.is_dir():
            ensure_private_dir(target)
            continue
        ensure_private_dir(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        with zf.open(member) as source, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK_BYTES)


def check_members(members: list[zipfile.ZipInfo]) -> list[PurePosixPath]:
    """Each member's safe relative path; ModelError for a zip that cannot unpack cleanly.

    A name twice (two different contents for one file) or a name that is a file in one
    member and a folder in another would make the result depend on the order of
    unpacking, or fail halfway: such a zip is refused before anything is written.
    """
    paths = [_member_path(m) for m in members]
    files: set[PurePosixPath] = set()
    folders: set[PurePosixPath] = set()
    for member, path in zip(members, paths, strict=True):
        is_folder = member.is_dir()
        if path in files or (path in folders and not is_folder):
            raise ModelError(
                f"the archive holds {member.filename!r} more than once "
                "(or as both a file and a folder); refusing it"
            )
        (folders if is_folder else files).add(path)
        folders.update(p for p in path.parents if p != PurePosixPath("."))
    both = files & folders
    if both:
        name = sorted(str(p) for p in both)[0]
        raise ModelError(f"the archive holds {name!r} as both a file and a folder; refusing it")
    return paths


def _member_path(member: zipfile.ZipInfo) -> PurePosixPath:
    name = member.filename.replace("\\", "/")
    path = PurePosixPath(name)
    mode = member.external_attr >> 16
    if (
        not name
        or path.is_absolute()
        or ".." in path.parts
        or path == PurePosixPath(".")
        or re.match(r"^[A-Za-z]:", name)
        or stat.S_ISLNK(mode)
        or "\0" in name
    ):
        raise ModelError(f"the archive holds an unsafe path {member.filename!r}; refusing it")
    return path
