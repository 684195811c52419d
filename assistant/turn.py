"""One turn: what was said (typed text or a spoken Utterance) in, a dispatched result out,
the skill's follow-up questions included.

Typed commands, spoken commands and requests from elsewhere all go through `Turn.take`;
the voice loop only adds audio around it (it speaks the questions and listens for the
answers through the `answer` function it passes). `Turn.understand` is the one place
that picks the text to act on among the recogniser's hypotheses, and declines what is not
one of the sentences (assistant.rejection): heard but declined ends as `not_understood`,
and no skill runs. A sentence heard uncertainly is asked about first when the person can
answer (assistant.asking).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.asking import did_you_say, meant, not_meant
from assistant.dispatch import apology
from assistant.listen import Utterance
from assistant.measure import ms_since
from assistant.record import Outcome, Source
from assistant.rejection import Thresholds, Verdict, confirmed, recognise, worth_asking
from assistant.second_opinion import heard_by_copies
from assistant.skillkit import Reply

if TYPE_CHECKING:
    from assistant.controls import Controls
    from assistant.dispatch import Dispatched, Dispatcher, Permit
    from assistant.intents import IntentMatch
    from assistant.sentence_graph import SentenceGraph

AnswerFn = Callable[[Reply], str]
"""Given a skill's question, the answer as text ("" when none came)."""

DEFAULT_THRESHOLDS = Thresholds()

DecodeFn = Callable[[bytes], list[str]]
"""16 kHz mono int16 audio → hypotheses, best first (auto mode's free decoding); for the
second opinion, the best sentence of each copy (assistant.second_opinion)."""


@dataclass(frozen=True)
class Understood:
    text: str
    """What to act on; "" when nothing was heard."""
    free_decode_ms: float | None = None
    """Milliseconds spent decoding again in free mode, when auto mode did."""
    declined: bool = False
    """Heard, but not one of the sentences (or not sure enough): act on nothing."""
    second_opinion_ms: float | None = None
    """Milliseconds spent decoding the copies for the second opinion, when it was asked."""
    unsure: IntentMatch | None = None
    """Declined, but one of the sentences (this intent): worth asking the person about."""


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
    """dispatch; free_decode when auto mode decoded again; second_opinion when asked."""

    @property
    def reply_text(self) -> str:
        """What the journal keeps: every reply, ' / ' between question and answer."""
        return " / ".join(r.text for r in self.replies)

    @property
    def private(self) -> bool:
        """The journal keeps nothing of this turn ("delete what I just said")."""
        return any(r.private for r in self.replies)


class Turn:
    def __init__(
        self,
        dispatcher: Dispatcher,
        controls: Controls,
        stt_mode: str = "grammar",
        decode_free: DecodeFn | None = None,
        sentences: Callable[[], SentenceGraph | None] = lambda: None,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        second_opinion: DecodeFn | None = None,
        ask_when_unsure: bool = True,
    ) -> None:
        """`sentences()`: the compiled grammar the recogniser decoded with (None: a phrase
        list or free mode); `thresholds`: the word confidence a question and a
        state-changing command need; `second_opinion`: what copies of the audio played
        faster and slower were heard as (None: no second opinion); `ask_when_unsure`:
        ask about a sentence that falls short of those, when the person can answer."""
        self.dispatcher = dispatcher
        self.controls = controls
        self.stt_mode = stt_mode
        self.decode_free = decode_free
        self.sentences = sentences
        self.thresholds = thresholds
        self.second_opinion = second_opinion
        self.ask_when_unsure = ask_when_unsure

    def understand(
        self,
        utterance: Utterance,
        *,
        answer: bool = False,
        second_opinion: bool = True,
        may_ask: bool = False,
    ) -> Understood:
        """The sentence to act on, or a decline. An `answer` to a question (yes or no) is
        taken as heard (the best hypothesis): the asker judges it. A command must pass
        rejection; a sentence that falls short comes back `unsure` when `may_ask`, and
        otherwise, in `auto` mode, what is no sentence is decoded again in free mode."""
        if answer:
            # The best hypothesis only: a yes among the alternatives must not outvote
            # what was most likely said ("not yet", then "yes").
            return Understood(utterance.text)
        verdict = recognise(
            utterance.hypotheses,
            utterance.confidence,
            self._match_for(utterance.hypotheses),
            self.sentences(),
            self.thresholds,
        )
        checked_ms = None
        copies = self._copies_for(utterance) if second_opinion else None
        if verdict.accepted and copies is not None:
            others, checked_ms = heard_by_copies(utterance, copies)
            verdict = confirmed(verdict, others, self.dispatcher.matcher.match_strict)
        if verdict.accepted:
            return Understood(verdict.text, second_opinion_ms=checked_ms)
        if may_ask and worth_asking(verdict):
            return Understood(
                verdict.text, declined=True, second_opinion_ms=checked_ms, unsure=verdict.match
            )
        if verdict.verdict is Verdict.UNCONFIRMED:
            # Declined outright: auto mode's free decoding would act on the mishearing
            # the second opinion just caught.
            return Understood(verdict.text, declined=True, second_opinion_ms=checked_ms)
        heard = verdict.text or utterance.text
        if self.stt_mode == "auto" and self.decode_free:
            started = time.perf_counter()
            text = self._first_understood(self.decode_free(utterance.pcm))
            return Understood(text or heard, ms_since(started), declined=text is None)
        return Understood(heard, declined=True)

    def _copies_for(self, utterance: Utterance) -> DecodeFn | None:
        """The second opinion to ask, if any: one configured, a compiled grammar to
        decode the copies with, and audio to copy."""
        if self.sentences() is None or not utterance.pcm:
            return None
        return self.second_opinion

    def take(
        self,
        said: str | Utterance,
        answer: AnswerFn | None = None,
        source: Source | None = None,
        room: str | None = None,
        permit: Permit | None = None,
    ) -> TurnResult:
        """Dispatch what was said; while the reply is a question, `answer(question)`
        gives the answer (no `answer`: the question goes unanswered, as when nobody
        speaks). `source` defaults to typed for text, voice for an Utterance.
        `permit`: what the asker may run (a Wyoming peer's permissions)."""
        timings: dict[str, float] = {}
        asked: list[Reply] = []
        if isinstance(said, Utterance):
            may_ask = self.ask_when_unsure and answer is not None
            understood = self.understand(said, may_ask=may_ask)
            for stage, spent_ms in (
                ("free_decode", understood.free_decode_ms),
                ("second_opinion", understood.second_opinion_ms),
            ):
                if spent_ms is not None:
                    timings[stage] = spent_ms
            text, source = understood.text, source or Source.VOICE
            unsure = understood.unsure
            if unsure and answer is not None and self._may_run(unsure, permit):
                asked.append(did_you_say(text, self.dispatcher.language))
                if not self._said_yes(asked[0], answer):
                    return self._not_meant(text, timings, asked[0])
            elif understood.declined:
                return self._declined(text, timings)
        else:
            text, source = said, source or Source.TYPED
        started = time.perf_counter()  # dispatch is timed on its own
        dispatched = self.dispatcher.dispatch(text, source, room, permit)
        timings["dispatch"] = ms_since(started)
        outcome, replies = self._follow_up(dispatched, answer)
        replies = asked + replies
        # "Repeat that" must not bring back what a deletion just named ("Deleted: ...").
        if not any(r.private for r in replies):
            self.controls.last_reply = replies[-1].text
        return TurnResult(text, dispatched.match, outcome, replies[-1], tuple(replies), timings)

    @staticmethod
    def _may_run(match: IntentMatch, permit: Permit | None) -> bool:
        """Whether the asker may run `match` at all: no point asking about it otherwise."""
        return permit is None or permit(match) is None

    def _said_yes(self, question: Reply, answer: AnswerFn) -> bool:
        """Ask; True on a clear yes. The question is no reply worth repeating: "repeat
        that" after a yes means what came before it."""
        before = self.controls.last_reply
        said = answer(question)
        self.controls.last_reply = before
        return meant(said, self.dispatcher.language)

    def _declined(self, heard: str, timings: dict[str, float]) -> TurnResult:
        """Speech that is not one of the sentences: say sorry, act on nothing."""
        reply = Reply(apology("not_understood", self.dispatcher.language))
        self.controls.last_reply = reply.text
        return TurnResult(heard, None, Outcome.NOT_UNDERSTOOD, reply, (reply,), timings)

    def _not_meant(self, heard: str, timings: dict[str, float], question: Reply) -> TurnResult:
        """Asked about and not confirmed: act on nothing. `declined`, not `not_understood`:
        a person spoke and answered, so it is no false wake, and "delete what I just said"
        finds it."""
        reply = not_meant(self.dispatcher.language)
        self.controls.last_reply = reply.text
        return TurnResult(heard, None, Outcome.DECLINED, reply, (question, reply), timings)

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
        match = self._match_for(hypotheses)
        return next((h for h in hypotheses if match(h) is not None), None)

    def _match_for(self, hypotheses: list[str]) -> Callable[[str], IntentMatch | None]:
        """Strict matching when some hypothesis is one of the sentences: it beats a fuzzy
        reading of a hypothesis before it (assistant.intents)."""
        matcher = self.dispatcher.matcher
        if any(matcher.match_strict(h) is not None for h in hypotheses):
            return matcher.match_strict
        return matcher.match
