"""Where the assistant keeps its files, and how it creates them privately.

Data lives under `$STATE_DIRECTORY` when systemd provides one, otherwise under the
XDG data directory. Every directory we create is 0700 and every file 0600: the data
directory holds what the household said.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def default_data_dir() -> Path:
    state = os.environ.get("STATE_DIRECTORY")
    if state:
        # systemd may pass several colon-separated directories; the first is ours.
        return Path(state.split(":")[0])
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "assistant"


def default_config_candidates() -> list[Path]:
    """Config files tried in order when neither --config nor ASSISTANT_CONFIG is given."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [Path(xdg) / "assistant" / "assistant.yaml", Path("config") / "assistant.yaml"]


def ensure_private_dir(path: Path) -> Path:
    """Create `path` as 0700, and tighten it if it already exists. Missing parents are
    created 0700 too (mkdir(parents=True) would give them the umask's mode)."""
    if not path.parent.exists():
        ensure_private_dir(path.parent)
    path.mkdir(exist_ok=True, mode=PRIVATE_DIR_MODE)
    if path.stat().st_mode & 0o777 != PRIVATE_DIR_MODE:
        path.chmod(PRIVATE_DIR_MODE)
    return path


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` atomically to `path` with mode 0600 (temp file, fsync, rename)."""
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
