"""Serve the page with uvicorn on the configured address, and print the URL to open.

The socket is bound here, before anything is printed, so a busy port is one clear
error line. uvicorn runs with its access log off (request lines would carry search
words in query strings), no server header, plain asyncio and h11, and no WebSocket
support: nothing runs until a request arrives.
"""

from __future__ import annotations

import ipaddress
import secrets
import signal
import socket
import ssl
from pathlib import Path
from typing import Any, TextIO

from assistant.config import Config
from assistant.errors import AssistantError, ConfigError


class ServeError(AssistantError):
    """The page cannot start (address in use, certificate unreadable)."""


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, reuse_port=False)
    except OSError as e:
        raise ServeError(f"cannot listen on {host} port {port}: {e.strerror or e}") from None
    # Accepted connections inherit this: a response's head and body are separate writes, and
    # with Nagle's algorithm a kept-alive connection would wait for a delayed ACK (~40 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def page_url(host: str, port: int, token: str, tls: bool) -> str:
    address = ipaddress.ip_address(host)
    if address.is_unspecified:
        host = "127.0.0.1" if address.version == 4 else "::1"
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}/?token={token}"


def tls_files(config: Config) -> tuple[str, str] | None:
    web = config.web
    if web.certificate is None or web.key is None:
        return None
    base = Path(config.source).parent if config.source else Path.cwd()
    files = tuple(str((base / Path(p).expanduser()).resolve()) for p in (web.certificate, web.key))
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(*files)
    except (OSError, ssl.SSLError) as e:
        raise ConfigError(f"web.certificate/web.key: cannot be used: {e}") from None
    return files[0], files[1]


def serve(
    config: Config, host: str | None = None, port: int | None = None, out: TextIO | None = None
) -> None:
    """Run until SIGINT/SIGTERM. `host`/`port` override the configuration."""
    import uvicorn

    from assistant.journal import Journal
    from assistant.web.app import create_app

    host = host or config.web.listen
    port = config.web.port if port is None else port
    tls = tls_files(config)
    sock = bind(host, port)
    token = secrets.token_urlsafe(32)
    # No background sweeper: retention runs when the journal opens and with each deletion,
    # so the page stays idle between requests.
    journal = Journal.open(config, sweep_every=None)
    try:
        app = create_app(config, journal, token=token, tls=tls is not None)
        server_config = uvicorn.Config(
            app,
            access_log=False,
            log_level="warning",
            server_header=False,
            proxy_headers=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            ws="none",
            ssl_certfile=tls[0] if tls else None,
            ssl_keyfile=tls[1] if tls else None,
            limit_concurrency=32,
            timeout_keep_alive=5,
        )
        actual_port = sock.getsockname()[1]
        if out is not None:
            out.write(f"The history page: {page_url(host, actual_port, token, tls is not None)}\n")
            if tls is None and not ipaddress.ip_address(host).is_loopback:
                out.write("Warning: without web.certificate the connection is not encrypted.\n")
            out.flush()
        _run_until_stopped(uvicorn.Server(server_config), sock)
    finally:
        sock.close()
        journal.close()


class _Stopped(Exception):
    pass


def _run_until_stopped(server: Any, sock: socket.socket) -> None:
    """Serve until SIGTERM or SIGINT. uvicorn shuts down gracefully, then raises the signal
    again for the handler it found; ours ends the loop so the journal closes normally."""

    def stop(signum: int, frame: object) -> None:
        raise _Stopped

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.run(sockets=[sock])
    except (_Stopped, KeyboardInterrupt):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
