"""A small speaker for another room: the microphone, the wake word and the speaker here;
recognition, skills, speech and the journal on the main speaker (`wyoming.remote`).

No Vosk model is loaded here. After a wake word the command's audio streams to the main
speaker, which listens for the end of the command, answers, and sends the reply's audio
back. The link, in Wyoming events (small → main, then main → small):

    run-pipeline (asr → tts), detection, transcribe {context: room}, audio-start, audio-chunk...
    audio-start, audio-chunk..., audio-stop   the reply: streaming stops, the reply plays
    played                                    (small → main) once it has played
    transcribe                                a question: stream the answer, no wake word
    handled {context: outcome}                the turn is over

When the main speaker cannot be reached the small one says so in one short sentence,
logs the fault once, and probes it with growing pauses until it answers again.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from wyoming.asr import Transcribe
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.snd import Played
from wyoming.wake import Detection

from assistant.config import Config

if TYPE_CHECKING:
    from assistant.audio import AudioSink, AudioSource

log = logging.getLogger(__name__)

AWAY = {"en": "The main speaker is not reachable.", "ko": "메인 스피커에 연결할 수 없어요."}
CONNECT_TIMEOUT_SECONDS = 3.0
REPLY_TIMEOUT_SECONDS = 30.0
"""Longest wait for the main speaker's next event during a turn."""
MAX_STREAM_SECONDS = 30.0
PROBE_START_SECONDS = 0.5
PROBE_MAX_SECONDS = 15.0
_END = None


class MainLink:
    """Whether the main speaker answers: the fault is logged once per streak, and while it
    lasts a probe connects with growing pauses and logs once when it answers again."""

    def __init__(self, remote: str) -> None:
        url = urlparse(remote)
        self.remote = remote
        self.host, self.port = url.hostname or "", url.port or 0
        self.failing = False
        self._probe: asyncio.Task | None = None

    async def connect(self) -> AsyncTcpClient:
        client = AsyncTcpClient(self.host, self.port, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                read_timeout=REPLY_TIMEOUT_SECONDS)  # fmt: skip
        await client.connect()
        return client

    def down(self, error: BaseException) -> None:
        if not self.failing:
            reason = getattr(error, "strerror", None) or type(error).__name__
            log.warning(
                "the main speaker at %s is not reachable (%s); retrying", self.remote, reason
            )
            self.failing = True
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._probe_until_up())

    def up(self) -> None:
        if self.failing:
            log.warning("the main speaker at %s answers again", self.remote)
        self.failing = False

    async def _probe_until_up(self) -> None:
        pause = PROBE_START_SECONDS
        while self.failing:
            await asyncio.sleep(pause)
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), CONNECT_TIMEOUT_SECONDS
                )
            except (OSError, TimeoutError):
                pause = min(pause * 2, PROBE_MAX_SECONDS)
                continue
            writer.close()
            self.up()


class FramePump:
    """The microphone read on its own thread, its frames handed to the event loop."""

    def __init__(self, source: AudioSource, loop: asyncio.AbstractEventLoop) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self._source = source
        self._loop = loop
        self._stop = threading.Event()
        self.failure: Exception | None = None
        self._thread = threading.Thread(target=self._pump, name="microphone", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        from assistant.errors import AudioError

        try:
            for frame in self._source.frames():
                if self._stop.is_set():
                    break
                if frame is not None:
                    self._hand_over(frame)
        except AudioError as e:  # the microphone went away: the service restarts us
            self.failure = e
        finally:
            self._hand_over(_END)

    def check(self) -> None:
        """Raise the microphone's failure, if that is why the frames ended."""
        if self.failure is not None:
            raise self.failure

    def _hand_over(self, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the loop has ended: nobody is listening any more
            self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        self._hand_over(_END)

    def drain(self) -> None:
        while not self.queue.empty():
            if self.queue.get_nowait() is _END:
                self.queue.put_nowait(_END)
                return


class EndOfInput(Exception):
    """The microphone stopped (or the speaker is shutting down)."""


class SmallSpeaker:
    def __init__(self, config: Config, wake: Any, sink: AudioSink, away: tuple) -> None:
        assert config.wyoming.remote
        self.config = config
        self.wake = wake
        self.sink = sink
        self.away_audio = away
        self.link = MainLink(config.wyoming.remote)
        self.speaking = asyncio.Lock()
        """One sound at a time: a reply and something ringing for this room."""

    async def run(self, source: AudioSource) -> None:
        pump = FramePump(source, asyncio.get_running_loop())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, pump.stop)
        standing = self._keep_standing_link()
        log.info("small speaker listening; main speaker at %s", self.link.remote)
        try:
            while (frame := await pump.queue.get()) is not _END:
                detection = self.wake.process(frame)
                if detection is None:
                    continue
                self.sink.stop()  # the wake word cuts a reply short
                try:
                    await self.turn(detection, pump)
                except EndOfInput:
                    break
                self.wake.reset()
                pump.drain()
        finally:
            pump.stop()
            if standing is not None:
                standing.cancel()
        pump.check()

    def _keep_standing_link(self) -> asyncio.Task | None:
        """What rings for this room comes on a link of its own (a room is needed: the
        main speaker sends by room)."""
        if not self.config.wyoming.room:
            return None
        from assistant.wyoming.room_link import StandingLink

        link = StandingLink(self.config, self.link, self._play)
        return asyncio.get_running_loop().create_task(link.run())

    async def turn(self, detection: Any, pump: FramePump) -> None:
        if self.config.audio.earcon:
            from assistant.audio import tone

            self.sink.play(tone(880, 0.12), 22050)
        try:
            client = await self.link.connect()
        except (OSError, TimeoutError) as e:
            self.link.down(e)
            self._say_away()
            return
        self.link.up()
        try:
            await self._talk(client, detection, pump)
        except (OSError, TimeoutError, ConnectionError) as e:
            self.link.down(e)
            self._say_away()
        finally:
            await client.disconnect()

    async def _talk(self, client: AsyncTcpClient, detection: Any, pump: FramePump) -> None:
        room = self.config.wyoming.room
        for event in (
            RunPipeline(start_stage=PipelineStage.ASR, end_stage=PipelineStage.TTS).event(),
            Detection(name=detection.wake_word, context={"score": detection.score}).event(),
            Transcribe(language=self.config.language, context={"room": room}).event(),
        ):
            await client.write_event(event)
        streaming = asyncio.Event()
        streaming.set()
        sender = asyncio.create_task(self._stream(client, pump, streaming))
        follower = asyncio.create_task(self._follow(client, streaming))
        done, _ = await asyncio.wait({sender, follower}, return_when=asyncio.FIRST_COMPLETED)
        for task in (sender, follower):
            task.cancel()
        await asyncio.gather(sender, follower, return_exceptions=True)
        finished = done.pop()
        if not finished.cancelled() and finished.exception() is not None:
            raise finished.exception()  # type: ignore[misc]

    async def _follow(self, client: AsyncTcpClient, streaming: asyncio.Event) -> None:
        """Play what the main speaker sends until it says the turn is over."""
        reply: list[bytes] = []
        converter = AudioChunkConverter(width=2, channels=1)
        rate = 16000
        while True:
            event = await client.read_event()
            if event is None:
                raise ConnectionError("the main speaker closed the connection")
            if AudioStart.is_type(event.type):
                streaming.clear()  # the command is over: stop sending the microphone
                rate, reply = AudioStart.from_event(event).rate, []
            elif AudioChunk.is_type(event.type):
                reply.append(converter.convert(AudioChunk.from_event(event)).audio)
            elif AudioStop.is_type(event.type):
                await self._play(b"".join(reply), rate)
                await client.write_event(Played().event())
            elif Transcribe.is_type(event.type):
                streaming.set()  # a question: stream the answer without a wake word
            elif event.type in ("handled", "not-handled", "error"):
                return

    async def _stream(self, client: AsyncTcpClient, pump: FramePump, streaming) -> None:
        limit = int(MAX_STREAM_SECONDS / 0.08)
        sent, open_ = 0, False
        while True:
            frame = await pump.queue.get()
            if frame is _END:
                raise EndOfInput
            if not streaming.is_set() or sent >= limit:
                if open_:
                    await client.write_event(AudioStop().event())
                    open_ = False
                if not streaming.is_set():
                    sent = 0
                continue
            if not open_:
                await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
                open_ = True
            await client.write_event(AudioChunk(16000, 2, 1, frame.tobytes()).event())
            sent += 1

    async def _play(self, pcm: bytes, rate: int) -> None:
        import numpy as np

        samples = np.frombuffer(pcm, dtype="<i2")
        async with self.speaking:
            try:
                self.sink.play(samples, rate)
                await asyncio.get_running_loop().run_in_executor(None, self.sink.wait, 60.0)
            except Exception as e:  # a failing speaker must not stop the listening
                log.warning("sound dropped: the output device failed (%s)", type(e).__name__)

    def _say_away(self) -> None:
        samples, rate = self.away_audio
        try:
            self.sink.play(samples, rate)
        except Exception as e:
            log.warning("cannot say that the main speaker is away: %s", type(e).__name__)


def run_small_speaker(config: Config) -> int:
    """`assistant satellite` with `wyoming.remote`: until SIGTERM or Ctrl-C."""
    from assistant.audio import MicrophoneSource, SpeakerSink
    from assistant.speech import Synthesizer
    from assistant.wake import WakeDetector

    speech = config.speech
    synthesizer = Synthesizer(config.language, speech.voice, speech.rate, speech.volume)
    away = synthesizer.synthesize(AWAY.get(config.language, AWAY["en"]))
    wake = WakeDetector(config)
    source = MicrophoneSource(config.audio.input_device)
    sink = SpeakerSink(config.audio.output_device)
    source.open()

    async def run() -> None:
        from assistant.wyoming.alive import supervised

        async with supervised("small speaker"):
            await SmallSpeaker(config, wake, sink, away).run(source)

    try:
        asyncio.run(run())
    finally:
        source.close()
        sink.close()
    return 0
