"""Audio in and out behind one small interface.

Sources yield 80 ms frames of 16 kHz mono int16 (what openWakeWord and Vosk expect);
sinks take whole utterances at any rate. A test feeds a WAV file through exactly the
code path the microphone uses: both are `AudioSource`s.
"""

from __future__ import annotations

import logging
import queue
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AudioError

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

RATE = 16000
"""Hertz: the rate of every frame inside the pipeline."""
FRAME_SAMPLES = 1280
"""Samples per frame: 80 ms at 16 kHz, openWakeWord's native chunk."""
FRAME_SECONDS = FRAME_SAMPLES / RATE


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample mono int16 audio; low-pass first when going down so speech stays clean."""
    import numpy as np

    if from_rate == to_rate or len(samples) == 0:
        return np.asarray(samples, dtype=np.int16)
    x = samples.astype(np.float32)
    if to_rate < from_rate:
        x = _low_pass(x, cutoff=0.5 * to_rate / from_rate)
    n_out = int(round(len(x) * to_rate / from_rate))
    positions = np.arange(n_out, dtype=np.float64) * (from_rate / to_rate)
    y = np.interp(positions, np.arange(len(x)), x)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def _low_pass(x: np.ndarray, cutoff: float, taps: int = 63) -> np.ndarray:
    """Windowed-sinc FIR; `cutoff` is a fraction of the input rate (0..0.5)."""
    import numpy as np

    n = np.arange(taps) - (taps - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    kernel /= kernel.sum()
    return np.convolve(x, kernel, mode="same").astype(np.float32)


def to_mono(interleaved: np.ndarray, channels: int) -> np.ndarray:
    import numpy as np

    if channels == 1:
        return interleaved
    frames = interleaved.reshape(-1, channels).astype(np.int32)
    return (frames.sum(axis=1) // channels).astype(np.int16)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a PCM WAV file (8/16/24/32-bit, any rate, mono or stereo) as mono int16."""
    import numpy as np

    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as e:
        raise AudioError(f"{path}: not a PCM WAV file ({e})") from None
    except OSError as e:
        raise AudioError(f"{path}: cannot read: {e.strerror or e}") from None
    if width == 1:
        data = ((np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2")
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        data = ((b[:, 2].astype(np.int8).astype(np.int16) << 8) | b[:, 1]).astype(np.int16)
    elif width == 4:
        data = (np.frombuffer(raw, dtype="<i4") >> 16).astype(np.int16)
    else:
        raise AudioError(f"{path}: unsupported sample width of {width} bytes")
    usable = len(data) - len(data) % channels
    return to_mono(data[:usable], channels), rate


def rescan_devices(sd) -> None:
    """Make PortAudio read the device list again. It closes every open stream, so call
    it only when none is in use."""
    # sounddevice's documented way to rescan; either half fails only when PortAudio is
    # already down (then initialising alone is what is needed) or cannot start at all.
    for step in (sd._terminate, sd._initialize):
        try:
            step()
        except sd.PortAudioError as e:
            log.debug("re-reading the audio device list: %s", e)


class AudioSource:
    """Yields 80 ms frames (FRAME_SAMPLES int16 samples at 16 kHz) until exhausted or closed."""

    realtime = False
    """True when frames arrive at the pace of the world (a microphone), not of the CPU."""

    def open(self) -> None:
        """Acquire the device; raises AudioError when it cannot."""

    def frames(self) -> Iterator[np.ndarray | None]:
        """80 ms frames; a live source yields None when no audio came for a moment."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class WavFileSource(AudioSource):
    """A recording, processed as fast as the CPU allows. It is read on `open()` (or on
    the first frame), as a microphone is acquired: building never touches the file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._samples: np.ndarray | None = None

    def open(self) -> None:
        if self._samples is None:
            samples, rate = read_wav(self.path)
            self._samples = resample(samples, rate, RATE)

    @property
    def samples(self) -> np.ndarray:
        """The whole recording, 16 kHz mono int16."""
        self.open()
        assert self._samples is not None
        return self._samples

    def frames(self) -> Iterator[np.ndarray]:
        import numpy as np

        for start in range(0, len(self.samples), FRAME_SAMPLES):
            frame = self.samples[start : start + FRAME_SAMPLES]
            if len(frame) < FRAME_SAMPLES:
                frame = np.concatenate([frame, np.zeros(FRAME_SAMPLES - len(frame), np.int16)])
            yield frame


class MicrophoneSource(AudioSource):
    """A sounddevice input stream; a device that cannot do 16 kHz is opened at its own rate
    and resampled. The audio callback only queues blocks: all work happens on the reader."""

    realtime = True
    STALL_SECONDS = 2.0
    """A stream that claims to run but delivers nothing this long is treated as lost:
    that is what an unplugged USB microphone or a vanished audio server looks like."""
    FIRST_BLOCK_SECONDS = 6.0
    """The same for the first block: a sound server under load can take longer than
    STALL_SECONDS to start a new stream (seen with PulseAudio while the machine is busy)."""

    def __init__(self, device: str | int | None = None, queue_seconds: float = 30.0) -> None:
        self.device = device
        self._queue: queue.Queue = queue.Queue(maxsize=int(queue_seconds / FRAME_SECONDS))
        self._stream: Any = None
        self._rate = RATE
        self._closed = threading.Event()
        self.overflows = 0

    def open(self) -> None:
        import sounddevice as sd

        try:
            self._rate = self._pick_rate(sd)
            self._stream = sd.InputStream(
                samplerate=self._rate,
                channels=1,
                dtype="int16",
                blocksize=int(self._rate * FRAME_SECONDS),
                device=self.device,
                callback=self._on_block,
            )
            self._stream.start()
            log.info("microphone %s open at %d Hz", self._device_name(), self._rate)
        except (sd.PortAudioError, ValueError) as e:
            self._stream = None
            # PortAudio lists devices once, when it starts: a USB microphone plugged in
            # again, or a sound server that was not running then, stays invisible until
            # the list is read again. No stream of ours is open at this point.
            rescan_devices(sd)
            raise AudioError(f"cannot open microphone {self._device_name()}: {e}") from None

    def _pick_rate(self, sd) -> int:
        try:
            sd.check_input_settings(device=self.device, samplerate=RATE, channels=1, dtype="int16")
            return RATE
        except (sd.PortAudioError, ValueError) as first:
            # Resample only when the device works at its own rate; otherwise the device
            # itself is the problem (missing, or its sound server is down), not the rate.
            info = sd.query_devices(self.device, "input")
            rate = int(info["default_samplerate"])
            try:
                sd.check_input_settings(
                    device=self.device, samplerate=rate, channels=1, dtype="int16"
                )
            except (sd.PortAudioError, ValueError):
                raise first from None
            log.info("input device does not take %d Hz; resampling from %d Hz", RATE, rate)
            return rate

    def _device_name(self) -> str:
        return "(system default)" if self.device is None else repr(self.device)

    def _on_block(self, indata, frames, time_info, status) -> None:
        if status.input_overflow:
            self.overflows += 1
        try:
            self._queue.put_nowait(indata[:, 0].copy())
        except queue.Full:
            self.overflows += 1  # the reader is stuck; dropping beats growing without bound

    def frames(self, poll_seconds: float = 0.1) -> Iterator[np.ndarray | None]:
        """Yield frames; a `None` is yielded every `poll_seconds` of silence from the device,
        so the caller can check for a stop request or a stalled stream."""
        import time

        if self._stream is None:
            self.open()
        last_block, allowed = time.monotonic(), self.FIRST_BLOCK_SECONDS
        while not self._closed.is_set():
            try:
                block = self._queue.get(timeout=poll_seconds)
            except queue.Empty:
                stalled = time.monotonic() - last_block > allowed
                if self._stream is None or not self._stream.active or stalled:
                    raise AudioError(
                        f"microphone {self._device_name()} stopped delivering audio"
                    ) from None
                yield None
                continue
            last_block, allowed = time.monotonic(), self.STALL_SECONDS
            yield resample(block, self._rate, RATE) if self._rate != RATE else block

    def close(self) -> None:
        self._closed.set()
        if self._stream is not None:
            try:
                self._stream.abort()
                self._stream.close()
            except Exception:  # closing a stream whose device vanished may fail; nothing to keep
                log.debug("error closing the input stream", exc_info=True)
            self._stream = None


class AudioSink:
    """Takes whole utterances. `play` may return before playback ends; `stop` cuts it short."""

    def play(self, samples: np.ndarray, rate: int) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        pass

    def wait(self, timeout: float | None = None) -> None:
        pass

    @property
    def playing(self) -> bool:
        return False

    def close(self) -> None:
        pass


class WavFileSink(AudioSink):
    """Collects every reply in order and writes them as one WAV file when closed."""

    def __init__(self, path: str | Path, rate: int = 22050) -> None:
        self.path = Path(path)
        self.rate = rate
        self._chunks: list[np.ndarray] = []
        parent = self.path.parent
        if not parent.is_dir():
            raise AudioError(f"{self.path}: directory {parent} does not exist")

    def play(self, samples: np.ndarray, rate: int) -> None:
        self._chunks.append(resample(samples, rate, self.rate))

    def close(self) -> None:
        import numpy as np

        data = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        try:
            with wave.open(str(self.path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(self.rate)
                w.writeframes(data.astype("<i2").tobytes())
        except OSError as e:
            raise AudioError(f"{self.path}: cannot write: {e.strerror or e}") from None


class SpeakerSink(AudioSink):
    """Plays through sounddevice without blocking the listening loop."""

    def __init__(self, device: str | int | None = None) -> None:
        self.device = device
        self._stream: Any = None
        self._done = threading.Event()
        self._done.set()
        self._lock = threading.Lock()

    def play(self, samples: np.ndarray, rate: int) -> None:
        import sounddevice as sd

        self.stop()
        position = 0
        data = samples.reshape(-1, 1)

        def feed(outdata, frames, time_info, status):
            nonlocal position
            chunk = data[position : position + frames]
            outdata[: len(chunk)] = chunk
            outdata[len(chunk) :] = 0
            position += frames
            if position >= len(data):
                raise sd.CallbackStop

        with self._lock:
            self._done.clear()
            try:
                self._stream = sd.OutputStream(
                    samplerate=rate,
                    channels=1,
                    dtype="int16",
                    device=self.device,
                    callback=feed,
                    finished_callback=self._done.set,
                )
                self._stream.start()
            except (sd.PortAudioError, ValueError) as e:
                self._stream = None
                self._done.set()
                raise AudioError(f"cannot play on output device: {e}") from None

    @property
    def playing(self) -> bool:
        return not self._done.is_set()

    def wait(self, timeout: float | None = None) -> None:
        self._done.wait(timeout)

    def stop(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:
                log.debug("error closing the output stream", exc_info=True)
        self._done.set()

    def close(self) -> None:
        self.wait(timeout=30)
        self.stop()


def tone(frequency: float, seconds: float, rate: int = 22050, level: float = 0.3) -> np.ndarray:
    """A sine tone with soft edges (no clicks): the earcon and the alarm are made of these."""
    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    wave_ = np.sin(2 * np.pi * frequency * t)
    ramp = min(len(t) // 2, int(0.01 * rate))
    if ramp:
        envelope = np.ones(len(t))
        envelope[:ramp] = np.linspace(0, 1, ramp)
        envelope[-ramp:] = np.linspace(1, 0, ramp)
        wave_ *= envelope
    return (wave_ * level * 32767).astype(np.int16)
