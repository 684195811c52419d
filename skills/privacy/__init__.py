"""Privacy by voice: delete what was just said, today's history or all of it; say what is
kept; pause and resume logging.

Every deletion goes through the privacy port, which uses the journal's own erasing code,
so the voice deletes exactly as thoroughly as `assistant log delete`. Every reply of
this skill is private: the journal records nothing of a privacy command, so "delete
what I just said" does not leave itself behind. Deleting more than one interaction
asks first, and only a clear yes deletes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assistant.errors import JournalError
from assistant.skillkit import Deletion, Reply, Request, Skill, SkillContext, handles
from assistant.skillkit.answers import is_clear_yes, word_set
from assistant.skillkit.words import day_of, time_of_day

from .policy import POLICY_REPLIES, describe_policy

HOUR = 3600.0


@dataclass(frozen=True)
class Settings:
    just_said_minutes: float = 10
    """"Delete what I just said" deletes the previous interaction only if it is at most this old."""
    default_pause_minutes: float = 60
    """How long "stop logging" pauses when no duration is said."""


class Privacy(Skill):
    Settings = Settings
    ports = ("clock", "privacy")
    replies = {
        "disabled": (),
        "no_journal": (),
        "journal_failed": (),
        "nothing_recent": (),
        "nothing_today": (),
        "nothing_at_all": (),
        "deleted_last": ("said",),
        "deleted_today": ("count",),
        "deleted_today_one": (),
        "deleted_all": ("count",),
        "deleted_all_one": (),
        "not_erased": ("count",),
        "confirm_today": ("count",),
        "confirm_all": (),
        "kept": (),
        "paused": ("until",),
        "resumed": (),
        "not_paused": (),
        "yes_words": (),
        "no_words": (),
        **POLICY_REPLIES,
    }

    def __init__(self, context: SkillContext) -> None:
        super().__init__(context)
        self._last_deleted: dict[str | None, tuple[float, float]] = {}
        """Per room: when "delete what I just said" last deleted, and what it deleted."""
        """(when it was deleted, when it had been said): "delete that too" goes on from it."""

    def say(self, key: str, **values: Any) -> Reply:
        reply = super().say(key, **values)
        reply.private = True
        return reply

    def handle(self, request: Request) -> Reply:
        if not self.context.has("privacy"):  # `assistant skills test` runs without a journal
            return self.say("no_journal")
        try:
            if not self.context.privacy.keeps_history:
                return self.say("disabled")
            return super().handle(request)
        except JournalError:
            # The journal's message names paths, never content; the spoken reply stays short.
            return self.say("journal_failed")

    def _deleted(self, deletion: Deletion, done_key: str) -> Reply:
        if not deletion.erased:
            return self.say("not_erased", count=deletion.deleted)
        if deletion.deleted == 1:
            return self.say(f"{done_key}_one")
        return self.say(done_key, count=deletion.deleted)

    def _confirmed(self, answer: str, action: Any) -> Reply:
        """`action()` after a clear yes; anything else (silence, no, a mumble) keeps all."""
        if not self._is_yes(answer):
            return self.say("kept")
        try:
            return action()
        except JournalError:
            return self.say("journal_failed")

    @handles("PrivacyDeleteLast")
    def delete_last(self, request: Request) -> Reply:
        limit = self.context.settings.just_said_minutes * 60
        now = self.context.clock.time()
        newest_allowed = now
        previous = self._last_deleted.get(request.room)
        if previous and now - previous[0] <= limit:
            newest_allowed = previous[1]  # "delete that too": one further back
        entry = self.context.privacy.last_spoken(
            str(request.source), newest_allowed - limit, request.room
        )
        if entry is None:
            return self.say("nothing_recent")
        deletion = self.context.privacy.delete_ids([entry.id])
        if deletion.deleted == 0:
            return self.say("nothing_recent")
        self._last_deleted[request.room] = (now, entry.started_at)
        if not deletion.erased:
            return self.say("not_erased", count=deletion.deleted)
        return self.say("deleted_last", said=entry.transcript)

    @handles("PrivacyDeleteToday")
    def delete_today(self, request: Request) -> Reply:
        now = self.context.clock.now()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        ids = self.context.privacy.ids_between(midnight.timestamp(), None)
        if not ids:
            return self.say("nothing_today")

        def delete() -> Reply:
            return self._deleted(self.context.privacy.delete_ids(ids), "deleted_today")

        if len(ids) == 1:
            return delete()
        question = self.say("confirm_today", count=len(ids))
        question.on_answer = lambda answer: self._confirmed(answer, delete)
        return question

    @handles("PrivacyDeleteAll")
    def ask_delete_all(self, request: Request) -> Reply:
        ids = self.context.privacy.ids_between(0.0, None)
        if not ids:
            return self.say("nothing_at_all")

        def delete() -> Reply:  # exactly what there was when the question was asked
            return self._deleted(self.context.privacy.delete_ids(ids), "deleted_all")

        question = self.say("confirm_all")
        question.on_answer = lambda answer: self._confirmed(answer, delete)
        return question

    @handles("PrivacyPolicy")
    def policy(self, request: Request) -> Reply:
        summary = self.context.privacy.policy_summary()
        return Reply(describe_policy(self, summary, self.context.clock.now()), private=True)

    @handles("PrivacyPause")
    def pause(self, request: Request) -> Reply:
        slots = request.slots
        seconds = int(slots.get("hours", 0)) * HOUR + int(slots.get("minutes", 0)) * 60
        if seconds <= 0:
            seconds = self.context.settings.default_pause_minutes * 60
        until = self.context.privacy.pause(seconds)
        return self.say("paused", until=self.until_words(until))

    @handles("PrivacyResume")
    def resume(self, request: Request) -> Reply:
        was_paused = self.context.privacy.paused_until() is not None
        self.context.privacy.resume()
        return self.say("resumed" if was_paused else "not_paused")

    def until_words(self, timestamp: float) -> str:
        moment = datetime.fromtimestamp(timestamp, self.context.clock.now().tzinfo)
        return time_of_day(moment.hour, moment.minute, self.context.language).text

    def day_words(self, timestamp: float) -> str:
        now = self.context.clock.now()
        return day_of(datetime.fromtimestamp(timestamp, now.tzinfo), now, self.context.language)

    def _is_yes(self, answer: str) -> bool:
        """Only a clear yes counts: silence, "no" or anything unclear keeps the history."""
        yes, no = word_set(self.text("yes_words")), word_set(self.text("no_words"))
        return is_clear_yes(answer, yes, no)


SKILL = Privacy
