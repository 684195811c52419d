"""Durations and lists in words, for English and Korean replies."""

from __future__ import annotations


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


def has_final_consonant(word: str) -> bool:
    """Korean particles depend on whether the last syllable ends in a consonant (받침)."""
    last = word.rstrip()[-1:] or " "
    if "가" <= last <= "힣":
        return (ord(last) - ord("가")) % 28 != 0
    return False


def euro(word: str) -> str:
    """word + 으로/로 ('5분으로', '30초로', '1시간으로')."""
    last = word.rstrip()[-1:] or " "
    rieul = "가" <= last <= "힣" and (ord(last) - ord("가")) % 28 == 8
    return f"{word}으로" if has_final_consonant(word) and not rieul else f"{word}로"
