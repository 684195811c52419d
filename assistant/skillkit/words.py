"""Words the skills share: times of day, days, durations, lists and Korean particles.

English and Korean forms; any other language gets the English ones (a language added
with YAML only still reads its numbers and times this way).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class Words(NamedTuple):
    """A value shown one way and spoken another: "7:05 PM" is said "7 oh 5 PM", since
    espeak-ng reads "7:05" as "seven zero five". Responses fill each form in."""

    text: str
    spoken: str

    def __str__(self) -> str:
        return self.text


def time_of_day(hour: int, minute: int, language: str) -> Words:
    """(19, 5) → '7:05 PM' (said '7 oh 5 PM'); (7, 0) → '7 AM'; ko: '오후 7시 5분'."""
    twelve = hour % 12 or 12
    if language == "ko":
        half = "오전" if hour < 12 else "오후"
        text = f"{half} {twelve}시" + (f" {minute}분" if minute else "")
        return Words(text, text)
    suffix = "AM" if hour < 12 else "PM"
    if minute == 0:
        text = f"{twelve} {suffix}"
        return Words(text, text)
    text = f"{twelve}:{minute:02d} {suffix}"
    return Words(text, f"{twelve} oh {minute} {suffix}" if minute < 10 else text)


def day_of(moment: datetime, now: datetime, language: str) -> str:
    """'today', 'tomorrow', else 'May 12' (ko: '오늘', '내일', '5월 12일')."""
    days = (moment.date() - now.date()).days
    korean = language == "ko"
    if days == 0:
        return "오늘" if korean else "today"
    if days == 1:
        return "내일" if korean else "tomorrow"
    return f"{moment.month}월 {moment.day}일" if korean else f"{moment:%B} {moment.day}"


def moment_words(moment: datetime, now: datetime, language: str) -> Words:
    """'7 AM tomorrow' / '내일 오전 7시': the time of day and its day, relative to now."""
    time = time_of_day(moment.hour, moment.minute, language)
    day = day_of(moment, now, language)
    if language != "ko" and (moment.date() - now.date()).days not in (0, 1):
        day = f"on {day}"
    if language == "ko":
        return Words(f"{day} {time.text}", f"{day} {time.spoken}")
    return Words(f"{time.text} {day}", f"{time.spoken} {day}")


def _plural(count: int, unit: str, unit_form: bool) -> str:
    return f"{count} {unit}" if count == 1 or unit_form else f"{count} {unit}s"


def describe_seconds(seconds: int, language: str, unit_form: bool = False) -> str:
    """3725 → '1 hour and 2 minutes' (rounded to what is worth saying); ko: '1시간 2분'.

    `unit_form` gives the adjective form: '5 minute' (as in 'a 5 minute timer').
    """
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        secs = 0  # "1 hour, 2 minutes and 3 seconds" is more than anyone wants to hear
    if language == "ko":
        parts = [f"{n}{unit}" for n, unit in ((hours, "시간"), (minutes, "분"), (secs, "초")) if n]
        return " ".join(parts) or "0초"
    parts = [
        _plural(n, unit, unit_form)
        for n, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second"))
        if n
    ]
    if not parts:
        return _plural(0, "second", unit_form)
    if unit_form:
        return " ".join(parts)
    return " and ".join(parts) if len(parts) <= 2 else f"{parts[0]}, {parts[1]} and {parts[2]}"


def list_items(items: list[str], language: str) -> str:
    if language == "ko":
        return ", ".join(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _last_syllable(word: str) -> int | None:
    """The index of the last Hangul syllable's final consonant (0: none), or None."""
    last = word.rstrip()[-1:] or " "
    return (ord(last) - ord("가")) % 28 if "가" <= last <= "힣" else None


def has_final_consonant(word: str) -> bool:
    """Korean particles depend on whether the last syllable ends in a consonant (받침)."""
    return bool(_last_syllable(word))


def particle(word: str, after_consonant: str, after_vowel: str) -> str:
    """The particle for `word`: particle('시간', '을', '를') → '을'."""
    return after_consonant if has_final_consonant(word) else after_vowel


def euro(word: str) -> str:
    """word + 으로/로 ('5분으로', '30초로', '1시간으로'); ㄹ takes 로 ('마일로')."""
    final = _last_syllable(word)
    return f"{word}으로" if final and final != 8 else f"{word}로"
