"""A Wyoming connection that guards itself: capped reading, audio streams in order,
an idle limit, and one log line (without anything the peer said) when it ends badly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from wyoming.event import Event
from wyoming.server import AsyncEventHandler

from assistant.wyoming.framing import ProtocolViolation, read_event

log = logging.getLogger(__name__)

IDLE_SECONDS = 300.0
"""A connection that sends nothing for this long is closed."""
MAX_ROOM_CHARS = 64


def context_room(context: object) -> str | None:
    """The room a peer names in an event's context ({"room": "kitchen"})."""
    if not isinstance(context, dict):
        return None
    room = context.get("room")
    if isinstance(room, str) and 0 < len(room) <= MAX_ROOM_CHARS and room.isprintable():
        return room
    return None


class GuardedHandler(AsyncEventHandler):
    """Subclasses implement `on_event`; a ProtocolViolation from it, or from reading,
    closes this connection only."""

    idle_seconds: float | None = IDLE_SECONDS

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super().__init__(reader, writer)
        self.peer = "a peer"
        self.on_close: Callable[[], None] | None = None
        self.streaming = False

    async def on_event(self, event: Event) -> None:
        raise NotImplementedError

    async def handle_event(self, event: Event) -> bool:
        await self.on_event(event)
        return True

    async def run(self) -> None:
        try:
            while True:
                read = read_event(self.reader)
                event = await asyncio.wait_for(read, self.idle_seconds)
                if event is None:
                    break
                try:
                    await self.on_event(event)
                except (KeyError, TypeError, ValueError, AttributeError):
                    raise ProtocolViolation(f"malformed {event.type} event") from None
        except ProtocolViolation as e:
            log.warning("closed the Wyoming connection from %s: %s", self.peer, e)
        except TimeoutError:
            log.info("closed the Wyoming connection from %s: idle", self.peer)
        except (ConnectionError, asyncio.IncompleteReadError):
            log.info("the Wyoming connection from %s broke", self.peer)
        except Exception as e:  # a bug must cost one connection, never the service
            log.error("closed the Wyoming connection from %s: %s", self.peer, type(e).__name__)
            log.debug("handler failure", exc_info=True)
        finally:
            try:
                await self.disconnect()
            finally:
                self.writer.close()
                if self.on_close is not None:
                    self.on_close()

    # ----- audio streams must open, flow and close in order ----------------------------------

    def open_stream(self) -> None:
        if self.streaming:
            raise ProtocolViolation("audio-start inside an audio stream")
        self.streaming = True

    def require_stream(self) -> None:
        if not self.streaming:
            raise ProtocolViolation("audio-chunk outside an audio stream")

    def close_stream(self) -> None:
        if not self.streaming:
            raise ProtocolViolation("audio-stop without audio-start")
        self.streaming = False
