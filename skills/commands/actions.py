"""Running an owner's command: a program as a fixed argument list, or a local HTTP request.

Slot values are data. They reach a program as whole arguments (and as environment
variables ASSISTANT_SLOT_<NAME>), never through a shell, so `; rm -rf ~` is just text
to it. A program that outlives its time limit is killed with its whole process group.
What a program prints and what a request returns are never logged.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .settings import PLACEHOLDER, Command, is_local_address

log = logging.getLogger(__name__)

OUTPUT_LIMIT = 2000
"""Characters of a program's output (or a response body) kept for the reply."""


@dataclass
class Outcome:
    ok: bool
    output: str = ""
    problem: str | None = None
    """'timeout', 'failed', 'not_started' or 'refused' (a remote address without allow_remote)."""


def fill(template: str, values: dict[str, str]) -> str:
    """Replace {slot} with its value, once, literally (a value's own braces stay as they are)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def run_program(
    command: Command, values: dict[str, str], timeout: float, cwd: Path, language: str
) -> Outcome:
    argv = [fill(arg, values) for arg in command.run]
    env = dict(os.environ)
    env.update({f"ASSISTANT_SLOT_{k.upper()}": v for k, v in values.items()})
    env["ASSISTANT_COMMAND"] = command.name
    env["ASSISTANT_LANGUAGE"] = language
    try:
        # A list and shell=False: the program gets exactly these arguments.
        # A new session: on timeout the program and everything it started can be killed.
        process = subprocess.Popen(  # noqa: S603 - argv is the owner's fixed list
            argv,
            shell=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    except OSError as e:
        log.warning(
            "command %s could not be started: %s", command.name, e.strerror or type(e).__name__
        )
        return Outcome(False, problem="not_started")
    try:
        stdout, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        log.warning("command %s was stopped after %.1f s", command.name, timeout)
        return Outcome(False, problem="timeout")
    output = stdout.decode("utf-8", "replace").strip()[:OUTPUT_LIMIT]
    if process.returncode != 0:
        log.warning("command %s exited with status %d", command.name, process.returncode)
        return Outcome(False, output, problem="failed")
    return Outcome(True, output)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    # A child that left the group may still hold the pipe open: do not wait for it.
    if process.stdout is not None:
        process.stdout.close()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A local service that redirects elsewhere must not take the request with it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        raise urllib.error.HTTPError(req.full_url, code, "redirect refused", headers, fp)


def resolves_locally(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(infos) and all(is_local_address(info[4][0]) for info in infos)


def send_request(
    command: Command, values: dict[str, str], timeout: float, allow_remote: bool, language: str
) -> Outcome:
    http = command.http
    assert http is not None
    if not allow_remote and not resolves_locally(http.url):
        log.warning("command %s: %s is not a local address; set allow_remote to allow it",
                    command.name, urllib.parse.urlsplit(http.url).hostname)  # fmt: skip
        return Outcome(False, problem="refused")
    payload = {"command": command.name, "language": language, "slots": values}
    url, data = http.url, None
    headers = {str(k): str(v) for k, v in http.headers.items()}
    if http.method == "GET":
        separator = "&" if urllib.parse.urlsplit(url).query else "?"
        url = f"{url}{separator}{urllib.parse.urlencode(values)}" if values else url
    else:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, headers=headers, method=http.method)
    # No proxy (a proxy from the environment would carry the request off the machine), no redirects.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(OUTPUT_LIMIT * 4).decode("utf-8", "replace").strip()
    except urllib.error.HTTPError as e:
        log.warning("command %s: the request failed with HTTP status %d", command.name, e.code)
        return Outcome(False, problem="failed")
    except (urllib.error.URLError, OSError) as e:
        timed_out = isinstance(getattr(e, "reason", e), TimeoutError) or isinstance(e, TimeoutError)
        log.warning("command %s: the request failed (%s)", command.name, type(e).__name__)
        return Outcome(False, problem="timeout" if timed_out else "failed")
    return Outcome(True, body[:OUTPUT_LIMIT])
