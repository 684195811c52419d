"""Fuzzy matching: the intent whose templates typed words are closest to, with its slots.

hassil 3.1 to 3.8 had a fuzzy matcher (hassil.fuzzy) scoring text against n-gram models
that Home Assistant trains offline for its own intents; the hassil installed here (3.13)
no longer ships it, and its models would not know our intents anyway. This is a small
matcher of the same kind, built from our own templates when first needed:

- each template is sampled at random (a fixed seed) with slot values left as placeholders
  ("what is {number:a:0:1000} {math_op:op} {number:b:0:1000}"); the samples give each intent a word
  bigram model and the slot signatures it accepts (which placeholders, in which order);
- the text is cut into words, fillers (the templates' `skip_words`) are dropped, and
  spans that can be slot values (numbers in digits or words, list values) are tried both
  as values and as words;
- every reading is scored against every intent whose signatures it fits (average log
  probability per word, words no template knows are left out); the best is taken only
  if it is likely enough, beats every other intent clearly, and most words are known.

Callers (assistant.intents) take a fuzzy match only for intents that change nothing.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hassil.expression import (
    Alternative,
    ListReference,
    Permutation,
    RuleReference,
    Sequence,
    TextChunk,
)
from hassil.intents import RangeSlotList, TextSlotList

from assistant.grammar_fst import spoken_numbers

SAMPLES_PER_TEMPLATE = 60
MIN_AVERAGE_LOG_PROB = -3.5
"""Below this (per known word), the text is like none of the intents..."""
MIN_MARGIN = 0.35
"""The best intent must beat every other by this much (per known word), or it is a guess."""
LOW_AVERAGE_LOG_PROB = -4.0
CLEAR_MARGIN = 1.0
"""...unless it is above this one and beats every other intent by a clear margin."""
MAX_UNKNOWN_SHARE = 0.3
"""At most this share of the words may be unknown to every template."""
MAX_KEYWORD_SKILLS = 3
"""A word used by the intents of at most this many skills is a keyword of each; the text
must say one of the chosen intent's keywords ("how are you" shares only words that every
skill uses with "what are you storing about me")."""
MAX_READINGS = 64
BIGRAM_WEIGHT = 0.6
UNIGRAM_ADD = 0.1
NUMBER = "number"
_CONTRACTIONS = {
    "what's": "what is",
    "whats": "what is",
    "thats": "that is",
    "hows": "how is",
    "dont": "do not",
    "cant": "can not",
    "it's": "it is",
    "that's": "that is",
    "how's": "how is",
    "where's": "where is",
    "don't": "do not",
    "i'm": "i am",
    "i'd": "i would",
    "can't": "can not",
    "won't": "will not",
}
_PLACEHOLDER = re.compile(r"\{\w+:\w+(:-?\d+:-?\d+)?\}")
_DECIMAL = re.compile(r"-?\d+[.,]\d+")
_EXTRA_NUMBER_WORDS = {"en": {"a hundred": 100, "a thousand": 1000}}


@dataclass
class Signature:
    """The slots of one sampled sentence: placeholder categories in order, their names,
    and the word after each ("{number:minutes} minutes" and "{number:hours} hours" share
    categories; the word after tells them apart)."""

    categories: tuple[str, ...]
    slot_names: tuple[str, ...]
    after: tuple[str, ...]
    fixed: dict[str, Any] = field(default_factory=dict)
    ranges: tuple[tuple[int, int] | None, ...] = ()
    """For each number slot, the range its list allows."""

    def allows(self, values: list[tuple[str, Any]]) -> bool:
        return all(
            span is None or span[0] <= value <= span[1]
            for span, (_, value) in zip(self.ranges, values, strict=False)
        )


@dataclass
class IntentModel:
    unigrams: Counter[str] = field(default_factory=Counter)
    bigrams: Counter[tuple[str, str]] = field(default_factory=Counter)
    signatures: dict[tuple[str, ...], list[Signature]] = field(default_factory=dict)
    sentences: int = 0
    total: int = 0
    """Words seen (with each sentence's end)."""


def words(text: str) -> list[str]:
    """Lower case, punctuation out, contractions spelled out, symbols as words; slot
    placeholders of the samples ("{number:a:0:1000}") are kept whole."""
    out: list[str] = []
    for raw in text.lower().replace("’", "'").split():
        if _PLACEHOLDER.fullmatch(raw) or _DECIMAL.fullmatch(raw):
            out.append(raw)
            continue
        cleaned = re.sub(r"([%+*/])", r" \1 ", raw)
        cleaned = re.sub(r"[^\w\s'%+*/:]|(?<!\w)'|'(?!\w)|:(?!\d)", " ", cleaned)
        for word in cleaned.split():
            out += _CONTRACTIONS.get(word, word).split()
    return out


class _Sampler:
    """Random sentences of a template, slot values as "{category:slot}" placeholders."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def sample(self, expression: Any, lists: dict, rules: dict) -> str:
        if isinstance(expression, TextChunk):
            return expression.text
        if isinstance(expression, Alternative):
            items = list(expression.items) + ([None] if expression.is_optional else [])
            chosen = self.rng.choice(items)
            return "" if chosen is None else self.sample(chosen, lists, rules)
        if isinstance(expression, Permutation):
            items = list(expression.items)
            self.rng.shuffle(items)
            return " ".join(self.sample(item, lists, rules) for item in items)
        if isinstance(expression, Sequence):
            return "".join(self.sample(item, lists, rules) for item in expression.items)
        if isinstance(expression, RuleReference):
            return self.sample(rules[expression.rule_name].expression, lists, rules)
        if isinstance(expression, ListReference):
            slot_list = lists.get(expression.list_name)
            if expression.is_inline_range:
                start, stop, _ = expression.get_inline_range()
                return f" {{{NUMBER}:{expression.slot_name}:{start}:{stop}}} "
            if isinstance(slot_list, RangeSlotList):
                start, stop = slot_list.start, slot_list.stop
                return f" {{{NUMBER}:{expression.slot_name}:{start}:{stop}}} "
            return f" {{{expression.list_name}:{expression.slot_name}}} "
        return ""


class FuzzyMatcher:
    """Text → (intent, slots) by closeness to the templates' sentences (see the module)."""

    def __init__(self, intents: Any, owner: dict[str, str], seed: int = 7) -> None:
        """`owner`: intent name → the skill it belongs to."""
        self.language = intents.language
        self.models: dict[str, IntentModel] = {}
        self.vocabulary: set[str] = set()
        self.skip_words = sorted(
            (tuple(words(w)) for w in intents.skip_words if words(w)), key=len, reverse=True
        )
        self._train(intents, random.Random(seed))
        self.values = self._value_phrases(intents)
        users: dict[str, set[str]] = {}
        for intent, model in self.models.items():
            for word in model.unigrams:
                users.setdefault(word, set()).add(owner.get(intent, intent))
        self.keywords = {w for w, skills in users.items() if len(skills) <= MAX_KEYWORD_SKILLS}

    # ----- building -------------------------------------------------------------------

    def _train(self, intents: Any, rng: random.Random) -> None:
        sampler = _Sampler(rng)
        for name, intent in intents.intents.items():
            model = self.models.setdefault(name, IntentModel())
            for data in intent.data:
                lists = {**intents.slot_lists, **(data.slot_lists or {})}
                rules = {**intents.expansion_rules, **(data.expansion_rules or {})}
                fixed = {k: getattr(v, "value", v) for k, v in (data.slots or {}).items()}
                for sentence in data.sentences:
                    for _ in range(SAMPLES_PER_TEMPLATE):
                        text = sampler.sample(sentence.expression, lists, rules)
                        self._learn(model, words(text), fixed)

    def _learn(self, model: IntentModel, tokens: list[str], fixed: dict[str, Any]) -> None:
        categories, slot_names, after, plain, ranges = [], [], [], [], []
        for index, token in enumerate(tokens):
            if _PLACEHOLDER.fullmatch(token):
                category, slot, *bounds = token[1:-1].split(":")
                categories.append(category)
                slot_names.append(slot)
                ranges.append((int(bounds[0]), int(bounds[1])) if bounds else None)
                after.append(tokens[index + 1] if index + 1 < len(tokens) else "</s>")
                plain.append("{" + category + "}")
            else:
                plain.append(token)
                self.vocabulary.add(token)
        signature = Signature(
            tuple(categories), tuple(slot_names), tuple(after), fixed, tuple(ranges)
        )
        known = model.signatures.setdefault(signature.categories, [])
        if signature not in known:
            known.append(signature)
        padded = ["<s>", *plain, "</s>"]
        model.sentences += 1
        model.total += len(padded) - 1
        model.unigrams.update(padded[1:])
        model.bigrams.update(zip(padded, padded[1:], strict=False))

    def _value_phrases(self, intents: Any) -> dict[tuple[str, ...], list[tuple[str, Any]]]:
        """Word sequences that can be a slot value → (category, value) choices."""
        used = {c for m in self.models.values() for sig in m.signatures for c in sig}
        phrases: dict[tuple[str, ...], list[tuple[str, Any]]] = {}
        for name in used - {NUMBER}:
            slot_list = intents.slot_lists.get(name)
            if not isinstance(slot_list, TextSlotList):
                continue
            for value in slot_list.values:
                for text in _texts(value.text_in):
                    key = tuple(words(text))
                    phrases.setdefault(key, []).append((name, value.value_out))
        if NUMBER in used:
            for key, number in _number_phrases(self.language):
                phrases.setdefault(key, []).append((NUMBER, number))
        return phrases

    # ----- matching -------------------------------------------------------------------

    def match(self, text: str) -> tuple[str, dict[str, Any]] | None:
        """(intent, slots) or None."""
        tokens = self._without_skip_words(words(text))
        if any(_DECIMAL.fullmatch(t) for t in tokens):
            return None  # the templates' numbers are whole: "12.5 percent" is none of them
        spans = self._value_spans(tokens)
        in_values = {i for start, end, _ in spans for i in range(start, end)}
        unknown = [
            t for i, t in enumerate(tokens) if t not in self.vocabulary and i not in in_values
        ]
        if not tokens or len(unknown) > MAX_UNKNOWN_SHARE * len(tokens):
            return None
        scored = []  # (score, intent, slots)
        for reading, values in self._readings(tokens, spans):
            categories = tuple(c for c, _ in values)
            for intent, model in self.models.items():
                signatures = model.signatures.get(categories)
                if not signatures:
                    continue
                if not any(w in self.keywords and w in model.unigrams for w in reading):
                    continue
                signatures = [sig for sig in signatures if sig.allows(values)]
                if not signatures:
                    continue
                signature = _closest(signatures, reading)
                slots = dict(signature.fixed)
                slots.update(zip(signature.slot_names, (v for _, v in values), strict=True))
                scored.append((self._score(model, reading), intent, slots))
        if not scored:
            return None
        scored.sort(key=lambda s: s[0], reverse=True)
        best_score, intent, slots = scored[0]
        rival = next((s for s, i, _ in scored if i != intent), -math.inf)
        margin = best_score - rival
        likely = best_score >= MIN_AVERAGE_LOG_PROB and margin >= MIN_MARGIN
        clear = best_score >= LOW_AVERAGE_LOG_PROB and margin >= CLEAR_MARGIN
        if not (likely or clear):
            return None
        return intent, slots

    def _without_skip_words(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            skip = next((len(s) for s in self.skip_words if tuple(tokens[i : i + len(s)]) == s), 0)
            if skip:
                i += skip
            else:
                out.append(tokens[i])
                i += 1
        return out

    def _value_spans(self, tokens: list[str]) -> list[tuple[int, int, list[tuple[str, Any]]]]:
        """(start, end, value choices) of every span that can be a slot value, longest
        first from the left."""
        spans: list[tuple[int, int, list[tuple[str, Any]]]] = []
        i = 0
        while i < len(tokens):
            for size in range(min(4, len(tokens) - i), 0, -1):
                choices = self._value_choices(tokens[i : i + size])
                if choices:
                    spans.append((i, i + size, choices))
                    i += size
                    break
            else:
                i += 1
        return spans

    def _readings(self, tokens: list[str], spans: list[tuple[int, int, list[tuple[str, Any]]]]):
        """Each way to read the words: every value span taken as one of its values or
        left as words."""
        options = [
            choices if _is_number(tokens[start]) else [None, *choices]
            for start, _, choices in spans
        ]  # digits are never words of a template
        for picked in itertools.islice(itertools.product(*options), MAX_READINGS):
            reading, values, position = [], [], 0
            for (start, end, _), choice in zip(spans, picked, strict=True):
                reading += tokens[position:start]
                if choice is None:
                    reading += tokens[start:end]
                else:
                    reading.append("{" + choice[0] + "}")
                    values.append(choice)
                position = end
            reading += tokens[position:]
            yield reading, values

    def _value_choices(self, span: list[str]) -> list[tuple[str, Any]]:
        if len(span) == 1 and _is_number(span[0]):
            return [(NUMBER, _number(span[0]))]
        return self.values.get(tuple(span), [])

    def _score(self, model: IntentModel, reading: list[str]) -> float:
        """Average log probability per known word under the intent's bigram model."""
        total, counted = 0.0, 0
        size = len(self.vocabulary) + 10
        padded = ["<s>", *reading, "</s>"]
        previous = padded[0]
        for word in padded[1:]:
            if word not in self.vocabulary and not word.startswith("{") and word != "</s>":
                continue  # known to no template: says nothing about which intent
            unigram = (model.unigrams[word] + UNIGRAM_ADD) / (model.total + UNIGRAM_ADD * size)
            history = model.sentences if previous == "<s>" else model.unigrams[previous]
            bigram = model.bigrams[(previous, word)] / history if history else 0.0
            weight = BIGRAM_WEIGHT if history else 0.0
            total += math.log(weight * bigram + (1 - weight) * unigram)
            counted += 1
            previous = word
        return total / max(counted, 1)


def _closest(signatures: list[Signature], reading: list[str]) -> Signature:
    """The signature whose words after the slots are those of the reading."""
    padded = [*reading, "</s>"]
    after = tuple(padded[i + 1] for i, word in enumerate(reading) if word.startswith("{"))
    return max(
        signatures, key=lambda sig: sum(a == b for a, b in zip(sig.after, after, strict=False))
    )


@functools.cache
def _number_phrases(language: str) -> list[tuple[tuple[str, ...], int]]:
    """(words, number) for every spelling of 0 to 1000 (the templates' largest range)."""
    out = [
        (tuple(words(text.replace("-", " "))), number)
        for number in range(0, 1001)
        for text in spoken_numbers([number], language)
    ]
    out += [(tuple(words(t)), n) for t, n in _EXTRA_NUMBER_WORDS.get(language, {}).items()]
    return out


def _texts(expression: Any) -> list[str]:
    from hassil.sample import sample_expression

    return list(itertools.islice(sample_expression(expression), 20))


def _is_number(token: str) -> bool:
    """Whole numbers only: the templates' ranges have no fractions. Nine digits at most:
    no range is wider, and Python refuses to read numbers of thousands of digits."""
    return re.fullmatch(r"-?\d{1,9}", token) is not None


def _number(token: str) -> int:
    return int(token)
