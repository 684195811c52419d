"""Privacy by voice: delete what was just said, today's history or all of it; say what is
kept; pause and resume logging.

Every deletion goes through the journal's own erasing code (`Journal.delete_*`), so
the voice deletes exactly as thoroughly as `assistant log delete`. Every reply of this
skill is private: the journal records nothing of a privacy command, so "delete what I
just said" does not leave itself behind. Deleting everything asks first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assistant.errors import JournalError
from assistant.skills import Reply, Request, Skill

from .answers import is_yes
from .texts import TEXT, describe_policy, until_text

HOUR = 3600.0


@dataclass(frozen=True)
class Settings:
    just_said_minutes: float = 10
    """"Delete what I just said" deletes the previous interaction only if it is at most this old."""
    default_pause_minutes: float = 60
    """How long "stop logging" pauses when no duration is said."""


class Privacy(Skill):
    Settings = Settings

    def __init__(self, context) -> None:
        super().__init__(context)
        self.language = context.language if context.language in TEXT else "en"
        self.text = TEXT[self.language]

    @property
    def journal(self):
        return self.context.services.get("journal")

    def _journal_off(self) -> bool:
        journal = self.journal
        return journal is None or (
            not getattr(journal, "recording", True) and not _has_entries(journal)
        )

    def handle(self, request: Request) -> Reply:
        if self.journal is None:  # `assistant skills test` runs without the journal
            return Reply(self.text["no_journal"], private=True)
        if self._journal_off():
            return Reply(self.text["disabled"], private=True)
        handler = {
            "PrivacyDeleteLast": self.delete_last,
            "PrivacyDeleteToday": self.delete_today,
            "PrivacyDeleteAll": self.ask_delete_all,
            "PrivacyPolicy": self.policy,
            "PrivacyPause": self.pause,
            "PrivacyResume": self.resume,
        }[request.intent]
        try:
            return handler(request)
        except JournalError:
            # The journal's message names paths, never content; the spoken reply stays short.
            return Reply(self.text["journal_failed"], private=True)

    def _reply(self, text: str) -> Reply:
        return Reply(text, private=True)

    def _deleted(self, report, none_key: str, done_key: str) -> Reply:
        if report.deleted == 0:
            return self._reply(self.text[none_key])
        if not report.erased:
            return self._reply(self.text["not_erased"].format(count=report.deleted))
        if report.deleted == 1 and f"{done_key}_one" in self.text:
            done_key = f"{done_key}_one"
        return self._reply(self.text[done_key].format(count=report.deleted))

    def delete_last(self, request: Request) -> Reply:
        newest = self.journal.last(1, source=request.source)
        limit = self.context.settings.just_said_minutes * 60
        if not newest or self.context.clock.time() - newest[0].started_at > limit:
            return self._reply(self.text["nothing_recent"])
        report = self.journal.delete_ids([newest[0].id])
        return self._deleted(report, "nothing_recent", "deleted_last")

    def delete_today(self, request: Request) -> Reply:
        now = self.context.clock.now()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        report = self.journal.delete_range(midnight.timestamp(), None)
        return self._deleted(report, "nothing_today", "deleted_today")

    def ask_delete_all(self, request: Request) -> Reply:
        def on_answer(answer: str) -> Reply:
            if not is_yes(answer, self.language):
                return self._reply(self.text["kept"])
            report = self.journal.delete_all()
            return self._deleted(report, "nothing_at_all", "deleted_all")

        return Reply(self.text["confirm_all"], on_answer=on_answer, private=True)

    def policy(self, request: Request) -> Reply:
        summary = self.journal.policy_summary()
        now = self.context.clock.now()
        return self._reply(describe_policy(summary, now, self.language))

    def pause(self, request: Request) -> Reply:
        slots = request.slots
        seconds = int(slots.get("hours", 0)) * HOUR + int(slots.get("minutes", 0)) * 60
        if seconds <= 0:
            seconds = self.context.settings.default_pause_minutes * 60
        until = self.journal.pause(seconds)
        moment = datetime.fromtimestamp(until, self.context.clock.now().tzinfo)
        return self._reply(self.text["paused"].format(until=until_text(moment, self.language)))

    def resume(self, request: Request) -> Reply:
        was_paused = self.journal.paused_until() is not None
        self.journal.resume()
        return self._reply(self.text["resumed" if was_paused else "not_paused"])


def _has_entries(journal) -> bool:
    """A journal switched off in the settings may still hold older entries to delete."""
    try:
        return bool(journal.last(1))
    except JournalError:
        return False


SKILL = Privacy
