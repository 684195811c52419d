"""Checks of the configuration's sections that open the assistant to the network (the
history page and Wyoming): addresses, ports, passwords and peers' networks. Kept apart
from assistant.config, which checks keys and types, because these rules are about what
the owner exposes, and change with the network features."""

from __future__ import annotations

import ipaddress  # small; urllib.parse is imported only where a remote is given
from typing import TYPE_CHECKING

from assistant.errors import ConfigError

if TYPE_CHECKING:
    from assistant.config import WebConfig, WyomingConfig


def check_web(web: WebConfig) -> None:
    if not 0 < web.port < 65536:
        raise ConfigError("web.port: must be between 1 and 65535")
    try:
        loopback = ipaddress.ip_address(web.listen).is_loopback
    except ValueError:
        raise ConfigError(f"web.listen: {web.listen!r} is not an IP address") from None
    if web.password is not None and len(web.password) < 8:
        raise ConfigError("web.password: use at least 8 characters")
    if not loopback and web.password is None:
        raise ConfigError("web.password: required when web.listen is not a loopback address")
    if (web.certificate is None) != (web.key is None):
        raise ConfigError("web.certificate and web.key: give both for HTTPS, or neither")


MAX_ROOM_CHARS = 64
"""As a peer may name its room (assistant.wyoming.peer): a longer or unprintable name
would be refused by the main speaker, and the small speaker's rings would go astray."""


def check_wyoming(wyoming: WyomingConfig) -> None:
    room = wyoming.room
    if room is not None and not (0 < len(room) <= MAX_ROOM_CHARS and room.isprintable()):
        shown = repr(room[:40]) + ("..." if len(room) > 40 else "")
        raise ConfigError(
            f"wyoming.room: a name of 1 to {MAX_ROOM_CHARS} printable characters, got {shown}"
        )
    if not 1 <= wyoming.port <= 65535:
        raise ConfigError(f"wyoming.port: must be between 1 and 65535, got {wyoming.port}")
    try:
        ipaddress.ip_address(wyoming.host)
    except ValueError:
        raise ConfigError(f"wyoming.host: not an IP address: {wyoming.host!r}") from None
    for i, entry in enumerate(wyoming.allow):
        check_network(f"wyoming.allow[{i}]", entry)
    if wyoming.remote is not None:
        from urllib.parse import urlparse

        try:
            url = urlparse(wyoming.remote)
            port = url.port
        except ValueError:
            port = None
            url = None
        if url is None or url.scheme != "tcp" or not url.hostname or port is None:
            raise ConfigError(f"wyoming.remote: expected tcp://HOST:PORT, got {wyoming.remote!r}")
    from assistant.wyoming.permissions import check_permissions

    check_permissions(wyoming.permissions)


def check_network(key: str, entry: object) -> None:
    """An address or a network as the owner wrote it. "192.168.1.20/24" is refused rather
    than silently widened to the whole /24 (one host was probably meant), and an IPv4
    address written as IPv6 ("::ffff:192.168.1.20") is refused: peers are seen as IPv4."""
    try:
        network = ipaddress.ip_network(entry, strict=False)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise ConfigError(f"{key}: not an address or network: {entry!r}") from None
    try:
        ipaddress.ip_network(entry)  # type: ignore[arg-type]
    except ValueError:
        one = str(entry).split("/")[0]
        raise ConfigError(
            f"{key}: {entry} has host bits set: write {network} for the network, or {one} "
            "for one address"
        ) from None
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped:
        raise ConfigError(f"{key}: write {network.network_address.ipv4_mapped} as IPv4")
