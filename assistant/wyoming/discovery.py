"""Announcing the service over zeroconf (`_wyoming._tcp`), as Home Assistant expects.

Only with `wyoming.discovery: true`, and only then is the optional `zeroconf` package
imported (`pip install 'household-assistant[wyoming-discovery]'`)."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from assistant.config import WyomingConfig
from assistant.errors import AssistantError

log = logging.getLogger(__name__)


class DiscoveryError(AssistantError):
    """Zeroconf was asked for but cannot run."""


async def announce(wyoming: WyomingConfig, name: str) -> Any:
    """Register the service as NAME[-ROOM]; returns the handle to keep until shutdown."""
    try:
        from wyoming.zeroconf import HomeAssistantZeroconf
    except ImportError:
        raise DiscoveryError(
            "wyoming.discovery is on but the zeroconf package is not installed "
            "(pip install 'household-assistant[wyoming-discovery]')"
        ) from None
    if wyoming.room:
        name = f"{name}-{wyoming.room}"
    # Listening on every address: let the library find this host's own address.
    host = None if ipaddress.ip_address(wyoming.host).is_unspecified else wyoming.host
    announcer = HomeAssistantZeroconf(port=wyoming.port, name=name, host=host)
    await announcer.register_server()
    log.info("announced over zeroconf as %s", name)
    return announcer


async def announce_if_asked(wyoming: WyomingConfig, name: str) -> Any:
    """Zeroconf only when asked for: the optional package is not even imported otherwise."""
    if not wyoming.discovery:
        return None
    return await announce(wyoming, name)
