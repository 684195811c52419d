"""The interaction record: one per wake (or typed command), built once when it is over.

It is the contract between the pipeline, the journal and the `--json` output. The
pipeline builds it from what each stage returned (`Detection`, `Utterance`, the turn's
result, the speaking times); it is frozen, and the journal's row id is added by
`with_id`, which returns a new record.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    HANDLED = "handled"
    NOT_UNDERSTOOD = "not_understood"
    SKILL_ERROR = "skill_error"
    NO_SPEECH = "no_speech"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    """Not carried out although a person asked: the speaker it came from may not ask for
    it (docs/wyoming.md), or, asked whether it was heard right, the person did not say
    yes (assistant.asking)."""


class Source(StrEnum):
    VOICE = "voice"
    TYPED = "typed"


@dataclass(frozen=True)
class Interaction:
    started_at: float = field(default_factory=time.time)
    """Unix time (seconds) at which the wake word was detected or the text typed."""
    source: Source = Source.VOICE
    language: str = "en"
    wake_word: str | None = None
    wake_score: float | None = None
    """openWakeWord score (0..1) of the detection."""
    transcript: str | None = None
    intent: str | None = None
    skill: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    reply: str | None = None
    outcome: Outcome | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    """Milliseconds per stage: listen, decode (second_opinion when copies of the audio were
    decoded, free_decode when auto mode decoded again), dispatch, synthesize, total."""
    audio: bytes | None = field(default=None, repr=False)
    """16 kHz mono int16 command audio; kept only when the owner opted in."""
    room: str | None = None
    """The room whose speaker heard it (a small speaker's `wyoming.room`); None for the
    speaker the assistant runs on."""
    id: int | None = None
    """Journal row id, once stored."""

    @property
    def is_false_wake(self) -> bool:
        """Woken but nothing usable was said: what owners look at to tune the threshold."""
        return self.source is Source.VOICE and self.outcome in (
            Outcome.NO_SPEECH,
            Outcome.NOT_UNDERSTOOD,
        )

    def with_id(self, row_id: int | None) -> Interaction:
        """The same record, naming the journal row that holds it."""
        return dataclasses.replace(self, id=row_id)

    def to_json_dict(self) -> dict[str, Any]:
        """The `--json` form: everything but the raw audio."""
        data = asdict(self)
        data.pop("audio")
        data["outcome"] = str(self.outcome) if self.outcome else None
        data["source"] = str(self.source)
        data["timings_ms"] = {k: round(v, 1) for k, v in self.timings_ms.items()}
        return data
