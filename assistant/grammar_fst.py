"""Sentence templates → a word graph that allows exactly the sentences they describe.

Vosk's phrase-list grammar is a bigram model: its words may follow each other in any
order, so a long list becomes nearly a bag of words ("몇 시예요" was heard as
"영 시 에 깨워 줘"). Here the templates of the enabled skills are compiled, with their
slot lists and number ranges as sub-graphs, into a graph over the model's word ids
that accepts whole sentences and nothing else (as Rhasspy's and speech-to-phrase's
Kaldi grammars do). assistant.fst_worker turns it into the `graph/Gr.fst` of a model
variant; assistant.grammar_cache keeps the result.

The compilation runs in two steps: the hassil expression becomes a graph whose arcs
carry text fragments ("minute" then an optional "s"), and a second walk cuts those
fragments into words at white space, so a word glued from two template parts
("minute" + "s") is still one word of the vocabulary.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

GARBAGE_COST = 7.0
"""Cost (negative natural log) of each word on the way out: the out-of-grammar branch, a
loop over short words, competes with the sentences. Lower rejects more readily. Chosen with
the benchmark (bench/recognition.py, 306 espeak-ng clips, with the defaults' action cost
and thresholds): 6.5 declined 5 more right commands and no more wrong ones than 7.0 did;
7.5 answered 6 clips of other talk, 7.0 none."""

MAX_PERMUTATION_ITEMS = 5


class WildcardTemplate(Exception):
    """A template with free text cannot be part of a closed grammar (reached in `auto` mode)."""


@dataclass
class WordGraph:
    """A word-level automaton: arcs (source, target, word id or 0 for ε, cost)."""

    arcs: list[tuple[int, int, int, float]] = field(default_factory=list)
    finals: set[int] = field(default_factory=set)
    states: int = 1
    start: int = 0

    def new_state(self) -> int:
        self.states += 1
        return self.states - 1


# ----- step 1: hassil expression → fragment graph ---------------------------------------


class _FragmentGraph:
    """Arcs carry text fragments (possibly empty, possibly several words)."""

    def __init__(self) -> None:
        self.arcs: dict[int, list[tuple[str, int]]] = {}
        self.extra_cost: dict[tuple[int, int], float] = {}
        self.uniform: set[int] = set()
        """States whose choices are a slot list's values: equally likely, none preferred."""
        self.count = 0

    def state(self) -> int:
        self.count += 1
        return self.count - 1

    def arc(self, source: int, text: str, target: int, cost: float = 0.0) -> None:
        self.arcs.setdefault(source, []).append((text, target))
        if cost:
            self.extra_cost[(source, target)] = cost


class _TemplateCompiler:
    def __init__(self, intents, language: str, intent_costs: dict[str, float]) -> None:
        self.intents = intents
        self.intent_costs = intent_costs
        self.language = language
        self.graph = _FragmentGraph()
        self.start = self.graph.state()
        self.final = self.graph.state()
        self.skipped = 0
        self._numbers: dict[tuple, list[str]] = {}

    def add_all(self) -> None:
        for intent in self.intents.intents.values():
            for data in intent.data:
                rules = {**self.intents.expansion_rules, **(data.expansion_rules or {})}
                lists = {**self.intents.slot_lists, **(data.slot_lists or {})}
                cost = self.intent_costs.get(intent.name, 0.0)
                for sentence in data.sentences:
                    self._add_sentence(sentence.expression, lists, rules, cost)

    def _add_sentence(self, expression, lists, rules, cost: float) -> None:
        if _has_wildcard(expression, lists, rules):
            self.skipped += 1
            return
        entry = self.graph.state()
        self.graph.arc(self.start, "", entry, cost)
        self._expand(expression, entry, self.final, lists, rules)

    def _expand(self, expression, source: int, target: int, lists, rules) -> None:
        from hassil.expression import (
            Alternative,
            ListReference,
            Permutation,
            RuleReference,
            Sequence,
            TextChunk,
        )

        g = self.graph
        if isinstance(expression, TextChunk):
            g.arc(source, expression.text, target)
        elif isinstance(expression, Alternative):
            for item in expression.items:
                self._expand(item, source, target, lists, rules)
            empty = any(isinstance(i, TextChunk) and not i.text for i in expression.items)
            if expression.is_optional and not empty:
                g.arc(source, "", target)
        elif isinstance(expression, Permutation):
            if len(expression.items) > MAX_PERMUTATION_ITEMS:
                raise ValueError("permutation too long for a grammar graph")
            for order in itertools.permutations(expression.items):
                self._chain(list(order), source, target, lists, rules, separator=" ")
        elif isinstance(expression, Sequence):
            self._chain(expression.items, source, target, lists, rules)
        elif isinstance(expression, RuleReference):
            rule = rules.get(expression.rule_name)
            if rule is None:
                raise ValueError(f"missing expansion rule <{expression.rule_name}>")
            self._expand(rule.expression, source, target, lists, rules)
        elif isinstance(expression, ListReference):
            self._list(expression, source, target, lists, rules)
        else:
            raise ValueError(f"unexpected template part: {expression!r}")

    def _chain(self, items, source, target, lists, rules, separator: str = "") -> None:
        current = source
        for index, item in enumerate(items):
            last = index == len(items) - 1
            following = target if last and not separator else self.graph.state()
            self._expand(item, current, following, lists, rules)
            current = following
            if separator:
                after = target if last else self.graph.state()
                self.graph.arc(current, separator, after)
                current = after
        if not items:
            self.graph.arc(source, "", target)

    def _list(self, reference, source, target, lists, rules) -> None:
        from hassil.intents import RangeSlotList, TextSlotList, WildcardSlotList

        # The values leave a state of their own, so that they share its probability
        # evenly: preferring the first ("영", zero) made the decoder hear zero everywhere.
        values = self.graph.state()
        self.graph.arc(source, "", values)
        self.graph.uniform.add(values)
        source = values

        if reference.is_inline_range:
            start, stop, step = reference.get_inline_range()
            words = self._number_words(("inline", start, stop, step), range(start, stop + 1, step))
        else:
            slot_list = lists.get(reference.list_name)
            if isinstance(slot_list, WildcardSlotList):
                raise WildcardTemplate(reference.list_name)  # _has_wildcard keeps these out
            if isinstance(slot_list, TextSlotList):
                for value in slot_list.values:
                    self._expand(value.text_in, source, target, lists, rules)
                return
            if not isinstance(slot_list, RangeSlotList):
                raise ValueError(f"missing slot list {{{reference.list_name}}}")
            words = self._number_words(
                ("list", reference.list_name, id(slot_list)), slot_list.get_numbers()
            )
        # Spaces around a number keep it a word of its own whatever the template glues to it.
        for text in words:
            self.graph.arc(source, f" {text} ", target)

    def _number_words(self, key: tuple, numbers: Iterable[float]) -> list[str]:
        if key not in self._numbers:
            self._numbers[key] = spoken_numbers(numbers, self.language)
        return self._numbers[key]


def _has_wildcard(expression, lists, rules, depth: int = 0) -> bool:
    from hassil.expression import Group, ListReference, RuleReference
    from hassil.intents import WildcardSlotList

    if depth > 50:
        raise ValueError("expansion rules refer to each other in a loop")
    if isinstance(expression, Group):
        return any(_has_wildcard(item, lists, rules, depth + 1) for item in expression.items)
    if isinstance(expression, RuleReference) and expression.rule_name in rules:
        return _has_wildcard(rules[expression.rule_name].expression, lists, rules, depth + 1)
    if isinstance(expression, ListReference) and not expression.is_inline_range:
        return isinstance(lists.get(expression.list_name), WildcardSlotList)
    return False


def spoken_numbers(numbers: Iterable[float], language: str) -> list[str]:
    """Every spelling hassil's number rules give (cardinal, ordinal-free forms)."""
    from hassil.numbers import get_rbnf_engine

    engine = get_rbnf_engine(language)
    texts: set[str] = set()
    for number in numbers:
        texts.update(engine.format_number(number).text_by_ruleset.values())
    return sorted(texts)


# ----- step 2: fragments → words ----------------------------------------------------------


def normalise_word(text: str) -> list[str]:
    """Lower case, punctuation out (apostrophes kept): the form Vosk emits."""
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


MAX_SPELLING_PIECES = 3


def word_ids_of(
    words: list[str], vocabulary: dict[str, int], memo: dict[str, list[int] | None]
) -> list[int] | None:
    """The model's word ids for `words` (as spelled_words spells them), or None. `memo`
    keeps each word's ids: a build says the same words tens of thousands of times."""
    ids: list[int] = []
    for word in words:
        if word not in memo:
            spelled = spelled_words([word], vocabulary)
            memo[word] = None if spelled is None else [vocabulary[w] for w in spelled]
        found = memo[word]
        if found is None:
            return None
        ids += found
    return ids


def spelled_words(words: list[str], vocabulary: dict[str, int]) -> list[str] | None:
    """`words` in the model's words, or None when one cannot be said with the model.

    A Korean word the model lacks is spelled with the fewest words it has: the Korean
    model knows "이십" and "육" but not "이십육" (26), nor "마흔하나", "쉰넷" or "삼백십이",
    so without this a timer of 26 seconds could not be said at all. The recogniser then
    writes "이십 육", which the intent matcher joins back (assistant.typed_text)."""
    out: list[str] = []
    for word in words:
        if word in vocabulary:
            out.append(word)
            continue
        pieces = _known_pieces(word, vocabulary) if _is_hangul(word) else None
        if pieces is None:
            return None
        out += pieces
    return out


def _is_hangul(word: str) -> bool:
    return all("\uac00" <= ch <= "\ud7a3" for ch in word)


def _known_pieces(word: str, vocabulary: dict[str, int]) -> list[str] | None:
    """`word` as the fewest words of `vocabulary` (at most MAX_SPELLING_PIECES), or None."""
    best: dict[int, list[str]] = {0: []}  # the fewest pieces that spell word[:end]
    for end in range(1, len(word) + 1):
        # Longer pieces first among equals: "이십 육", not "이 십육".
        spellings = [
            [*best[start], word[start:end]]
            for start in range(end - 1, -1, -1)
            if start in best and word[start:end] in vocabulary
        ]
        if spellings:
            best[end] = min(spellings, key=len)
    found = best.get(len(word))
    return found if found is not None and len(found) <= MAX_SPELLING_PIECES else None


def to_word_graph(fragments: _FragmentGraph, start: int, final: int, vocabulary) -> WordGraph:
    """Walk (fragment state, unfinished word) pairs; a word whose id is unknown ends its path.

    Each choice has a cost (see _choice_costs), as in a grammar whose branches share the
    probability: without it a sentence with 24 × 60 variants (an alarm time) would weigh as much
    as "그만", and the decoder would stretch any audio into a long alarm sentence."""
    graph = WordGraph()
    said: dict[str, list[int] | None] = {}
    ids: dict[tuple[int, str], int] = {(start, ""): graph.start}
    todo = [(start, "")]
    while todo:
        state, pending = todo.pop()
        here = ids[(state, pending)]
        if state == final:
            _finish(graph, here, word_ids_of(normalise_word(pending), vocabulary, said))
        choices = fragments.arcs.get(state, ())
        preferred = state != start and state not in fragments.uniform
        costs = _choice_costs(choices, first_preferred=preferred)
        for (text, target), share in zip(choices, costs, strict=True):
            cost = share + fragments.extra_cost.get((state, target), 0.0)
            joined = pending + text
            pieces = re.split(r"\s+", joined)
            complete, rest = [p for p in pieces[:-1] if p], pieces[-1]
            words = [w for piece in complete for w in normalise_word(piece)]
            word_ids = word_ids_of(words, vocabulary, said)
            if word_ids is None:
                continue
            key = (target, rest)
            if key not in ids:
                ids[key] = graph.new_state()
                todo.append(key)
            _path(graph, here, ids[key], word_ids, cost)
    return graph


def _choice_costs(choices, first_preferred: bool) -> list[float]:
    """Costs of the choices at one point of a template. The plain form is the likelier:
    leaving an optional word out, else the first alternative as written, takes half the
    probability and the others share the rest; the sentences themselves are equally likely."""
    count = len(choices)
    if count < 2:
        return [0.0] * count
    empty = [i for i, (text, _) in enumerate(choices) if not text]
    preferred = empty[0] if len(empty) == 1 else (0 if first_preferred else None)
    if preferred is None:
        return [math.log(count)] * count
    rest = math.log(2 * (count - 1))
    return [math.log(2) if i == preferred else rest for i in range(count)]


def _finish(graph: WordGraph, state: int, word_ids: list[int] | None) -> None:
    if word_ids is None:
        return
    if not word_ids:
        graph.finals.add(state)
        return
    end = graph.new_state()
    _path(graph, state, end, word_ids)
    graph.finals.add(end)


def _path(
    graph: WordGraph, source: int, target: int, word_ids: list[int], cost: float = 0.0
) -> None:
    if not word_ids:
        graph.arcs.append((source, target, 0, cost))
        return
    current = source
    for index, word_id in enumerate(word_ids):
        following = target if index == len(word_ids) - 1 else graph.new_state()
        graph.arcs.append((current, following, word_id, cost if index == 0 else 0.0))
        current = following


def compile_sentences(
    intents, language: str, vocabulary: dict[str, int], intent_costs: dict[str, float] | None = None
) -> tuple[WordGraph, int]:
    """The word graph of every template of `intents` (a hassil Intents) and the number of
    templates left out because they hold free text. `intent_costs` adds a cost to every
    sentence of an intent: the decoder then needs more acoustic evidence to choose it
    over the way out."""
    compiler = _TemplateCompiler(intents, language, intent_costs or {})
    compiler.add_all()
    graph = to_word_graph(compiler.graph, compiler.start, compiler.final, vocabulary)
    return graph, compiler.skipped


GARBAGE_WORDS = 200
"""Words in the way-out loop. Every one is open at every step of the search, so a long loop
crowds the right sentence out of Vosk's beam (measured: 5,000 Hangul syllables took the
Korean commands from 30 of 30 to 10 of 30)."""


def garbage_words(vocabulary: dict[str, int], limit: int = GARBAGE_WORDS) -> list[int]:
    """Short words that together can spell nearly any utterance: the Hangul syllables, or
    the words of up to three letters, that occur most often inside the model's other
    words (a frequency estimate the vocabulary itself provides), plus its unknown word."""
    hangul = any("\uac00" <= ch <= "\ud7a3" for word in list(vocabulary)[:2000] for ch in word)
    counts: dict[str, int] = {}
    for word in vocabulary:
        if hangul:
            for ch in word:
                if "\uac00" <= ch <= "\ud7a3":
                    counts[ch] = counts.get(ch, 0) + 1
        elif word.isascii() and word.isalpha():
            for size in (1, 2, 3):
                if len(word) > size:
                    counts[word[:size]] = counts.get(word[:size], 0) + 1
    ranked = sorted((w for w in counts if w in vocabulary), key=lambda w: (-counts[w], w))
    chosen = [vocabulary[w] for w in ranked[:limit]]
    for unknown in ("<UNK>", "<unk>", "[unk]"):
        if unknown in vocabulary:
            chosen.append(vocabulary[unknown])
    return sorted(set(chosen))


def with_garbage(graph: WordGraph, words: list[int], cost: float) -> WordGraph:
    """The sentences plus a way out: a loop over `words`, each costing `cost`."""
    out = WordGraph(list(graph.arcs), set(graph.finals), graph.states, graph.start)
    loop = out.new_state()
    for word_id in words:
        out.arcs.append((out.start, loop, word_id, cost))
        out.arcs.append((loop, loop, word_id, cost))
    out.finals.add(loop)
    return out
