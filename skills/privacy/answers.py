"""Reading a spoken yes or no (the answer to "delete all history?")."""

from __future__ import annotations

import re

YES = {
    "en": {
        "yes",
        "yeah",
        "yep",
        "sure",
        "okay",
        "ok",
        "do it",
        "yes please",
        "go ahead",
        "delete it",
    },
    "ko": {"네", "예", "응", "그래", "맞아", "좋아", "지워", "삭제해"},
}


def is_yes(answer: str, language: str) -> bool:
    """Only a clear yes counts: silence, "no" or anything unclear keeps the history."""
    words = re.sub(r"[^\w\s]", " ", (answer or "").lower()).split()
    text = " ".join(words)
    if not text:
        return False
    yes = YES.get(language, YES["en"])
    return text in yes or (
        words[0] in yes and not {"no", "not", "아니", "아니요", "아니오"} & set(words)
    )
