"""A small speaker's standing link to the main speaker: what rings for this room (a
timer set here) is sent on it and plays on this speaker.

Once connected the small speaker names its room in an `info` (a satellite whose area is
the room), then waits. The main speaker sends what is due as audio-start,
audio-chunk..., audio-stop; it plays here and `played` goes back. A ping every few
seconds keeps the link checked: when the main speaker goes away the link is opened
again with growing pauses, and the fault is logged once, with the turns' own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.ping import Ping, Pong
from wyoming.snd import Played

from assistant.config import Config
from assistant.wyoming.info import satellite_info
from assistant.wyoming.remote import PROBE_MAX_SECONDS, PROBE_START_SECONDS, MainLink

log = logging.getLogger(__name__)

PING_SECONDS = 10.0
"""Silence on the link longer than the client's read timeout means the main is gone."""
MAX_ANNOUNCEMENT_SECONDS = 60.0

Play = Callable[[bytes, int], Awaitable[None]]
"""16-bit mono audio and its rate → played on this speaker."""


class StandingLink:
    def __init__(self, config: Config, link: MainLink, play: Play) -> None:
        assert config.wyoming.room
        self.room = config.wyoming.room
        self.wake_words = list(config.wake.words)
        self.link = link
        self.play = play
        self.answered = False

    async def run(self) -> None:
        """Until cancelled: connect, serve, and connect again when the link breaks. The
        main speaker has answered once a pong comes back: a connection it closes at once
        (this speaker is not on its allow-list) is retried with growing pauses, quietly."""
        pause = PROBE_START_SECONDS
        while True:
            try:
                client = await self.link.connect()
            except (OSError, TimeoutError) as e:
                self.link.down(e)
                await asyncio.sleep(pause)
                pause = min(pause * 2, PROBE_MAX_SECONDS)
                continue
            self.answered = False
            try:
                await self._serve(client)
            except (OSError, TimeoutError, ConnectionError, EOFError, ValueError) as e:
                if self.answered:
                    self.link.down(e)
            except Exception as e:  # whatever the main speaker sent, listening goes on
                log.warning("the link for this room failed: %s", type(e).__name__)
            finally:
                await _quietly_close(client)
            if self.answered:
                pause = PROBE_START_SECONDS
            else:
                log.debug("the main speaker closed the link for this room at once")
            await asyncio.sleep(pause)
            pause = min(pause * 2, PROBE_MAX_SECONDS)

    async def _serve(self, client: AsyncTcpClient) -> None:
        await client.write_event(satellite_info(self.room, self.wake_words).event())
        pinger = asyncio.create_task(_ping(client))
        try:
            await self._receive(client)
        finally:
            pinger.cancel()

    async def _receive(self, client: AsyncTcpClient) -> None:
        converter = AudioChunkConverter(width=2, channels=1)
        audio: list[bytes] = []
        rate = 16000
        while True:
            event = await client.read_event()
            if event is None:
                raise ConnectionError("the main speaker closed the link")
            if AudioStart.is_type(event.type):
                rate, audio = AudioStart.from_event(event).rate, []
            elif AudioChunk.is_type(event.type):
                audio.append(converter.convert(AudioChunk.from_event(event)).audio)
                if sum(map(len, audio)) > MAX_ANNOUNCEMENT_SECONDS * rate * 2:
                    raise ValueError("an announcement longer than this speaker plays")
            elif AudioStop.is_type(event.type):
                await self.play(b"".join(audio), rate)
                audio = []
                await client.write_event(Played().event())
            elif Pong.is_type(event.type) and not self.answered:
                self.answered = True
                self.link.up()


async def _ping(client: AsyncTcpClient) -> None:
    try:
        while True:
            await client.write_event(Ping().event())
            await asyncio.sleep(PING_SECONDS)
    except (OSError, ConnectionError, AssertionError):
        return  # the reading side notices the broken link and reconnects


async def _quietly_close(client: AsyncTcpClient) -> None:
    try:
        await client.disconnect()
    except (OSError, ConnectionError):
        pass
