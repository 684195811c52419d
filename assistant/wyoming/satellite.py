"""`assistant satellite` for Home Assistant: this speaker as a Wyoming satellite.

Home Assistant connects, asks `describe`, and sends `run-satellite`. From then on the
wake word is detected here; only after a wake does the command's audio go out
(run-pipeline, detection, audio-start, audio-chunk...), and it stops when Home Assistant
says the command is over (transcript, voice-stopped, an error, or the reply's audio).
The reply's audio plays on the speaker, then `played` goes back. A `transcribe` after a
reply means the conversation goes on: the answer streams without a wake word.

The satellite keeps its own journal of each turn: what Home Assistant heard (transcript)
and answered (the text it synthesised), with the room, under the journal's retention.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
from typing import TYPE_CHECKING, Any

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe
from wyoming.ping import Ping, Pong
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.satellite import PauseSatellite, RunSatellite
from wyoming.snd import Played
from wyoming.tts import Synthesize
from wyoming.wake import Detection

from assistant.config import Config
from assistant.record import Interaction, Outcome
from assistant.wyoming import host
from assistant.wyoming.info import satellite_info
from assistant.wyoming.peer import GuardedHandler
from assistant.wyoming.remote import _END, FramePump

if TYPE_CHECKING:
    from assistant.audio import AudioSink, AudioSource

log = logging.getLogger(__name__)

MAX_STREAM_SECONDS = 15.0
"""A command streams at most this long, whatever Home Assistant says."""
MAX_REPLY_SECONDS = 120.0
STOP_STREAMING = ("transcript", "voice-stopped", "error", "audio-start")


class SatelliteHandler(GuardedHandler):
    """Home Assistant's connection; it may stay quiet for long (it pings)."""

    idle_seconds = None

    def __init__(self, reader, writer, core: SatelliteCore) -> None:
        super().__init__(reader, writer)
        self.core = core

    async def on_event(self, event: Event) -> None:
        await self.core.on_event(self, event)

    async def disconnect(self) -> None:
        self.core.detach(self)


class SatelliteCore:
    """Microphone, wake word, speaker and journal, shared by whichever connection is live."""

    def __init__(self, config: Config, wake: Any, sink: AudioSink, journal: Any) -> None:
        self.config = config
        self.wake = wake
        self.sink = sink
        self.journal = journal
        self.link: SatelliteHandler | None = None
        self.running = False
        self.streaming = False
        self.streamed_frames = 0
        self.turn: Interaction | None = None
        self.reply: list[bytes] = []
        self.reply_rate = 16000
        self.converter = AudioChunkConverter(width=2, channels=1)

    # ----- the connection ---------------------------------------------------------------------

    def attach(self, handler: SatelliteHandler) -> SatelliteHandler:
        if self.link is not None:
            log.info("a new Home Assistant connection replaces the previous one")
        self.link = handler
        return handler

    def detach(self, handler: SatelliteHandler) -> None:
        if self.link is handler:
            self.link, self.running, self.streaming = None, False, False
            self._finish(Outcome.CANCELLED)

    async def _send(self, event: Event) -> None:
        if self.link is not None:
            try:
                await self.link.write_event(event)
            except (ConnectionError, RuntimeError):
                self.detach(self.link)

    async def on_event(self, handler: SatelliteHandler, event: Event) -> None:
        kind = event.type
        if Describe.is_type(kind):
            info = satellite_info(self.config.wyoming.room, list(self.config.wake.words))
            await handler.write_event(info.event())
        elif Ping.is_type(kind):
            await handler.write_event(Pong(text=event.data.get("text")).event())
        elif handler is not self.link:
            self.attach(handler)
            await self.on_event(handler, event)
        elif RunSatellite.is_type(kind):
            self.running = True
        elif PauseSatellite.is_type(kind):
            self.running = False
            await self._stop_streaming()
        else:
            await self._on_pipeline_event(event)

    async def _on_pipeline_event(self, event: Event) -> None:
        kind = event.type
        if kind in STOP_STREAMING:
            await self._stop_streaming()
        if Transcript.is_type(kind) and self.turn is not None:
            self.turn = dataclasses.replace(self.turn, transcript=_text(event))
        elif Synthesize.is_type(kind) and self.turn is not None:
            self.turn = dataclasses.replace(self.turn, reply=_text(event))
        elif Error.is_type(kind):
            self._finish(Outcome.SKILL_ERROR)
        elif Transcribe.is_type(kind) and self.turn is None and self.running:
            await self._start_streaming(None)  # the conversation goes on: no wake word
        elif AudioStart.is_type(kind):
            self.reply, self.reply_rate = [], AudioStart.from_event(event).rate
        elif AudioChunk.is_type(kind):
            self._collect(AudioChunk.from_event(event))
        elif AudioStop.is_type(kind):
            await self._play_reply()

    def _collect(self, chunk: AudioChunk) -> None:
        self.reply.append(self.converter.convert(chunk).audio)
        if sum(map(len, self.reply)) > MAX_REPLY_SECONDS * self.reply_rate * 2:
            raise ValueError("reply longer than the satellite plays")

    async def _play_reply(self) -> None:
        import numpy as np

        samples = np.frombuffer(b"".join(self.reply), dtype="<i2")
        self.reply = []
        try:
            self.sink.play(samples, self.reply_rate)
            await asyncio.get_running_loop().run_in_executor(None, self.sink.wait, 60.0)
        except Exception as e:  # a failing speaker must not stop the satellite
            log.warning("reply dropped: the output device failed (%s)", type(e).__name__)
        await self._send(Played().event())
        self._finish(Outcome.HANDLED)

    # ----- the microphone -----------------------------------------------------------------------

    async def run(self, source: AudioSource) -> None:
        loop = asyncio.get_running_loop()
        pump = FramePump(source, loop)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, pump.stop)
        while (frame := await pump.queue.get()) is not _END:
            if self.streaming:
                await self._stream(frame)
                continue
            detection = self.wake.process(frame)
            if detection is not None and self.link is not None and self.running:
                self.sink.stop()  # the wake word cuts a reply short
                await self._start_streaming(detection)
        pump.check()

    async def _start_streaming(self, detection: Any) -> None:
        self._finish(Outcome.NO_SPEECH)  # a turn still open never got its reply
        self.turn = Interaction(
            language=self.config.language,
            wake_word=detection.wake_word if detection else None,
            wake_score=round(detection.score, 3) if detection else None,
        )
        if detection is not None:
            name = detection.wake_word
            run = RunPipeline(PipelineStage.ASR, PipelineStage.TTS, wake_word_name=name)
            await self._send(run.event())
            await self._send(Detection(name=name).event())
        await self._send(AudioStart(rate=16000, width=2, channels=1).event())
        self.streaming, self.streamed_frames = True, 0

    async def _stream(self, frame: Any) -> None:
        await self._send(AudioChunk(16000, 2, 1, frame.tobytes()).event())
        self.streamed_frames += 1
        if self.streamed_frames * 0.08 >= MAX_STREAM_SECONDS:
            await self._stop_streaming()

    async def _stop_streaming(self) -> None:
        if self.streaming:
            self.streaming = False
            self.wake.reset()
            await self._send(AudioStop().event())

    def _finish(self, outcome: Outcome) -> None:
        """Journal the open turn, if any (once)."""
        turn, self.turn = self.turn, None
        if turn is None:
            return
        if outcome == Outcome.HANDLED and not turn.transcript:
            outcome = Outcome.NO_SPEECH
        host.record(
            self.journal, dataclasses.replace(turn, outcome=outcome), self.config.wyoming.room
        )


def _text(event: Event) -> str | None:
    text = event.data.get("text")
    return text[:2000] if isinstance(text, str) else None


async def _announce(config: Config) -> Any:
    if not config.wyoming.discovery:
        return None
    from assistant.wyoming.discovery import announce

    return await announce(config.wyoming, "assistant-satellite")


def run_satellite(config: Config) -> int:
    """`assistant satellite` without `wyoming.remote`: until SIGTERM or Ctrl-C."""
    from assistant.audio import MicrophoneSource, SpeakerSink
    from assistant.wake import WakeDetector
    from assistant.wyoming.alive import supervised
    from assistant.wyoming.server import WyomingServer

    wake = WakeDetector(config)
    source = MicrophoneSource(config.audio.input_device)
    sink = SpeakerSink(config.audio.output_device)
    journal = host.open_journal(config)
    core = SatelliteCore(config, wake, sink, journal)
    source.open()

    async def serve() -> None:
        server = WyomingServer(None, config.wyoming, lambda r, w: SatelliteHandler(r, w, core))
        from assistant.wyoming.serving import start_listening

        await start_listening(server, config)
        log.info("satellite listening for Home Assistant on port %d", config.wyoming.port)
        try:
            await _announce(config)
            async with supervised("Wyoming satellite"):
                await core.run(source)
        finally:
            await server.stop()

    try:
        asyncio.run(serve())
    finally:
        source.close()
        sink.close()
        journal.close()
    return 0
