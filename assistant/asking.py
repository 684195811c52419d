"""Asking back: "여섯 시 에 깨워, 맞아요?" before acting on a command heard uncertainly.

A command can be one of the sentences and still fall short of its standard: its words'
confidence is low, or the second opinion heard something else (assistant.rejection). Such
a command is not acted on by itself; when the person can answer (a voice turn), the
assistant says what it heard and acts only on a clear yes. A mishearing then costs a
"no" instead of an alarm at midnight, and a right command that was merely unclear still
gets done. Only sentences of the grammar are asked about: speech the decoder took the way
out for is declined as before, so other talk does not turn into questions.

Measured on the recognition benchmark (bench/recognition.py; docs/benchmarks.md, "Asked
back"): of 182 espeak-ng Korean commands, 39 are right at once and 7 more are named by the
question (25.3% in all); 9 questions name something else and are answered no; no sentence
of the 124 of other talk is asked about.
"""

from __future__ import annotations

from assistant.skillkit import Reply
from assistant.skillkit.answers import is_clear_yes, word_set

QUESTION = {
    "en": "Did you say: {heard}? Say yes or no.",
    "ko": "{heard}, 맞아요? 네 또는 아니요로 대답해 주세요.",
}
NOT_MEANT = {
    "en": "Okay, I won't do that.",
    "ko": "알겠어요, 하지 않을게요.",
}
YES_WORDS = {
    "en": "yes, yeah, yep, yes please, sure, okay, ok, right, correct, that's right, go ahead",
    # The Korean model has no word "맞아요": the grammar spells it "맞아 요".
    "ko": "네, 예, 응, 그래, 맞아, 맞아 요, 좋아",
}
NO_WORDS = {
    "en": "no, not, nope, don't, wrong, wait, stop, cancel",
    "ko": "아니, 아니요, 아니오, 싫어, 안 돼, 틀려",
}
"""Yes and no as the grammar's answer sentences can be heard (skill system's
SystemAnswer). Only an answer made of yes words, starting with one, counts as yes
(assistant.skillkit.answers)."""


def _in(table: dict[str, str], language: str) -> str:
    return table.get(language, table["en"])


def did_you_say(heard: str, language: str) -> Reply:
    """The question that names what was heard, in the recogniser's words."""
    return Reply(_in(QUESTION, language).format(heard=heard))


def not_meant(language: str) -> Reply:
    return Reply(_in(NOT_MEANT, language))


def meant(answer: str, language: str) -> bool:
    """Whether the answer to did_you_say is a clear yes."""
    return is_clear_yes(
        answer, word_set(_in(YES_WORDS, language)), word_set(_in(NO_WORDS, language))
    )
