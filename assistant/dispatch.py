"""Text → intent → skill → reply, with every skill failure contained.

A skill that raises or hangs past its time limit gets the person a short apology,
the interaction the outcome `skill_error`, and the process log one line without
what was said. The assistant keeps serving.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from assistant.errors import SkillError
from assistant.intents import IntentMatch, IntentMatcher
from assistant.record import Outcome, Source
from assistant.skillkit import LoadedSkill, Reply, Request, Skill, SkillContext

log = logging.getLogger(__name__)

SKILL_TIME_LIMIT_SECONDS = 5.0

Permit = Callable[[IntentMatch], "str | None"]
"""An intent → None when the asker may run it, else the short sentence that refuses it."""

APOLOGIES = {
    "not_understood": {"en": "Sorry, I didn't understand.", "ko": "죄송해요, 이해하지 못했어요."},
    "skill_error": {"en": "Sorry, something went wrong.", "ko": "죄송해요, 문제가 생겼어요."},
}


def apology(kind: str, language: str) -> str:
    return APOLOGIES[kind].get(language, APOLOGIES[kind]["en"])


@dataclass
class Dispatched:
    match: IntentMatch | None
    reply: Reply
    outcome: Outcome


class Dispatcher:
    def __init__(
        self,
        matcher: IntentMatcher,
        skills: dict[str, Skill],
        time_limit: float = SKILL_TIME_LIMIT_SECONDS,
    ) -> None:
        self.matcher = matcher
        self.skills = skills
        self.time_limit = time_limit
        self.language = matcher.language

    def dispatch(
        self,
        text: str,
        source: Source = Source.VOICE,
        room: str | None = None,
        permit: Permit | None = None,
    ) -> Dispatched:
        """`permit(match)`: None when whoever asked may run the intent, else the refusal
        to say (no skill runs; the outcome is `declined`)."""
        match = self.matcher.match(text)
        if match is None:
            return Dispatched(
                None, Reply(apology("not_understood", self.language)), Outcome.NOT_UNDERSTOOD
            )
        refusal = permit(match) if permit is not None else None
        if refusal is not None:
            return Dispatched(match, Reply(refusal), Outcome.DECLINED)
        request = Request(match.intent, match.slots, text, self.language, source, room)
        reply = self.call_skill(match.skill, lambda: self.skills[match.skill].handle(request))
        outcome = Outcome.HANDLED if reply is not None else Outcome.SKILL_ERROR
        return Dispatched(match, reply or Reply(apology("skill_error", self.language)), outcome)

    def call_skill(self, name: str, call: Callable[[], object]) -> Reply | None:
        """Run `call` with the time limit; None when it raised, hung or returned no Reply."""
        result: list[object] = []

        def target() -> None:
            try:
                result.append(call())
            except BaseException as e:  # contain everything a skill can throw
                result.append(e)

        # A daemon thread: a skill that never returns cannot keep the process alive.
        worker = threading.Thread(target=target, name=f"skill-{name}", daemon=True)
        worker.start()
        worker.join(self.time_limit)
        if worker.is_alive():
            log.error("skill %s did not answer within %.1f s", name, self.time_limit)
            return None
        outcome = result[0]
        if isinstance(outcome, BaseException):
            # Only the type and the skill: the message may quote what was said.
            log.error("skill %s failed: %s", name, type(outcome).__name__)
            log.debug("skill %s traceback", name, exc_info=outcome)
            return None
        if not isinstance(outcome, Reply):
            log.error("skill %s returned %s instead of a Reply", name, type(outcome).__name__)
            return None
        return outcome


def instantiate(
    loaded: list[LoadedSkill], make_context: Callable[[LoadedSkill], SkillContext]
) -> dict[str, Skill]:
    """Create the enabled skills. One whose constructor raises stops the building with a
    SkillError naming it: the configuration is rejected rather than half served."""
    skills = {}
    for skill in loaded:
        try:
            skills[skill.name] = skill.skill_class(make_context(skill))
        except Exception as e:
            raise SkillError(f"skill {skill.name} failed to start: {type(e).__name__}: {e}") from e
    return skills
