"""Yes or no: reading a person's answer to a question the assistant or a skill asked."""

from __future__ import annotations

import re


def word_set(listed: str) -> set[str]:
    """Answers written as a comma-separated list ("yes, yeah, go ahead")."""
    return {w.strip().lower() for w in listed.split(",") if w.strip()}


def is_clear_yes(answer: str, yes: set[str], no: set[str]) -> bool:
    """Only a clear yes counts: the whole answer is one of `yes`, or it starts with one and
    holds none of `no` ("yes please", not "yes, no, don't"). Silence, "no" and anything
    unclear count as no, since a yes here is what lets something happen."""
    words = re.sub(r"[^\w\s']", " ", (answer or "").lower()).split()
    text = " ".join(words)
    return bool(text) and (text in yes or (words[0] in yes and not no & set(words)))
