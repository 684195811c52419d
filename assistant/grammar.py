"""The phrase list for Vosk's grammar mode, built to cover the templates, not to enumerate them.

Enumerating every sentence a template allows explodes (two number slots and a few
alternatives make millions) and skews Vosk's grammar, which is a bigram model
estimated from the phrases: a timer's thousand "for N minutes" variants would drown
"what time is it". Instead each template yields a *covering* set: enough sentences
that every alternative and every slot value (numbers as spoken words) appears at
least once in its own context. Long lists are cycled in lock-step, so the size grows
with the longest list, not with the product of all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_VALUES_PER_RANGE = 400
"""Spoken number values taken from one range (evenly spread when it is longer)."""


class _Wildcard(Exception):
    """A template with free text cannot be part of a grammar."""


def covering_phrases(intents, language: str) -> list[str]:
    """Spoken phrases covering every template of `intents` (a hassil Intents)."""
    phrases: set[str] = set()
    for intent in intents.intents.values():
        for data in intent.data:
            rules = {**intents.expansion_rules, **(data.expansion_rules or {})}
            lists = {**intents.slot_lists, **(data.slot_lists or {})}
            for sentence in data.sentences:
                try:
                    texts = _cover(sentence.expression, lists, rules, language)
                except _Wildcard:
                    continue
                phrases.update(filter(None, map(normalise, texts)))
    return sorted(phrases)


def normalise(sentence: str) -> str:
    """Lower case, punctuation out, single spaces: the form Vosk emits. Typed-only
    symbols ("15% of 80", "6 * 7") stay, so that the model's vocabulary check drops
    their phrases instead of leaving a phrase that no longer means anything."""
    return " ".join(re.sub(r"[^\w\s'%+*/]", " ", sentence.lower()).split())


def _cover(expression, lists, rules, language) -> list[str]:
    from hassil.expression import (
        Alternative,
        ListReference,
        Permutation,
        RuleReference,
        Sequence,
        TextChunk,
    )

    if isinstance(expression, TextChunk):
        return [expression.original_text]
    if isinstance(expression, Alternative):
        return [text for item in expression.items for text in _cover(item, lists, rules, language)]
    if isinstance(expression, Permutation):
        # Every item first once; the other orders add no new words.
        orders = [expression.items[i:] + expression.items[:i] for i in range(len(expression.items))]
        return [
            text
            for order in orders
            for text in _lockstep([_cover(i, lists, rules, language) for i in order], " ")
        ]
    if isinstance(expression, Sequence):
        return _lockstep([_cover(item, lists, rules, language) for item in expression.items], "")
    if isinstance(expression, RuleReference):
        return _cover(rules[expression.rule_name].expression, lists, rules, language)
    if isinstance(expression, ListReference):
        return _list_values(expression, lists, rules, language)
    raise ValueError(f"unexpected template part: {expression!r}")


def _lockstep(parts: list[list[str]], separator: str) -> list[str]:
    """Join the i-th choice of each part (cycling shorter parts): every choice appears once."""
    parts = [p for p in parts if p]
    if not parts:
        return [""]
    longest = max(len(p) for p in parts)
    return [separator.join(p[i % len(p)] for p in parts) for i in range(longest)]


def _list_values(reference, lists, rules, language) -> list[str]:
    from hassil.intents import RangeSlotList, TextSlotList, WildcardSlotList

    if reference.is_inline_range:
        start, stop, step = reference.get_inline_range()
        return _number_words(range(start, stop + 1, step), language)
    slot_list = lists.get(reference.list_name)
    if isinstance(slot_list, TextSlotList):
        return [
            t for value in slot_list.values for t in _cover(value.text_in, lists, rules, language)
        ]
    if isinstance(slot_list, RangeSlotList):
        return _number_words(list(slot_list.get_numbers()), language)
    if isinstance(slot_list, WildcardSlotList):
        raise _Wildcard
    raise ValueError(f"missing slot list {{{reference.list_name}}}")


def _number_words(numbers: Iterable[float], language: str) -> list[str]:
    from hassil.numbers import get_rbnf_engine

    numbers = list(numbers)
    if len(numbers) > MAX_VALUES_PER_RANGE:
        step = len(numbers) / MAX_VALUES_PER_RANGE
        numbers = [numbers[int(i * step)] for i in range(MAX_VALUES_PER_RANGE)]
    engine = get_rbnf_engine(language)
    words: list[str] = []
    for number in numbers:
        spoken = engine.format_number(number).text_by_ruleset.values()
        words.extend(sorted(set(spoken)))
    return words
