"""Sentence templates of the enabled skills → intents and slots (hassil).

Each skill ships `sentences/<lang>.yaml` in hassil's format; assistant.sentence_files
merges the enabled skills' files for one language with the shared rules, and remembers
which skill owns each intent.

Matching is strict first: hassil's own recognition of the templates (typed Korean is
cut into the templates' words first, assistant.typed_text). When that fails, the fuzzy
matcher (assistant.fuzzy) may find the intent the words are closest to; such a match may
answer a question but never changes anything: a fuzzy match of a state-changing intent
(assistant.rejection.changes_state) is dropped, as speech below the action threshold is.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from assistant.errors import SkillError
from assistant.sentence_files import merge_sentence_files
from assistant.skillkit import LoadedSkill
from assistant.typed_text import korean_variants, template_words

if TYPE_CHECKING:
    from hassil import Intents

    from assistant.fuzzy import FuzzyMatcher

log = logging.getLogger(__name__)

MAX_FUZZY_WORDS = 24
"""Longer text is not matched fuzzily: no command is that long, and a long text shares
enough words with some template to look like it."""

# The merging moved to assistant.sentence_files; this name stays for its callers.
_merge_sentence_files = merge_sentence_files


@dataclass(frozen=True)
class IntentMatch:
    intent: str
    skill: str
    slots: dict[str, Any] = field(default_factory=dict)
    fuzzy: bool = field(default=False, compare=False)
    """Found by the fuzzy matcher, not by the templates themselves."""


class IntentMatcher:
    """Matches text to an intent of one of the enabled skills, in one language."""

    def __init__(self, skills: list[LoadedSkill], language: str) -> None:
        from hassil import Intents

        self.language = language
        merged, self.owner = merge_sentence_files(skills, language)
        self.template_source = merged
        """The merged templates as read (what the compiled grammar's cache key hashes)."""
        try:
            self._intents = Intents.from_dict(merged)
        except Exception as e:  # hassil raises plain exceptions for template syntax errors
            raise SkillError(f"invalid sentence templates for {language!r}: {e}") from None

    @property
    def templates(self) -> Intents:
        """The parsed templates (a hassil Intents)."""
        return self._intents

    @property
    def intent_names(self) -> list[str]:
        return sorted(self.owner)

    def match(self, text: str) -> IntentMatch | None:
        """Strict, else fuzzy (questions only)."""
        if not text.strip():
            return None
        return self.match_strict(text) or self.match_fuzzy(text)

    def match_strict(self, text: str) -> IntentMatch | None:
        """Only what the templates say (after typed Korean is cut into their words)."""
        from hassil import recognize

        if not text.strip():
            return None
        for variant in [text, *self._variants(text)]:
            result = recognize(variant, self._intents, language=self.language)
            if result is not None:
                slots = {name: _plain(entity.value) for name, entity in result.entities.items()}
                return IntentMatch(result.intent.name, self.owner[result.intent.name], slots)
        return None

    def match_fuzzy(self, text: str) -> IntentMatch | None:
        """The intent whose templates the words are closest to, if it only answers."""
        from assistant.rejection import changes_state

        if not text.strip() or len(text.split()) > MAX_FUZZY_WORDS:
            return None
        for variant in [text, *self._variants(text)]:
            found = self._fuzzy.match(variant)
            if found is not None:
                intent, slots = found
                match = IntentMatch(intent, self.owner[intent], slots, fuzzy=True)
                return None if changes_state(match) else match
        return None

    @cached_property
    def _fuzzy(self) -> FuzzyMatcher:
        from assistant.fuzzy import FuzzyMatcher

        key = ("fuzzy", self._key)
        if key not in _BUILT:
            _remember(key, FuzzyMatcher(self._intents, self.owner))
        return _BUILT[key]

    @cached_property
    def _key(self) -> str:
        """The same templates and owners give the same models (reloads, tests)."""
        source = json.dumps([self.template_source, self.owner], sort_keys=True, default=str)
        return hashlib.sha256(source.encode()).hexdigest()

    def _variants(self, text: str) -> list[str]:
        if self.language != "ko":
            return []
        return korean_variants(text, self._template_words)

    # bench/recognition.py speaks typed phrasings in the recogniser's words with this.
    _respaced = _variants

    @cached_property
    def _template_words(self) -> frozenset[str]:
        key = ("words", self._key)
        if key not in _BUILT:
            _remember(key, template_words(self._intents))
        return _BUILT[key]

    def samples(self, per_intent: int) -> list[tuple[str, str]]:
        """(intent, sentence) pairs: the first `per_intent` sentences each intent's templates
        allow (full enumeration explodes with number ranges; see assistant.grammar)."""
        from hassil import sample_intents

        return list(
            sample_intents(
                self._intents, language=self.language, max_sentences_per_intent=per_intent
            )
        )

    def grammar_phrases(self) -> list[str]:
        """What the recogniser may hear: a covering sample of every template, numbers in words."""
        from assistant.grammar import covering_phrases

        return covering_phrases(self._intents, self.language)


_BUILT: dict[tuple[str, str], Any] = {}
"""What the fuzzy matcher and the Korean word cutting build from templates, by their hash:
a reload or another assistant with the same skills reuses it (each build takes ~0.5 s)."""
_BUILT_LIMIT = 8


def _remember(key: tuple[str, str], value: Any) -> None:
    if len(_BUILT) >= _BUILT_LIMIT:
        _BUILT.pop(next(iter(_BUILT)))
    _BUILT[key] = value


def _plain(value: Any) -> Any:
    # hassil gives 5.0 for "5" and 5 for "five"; owners and skills expect 5 either way.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
