"""Reading Wyoming events from peers that may be broken or hostile, and the allow-list.

The `wyoming` library's own reader trusts the lengths in each header: a header that
announces a gigabyte of data makes it wait for (and buffer) a gigabyte. Here every
header, data and payload length is capped, the header must be the JSON object the
protocol defines, and anything else ends that connection with one log line.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections.abc import Iterable

from wyoming.event import Event

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024
"""The JSON line of one event; real ones are a few hundred bytes."""
MAX_DATA_BYTES = 64 * 1024
"""The JSON data of one event (an `info` with many models is a few kB)."""
MAX_PAYLOAD_BYTES = 512 * 1024
"""One audio chunk: 16 s of 16 kHz mono, far above what any client sends at once."""


class ProtocolViolation(Exception):
    """The peer sent something that is not a well-formed Wyoming event, or one out of order.
    The message is safe to log: it never quotes what the peer sent."""


async def read_event(reader: asyncio.StreamReader) -> Event | None:
    """The next event, or None when the peer closed the connection between events."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise ProtocolViolation("connection closed in the middle of an event header") from None
    except asyncio.LimitOverrunError:
        raise ProtocolViolation(f"event header longer than {MAX_HEADER_BYTES} bytes") from None
    if len(line) > MAX_HEADER_BYTES:
        raise ProtocolViolation(f"event header longer than {MAX_HEADER_BYTES} bytes")
    header = _parse_header(line)
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise ProtocolViolation("event data is not a JSON object")
    data_length = _length(header, "data_length", MAX_DATA_BYTES)
    payload_length = _length(header, "payload_length", MAX_PAYLOAD_BYTES)
    try:
        if data_length:
            extra = _parse_json(await reader.readexactly(data_length), "event data")
            if not isinstance(extra, dict):
                raise ProtocolViolation("event data is not a JSON object")
            data.update(extra)
        payload = await reader.readexactly(payload_length) if payload_length else None
    except asyncio.IncompleteReadError:
        raise ProtocolViolation("connection closed in the middle of an event") from None
    return Event(type=header["type"], data=data, payload=payload)


def _parse_header(line: bytes) -> dict:
    header = _parse_json(line, "event header")
    if not isinstance(header, dict):
        raise ProtocolViolation("event header is not a JSON object")
    event_type = header.get("type")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 64:
        raise ProtocolViolation("event header has no valid type")
    return header


def _parse_json(raw: bytes, what: str):
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolViolation(f"{what} is not valid JSON") from None


def _length(header: dict, key: str, cap: int) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProtocolViolation(f"{key} is not a byte count")
    if value > cap:
        raise ProtocolViolation(f"{key} of {value} bytes is over the limit of {cap}")
    return value


MAX_REMEMBERED_REFUSALS = 1024


class PeerGate:
    """The owner's allow-list (`wyoming.allow`), checked on every connection.
    A refused address is logged once, not once per attempt: a peer retrying every
    second must not fill the log."""

    def __init__(self, allow: Iterable[str]) -> None:
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in allow]
        self._refused: set[str] = set()

    def admits(self, peer: str | None) -> bool:
        address = peer_address(peer)
        if address is not None and any(
            address.version == net.version and address in net for net in self.networks
        ):
            return True
        shown = str(address) if address is not None else "an unknown address"
        if shown not in self._refused:
            if len(self._refused) >= MAX_REMEMBERED_REFUSALS:
                self._refused.clear()  # rotating addresses must not grow this without bound
            self._refused.add(shown)
            log.warning("refused a Wyoming connection from %s: not in wyoming.allow", shown)
        return False


def peer_address(peer: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not peer:
        return None
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d
    return address
