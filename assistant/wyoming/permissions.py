"""What each Wyoming peer may ask the main speaker to do (`wyoming.permissions`).

The allow-list says who may connect; this says what they may run. A peer in no listed
network gets the household default: it may ask questions, set and stop timers and
alarms, and delete what was said in its own room, but not delete the whole history,
change settings (volume, microphone, logging) or run the owner's commands. A refused
intent gets a short spoken refusal, is journaled as `declined`, and no skill runs.

The most specific listed network that holds the peer's address decides.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.errors import ConfigError

if TYPE_CHECKING:
    from assistant.config import WyomingPermission
    from assistant.intents import IntentMatch

log = logging.getLogger(__name__)

ASK = "ask"
DELETE_OWN_ROOM = "delete_own_room"
DELETE_HISTORY = "delete_history"
SETTINGS = "settings"
COMMANDS = "commands"
ALL = "all"
PERMISSIONS = (ASK, DELETE_OWN_ROOM, DELETE_HISTORY, SETTINGS, COMMANDS)
"""Every permission; `all` in the configuration stands for all of them."""
DEFAULT = frozenset({ASK, DELETE_OWN_ROOM})
"""What a peer in no listed network may do."""

NEEDS: dict[str, str] = {
    "PrivacyDeleteLast": DELETE_OWN_ROOM,  # the newest thing said in the asker's room
    "PrivacyDeleteToday": DELETE_HISTORY,  # every room's
    "PrivacyDeleteAll": DELETE_HISTORY,
    "PrivacyPause": SETTINGS,
    "PrivacyResume": SETTINGS,
    "SystemVolumeUp": SETTINGS,
    "SystemVolumeDown": SETTINGS,
    "SystemVolumeSet": SETTINGS,
    "SystemMute": SETTINGS,  # mutes the main speaker's microphone
}
"""Intents of the built-in skills that need more than `ask`."""
BUILT_IN_SKILLS = frozenset({"alarms", "arithmetic", "clock", "privacy", "system", "timers"})
"""Skills whose other intents are questions or everyday actions (`ask`). The owner's
commands and skills of the owner's own directories need `commands`: they may do anything."""

REFUSAL = {
    "en": "Sorry, that can't be done from this speaker.",
    "ko": "죄송해요, 이 스피커에서는 할 수 없어요.",
}


def needed(match: IntentMatch) -> str:
    """The permission running `match` takes."""
    if match.skill not in BUILT_IN_SKILLS:  # an owner's skill may reuse a built-in's intent name
        return COMMANDS
    return NEEDS.get(match.intent, ASK)


def check_permissions(entries: Iterable[WyomingPermission]) -> None:
    """Validate `wyoming.permissions`; ConfigError names the key."""
    from assistant.network_settings import check_network

    for i, entry in enumerate(entries):
        where = f"wyoming.permissions[{i}]"
        check_network(f"{where}.network", entry.network)
        for j, name in enumerate(entry.may):
            if name not in (*PERMISSIONS, ALL):
                known = ", ".join((*PERMISSIONS, ALL))
                raise ConfigError(f"{where}.may[{j}]: unknown permission {name!r} (known: {known})")


@dataclass(frozen=True)
class Grant:
    """What one peer may do."""

    peer: str
    allowed: frozenset[str]
    language: str

    def refuse(self, match: IntentMatch) -> str | None:
        """None when the peer may run `match`; else the refusal to say (a dispatch `Permit`)."""
        permission = needed(match)
        if permission in self.allowed:
            return None
        log.info("refused %s from %s: it needs %s", match.intent, self.peer, permission)
        return REFUSAL.get(self.language, REFUSAL["en"])


class PeerPermissions:
    """The owner's `wyoming.permissions`, looked up by a peer's address."""

    def __init__(self, entries: Iterable[WyomingPermission], language: str) -> None:
        self.language = language
        self.rules = sorted(
            ((ipaddress.ip_network(e.network, strict=False), _expand(e.may)) for e in entries),
            key=lambda rule: rule[0].prefixlen,
            reverse=True,  # the most specific network first
        )

    def grant(self, peer: str | None) -> Grant:
        return Grant(str(peer), self._allowed(peer), self.language)

    def _allowed(self, peer: str | None) -> frozenset[str]:
        from assistant.wyoming.framing import peer_address

        address = peer_address(peer)
        if address is None:
            return DEFAULT
        for network, allowed in self.rules:
            if address.version == network.version and address in network:
                return allowed
        return DEFAULT


def _expand(names: Iterable[str]) -> frozenset[str]:
    names = set(names)
    return frozenset(PERMISSIONS) if ALL in names else frozenset(names)
