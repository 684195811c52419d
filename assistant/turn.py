"""One turn: what was said (typed text or a spoken Utterance) in, a dispatched result out,
the skill's follow-up questions included.

Typed commands, spoken commands and requests from elsewhere all go through `Turn.take`;
the voice loop only adds audio around it (it speaks the questions and listens for the
answers through the `answer` function it passes). `Turn.understand` is the one place
that picks the text to act on among the recogniser's hypotheses.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.dispatch import apology
from assistant.listen import Utterance
from assistant.measure import ms_since
from assistant.record import Outcome, Source
from assistant.skillkit import Reply

if TYPE_CHECKING:
    from assistant.controls import Controls
    from assistant.dispatch import Dispatched, Dispatcher
    from assistant.intents import IntentMatch

AnswerFn = Callable[[Reply], str]
"""Given a skill's question, the answer as text ("" when none came)."""

DecodeFn = Callable[[bytes], list[str]]
"""16 kHz mono int16 audio → hypotheses, best first (auto mode's free decoding)."""


@dataclass(frozen=True)
class Understood:
    text: str
    """What to act on; "" when nothing was heard."""
    free_decode_ms: float | None = None
    """Milliseconds spent decoding again in free mode, when auto mode did."""


@dataclass(frozen=True)
class TurnResult:
    transcript: str
    match: IntentMatch | None
    outcome: Outcome
    reply: Reply
    """The last reply: the answer to the last question, or the only reply."""
    replies: tuple[Reply, ...]
    """Every reply in order (questions first), as said."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    """dispatch, and free_decode when auto mode decoded again."""

    @property
    def reply_text(self) -> str:
        """What the journal keeps: every reply, ' / ' between question and answer."""
        return " / ".join(r.text for r in self.replies)

    @property
    def private(self) -> bool:
        """The journal keeps nothing of this turn ("delete what I just said")."""
        return self.replies[0].private or self.reply.private


class Turn:
    def __init__(
        self,
        dispatcher: Dispatcher,
        controls: Controls,
        stt_mode: str = "grammar",
        decode_free: DecodeFn | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.controls = controls
        self.stt_mode = stt_mode
        self.decode_free = decode_free

    def understand(self, utterance: Utterance, *, answer: bool = False) -> Understood:
        """The hypothesis to act on: the best that parses as an intent; in `auto` mode,
        when none does, the audio decoded again in free mode; else the recogniser's best
        guess. An `answer` to a question is never decoded again."""
        text = self._first_understood(utterance.hypotheses)
        if text is None and not answer and self.stt_mode == "auto" and self.decode_free:
            started = time.perf_counter()
            text = self._first_understood(self.decode_free(utterance.pcm))
            return Understood(text or utterance.text, ms_since(started))
        return Understood(text or utterance.text)

    def take(
        self,
        said: str | Utterance,
        answer: AnswerFn | None = None,
        source: Source | None = None,
        room: str | None = None,
    ) -> TurnResult:
        """Dispatch what was said; while the reply is a question, `answer(question)`
        gives the answer (no `answer`: the question goes unanswered, as when nobody
        speaks). `source` defaults to typed for text, voice for an Utterance."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        if isinstance(said, Utterance):
            understood = self.understand(said)
            if understood.free_decode_ms is not None:
                timings["free_decode"] = understood.free_decode_ms
                started = time.perf_counter()
            text, source = understood.text, source or Source.VOICE
        else:
            text, source = said, source or Source.TYPED
        dispatched = self.dispatcher.dispatch(text, source, room)
        timings["dispatch"] = ms_since(started)
        outcome, replies = self._follow_up(dispatched, answer)
        self.controls.last_reply = replies[-1].text
        return TurnResult(text, dispatched.match, outcome, replies[-1], tuple(replies), timings)

    def _follow_up(
        self, dispatched: Dispatched, answer: AnswerFn | None
    ) -> tuple[Outcome, list[Reply]]:
        """Ask the skill's questions until one reply is not a question."""
        outcome, replies = dispatched.outcome, [dispatched.reply]
        skill = dispatched.match.skill if dispatched.match else "?"
        while (on_answer := replies[-1].on_answer) is not None:
            text = answer(replies[-1]) if answer else ""
            # The skill's reply to the answer is contained like any skill call.
            reply = self.dispatcher.call_skill(skill, functools.partial(on_answer, text))
            if reply is None:
                outcome = Outcome.SKILL_ERROR
                reply = Reply(apology("skill_error", self.dispatcher.language))
            replies.append(reply)
        return outcome, replies

    def _first_understood(self, hypotheses: list[str]) -> str | None:
        return next((h for h in hypotheses if self.dispatcher.matcher.match(h) is not None), None)
