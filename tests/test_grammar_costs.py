"""The costs the compiled grammar gives the choices inside a template: the plain form of a
choice is the likelier one, and a slot list's values are equally likely (no value, such as
zero, is preferred by where it stands in the list)."""

from __future__ import annotations

import math

from hassil import Intents

from assistant.grammar_fst import compile_sentences

TEMPLATES = {
    "language": "ko",
    "intents": {
        "AlarmSet": {"data": [{"sentences": ["{hour} 시 알람 (맞춰 줘|설정해 줘|줘)"]}]},
    },
    "lists": {"hour": {"range": {"from": 0, "to": 3}}},
}
SPELLINGS = "공 영 일 하나 한 이 둘 두 삼 셋 세".split()
"""Every spelling of 0 to 3 in hassil's Korean number rules."""
WORDS = SPELLINGS + ["시", "알람", "맞춰", "설정해", "줘"]
VOCABULARY = {word: index for index, word in enumerate(WORDS, start=1)}


def arc_costs() -> dict[str, list[float]]:
    graph, skipped = compile_sentences(Intents.from_dict(TEMPLATES), "ko", VOCABULARY)
    assert skipped == 0
    costs: dict[str, list[float]] = {}
    for _source, _target, label, cost in graph.arcs:
        if label:
            costs.setdefault(WORDS[label - 1], []).append(cost)
    return costs


def test_every_value_of_a_slot_list_costs_the_same():
    costs = arc_costs()
    values = [costs[word] for word in SPELLINGS]
    assert all(len(c) == 1 for c in values)
    # Each number has several spellings (영/공, 일/하나/한, ...): all share one cost.
    assert len({round(c[0], 6) for c in values}) == 1
    assert values[0][0] == math.log(len(SPELLINGS))


def test_the_first_of_written_alternatives_is_the_likelier():
    costs = arc_costs()
    assert costs["맞춰"][0] < costs["설정해"][0]
