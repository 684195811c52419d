"""The control socket: one running assistant per device, whoever asks.

A running assistant listens on `control.sock` in its data directory (AF_UNIX, 0600,
inside the 0700 data directory). `assistant ask` sends it a typed command, so a timer set
by typing rings on the speaker of the assistant that is running, and a volume change
reaches it.

The protocol is one JSON object per line, at most `MAX_LINE_BYTES` each:

    client → {"op": "ask", "text": "...", "record": true, "speak": false}
    server → {"question": "..."}          (zero or more: the skill asks something)
    client → {"answer": "..."}            (one per question; "" when nobody answers)
    server → {"result": {...}}            (the interaction, as `--json` prints it)
          or {"error": "..."}

Only a peer running as the same user as the assistant (or root) is served: the
socket's mode already says so, SO_PEERCRED checks it again. What was typed never goes
to the process log.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import socketserver
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.paths import PRIVATE_FILE_MODE, ensure_private_dir

log = logging.getLogger(__name__)

SOCKET_NAME = "control.sock"
MAX_LINE_BYTES = 64 * 1024
"""A typed command is a sentence; anything longer is not a command."""
PEER_TIMEOUT_SECONDS = 10.0
"""How long the server waits for a request line: a client sends it at once."""
CLIENT_WAIT_SECONDS = 120.0
"""How long `assistant ask` waits for the running assistant (a spoken turn goes first)."""
ANSWER_TIMEOUT_SECONDS = 30.0
"""How long a skill's question waits for the typed answer. The turn holds the assistant
meanwhile (a spoken command waits for it), so it is bounded like a spoken answer is."""
MAX_SUN_PATH = 107
"""sockaddr_un holds 108 bytes with the terminating NUL."""

Answer = Callable[[str], str]
"""Asks the person a skill's question and returns what they answered ("" for nothing)."""
Handler = Callable[[str, bool, bool, Answer], dict[str, Any]]
"""(text, record, speak, answer) → the interaction as a JSON object."""


class ControlError(AssistantError):
    """The control socket could not be used."""


class NotRunning(ControlError):
    """No assistant is listening on the control socket."""


class SocketPathTooLong(ControlError):
    """The data directory's path does not fit in an AF_UNIX address."""


def socket_path(data_dir: Path) -> Path:
    return data_dir / SOCKET_NAME


def _check_length(path: Path) -> None:
    if len(os.fsencode(path)) > MAX_SUN_PATH:
        raise SocketPathTooLong(
            f"the data directory's path is too long for a control socket ({path}); "
            "choose a shorter data_dir"
        )


@dataclass(frozen=True)
class Request:
    op: str
    text: str
    record: bool
    speak: bool


def parse_request(line: bytes) -> Request:
    """A request line, or ValueError with a short reason (never the line itself)."""
    try:
        data = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ValueError("not a JSON object in UTF-8") from e
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    op, text = data.get("op"), data.get("text")
    record, speak = data.get("record", True), data.get("speak", False)
    if op != "ask":
        raise ValueError("unknown op")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty string")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid UTF-8") from None
    if not isinstance(record, bool) or not isinstance(speak, bool):
        raise ValueError("record and speak must be true or false")
    return Request(op, text, record, speak)


def _send(stream: Any, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
    stream.flush()


def _read_line(stream: Any) -> bytes:
    line = stream.readline(MAX_LINE_BYTES + 1)
    if len(line) > MAX_LINE_BYTES:
        raise ValueError("line too long")
    if not line:
        raise EOFError
    return line


def _peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


class _Connection(socketserver.StreamRequestHandler):
    server: _Server
    timeout = PEER_TIMEOUT_SECONDS

    def handle(self) -> None:
        if _peer_uid(self.request) not in (os.getuid(), 0):
            log.warning("control socket: refused a peer running as another user")
            return
        try:
            request = parse_request(_read_line(self.rfile))
        except EOFError:
            return
        except (ValueError, OSError) as e:
            log.info("control socket: bad request (%s)", e)
            self._reply({"error": f"bad request: {e}"})
            return
        try:
            result = self.server.handler(
                request.text, request.record, request.speak, self._ask_peer
            )
        except Exception as e:  # the assistant goes on whatever one request does
            log.error("control socket: the command failed (%s)", type(e).__name__)
            self._reply({"error": "the command failed"})
            return
        self._reply({"result": result})

    def _ask_peer(self, question: str) -> str:
        try:
            self._reply({"question": question})
            self.request.settimeout(ANSWER_TIMEOUT_SECONDS)
            data = json.loads(_read_line(self.rfile).decode("utf-8"))
        except (OSError, ValueError, EOFError, RecursionError):
            return ""  # no answer in time, or none that can be read: as if nobody spoke
        answer = data.get("answer") if isinstance(data, dict) else None
        return answer if isinstance(answer, str) else ""

    def _reply(self, message: dict[str, Any]) -> None:
        try:
            _send(self.wfile, message)
        except OSError:
            pass  # the peer went away; nothing to tell it


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    handler: Handler

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, never a traceback: the assistant goes on serving."""
        log.error("control socket: a connection failed unexpectedly")


class ControlServer:
    """Serves typed commands on `data_dir/control.sock` until `close()`."""

    def __init__(self, data_dir: Path, handler: Handler) -> None:
        ensure_private_dir(data_dir)
        self.path = socket_path(data_dir)
        _check_length(self.path)
        self._take_over_stale_socket()
        old_umask = os.umask(0o177)  # the socket file is created 0600, never wider
        try:
            self._server = _Server(str(self.path), _Connection)
        finally:
            os.umask(old_umask)
        os.chmod(self.path, PRIVATE_FILE_MODE)
        self._server.handler = handler
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="control-socket", daemon=True
        )
        self._thread.start()

    def _take_over_stale_socket(self) -> None:
        """A socket file left by a crashed assistant is removed; a live one is an error."""
        if not self.path.exists() and not self.path.is_symlink():
            return
        if is_running(self.path.parent):
            raise ControlError(f"another assistant is already running ({self.path})")
        self.path.unlink()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.path.unlink(missing_ok=True)


def is_running(data_dir: Path) -> bool:
    """True when an assistant answers on the control socket."""
    try:
        with _connect(socket_path(data_dir)):
            return True
    except NotRunning:
        return False


def _connect(path: Path) -> socket.socket:
    _check_length(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except (FileNotFoundError, NotADirectoryError, ConnectionRefusedError) as e:
        # Nothing listens there (a data directory that is a file included: building the
        # assistant then reports that, with the path).
        sock.close()
        raise NotRunning("no assistant is running") from e
    except PermissionError as e:
        sock.close()
        raise ControlError(
            f"not allowed to reach the running assistant ({path}): run as its user"
        ) from e
    return sock


def ask_running(
    data_dir: Path, text: str, answer: Answer, record: bool = True, speak: bool = False
) -> dict[str, Any]:
    """Send `text` to the running assistant; `answer` is asked each question it asks;
    `speak`: the assistant also says the reply on its speaker. Raises NotRunning when no
    assistant listens."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ControlError("the text is not valid UTF-8") from e
    with _connect(socket_path(data_dir)) as sock:
        sock.settimeout(CLIENT_WAIT_SECONDS)
        stream = sock.makefile("rwb")
        _send(stream, {"op": "ask", "text": text, "record": record, "speak": speak})
        while True:
            try:
                message = json.loads(_read_line(stream).decode("utf-8"))
            except (EOFError, ValueError, OSError) as e:
                raise ControlError("the running assistant did not answer") from e
            if not isinstance(message, dict):
                raise ControlError("the running assistant sent something unexpected")
            if "question" in message:
                _send(stream, {"answer": answer(str(message["question"]))})
            elif "result" in message and isinstance(message["result"], dict):
                return message["result"]
            else:
                raise ControlError(f"the running assistant refused: {message.get('error')}")
