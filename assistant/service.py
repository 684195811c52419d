"""Running the voice loop as a long-lived service, and surviving what happens in homes.

- READY/STATUS/WATCHDOG go to systemd; the watchdog is fed by the audio loop itself,
  so a loop that is stuck stops the pings and systemd restarts the service.
- The microphone disappears (USB unplugged, audio server restarted): reopen with
  backoff, logging the fault once per streak, not once per attempt.
- The speaker fails: the reply is dropped, the fault logged once per streak, and
  listening goes on; the next reply tries the device again.
- SIGHUP: reload the configuration. The new assistant is built whole (through
  `assistant.app`) before the switch; whatever goes wrong, the old one keeps running and
  the new one leaves nothing behind. SIGTERM/SIGINT: stop within a second.
"""

from __future__ import annotations

import logging
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from assistant import app, ready
from assistant.audio import AudioSink, AudioSource
from assistant.control import Answer, ControlServer, SocketPathTooLong
from assistant.errors import AssistantError, AudioError
from assistant.notify import Notifier, Watchdog

if TYPE_CHECKING:
    import numpy as np

    from assistant.config import Config
    from assistant.pipeline import Assistant, RoomSpeakers
    from assistant.recorder import Watcher
    from assistant.skillkit import ClockPort

log = logging.getLogger(__name__)

BACKOFF_START_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 15.0

MakeAudio = Callable[["Config"], tuple[AudioSource, AudioSink]]
"""configuration → a fresh (microphone, speaker) pair, for each (re)connection."""
Tell = Callable[[str], None]
"""Where lines for the person at the speaker go (the terminal of `assistant run`)."""


class Service:
    def __init__(
        self,
        config_path: str | None,
        make_audio: MakeAudio,
        *,
        config: Config | None = None,
        watcher: Watcher | None = None,
        clock: ClockPort | None = None,
        tell: Tell | None = None,
        rooms: RoomSpeakers | None = None,
    ) -> None:
        """`config`: the configuration already read from `config_path` (read here if
        None); `watcher(interaction)` sees every interaction; `clock` is for tests;
        `tell(line)` shows the person when listening starts and when the microphone is
        missing (the service log has its own lines); `rooms`: other rooms' speakers,
        where what was set in a room rings (`assistant serve`)."""
        self.config_path = config_path
        self.config = config or app.load_config(config_path)
        self._make_audio = make_audio
        self._watcher = watcher
        self._clock = clock
        self.notifier = Notifier.from_environment()
        self.watchdog = Watchdog(self.notifier)
        self._stopping = threading.Event()
        self._reload = threading.Event()
        self._speaker = ContainedSink()
        self._microphone = AttachedSource()
        self._tell = tell or (lambda line: None)
        self._rooms = rooms
        self.assistant = self._build(self.config)

    def _build(self, config: Config, reload: bool = False) -> Assistant:
        """A reload loads the models now (reusing the running ones where the settings are
        unchanged) and leaves the skills unstarted until it switches."""
        assistant = app.open_assistant(
            config,
            clock=self._clock,
            source=self._microphone,
            sink=self._speaker,
            watcher=self._watcher,
            reuse=self.assistant.audio.loaded() if reload else None,
            prepare_audio=reload,
            start=not reload,
        )
        assistant.rooms = self._rooms
        return assistant

    # ----- signals ----------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.stop())
        signal.signal(signal.SIGINT, lambda *_: self.stop())
        signal.signal(signal.SIGHUP, lambda *_: self.request_reload())

    def stop(self) -> None:
        self._stopping.set()
        self.assistant.stop()

    def request_reload(self) -> None:
        self._reload.set()
        self.assistant.stop()  # leave the audio loop; serve() reloads and goes on

    # ----- the loop ---------------------------------------------------------------------

    def serve(self) -> None:
        backoff = BACKOFF_START_SECONDS
        failing = False
        ready_sent = False
        control: ControlServer | None = None
        try:
            # Inside the try: a model that fails to load still closes the journal.
            self.assistant.prepare_audio()
            control = self._open_control_socket()
            self.watchdog.start()
            while not self._stopping.is_set():
                if self._reload.is_set():
                    self.reload()
                    continue  # a SIGTERM (or another SIGHUP) may have come in meanwhile
                microphone, speaker = self._make_audio(self.config)
                source = self._microphone.attach(microphone)
                sink = self._speaker.attach(speaker)
                try:
                    source.open()
                    if failing:
                        log.warning("microphone is back; listening again")
                        self._tell(ready.microphone_back_line())
                    failing, backoff = False, BACKOFF_START_SECONDS
                    if not ready_sent:
                        self.notifier.ready("listening")
                        self._tell(ready.ready_line(self.config))
                        ready_sent = True
                    else:
                        self.notifier.status("listening")
                    self.assistant.run(heartbeat=self.watchdog.feed)
                except AudioError as e:
                    if not failing:
                        log.warning("%s; retrying", e)
                        self.notifier.status("waiting for the microphone")
                        self._tell(ready.no_microphone_line(self.config))
                    else:
                        log.debug("microphone still unavailable; next attempt in %.1f s", backoff)
                    failing = True
                    self._wait(backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)
                finally:
                    source.close()
                    sink.stop()
        finally:
            self.notifier.stopping()
            if control is not None:
                control.close()
            self.watchdog.stop()
            self.assistant.close()
            self.notifier.close()

    def _open_control_socket(self) -> ControlServer | None:
        """The socket `assistant ask` reaches this assistant on. Another assistant already
        serving the same data directory is an error; a path too long for a socket only
        costs the typed commands their shared state."""
        try:
            return ControlServer(self.config.data_path, self.handle_typed)
        except SocketPathTooLong as e:
            log.warning("%s; `assistant ask` will run on its own", e)
            return None

    def handle_typed(self, text: str, record: bool, speak: bool, answer: Answer) -> dict[str, Any]:
        """A typed command from the control socket (`assistant ask`), through the
        assistant that is serving now, between spoken turns."""
        assistant = self.assistant
        with assistant.turn_lock:
            interaction, reply = assistant.ask(text, record=record, answer=answer)
            if speak:
                assistant.speak(reply)
        return interaction.to_json_dict()

    def _wait(self, seconds: float) -> None:
        """Sleep, feeding the watchdog (retrying is the loop doing its job), until stopped."""
        deadline = seconds
        while deadline > 0 and not self._stopping.is_set() and not self._reload.is_set():
            self.watchdog.feed()
            self._stopping.wait(min(0.1, deadline))
            deadline -= 0.1

    def reload(self) -> bool:
        """Read the configuration again and switch to an assistant built from it, whole:
        models loaded, skills started. On any exception the new one is closed (nothing it
        started keeps running) and the old one goes on. True when it switched."""
        self._reload.clear()
        self.notifier.reloading()
        new: Assistant | None = None
        try:
            new_config = app.load_config(self.config_path)
            new = self._build(new_config, reload=True)
            new.start()
        except Exception as e:
            if new is not None:
                new.close()
            log.error("new configuration rejected, keeping the old one: %s", _reason(e))
            log.debug("rejected configuration", exc_info=True)
            self.assistant.resume()
            self.notifier.ready("listening (new configuration rejected)")
            return False
        old, self.assistant, self.config = self.assistant, new, new_config
        with old.turn_lock:  # a typed command in flight finishes on the old one first
            old.close()
        log.warning("configuration reloaded")
        self.notifier.ready("listening")
        return True


def _reason(error: Exception) -> str:
    """One short line about a rejected configuration. The project's errors are written
    for owners; an OS error names its file; a template error quotes the owner's own
    template. Anything else says where it was raised, not its message, which might
    quote saved state (what people said)."""
    if isinstance(error, AssistantError):
        return str(error)
    name = type(error).__name__
    if isinstance(error, OSError):
        return f"{name}: {error.strerror or error}: {error.filename}"
    if type(error).__module__.startswith("hassil"):
        return f"{name}: {str(error).splitlines()[0][:160]}" if str(error) else name
    frames = traceback.extract_tb(error.__traceback__)
    return f"{name} at {frames[-1].filename}:{frames[-1].lineno}" if frames else name


class AttachedSource(AudioSource):
    """The microphone the service has open now: a new one is attached at each
    reconnection, so the assistant is built with one source that lasts."""

    def __init__(self) -> None:
        self._source: AudioSource | None = None

    def attach(self, source: AudioSource) -> AttachedSource:
        self._source = source
        self.realtime = source.realtime
        return self

    def open(self) -> None:
        assert self._source is not None
        self._source.open()

    def frames(self) -> Iterator[np.ndarray | None]:
        assert self._source is not None
        return self._source.frames()

    def close(self) -> None:
        if self._source is not None:
            self._source.close()


class ContainedSink(AudioSink):
    """The speaker, with its failures contained: a reply (or earcon, or alarm) that cannot
    be played is dropped, and listening goes on.

    A failing output device is logged once when it starts failing and once when it
    works again, not once per reply: an alarm that rings every two seconds into a dead
    speaker must not fill the log. The streak survives a new sink per reconnection.
    """

    def __init__(self) -> None:
        self._sink: AudioSink | None = None
        self._failing = False

    def attach(self, sink: AudioSink) -> ContainedSink:
        self._sink = sink
        return self

    def play(self, samples: np.ndarray, rate: int) -> None:
        assert self._sink is not None
        try:
            self._sink.play(samples, rate)
        except AudioError as e:
            if not self._failing:
                log.warning("reply dropped: %s; still listening", e)
                self._failing = True
            else:
                log.info("reply dropped: the output device is still failing")
            return
        if self._failing:
            log.warning("the output device works again")
            self._failing = False

    def stop(self) -> None:
        if self._sink is not None:
            self._sink.stop()

    def wait(self, timeout: float | None = None) -> None:
        if self._sink is not None:
            self._sink.wait(timeout)

    @property
    def playing(self) -> bool:
        return self._sink is not None and self._sink.playing

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
