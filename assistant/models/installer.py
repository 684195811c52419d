"""Installing and removing models in the data directory: download, verify, unpack.

One install runs at a time per data directory (a lock on the downloads folder);
an interrupted one leaves at most a `.part` file that the next run resumes.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.config import Config
from assistant.errors import ModelError
from assistant.models.catalog import (
    CATALOGUE,
    ORIGIN_DATA_DIR,
    SAFE_NAME,
    CatalogueEntry,
    ModelLocation,
    downloads_dir,
    installed_models,
    is_package_name,
    models_dir,
    package_model,
    validate_model_dir,
)
from assistant.models.download import (
    ProgressCallback,
    SiteUnreachable,
    check_free_space,
    download,
    verify,
)
from assistant.models.unpack import unpack_into_place
from assistant.paths import ensure_private_dir

KOREAN_PACKAGE_ROUTE = "pip install 'household-assistant[ko]'"


def install(
    config: Config,
    name: str,
    *,
    url: str | None = None,
    sha256: str | None = None,
    on_progress: ProgressCallback | None = None,
    force: bool = False,
) -> ModelLocation:
    """Download, verify and unpack model `name` into `<data dir>/models/<name>/`.

    `url` and `sha256` override the catalogue (a mirror on the local network, or a
    model the catalogue does not list: then both are required). An already
    installed model is left alone unless `force`. `on_progress` is called as the
    download grows.
    """
    entry = entry_for(name, url, sha256)
    target = models_dir(config) / name
    if target.exists() and not force:
        return ModelLocation(
            name, validate_model_dir(target, f"installed model {name!r}"), ORIGIN_DATA_DIR
        )
    ensure_private_dir(Path(config.data_path))
    ensure_private_dir(models_dir(config))
    downloads = ensure_private_dir(downloads_dir(config))
    with _exclusive(downloads):
        _remove_stale_staging(models_dir(config), name)
        part = downloads / f"{name}-{entry.sha256[:16]}.zip.part"
        check_free_space(downloads, entry.size * 3 if entry.size else 0)
        try:
            download(entry.url, part, entry.size or None, on_progress)
        except SiteUnreachable as e:
            raise ModelError(unreachable_advice(name, e)) from None
        verify(part, entry.sha256)
        unpack_into_place(part, entry.top_folder, entry.url, target)
        part.unlink(missing_ok=True)
    return ModelLocation(name, target, ORIGIN_DATA_DIR)


def unreachable_advice(name: str, error: SiteUnreachable) -> str:
    """What to do in a house without internet access: "run it again" would not help."""
    lines = [
        f"cannot reach the download site {error.host} ({error.reason}); "
        "this device may have no internet access. Instead:",
        f"  from a mirror on your network: assistant models install {name} --url URL --sha256 HASH",
    ]
    language = CATALOGUE[name].language if name in CATALOGUE else ""
    if language in ("ko", ""):
        lines.append(f"  for Korean, the model as a package: {KOREAN_PACKAGE_ROUTE}")
    return "\n".join(lines)


def remove(config: Config, name: str) -> Path:
    """Delete data-dir model `name` (and any partial download of it); return its old path."""
    if is_package_name(name) and package_model(name) is not None:
        raise ModelError(
            f"{name} is an installed Python package: remove it with `pip uninstall {name}`"
        )
    if not SAFE_NAME.match(name):
        raise ModelError(f"{name!r} is not a model name")
    target = models_dir(config) / name
    parts = sorted(downloads_dir(config).glob(f"{name}-*.zip.part"))
    if not target.exists() and not parts:
        installed = ", ".join(m.name for m in installed_models(config)) or "none"
        raise ModelError(f"model {name!r} is not installed (installed: {installed})")
    if target.exists():
        # Rename first so that a half-deleted directory never looks like a model.
        doomed = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{name}.removing."))
        os.replace(target, doomed / name)
        shutil.rmtree(doomed)
    for part in parts:
        part.unlink(missing_ok=True)
    return target


def entry_for(name: str, url: str | None, sha256: str | None) -> CatalogueEntry:
    """The catalogue entry for `name`, with `url` and `sha256` applied; checks all three."""
    if not SAFE_NAME.match(name):
        raise ModelError(f"{name!r} is not a valid model name (letters, digits, '.', '_', '-')")
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ModelError("the SHA-256 must be 64 hexadecimal digits")
    if url is not None:
        _check_url(url)
    entry = CATALOGUE.get(name)
    if entry is None:
        if not (url and sha256):
            known = ", ".join(sorted(CATALOGUE))
            raise ModelError(
                f"unknown model {name!r} (known: {known}); "
                "to install another model give both --url and --sha256"
            )
        return CatalogueEntry(url=url, sha256=sha256, size=0, language="", top_folder="")
    if sha256 and sha256 != entry.sha256:
        # A different file: its size is unknown.
        entry = dataclasses.replace(entry, sha256=sha256, size=0)
    if url:
        entry = dataclasses.replace(entry, url=url)
    return entry


def _check_url(url: str) -> None:
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a port
    except ValueError as e:
        raise ModelError(f"--url {url!r} is not a valid address ({e})") from None
    if parts.scheme not in ("http", "https", "file") or (
        parts.scheme != "file" and not parts.hostname
    ):
        raise ModelError(f"--url {url!r}: expected an http://, https:// or file:// address")


@contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    """One install at a time per data directory (two would fight over the .part file)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ModelError(
                "another model installation is running in this data directory"
            ) from None
        yield
    finally:
        os.close(fd)


def _remove_stale_staging(parent: Path, name: str) -> None:
    # Left behind only by a power cut or SIGKILL during an earlier unpack.
    for stale in parent.glob(f".{name}.*"):
        shutil.rmtree(stale, ignore_errors=True)
