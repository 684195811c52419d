"""The answer to "what do you keep about me": the retention in force, what is kept now,
and whether logging is on, in sentences from the skill's responses."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.journal.reports import PolicySummary

    from . import Privacy

POLICY_REPLIES = {
    "policy_retention": ("days", "limit"),
    "policy_audio": ("days",),
    "policy_no_audio": (),
    "policy_count": ("count", "oldest"),
    "policy_count_one": ("oldest",),
    "policy_empty": (),
    "policy_paused": ("until",),
    "policy_not_logging": (),
}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def describe_policy(skill: Privacy, summary: PolicySummary, now: datetime) -> str:
    text = skill.text
    days = _number(summary.retention_days)
    parts = [text("policy_retention", days=days, limit=summary.max_interactions)]
    if summary.keep_audio:
        parts.append(text("policy_audio", days=_number(summary.audio_retention_days)))
    else:
        parts.append(text("policy_no_audio"))
    count = summary.interactions
    if count:
        oldest = skill.day_words(summary.oldest)
        key = "policy_count_one" if count == 1 else "policy_count"
        parts.append(text(key, count=count, oldest=oldest))
    else:
        parts.append(text("policy_empty"))
    if summary.paused_until:
        parts.append(text("policy_paused", until=skill.until_words(summary.paused_until)))
    elif not summary.logging:
        parts.append(text("policy_not_logging"))
    return " ".join(parts)
