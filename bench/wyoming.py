"""`python -m bench.wyoming`: what the network hop to the main speaker costs, and what a
small speaker saves, each as a ratio to a baseline measured in the same run.

- Latency: from the end of speech to the first reply sample handed to the speaker,
  for the same spoken command, paced in real time, answered locally (the voice loop's
  turn in-process) and through a small speaker (its real code, over loopback Wyoming to
  the main speaker's real server). Interleaved, median of N.
- Footprint: CPU and resident memory of a small speaker (`assistant satellite` with
  `wyoming.remote`: wake word only) against the full assistant (`assistant run`), both
  listening to the same speech on a private PulseAudio server.

    python -m bench.wyoming [--commands 5] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

from assistant.audio import FRAME_SAMPLES, AudioSink, AudioSource

REPO = Path(__file__).resolve().parent.parent
RATE = 16000
KOREAN_VOICE = "ko+f3"
COMMAND = "지금 몇 시야"


def speech(text: str, voice: str, scratch: Path) -> np.ndarray:
    raw, out = (
        scratch / f"{abs(hash((text, voice)))}.raw.wav",
        scratch / f"{abs(hash((text, voice)))}.wav",
    )
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)], check=True
    )
    with wave.open(str(out)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


class PacedSource(AudioSource):
    """A clip as a microphone would deliver it: one 80 ms frame every 80 ms. Notes the wall
    time at which the frame holding the end of speech is delivered."""

    realtime = False  # no earcon: the same work locally and remotely

    def __init__(self, clip: np.ndarray, speech_end: int) -> None:
        self.clip, self.speech_end = clip, speech_end
        self.speech_ended_at: float | None = None

    def frames(self):
        start = time.perf_counter()
        for i, at in enumerate(range(0, len(self.clip) - FRAME_SAMPLES + 1, FRAME_SAMPLES)):
            delay = start + i * FRAME_SAMPLES / RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if self.speech_ended_at is None and at + FRAME_SAMPLES >= self.speech_end:
                self.speech_ended_at = time.perf_counter()
            yield self.clip[at : at + FRAME_SAMPLES]


class FirstSampleSink(AudioSink):
    """Notes when the first reply sample reaches the speaker."""

    def __init__(self) -> None:
        self.first_at: float | None = None

    def play(self, samples, rate: int) -> None:
        if self.first_at is None:
            self.first_at = time.perf_counter()


def _config(path: Path, data: Path, port: int, extra: str = "") -> Path:
    path.write_text(
        f"language: ko\ndata_dir: {data}\naudio:\n  earcon: false\n"
        f"wyoming:\n  enabled: true\n  port: {port}\n{extra}"
    )
    return path


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def latency(commands: int, scratch: Path) -> dict:
    from assistant import config as config_module
    from assistant.wake import Detection
    from assistant.wyoming.host import Host
    from assistant.wyoming.remote import FramePump, SmallSpeaker
    from assistant.wyoming.server import WyomingServer

    spoken = speech(COMMAND, KOREAN_VOICE, scratch)
    lead, tail = np.zeros(RATE // 2, np.int16), np.zeros(3 * RATE, np.int16)
    clip = np.concatenate([lead, spoken, tail])
    speech_end = len(lead) + len(spoken)
    port = _free_port()
    main = config_module.load(_config(scratch / "main.yaml", scratch / "main", port))
    remote = f"  room: bench\n  remote: tcp://127.0.0.1:{port}\n"
    small = config_module.load(
        _config(scratch / "small.yaml", scratch / "small", _free_port(), remote)
    )
    host = Host.build(main)
    loop = asyncio.new_event_loop()
    server = WyomingServer(host, main.wyoming)
    threading.Thread(target=loop.run_forever, daemon=True).start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    server.workers.turns.submit(host.prepare).result()
    detection = Detection("hey_jarvis", 1.0)

    def local() -> float:
        source, sink = PacedSource(clip, speech_end), FirstSampleSink()

        def turn() -> None:
            assistant = host.assistant
            assistant.sink, assistant.source = sink, source
            assistant.converse(detection, iter(source.frames()))

        server.workers.turns.submit(turn).result()
        return (sink.first_at - source.speech_ended_at) * 1000

    def remote() -> float:
        source, sink = PacedSource(clip, speech_end), FirstSampleSink()
        speaker = SmallSpeaker(small, None, sink, (np.zeros(10, np.int16), RATE))

        async def turn() -> None:
            pump = FramePump(source, asyncio.get_running_loop())
            await speaker.turn(detection, pump)
            pump.stop()

        asyncio.run(turn())
        return (sink.first_at - source.speech_ended_at) * 1000

    local_ms, remote_ms = [], []
    try:
        for _ in range(commands):
            local_ms.append(local())
            remote_ms.append(remote())
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        host.close()
    local_median, remote_median = statistics.median(local_ms), statistics.median(remote_ms)
    return {
        "local_ms": local_ms, "remote_ms": remote_ms,
        "local_median_ms": round(local_median, 1), "remote_median_ms": round(remote_median, 1),
        "added_ms": round(remote_median - local_median, 1),
        "ratio": round(remote_median / local_median, 2),
    }  # fmt: skip


# ----- footprint ----------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _settled(pid: int, limit: float = 120.0) -> None:
    """Wait until the process has finished loading (under half a core for a second)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = _cpu_seconds(pid)
        time.sleep(1.0)
        if _cpu_seconds(pid) - before < 0.5:
            return


def footprint(seconds: float, scratch: Path) -> dict:
    runtime = scratch / "pulse"
    out = subprocess.run(["bash", str(REPO / "tests" / "audio_server.sh"), str(runtime)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    env = {**os.environ, "PULSE_SERVER": out.strip().splitlines()[-1].split("=", 1)[1]}
    talk = np.concatenate([speech("the weather is nice and the kids are playing outside", "en-us",
                                  scratch), np.zeros(RATE // 2, np.int16)])  # fmt: skip
    talk_wav = scratch / "talk.wav"
    with wave.open(str(talk_wav), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE)
        w.writeframes(np.tile(talk, int(seconds * 3 * RATE / len(talk)) + 2).tobytes())
    port = _free_port()
    small_cfg = _config(scratch / "fp-small.yaml", scratch / "fp-small", _free_port(),
                        f"  remote: tcp://127.0.0.1:{port}\n")  # fmt: skip
    full_cfg = _config(scratch / "fp-full.yaml", scratch / "fp-full", port)
    command = [sys.executable, "-m", "assistant", "--config"]
    procs = {
        "small": subprocess.Popen([*command, str(small_cfg), "satellite"], env=env, cwd=REPO,
                                  stderr=subprocess.DEVNULL),
        "full": subprocess.Popen([*command, str(full_cfg), "run"], env=env, cwd=REPO,
                                 stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL),
    }  # fmt: skip
    player = None
    try:
        for proc in procs.values():
            _settled(proc.pid)
        player = subprocess.Popen(["paplay", "--device=mic", str(talk_wav)], env=env)
        time.sleep(2)
        before = {name: _cpu_seconds(p.pid) for name, p in procs.items()}
        time.sleep(seconds)
        cpu = {name: (_cpu_seconds(p.pid) - before[name]) / seconds * 100
               for name, p in procs.items()}  # fmt: skip
        rss = {name: _rss_mb(p.pid) for name, p in procs.items()}
    finally:
        if player:
            player.kill()
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
            proc.wait(20)
        subprocess.run(["pactl", "exit"], env=env, capture_output=True)
    return {
        "cpu_percent": {k: round(v, 1) for k, v in cpu.items()},
        "rss_mb": {k: round(v) for k, v in rss.items()},
        "cpu_ratio": round(cpu["small"] / cpu["full"], 2),
        "rss_ratio": round(rss["small"] / rss["full"], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wyoming")
    parser.add_argument("--commands", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        results = {"latency": latency(args.commands, scratch),
                   "footprint": footprint(args.seconds, scratch)}  # fmt: skip
    lat, fp = results["latency"], results["footprint"]
    print(json.dumps(results, ensure_ascii=False))
    print("\n| figure | small speaker | baseline | ratio |\n|---|---|---|---|")
    print(
        f"| end of speech → first reply sample (ms, median of {args.commands}) | "
        f"{lat['remote_median_ms']} | {lat['local_median_ms']} (local) | {lat['ratio']} |"
    )
    print(
        f"| CPU while people talk (% of a core) | {fp['cpu_percent']['small']} | "
        f"{fp['cpu_percent']['full']} (full assistant) | {fp['cpu_ratio']} |"
    )
    print(f"| resident memory (MB) | {fp['rss_mb']['small']} | {fp['rss_mb']['full']} "
          f"(full assistant) | {fp['rss_ratio']} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
