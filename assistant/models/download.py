"""Downloading a model zip: resumable, verified, and honest about an unreachable site.

The file grows in a `.part` file that later attempts (and later runs) resume with an
HTTP Range request; its SHA-256 decides whether it is the file that was meant.
Progress goes to a callback: this module never writes to the screen.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ModelError
from assistant.paths import PRIVATE_FILE_MODE

# urllib.request (with ssl) is imported where used: every command module is imported
# at start-up, and `assistant log list` should not pay for a downloader it never runs.

DOWNLOAD_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 0.5
"""Doubled after each failed attempt."""
NETWORK_TIMEOUT_SECONDS = 30
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class DownloadProgress:
    """One step of a download, for whoever shows it."""

    done: int
    """Bytes of the file present so far (resumed bytes included)."""
    total: int | None
    """Size of the whole file in bytes, when the server said."""
    resumed_from: int
    """Bytes that were already there when this request started."""
    finished: bool = False
    """True once for each request, when it ends (completely or not)."""


ProgressCallback = Callable[[DownloadProgress], None]


class SiteUnreachable(ModelError):
    """No connection to the download site at all (no internet, no route, no name)."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"cannot reach {host} ({reason})")
        self.host = host
        self.reason = reason


def download(url: str, part: Path, size: int | None, on_progress: ProgressCallback | None) -> None:
    """Fill `part` with the file at `url`, resuming what an earlier attempt left."""
    import http.client
    import urllib.error

    last_error = ""
    reached = False
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
            if _fetch(url, part, have, on_progress):
                return
            reached = True
            last_error = "the connection closed before the end of the file"
        except urllib.error.HTTPError as e:
            reached = True
            if e.code == 416:  # our .part is not a prefix of what the server has
                part.unlink(missing_ok=True)
                last_error = "the server refused to resume"
            elif 400 <= e.code < 500:
                raise ModelError(f"cannot download {url}: HTTP {e.code} {e.reason}") from None
            else:
                last_error = f"HTTP {e.code} {e.reason}"
        except urllib.error.URLError as e:
            # No answer at all: name, route or connection refused.
            last_error = str(getattr(e, "reason", None) or e)
            if isinstance(e.reason, str):
                raise ModelError(f"cannot download {url}: {e.reason}") from None
        except (http.client.HTTPException, OSError) as e:
            reached = True
            last_error = str(e) or type(e).__name__
        except ValueError as e:  # urllib's "unknown url type" and friends
            raise ModelError(f"cannot download {url!r}: {e}") from None
    if not reached:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "file":
            raise ModelError(f"cannot read {url}: {_reason_text(last_error)}")
        raise SiteUnreachable(parts.hostname or url, _reason_text(last_error))
    raise ModelError(
        f"download of {url} failed after {DOWNLOAD_ATTEMPTS} attempts ({last_error}); "
        "run the same command again to resume"
    )


def _reason_text(reason: str) -> str:
    # "[Errno -2] Name or service not known" → "Name or service not known"
    return re.sub(r"^\[Errno -?\d+\]\s*", "", reason) or "no answer"


def _fetch(url: str, part: Path, have: int, on_progress: ProgressCallback | None) -> bool:
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
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if resumed else os.O_TRUNC)
        fd = os.open(part, flags, PRIVATE_FILE_MODE)
        done = start
        try:
            with os.fdopen(fd, "ab" if resumed else "wb") as out:
                try:
                    while chunk := response.read(CHUNK_BYTES):
                        out.write(chunk)
                        done += len(chunk)
                        if on_progress:
                            on_progress(DownloadProgress(done, total, start))
                finally:
                    out.flush()
                    os.fsync(out.fileno())
        finally:
            if on_progress:
                on_progress(DownloadProgress(done, total, start, finished=True))
    return total is None or done >= total


def _range_start(response: Any) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def verify(part: Path, expected: str) -> None:
    """Delete `part` and raise unless its SHA-256 is `expected`."""
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


def check_free_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if needed and free < needed:
        raise ModelError(
            f"not enough free space in {directory}: "
            f"{needed / 1e6:.0f} MB needed, {free / 1e6:.0f} MB free"
        )
