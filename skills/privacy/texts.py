"""What the privacy skill says, in English and Korean."""

from __future__ import annotations

from datetime import datetime
from typing import Any

TEXT = {
    "en": {
        "disabled": "I keep no history: logging is switched off in the settings.",
        "no_journal": "No history is open here, so there is nothing to change.",
        "journal_failed": "Sorry, I could not reach the history. Nothing was changed.",
        "nothing_recent": "There is nothing you just said in the history.",
        "nothing_today": "There is nothing from today in the history.",
        "nothing_at_all": "The history is already empty.",
        "deleted_last": "Deleted. I no longer have what you just said.",
        "deleted_today": "Deleted {count} things you said today.",
        "deleted_all": "Deleted all {count} entries of the history.",
        "deleted_today_one": "Deleted the one thing you said today.",
        "deleted_all_one": "Deleted the one entry of the history.",
        "not_erased": "I deleted {count} entries, but could not yet erase them from the disk. "
        "Ask the owner to run assistant log verify.",
        "confirm_all": "Do you want me to delete your whole history? Say yes or no.",
        "kept": "Okay, I kept the history.",
        "paused": "I will not log anything until {until}.",
        "resumed": "Logging is on again.",
        "not_paused": "Logging was not paused; it is on.",
    },
    "ko": {
        "disabled": "기록을 남기지 않아요. 설정에서 기록이 꺼져 있어요.",
        "no_journal": "여기에는 열린 기록이 없어서 바꿀 것이 없어요.",
        "journal_failed": "죄송해요, 기록에 접근하지 못했어요. 아무것도 바뀌지 않았어요.",
        "nothing_recent": "방금 하신 말은 기록에 없어요.",
        "nothing_today": "오늘 기록은 없어요.",
        "nothing_at_all": "기록이 이미 비어 있어요.",
        "deleted_last": "지웠어요. 방금 하신 말은 이제 남아 있지 않아요.",
        "deleted_today": "오늘 기록 {count}개를 지웠어요.",
        "deleted_all": "기록 {count}개를 모두 지웠어요.",
        "not_erased": "기록 {count}개를 지웠지만 디스크에서 완전히 지우지는 못했어요. "
        "assistant log verify 를 실행해 주세요.",
        "confirm_all": "모든 기록을 지울까요? 네 또는 아니요로 대답해 주세요.",
        "kept": "알겠어요, 기록을 그대로 두었어요.",
        "paused": "{until}까지 아무것도 기록하지 않을게요.",
        "resumed": "다시 기록할게요.",
        "not_paused": "기록이 멈춰 있지 않았어요. 지금 기록하고 있어요.",
    },
}


def until_text(moment: datetime, language: str) -> str:
    if language == "ko":
        half = "오전" if moment.hour < 12 else "오후"
        return f"{half} {moment.hour % 12 or 12}시 {moment.minute}분"
    suffix = "AM" if moment.hour < 12 else "PM"
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {suffix}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _day(timestamp: float, now: datetime, language: str) -> str:
    moment = datetime.fromtimestamp(timestamp, now.tzinfo)
    if moment.date() == now.date():
        return "오늘" if language == "ko" else "today"
    if language == "ko":
        return f"{moment.month}월 {moment.day}일"
    return moment.strftime("%B %-d")


def describe_policy(summary: Any, now: datetime, language: str) -> str:
    """The retention in force, what is kept now, and whether logging is on."""
    days = _number(summary.retention_days)
    limit = summary.max_interactions
    count = summary.interactions
    audio_days = _number(summary.audio_retention_days)
    if language == "ko":
        parts = [f"하신 말과 제 대답을 글로 최대 {days}일, {limit}개까지 보관해요."]
        parts.append(
            f"음성은 {audio_days}일 동안 보관해요."
            if summary.keep_audio
            else "음성은 보관하지 않아요."
        )
        if count:
            oldest = _day(summary.oldest, now, language)
            parts.append(f"지금 기록은 {count}개이고, 가장 오래된 것은 {oldest} 기록이에요.")
        else:
            parts.append("지금 보관 중인 기록은 없어요.")
        if summary.paused_until:
            moment = datetime.fromtimestamp(summary.paused_until, now.tzinfo)
            parts.append(f"{until_text(moment, language)}까지 기록을 멈췄어요.")
        elif not summary.logging:
            parts.append("지금은 새로 기록하지 않아요.")
        return " ".join(parts)
    parts = [
        f"I keep the text of what you say and my answers for at most {days} days "
        f"and {limit} interactions."
    ]
    parts.append(
        f"Audio is kept for {audio_days} days." if summary.keep_audio else "I keep no audio."
    )
    if count:
        oldest = _day(summary.oldest, now, language)
        noun = "interaction" if count == 1 else "interactions"
        parts.append(f"Right now I have {count} {noun}, the oldest from {oldest}.")
    else:
        parts.append("Right now I keep nothing.")
    if summary.paused_until:
        moment = datetime.fromtimestamp(summary.paused_until, now.tzinfo)
        parts.append(f"Logging is paused until {until_text(moment, language)}.")
    elif not summary.logging:
        parts.append("I am not logging anything new right now.")
    return " ".join(parts)
