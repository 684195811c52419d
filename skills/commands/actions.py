"""Running an owner's command: a program as a fixed argument list, or a local HTTP request.

Slot values are data. They reach a program as whole arguments (and as environment
variables ASSISTANT_SLOT_<NAME>), never through a shell, so `; rm -rf ~` is just text
to it; a value that would reach the program as an option (`--help`) is refused unless
the owner's arguments end the options with `--` first, or the slot is a number range.
A program that outlives its time limit is killed with its whole process group.

An HTTP command resolves its host once, checks every answer is a local address, and
connects to the address it checked: a name that resolves differently the second time
cannot send the request elsewhere.

With `dry_run`, nothing is run or sent: the outcome describes what would have been.
What a program prints and what a request returns are never logged.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import os
import re
import shlex
import signal
import socket
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .settings import PLACEHOLDER, Command

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


LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "127.0.0.0/8",  # loopback
        "10.0.0.0/8",  # RFC 1918
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",  # link-local
        "::1/128",
        "fe80::/10",
        "fc00::/7",  # unique local addresses
    )
)
"""What counts as this machine or its local network. Python's `is_private` also
accepts 2001::/23, 198.18.0.0/15 and 240.0.0.0/4, which are not a house's network."""

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def is_local_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in LOCAL_NETWORKS)


def program_arguments(command: Command, values: dict[str, str]) -> list[str] | None:
    """The argument list, or None when a slot value would become the program or an option.

    A value starting with "-" in an argument of its own is read as an option by most
    programs (`touch --help`). It is allowed only after an owner's `--`, or when the
    slot is a number range and the value a number.
    """
    if PLACEHOLDER.search(command.run[0]):
        return None  # settings refuse this too; never let a slot choose the program
    argv = [command.run[0]]
    options_ended = False
    for template in command.run[1:]:
        argument = fill(template, values)
        if (
            not options_ended
            and argument.startswith("-")
            and not template.startswith("-")
            and not _is_number_slot(command, template, argument)
        ):
            return None
        options_ended = options_ended or template == "--"
        argv.append(argument)
    return argv


def _is_number_slot(command: Command, template: str, argument: str) -> bool:
    match = PLACEHOLDER.fullmatch(template)
    spec = command.slots.get(match.group(1)) if match else None
    return isinstance(spec, dict) and "range" in spec and bool(_NUMBER.match(argument))


def run_program(
    command: Command,
    values: dict[str, str],
    timeout: float,
    cwd: Path,
    language: str,
    dry_run: bool = False,
) -> Outcome:
    argv = program_arguments(command, values)
    if argv is None:
        log.warning("command %s: a slot value looks like an option; not run", command.name)
        return Outcome(False, problem="not_started")
    if dry_run:
        return Outcome(True, f"would run: {shlex.join(argv)}")
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
    except (OSError, ValueError) as e:  # ValueError: a NUL in an argument
        reason = getattr(e, "strerror", None) or type(e).__name__
        log.warning("command %s could not be started: %s", command.name, reason)
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


def resolve_checked(host: str, port: int, allow_remote: bool) -> list[tuple[Any, ...]] | None:
    """The addresses to connect to (getaddrinfo entries), resolved once; None when the
    name does not resolve or, without allow_remote, when any answer is not local."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        return None
    if not infos:
        return None
    if not allow_remote and not all(is_local_address(info[4][0]) for info in infos):
        return None
    return infos


def _connect_to(infos: list[tuple[Any, ...]], timeout: float) -> socket.socket:
    """A TCP connection to the first of the checked addresses that answers."""
    last: OSError = OSError("no address")
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as e:
            sock.close()
            last = e
    raise last


def _pinned_connection(
    parts: urllib.parse.SplitResult, infos: list[tuple[Any, ...]], timeout: float
) -> http.client.HTTPConnection:
    """An HTTP(S) connection that speaks to `parts.hostname` (Host header, TLS name) but
    connects only to the checked addresses, whatever the resolver says meanwhile."""
    host = parts.hostname or ""
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(host, parts.port, timeout=timeout)
    connection._create_connection = lambda *_args, **_kwargs: _connect_to(infos, timeout)  # type: ignore[attr-defined]
    return connection


def describe_request(command: Command, values: dict[str, str]) -> str:
    http = command.http
    assert http is not None
    return f"would request: {http.method} {_target_url(command, values)}"


def _target_url(command: Command, values: dict[str, str]) -> str:
    """The URL to ask: a GET carries the slot values in its query, a POST or PUT in its body."""
    http = command.http
    assert http is not None
    if http.method != "GET" or not values:
        return http.url
    separator = "&" if urllib.parse.urlsplit(http.url).query else "?"
    return f"{http.url}{separator}{urllib.parse.urlencode(values)}"


def send_request(
    command: Command,
    values: dict[str, str],
    timeout: float,
    allow_remote: bool,
    language: str,
    dry_run: bool = False,
) -> Outcome:
    http = command.http
    assert http is not None
    parts = urllib.parse.urlsplit(http.url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = resolve_checked(parts.hostname or "", port, allow_remote)
    if infos is None:
        log.warning("command %s: %s is not a local address; set allow_remote to allow it",
                    command.name, parts.hostname)  # fmt: skip
        return Outcome(False, problem="refused")
    if dry_run:
        return Outcome(True, describe_request(command, values))
    data = None
    headers = {str(k): str(v) for k, v in http.headers.items()}
    if http.method != "GET":
        payload = {"command": command.name, "language": language, "slots": values}
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    target = urllib.parse.urlsplit(_target_url(command, values))
    path = (target.path or "/") + (f"?{target.query}" if target.query else "")
    # http.client: no proxy from the environment (it would carry the request off the
    # machine) and no redirects (a local service must not send it elsewhere).
    connection = _pinned_connection(parts, infos, timeout)
    try:
        connection.request(http.method, path, body=data, headers=headers)
        response = connection.getresponse()
        body = response.read(OUTPUT_LIMIT * 4).decode("utf-8", "replace").strip()
    except TimeoutError:
        log.warning("command %s: the request timed out", command.name)
        return Outcome(False, problem="timeout")
    except (OSError, http.client.HTTPException, ValueError) as e:
        log.warning("command %s: the request failed (%s)", command.name, type(e).__name__)
        return Outcome(False, problem="failed")
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        log.warning("command %s: the request failed with HTTP status %d", command.name,
                    response.status)  # fmt: skip
        return Outcome(False, problem="failed")
    return Outcome(True, body[:OUTPUT_LIMIT])
