"""Announcing the service over zeroconf (`_wyoming._tcp`), as Home Assistant expects.

Only with `wyoming.discovery: true`, and only then is the optional `zeroconf` package
imported (`pip install 'household-assistant[wyoming-discovery]'`)."""

from __future__ import annotations

import logging
from typing import Any

from assistant.errors import AssistantError

log = logging.getLogger(__name__)


class DiscoveryError(AssistantError):
    """Zeroconf was asked for but cannot run."""


async def announce(port: int, name: str, host: str) -> Any:
    """Register the service; returns the handle to keep until shutdown."""
    try:
        from wyoming.zeroconf import HomeAssistantZeroconf
    except ImportError:
        raise DiscoveryError(
            "wyoming.discovery is on but the zeroconf package is not installed "
            "(pip install 'household-assistant[wyoming-discovery]')"
        ) from None
    announcer = HomeAssistantZeroconf(port=port, name=name, host=host)
    await announcer.register_server()
    log.info("announced over zeroconf as %s", name)
    return announcer
