"""Which heard sentence, if any, the assistant acts on.

A command that changes something (an alarm, a timer, a deletion, the microphone, the
volume, an owner's command) is held to a stricter standard than a question: answering
"what time is it" by mistake costs a sentence, setting an alarm for midnight or deleting
the journal costs far more. Below its standard an utterance ends as "not understood".

Evidence, in order:
1. the transcript must be a whole sentence of the compiled grammar (the decoder's way
   out, a loop of short words, produces transcripts that are not);
2. it must parse as an intent;
3. the least confident of its words (Vosk's posterior from the lattice) must reach the
   intent's threshold: `stt.min_confidence`, or `stt.min_confidence_actions` for
   intents in STATE_CHANGING;
4. with `stt.second_opinion`, a copy of the audio played a little faster or slower must
   mean the same (`agrees`; assistant.second_opinion).

A sentence that passes 1 and 2 but not 3 or 4 may be asked about (`worth_asking`;
assistant.asking) instead of declined.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.intents import IntentMatch
    from assistant.sentence_graph import SentenceGraph

STATE_CHANGING: frozenset[str] = frozenset(
    {
        "AlarmSet",
        "AlarmCancel",
        "AlarmCancelAll",
        "TimerStart",
        "TimerCancel",
        "TimerCancelAll",
        "PrivacyDeleteLast",
        "PrivacyDeleteToday",
        "PrivacyDeleteAll",
        "PrivacyPause",
        "PrivacyResume",
        "SystemVolumeUp",
        "SystemVolumeDown",
        "SystemVolumeSet",
        "SystemMute",
        "SystemStop",  # silences a ringing alarm or timer: a false "stop" loses the alarm
    }
)
"""Intents whose action changes state. Kept here, not in the skills, while the skill
kit is reworked; an owner's command (skill `commands`) always counts as one."""
STATE_CHANGING_SKILLS: frozenset[str] = frozenset({"commands"})
SHIPPED_SKILLS: frozenset[str] = frozenset(
    {"alarms", "arithmetic", "clock", "commands", "privacy", "system", "timers"}
)
"""The skills that come with the assistant, whose intents are all listed above when they
change something. Any other skill (from `skills.directories`) may write files or act on
the house, so every one of its intents counts as changing state."""


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    NOTHING_HEARD = "nothing_heard"
    OUTSIDE_GRAMMAR = "outside_grammar"
    NO_INTENT = "no_intent"
    LOW_CONFIDENCE = "low_confidence"
    UNCONFIRMED = "unconfirmed"
    """The second opinion heard something else (set by assistant.turn)."""


@dataclass(frozen=True)
class Thresholds:
    questions: float = 0.3
    actions: float = 0.5


@dataclass(frozen=True)
class Understanding:
    verdict: Verdict
    text: str
    """What was heard (the best hypothesis); the journal keeps it either way."""
    match: IntentMatch | None = None
    confidence: float | None = None

    @property
    def accepted(self) -> bool:
        return self.verdict is Verdict.ACCEPTED


def agrees(match: IntentMatch, others: list[str], parse: Callable[[str], Any]) -> bool:
    """Whether one of `others` (what the second opinion heard) means what `match` does:
    the same intent with the same slots."""
    for text in others:
        found = parse(text) if text else None
        if found is not None and (found.intent, found.slots) == (match.intent, match.slots):
            return True
    return False


def confirmed(
    understanding: Understanding, others: list[str], parse: Callable[[str], Any]
) -> Understanding:
    """`understanding` after the second opinion: an accepted sentence none of `others`
    means as well (`agrees`) becomes UNCONFIRMED."""
    if understanding.accepted and not agrees(understanding.match, others, parse):
        return replace(understanding, verdict=Verdict.UNCONFIRMED)
    return understanding


def worth_asking(understanding: Understanding) -> bool:
    """One of the sentences, parsed, but short of its standard (confidence or the second
    opinion): a yes from the person is the evidence missing (assistant.asking). Speech
    the decoder took the way out for is not: it is no command to ask about."""
    return understanding.match is not None and understanding.verdict in (
        Verdict.LOW_CONFIDENCE,
        Verdict.UNCONFIRMED,
    )


def changes_state(match: IntentMatch) -> bool:
    return (
        match.intent in STATE_CHANGING
        or match.skill in STATE_CHANGING_SKILLS
        or match.skill not in SHIPPED_SKILLS
    )


def recognise(
    hypotheses: list[str],
    confidence: float | None,
    match: Callable[[str], Any],
    sentences: SentenceGraph | None,
    thresholds: Thresholds,
) -> Understanding:
    """The sentence to act on among `hypotheses` (best first), or why there is none.

    `confidence` is the lowest word confidence of the best hypothesis (None: the decoder
    gave none, as with Vosk's phrase lists); `sentences` is the compiled grammar (None:
    no compiled grammar, every hypothesis that parses may be taken)."""
    if not hypotheses:
        return Understanding(Verdict.NOTHING_HEARD, "")
    best = hypotheses[0]
    if sentences is not None:
        if not sentences.accepts(best):
            return Understanding(Verdict.OUTSIDE_GRAMMAR, best, confidence=confidence)
        candidates = [best]
    else:
        candidates = hypotheses
    for text in candidates:
        found = match(text)
        if found is None:
            continue
        needed = thresholds.actions if changes_state(found) else thresholds.questions
        if confidence is not None and confidence < needed:
            return Understanding(Verdict.LOW_CONFIDENCE, text, found, confidence)
        return Understanding(Verdict.ACCEPTED, text, found, confidence)
    return Understanding(Verdict.NO_INTENT, best, confidence=confidence)
