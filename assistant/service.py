"""Running the voice loop as a long-lived service, and surviving what happens in homes.

- READY/STATUS/WATCHDOG go to systemd; the watchdog is fed by the audio loop itself,
  so a loop that is stuck stops the pings and systemd restarts the service.
- The microphone disappears (USB unplugged, audio server restarted): reopen with
  backoff, logging the fault once per streak, not once per attempt.
- The speaker fails: the reply is dropped, the fault logged once per streak, and
  listening goes on; the next reply tries the device again.
- SIGHUP: reload the configuration; a bad new configuration is rejected and the old
  one keeps running. SIGTERM/SIGINT: stop within a second.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from assistant import config as config_module
from assistant.audio import AudioSink
from assistant.errors import AssistantError, AudioError
from assistant.notify import Notifier, Watchdog

log = logging.getLogger(__name__)

BACKOFF_START_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 15.0


class Service:
    def __init__(
        self, config_path: str | None, build_assistant: Callable, make_audio: Callable
    ) -> None:
        """`build_assistant(config)` returns an Assistant; `make_audio(config)` returns a
        fresh (source, sink) pair for each (re)connection."""
        self.config_path = config_path
        self.config = config_module.load(config_path)
        self._build_assistant = build_assistant
        self._make_audio = make_audio
        self.notifier = Notifier.from_environment()
        self.watchdog = Watchdog(self.notifier)
        self.assistant = build_assistant(self.config)
        self._stopping = threading.Event()
        self._reload = threading.Event()
        self._speaker = ContainedSink()

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
        try:
            # Inside the try: a model that fails to load still closes the journal.
            self.assistant.prepare_audio()
            self.watchdog.start()
            while not self._stopping.is_set():
                if self._reload.is_set():
                    self._reload_configuration()
                    continue  # a SIGTERM (or another SIGHUP) may have come in meanwhile
                source, speaker = self._make_audio(self.config)
                sink = self._speaker.attach(speaker)
                try:
                    source.open()
                    if failing:
                        log.warning("microphone is back; listening again")
                    failing, backoff = False, BACKOFF_START_SECONDS
                    if not ready_sent:
                        self.notifier.ready("listening")
                        ready_sent = True
                    else:
                        self.notifier.status("listening")
                    self.assistant.run(source, sink, heartbeat=self.watchdog.feed)
                except AudioError as e:
                    if not failing:
                        log.warning("%s; retrying", e)
                        self.notifier.status("waiting for the microphone")
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
            self.watchdog.stop()
            self.assistant.close()
            self.notifier.close()

    def _wait(self, seconds: float) -> None:
        """Sleep, feeding the watchdog (retrying is the loop doing its job), until stopped."""
        deadline = seconds
        while deadline > 0 and not self._stopping.is_set() and not self._reload.is_set():
            self.watchdog.feed()
            self._stopping.wait(min(0.1, deadline))
            deadline -= 0.1

    def _reload_configuration(self) -> None:
        self._reload.clear()
        self.notifier.reloading()
        try:
            new_config = config_module.load(self.config_path)
            new_assistant = self._build_assistant(new_config)
            new_assistant.adopt_audio_stages(self.assistant)
            new_assistant.prepare_audio()
        except AssistantError as e:
            log.error("new configuration rejected, keeping the old one: %s", e)
            self.assistant.resume()
            self.notifier.ready("listening (new configuration rejected)")
            return
        old, self.assistant, self.config = self.assistant, new_assistant, new_config
        old.close()
        log.warning("configuration reloaded")
        self.notifier.ready("listening")


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

    def play(self, samples, rate: int) -> None:
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
