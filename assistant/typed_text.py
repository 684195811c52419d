"""Typed text → the words the templates are written in.

The templates are written in the recogniser's words, and the Korean model keeps many
particles and endings apart ("일곱 시 에", "몇 시 예요"), while people type them glued to
the word before ("일곱시에", "몇 시예요", "7시에"). Each typed word the templates do not
know is cut into two or three words they do (an ending that only exists glued, such as
이야, becomes its spoken form, 야), and every way of cutting is tried, fewest cuts first;
a word they do not know typed apart from the next is joined to it ("도와 줘" → "도와줘").

The recogniser writes apart what its model has no single word for: the compiled grammar
spells "이십육" (26) as "이십 육" (assistant.grammar_fst.word_ids_of). So the last variant
joins every pair of neighbours that makes a word the templates know ("이십 육" → "이십육",
"칠백 삼십 구" → "칠백삼십구").
"""

from __future__ import annotations

import itertools
import re
from typing import Any

GLUED_ENDINGS = {"이야": "야", "이지": "지", "에요": "예요", "이에요": "이에요", "이요": "요"}
"""Korean endings as typed after a word → the word the templates (and the recogniser) use."""

MAX_VARIANTS = 16
MAX_PIECES = 3
MAX_WORD = 40
"""Longer "words" are not cut: no typed word is that long, and cutting costs its square."""
_PUNCTUATION = re.compile(r"[?!.,~…\"“”'‘’]+(?=\s|$)")
_DIGITS_GLUED = re.compile(r"(?<=\d)(?=[^\d\s:.%])|(?<=[^\d\s:.\-])(?=\d)")


def korean_variants(text: str, known: frozenset[str]) -> list[str]:
    """Other spellings of `text` in known words (none when it needs no cutting)."""
    words = _joined(_DIGITS_GLUED.sub(" ", _PUNCTUATION.sub("", text)).split(), known)
    choices = [_cuts(word, known) for word in words]
    variants = (" ".join(words) for words in itertools.product(*choices))
    found = [v for v in itertools.islice(variants, MAX_VARIANTS) if v != text]
    glued = " ".join(_joined(text.split(), known, known_too=True))
    return found + [glued] if glued != text and glued not in found else found


def _joined(words: list[str], known: frozenset[str], known_too: bool = False) -> list[str]:
    """A word the templates do not know glued to the next, when that makes one they do
    ("도와 줘" → "도와줘"); `known_too`: any two neighbours that do ("이십 육" → "이십육")."""
    out: list[str] = []
    for word in words:
        if out and (known_too or out[-1] not in known) and out[-1] + word in known:
            out[-1] += word
        else:
            out.append(word)
    return out


def _cuts(word: str, known: frozenset[str]) -> list[str]:
    if word in known or word.isdigit() or len(word) > MAX_WORD:
        return [word]
    found = _pieces(word, known, MAX_PIECES)
    found.sort(key=lambda cut: cut.count(" "))
    return found or [word]


def _pieces(word: str, known: frozenset[str], most: int) -> list[str]:
    """Every way to write `word` as at most `most` known words."""
    out = []
    ending = GLUED_ENDINGS.get(word, word)
    if ending in known:
        out.append(ending)
    if most > 1:
        for cut in range(len(word) - 1, 0, -1):
            head = word[:cut]
            if head in known or head.isdigit():
                out += [f"{head} {rest}" for rest in _pieces(word[cut:], known, most - 1)]
    return out


def template_words(intents: Any) -> frozenset[str]:
    """Every word the templates, their lists and their number ranges can produce (what a
    typed word may be cut into)."""
    from hassil.expression import Group, ListReference, RuleReference, TextChunk
    from hassil.intents import RangeSlotList, TextSlotList

    from assistant.grammar_fst import spoken_numbers

    found: set[str] = set()
    seen_rules: set[str] = set()

    def walk(expression: Any) -> None:
        if isinstance(expression, TextChunk):
            found.update(re.findall(r"\w+", expression.text))
        elif isinstance(expression, Group):
            for item in expression.items:
                walk(item)
        elif isinstance(expression, RuleReference) and expression.rule_name not in seen_rules:
            seen_rules.add(expression.rule_name)
            if expression.rule_name in intents.expansion_rules:
                walk(intents.expansion_rules[expression.rule_name].expression)
        elif isinstance(expression, ListReference):
            slot_list = intents.slot_lists.get(expression.list_name)
            if isinstance(slot_list, TextSlotList):
                for value in slot_list.values:
                    walk(value.text_in)

    for intent in intents.intents.values():
        for data in intent.data:
            for sentence in data.sentences:
                walk(sentence.expression)
    for slot_list in intents.slot_lists.values():
        if isinstance(slot_list, RangeSlotList):
            numbers = spoken_numbers(slot_list.get_numbers(), intents.language)
            found.update(w for text in numbers for w in re.findall(r"\w+", text))
    return frozenset(found)
