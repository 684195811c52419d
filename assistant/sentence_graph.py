"""The compiled sentences as a deterministic word automaton, for questions about text.

"Is this transcript one of the sentences?" (a transcript from the way-out branch is
not) and "could this partial transcript still grow into a longer sentence?" (early end
of speech) are walks over this automaton: the same graph Vosk decodes with, minus the
way out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum


class Prefix(StrEnum):
    NONE = "none"
    """No sentence starts with these words."""
    PARTIAL = "partial"
    """A sentence starts with them, but they are not one yet."""
    COMPLETE = "complete"
    """A whole sentence, and no longer one starts with it."""
    EXTENDABLE = "extendable"
    """A whole sentence, and also the start of a longer one ("…five" → "…five minutes")."""


@dataclass
class SentenceGraph:
    start: int
    transitions: dict[int, dict[str, int]]
    finals: set[int]

    @property
    def size(self) -> int:
        return len(self.transitions) + len(self.finals)

    @classmethod
    def from_automaton(cls, described: dict, names: dict[int, str]) -> SentenceGraph:
        transitions: dict[int, dict[str, int]] = {}
        for source, target, label, _cost in described["arcs"]:
            transitions.setdefault(source, {})[names[label]] = target
        return cls(described["start"], transitions, set(described["finals"]))

    def to_json(self) -> str:
        return json.dumps(
            {
                "start": self.start,
                "finals": sorted(self.finals),
                "transitions": {str(s): arcs for s, arcs in self.transitions.items()},
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> SentenceGraph:
        data = json.loads(text)
        transitions = {
            int(state): {word: int(target) for word, target in arcs.items()}
            for state, arcs in data["transitions"].items()
        }
        return cls(int(data["start"]), transitions, {int(s) for s in data["finals"]})

    def _walk(self, words: list[str]) -> int | None:
        state: int | None = self.start
        for word in words:
            state = self.transitions.get(state, {}).get(word)  # type: ignore[arg-type]
            if state is None:
                return None
        return state

    def accepts(self, text: str) -> bool:
        return self._walk(text.split()) in self.finals

    def prefix(self, text: str) -> Prefix:
        state = self._walk(text.split())
        if state is None:
            return Prefix.NONE
        if state not in self.finals:
            return Prefix.PARTIAL
        return Prefix.EXTENDABLE if self.transitions.get(state) else Prefix.COMPLETE
