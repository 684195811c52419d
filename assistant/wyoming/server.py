"""`assistant serve`: this assistant's stages as Wyoming services on one TCP port.

One connection speaks one of these conversations (the ones Home Assistant and the
wyoming-* programs use):

| the peer sends | the answer |
|---|---|
| describe | info: wake word, recognition, intents, skills, speech |
| (transcribe,) audio-start, audio-chunk..., audio-stop | transcript |
| detect, audio-start, audio-chunk... | detection (or not-detected at audio-stop) |
| recognize | intent or not-recognized |
| transcript | handled or not-handled, with the reply's text (the skill runs) |
| synthesize | audio-start, audio-chunk..., audio-stop |
| run-pipeline (asr → tts), detection, transcribe, audio... | a small speaker's turn: see `remote` |
| info {satellite: {area: room}}, then played... | a small speaker's standing link: see `rooms` |

Heavy work runs on one worker thread (the assistant is not thread-safe) and wake word
detection on another; the event loop only moves bytes. A connection that breaks the
protocol is closed with one log line; the service goes on.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.intent import Entity, Intent, NotRecognized, Recognize
from wyoming.ping import Ping, Pong
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.server import AsyncEventHandler, AsyncTcpServer
from wyoming.tts import Synthesize
from wyoming.wake import Detect, Detection, NotDetected

from assistant.config import WyomingConfig
from assistant.wyoming.framing import PeerGate, ProtocolViolation
from assistant.wyoming.host import Host
from assistant.wyoming.info import service_info
from assistant.wyoming.peer import MAX_ROOM_CHARS, GuardedHandler, context_room
from assistant.wyoming.rooms import RoomLink, RoomLinks
from assistant.wyoming.session import PeerFrames, PeerSink, audio_events

if TYPE_CHECKING:
    from assistant.dispatch import Permit

log = logging.getLogger(__name__)

MAX_STREAM_SECONDS = 30.0
MAX_CHUNK_SECONDS = 5.0
"""One chunk's audio at most (peers send about 0.1 s at a time)."""
"""Longest audio stream accepted for recognition; a longer one closes the connection."""
MAX_TEXT_CHARS = 2000
MAX_CONNECTIONS = 16


class Workers:
    """The two threads that do the work: the assistant's and the wake word's."""

    def __init__(self) -> None:
        self.turns = ThreadPoolExecutor(1, thread_name_prefix="wyoming-turn")
        self.wake = ThreadPoolExecutor(1, thread_name_prefix="wyoming-wake")

    def close(self) -> None:
        self.turns.shutdown(wait=False, cancel_futures=True)
        self.wake.shutdown(wait=False, cancel_futures=True)


class ServiceHandler(GuardedHandler):
    """One peer's connection to `assistant serve`."""

    def __init__(self, reader, writer, host: Host, workers: Workers, rooms: RoomLinks) -> None:
        super().__init__(reader, writer)
        self.host = host
        self.workers = workers
        self.rooms = rooms
        self.room_link: RoomLink | None = None
        self.mode: str | None = None  # "asr", "wake", "pipeline" or "room"
        self.converter = AudioChunkConverter(rate=16000, width=2, channels=1)
        self.pushed = 0
        """Bytes of the current turn's audio handed to the listener."""
        self.audio = bytearray()
        self.room: str | None = None
        self.wake_stream: WakeStream | None = None
        self.detected = False
        self.wake_word: str | None = None
        self.wake_score: float | None = None
        self.frames: PeerFrames | None = None
        self.sink: PeerSink | None = None
        self.turn: Future | None = None

    async def _in(self, executor: ThreadPoolExecutor, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)

    async def on_event(self, event: Event) -> None:
        kind = event.type
        if Describe.is_type(kind):
            info = service_info(self.host.language, self.host.wake_words())
            await self.write_event(info.event())
        elif Ping.is_type(kind):
            await self.write_event(Pong().event())
        elif Transcribe.is_type(kind):
            self.room = context_room(event.data.get("context"))
            self._choose("pipeline" if self.mode == "pipeline" else "asr")
        elif Detect.is_type(kind):
            self._choose("wake")
            detector = await self._in(self.workers.wake, self.host.new_wake_detector)
            self.wake_stream = WakeStream(detector)
        elif RunPipeline.is_type(kind):
            self._start_pipeline(RunPipeline.from_event(event))
        elif Detection.is_type(kind) and self.mode == "pipeline":
            self._remember_wake(event.data)
        elif AudioStart.is_type(kind):
            self.open_stream()
            self._choose(self.mode or "asr")
            if self.mode == "pipeline" and self.turn is None:
                self._begin_turn()
        elif AudioChunk.is_type(kind):
            self.require_stream()
            await self._on_audio(self._converted(event))
        elif kind == "audio-stop":
            self.close_stream()
            await self._on_audio_stop()
        elif Recognize.is_type(kind):
            await self._recognize(self.text_of(event))
        elif Transcript.is_type(kind):
            self.room = context_room(event.data.get("context")) or self.room
            await self._handle(self.text_of(event))
        elif Synthesize.is_type(kind):
            text = self.text_of(event)
            samples, rate = await self._in(self.workers.turns, self.host.synthesize, text)
            for reply_event in audio_events(samples, rate):
                await self.write_event(reply_event)
        elif Info.is_type(kind):
            self._link_room(event.data)
        elif kind == "played" and self.room_link is not None:
            self.room_link.played()
        elif kind == "played" and self.sink is not None:
            self.sink.played.set()
        else:
            log.debug("ignored a Wyoming %s event", kind)  # the protocol says: drop unknown events

    def _choose(self, mode: str) -> None:
        if self.mode not in (None, mode):
            raise ProtocolViolation(
                f"a {mode} request on a connection already used for {self.mode}"
            )
        self.mode = mode

    @staticmethod
    def text_of(event: Event) -> str:
        text = event.data.get("text")
        if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
            raise ProtocolViolation(
                f"{event.type} without text of at most {MAX_TEXT_CHARS} characters"
            )
        return text

    def _converted(self, event: Event) -> bytes:
        """A peer's chunk as 16 kHz mono int16, checked before it is converted: a chunk that
        claims a rate of 1 Hz would grow 16,000-fold in the conversion."""
        data = event.data
        rate, width, channels = data.get("rate"), data.get("width"), data.get("channels")
        if not (
            _whole(rate, 8000, 48000) and _whole(width, 1, 4) and _whole(channels, 1, 2)
        ) or not isinstance(event.payload, bytes | None):
            raise ProtocolViolation("audio-chunk with a rate, width or channels out of range")
        size = len(event.payload or b"") * (16000 / rate) * (2 / width) / channels
        if size > MAX_CHUNK_SECONDS * 32000:
            raise ProtocolViolation(f"audio-chunk longer than {MAX_CHUNK_SECONDS:.0f} s")
        try:
            return self.converter.convert(AudioChunk.from_event(event)).audio
        except Exception as e:  # audioop.error: the module is deprecated, not imported here
            raise ProtocolViolation("audio-chunk that does not convert") from e

    # ----- recognition and wake word ---------------------------------------------------------

    async def _on_audio(self, pcm: bytes) -> None:
        if self.mode == "asr":
            self.audio.extend(pcm)
            if len(self.audio) > MAX_STREAM_SECONDS * 32000:
                raise ProtocolViolation(f"audio stream longer than {MAX_STREAM_SECONDS:.0f} s")
        elif self.mode == "wake":
            await self._detect(pcm)
        elif self.frames is not None and self.turn is not None and not self.turn.done():
            self.pushed += len(pcm)
            if self.pushed > MAX_STREAM_SECONDS * 32000:
                raise ProtocolViolation(f"audio stream longer than {MAX_STREAM_SECONDS:.0f} s")
            self.frames.push(pcm)

    async def _on_audio_stop(self) -> None:
        if self.mode == "asr":
            pcm, self.audio = bytes(self.audio), bytearray()
            text = await self._in(self.workers.turns, self.host.transcribe, pcm)
            await self.write_event(Transcript(text=text, language=self.host.language).event())
        elif self.mode == "wake":
            if not self.detected:
                await self.write_event(NotDetected().event())
            self.detected = False
        elif self.frames is not None:
            self.frames.end_stream()

    async def _detect(self, pcm: bytes) -> None:
        if self.wake_stream is None:
            raise ProtocolViolation("audio for the wake word before detect")
        detections = await self._in(self.workers.wake, self.wake_stream.feed, pcm)
        for detection in detections:
            self.detected = True
            name = detection.wake_word
            await self.write_event(Detection(name=name, context={"score": detection.score}).event())

    # ----- text --------------------------------------------------------------------------------

    async def _recognize(self, text: str) -> None:
        match = await self._in(self.workers.turns, self.host.recognize, text)
        if match is None:
            await self.write_event(NotRecognized(text=text).event())
            return
        entities = [Entity(name=k, value=v) for k, v in dict(match.slots).items()]
        await self.write_event(Intent(name=match.intent, entities=entities, text=text).event())

    async def _handle(self, text: str) -> None:
        interaction, reply = await self._in(
            self.workers.turns, self.host.handle_text, text, self._turn_room(), self._permit()
        )
        context = {"outcome": str(interaction.outcome), "intent": interaction.intent}
        if interaction.outcome in ("not_understood", "declined"):
            await self.write_event(NotHandled(text=reply.text, context=context).event())
        else:
            await self.write_event(Handled(text=reply.text, context=context).event())

    # ----- a small speaker's turn ----------------------------------------------------------------

    def _start_pipeline(self, run: RunPipeline) -> None:
        if run.start_stage != PipelineStage.ASR or run.end_stage != PipelineStage.TTS:
            raise ProtocolViolation("only pipelines from asr to tts are served")
        if self.turn is not None:
            raise ProtocolViolation("a second pipeline on one connection")
        self._choose("pipeline")

    def _remember_wake(self, data: dict) -> None:
        name, context = data.get("name"), data.get("context") or {}
        self.wake_word = name if isinstance(name, str) and len(name) <= 64 else None
        score = context.get("score") if isinstance(context, dict) else None
        if isinstance(score, (int, float)) and 0 <= score <= 1:
            self.wake_score = float(score)

    def _turn_room(self) -> str:
        """The room a peer's turn is journaled under: the one it names, else its address.
        Never none: the main speaker's own turns have none, and "delete what I just said"
        from a peer must not reach them."""
        return self.room or f"peer {self.peer}"[:MAX_ROOM_CHARS]

    def _begin_turn(self) -> None:
        log.info("a remote turn from %s (room %s)", self.peer, self.room or "not named")
        loop = asyncio.get_running_loop()
        self.frames = PeerFrames()
        self.pushed = 0
        self.sink = PeerSink(loop, self._send_all, self.frames, self.host.language)
        converse = self.host.converse
        room = self._turn_room()
        args = (self.frames, self.sink, room, self.wake_word, self.wake_score, self._permit())
        self.turn = self.workers.turns.submit(converse, *args)
        self.turn.add_done_callback(
            lambda done: loop.call_soon_threadsafe(loop.create_task, self._end_turn(done))
        )

    def _permit(self) -> Permit:
        """What this peer may run (`wyoming.permissions`, by its address)."""
        return self.host.permissions.grant(self.peer).refuse

    async def _send_all(self, events: list[Event]) -> None:
        for event in events:
            await self.write_event(event)

    async def _end_turn(self, done: Future) -> None:
        if self.sink is not None and self.sink.gone.is_set():
            return
        try:
            interaction = done.result()
        except Exception as e:  # the turn's own faults are logged there; say only what type
            log.error("a remote turn failed: %s", type(e).__name__)
            interaction = None
        outcome = str(interaction.outcome) if interaction and interaction.outcome else "failed"
        try:
            await self.write_event(Handled(context={"outcome": outcome}).event())
        except (ConnectionError, RuntimeError):
            pass

    async def disconnect(self) -> None:
        if self.sink is not None:
            self.sink.release()
        if self.room_link is not None:
            self.rooms.detach(self.room_link)

    # ----- a small speaker's standing link ---------------------------------------------------

    def _link_room(self, data: dict) -> None:
        """A small speaker names its room (its satellite's area): what rings for that
        room is sent on this connection from now on."""
        satellite = data.get("satellite")
        room = (
            context_room({"room": satellite.get("area")}) if isinstance(satellite, dict) else None
        )
        if room is None:
            raise ProtocolViolation("info without a room (the satellite's area)")
        if self.room_link is not None:
            raise ProtocolViolation("a second info on one connection")
        self._choose("room")
        self.room_link = RoomLink(room, asyncio.get_running_loop(), self._send_all)
        self.rooms.attach(self.room_link, self.peer)


class WakeStream:
    """One peer's audio into its own wake word detector, in 80 ms frames."""

    def __init__(self, detector: Any) -> None:
        import numpy as np

        self.detector = detector
        self.pending = np.zeros(0, dtype=np.int16)

    def feed(self, pcm: bytes) -> list:
        """Detections in `pcm` (runs on the wake word's thread)."""
        import numpy as np

        from assistant.audio import FRAME_SAMPLES

        samples = np.concatenate([self.pending, np.frombuffer(pcm, dtype="<i2")])
        whole = len(samples) - len(samples) % FRAME_SAMPLES
        frames = (samples[i : i + FRAME_SAMPLES] for i in range(0, whole, FRAME_SAMPLES))
        found = [d for d in map(self.detector.process, frames) if d is not None]
        self.pending = samples[whole:]
        return found


class WyomingServer:
    """The TCP service: the allow-list on every connection, a cap on connections."""

    def __init__(
        self,
        host: Host | None,
        config: WyomingConfig,
        make_handler=None,
        rooms: RoomLinks | None = None,
    ) -> None:
        """`rooms`: where the small speakers' standing links are kept (the voice loop
        delivers to them)."""
        self.host = host
        self.config = config
        self.gate = PeerGate(config.allow)
        self.workers = Workers()
        self.rooms = rooms or RoomLinks()
        self._make = make_handler or (
            lambda r, w: ServiceHandler(r, w, self.host, self.workers, self.rooms)
        )
        self._tcp = AsyncTcpServer(config.host, config.port)
        self._open = 0

    async def start(self) -> None:
        await self._tcp.start(self._handler_for)
        log.info("Wyoming service on %s port %d", self.config.host, self.config.port)

    def _handler_for(self, reader, writer) -> AsyncEventHandler:
        peer = writer.get_extra_info("peername")
        address = peer[0] if isinstance(peer, tuple) and peer else None
        if not self.gate.admits(address):
            return _Refused(reader, writer)
        if self._open >= MAX_CONNECTIONS:
            log.warning("refused a Wyoming connection: %d already open", MAX_CONNECTIONS)
            return _Refused(reader, writer)
        handler = self._make(reader, writer)
        handler.peer = str(address)
        self._open += 1
        handler.on_close = self._closed
        return handler

    def _closed(self) -> None:
        self._open -= 1

    async def stop(self) -> None:
        await self._tcp.stop()
        self.workers.close()


class _Refused(AsyncEventHandler):
    """Closes the connection before reading anything from it."""

    async def handle_event(self, event: Event) -> bool:
        return False

    async def run(self) -> None:
        self.writer.close()


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
