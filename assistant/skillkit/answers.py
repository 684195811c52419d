"""Yes or no: reading a person's answer to a question the assistant or a skill asked."""

from __future__ import annotations

import re


def word_set(listed: str) -> set[str]:
    """Answers written as a comma-separated list ("yes, yeah, go ahead")."""
    return {_words(phrase) for phrase in listed.split(",") if _words(phrase)}


def is_clear_yes(answer: str, yes: set[str], no: set[str]) -> bool:
    """Only a clear yes counts, since a yes is what lets something happen: the answer
    starts with one of `yes`, every other word of it is a word of those ("yes please",
    "네 맞아요"), and no phrase of `no` occurs in it ("yes, don't"). Silence, "no",
    "yes wait" and anything unclear count as no."""
    words = _words(answer or "")
    padded = f" {words} "
    starts_with_yes = any(padded.startswith(f" {phrase} ") for phrase in yes)
    said_no = any(f" {phrase} " in padded for phrase in no)
    yes_words = {word for phrase in yes for word in phrase.split()}
    return starts_with_yes and not said_no and set(words.split()) <= yes_words


def _words(text: str) -> str:
    """Lower case, punctuation out (a typographic apostrophe read as a plain one)."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(re.sub(r"[^\w\s']", " ", text).split())
