"""The compiled grammar graph: exactly the templates' sentences, cached, rebuilt when stale."""

from __future__ import annotations

import itertools
import random
import stat

import pytest
from hassil import Intents
from hassil.sample import sample_expression

from assistant.grammar_cache import MANIFEST, compiled_grammar
from assistant.sentence_graph import Prefix
from assistant.vocabulary import read_word_table

pytestmark = pytest.mark.slow  # reads the Korean model's 500,000-word table and builds graphs

SAMPLES_PER_TEMPLATE = 40


@pytest.fixture(scope="module")
def ko_vocabulary(ko_model_path):
    return read_word_table(ko_model_path)


def enumerated_sentences(intents: Intents, language: str) -> list[tuple[str, str]]:
    """(intent, sentence): a spread of every template's expansions, as the sentence test takes."""
    out = []
    for name, intent in intents.intents.items():
        for data in intent.data:
            lists = {**intents.slot_lists, **(data.slot_lists or {})}
            rules = {**intents.expansion_rules, **(data.expansion_rules or {})}
            for template in data.sentences:
                head = list(
                    itertools.islice(
                        sample_expression(template.expression, lists, rules, language=language),
                        2000,
                    )
                )
                step = max(1, len(head) // SAMPLES_PER_TEMPLATE)
                out += [(name, text) for text in head[::step]]
    return out


def test_the_graph_accepts_every_enumerated_sentence_the_model_can_say(
    ko_compiled_grammar, ko_vocabulary
):
    from assistant.grammar_fst import normalise_word, spelled_words

    matcher, grammar = ko_compiled_grammar
    sayable, in_pieces, rejected, unread = 0, 0, [], []
    for intent, text in enumerated_sentences(matcher.templates, "ko"):
        words = normalise_word(text)
        spelled = spelled_words(words, ko_vocabulary)
        if any(ch.isdigit() for ch in text) or spelled is None:
            continue  # digits are typed forms; a word the model cannot spell cannot be heard
        sayable += 1
        in_pieces += spelled != words
        heard = " ".join(spelled)  # what the recogniser writes: "이십육" as "이십 육"
        if not grammar.sentences.accepts(heard):
            rejected.append(text)
        found = matcher.match_strict(heard)
        if found is None or found.intent != intent:
            unread.append((text, heard))
    assert sayable > 300 and in_pieces > 20
    assert rejected == []
    assert unread == []  # the matcher joins the pieces back


def test_the_graph_rejects_word_salads_of_its_own_vocabulary(ko_compiled_grammar):
    matcher, grammar = ko_compiled_grammar
    rng = random.Random(5)
    sentences = [t for _, t in enumerated_sentences(matcher.templates, "ko")]
    salads = 0
    for text in rng.sample(sentences, 200):
        words = text.split()
        if len(words) < 3:
            continue
        shuffled = words[:]
        rng.shuffle(shuffled)
        salad = " ".join(shuffled)
        if salad == text or matcher.match(salad) is not None:
            continue  # the shuffle happens to be a sentence too
        salads += 1
        assert not grammar.sentences.accepts(salad), salad
    mixed = "지금 알람 몇 취소 시야"
    assert not grammar.sentences.accepts(mixed)
    assert salads > 50


def test_prefix_tells_a_finished_sentence_from_one_that_can_grow(ko_compiled_grammar):
    _, grammar = ko_compiled_grammar
    assert grammar.sentences.prefix("지금 몇 시야") is Prefix.COMPLETE
    assert grammar.sentences.prefix("지금 몇") is Prefix.PARTIAL
    assert grammar.sentences.prefix("몇 지금") is Prefix.NONE
    assert grammar.sentences.prefix("네 리터 는 몇 리터") is Prefix.EXTENDABLE  # … 야


def test_the_model_variant_links_the_model_and_turns_dither_off(ko_compiled_grammar):
    _, grammar = ko_compiled_grammar
    variant = grammar.model_dir
    assert (variant / "graph" / "HCLr.fst").is_symlink()
    assert (variant / "am" / "final.mdl").is_symlink()
    assert not (variant / "graph" / "Gr.fst").is_symlink()
    assert "--dither=0" in (variant / "conf" / "mfcc.conf").read_text().split()
    for path in [variant, *variant.rglob("*")]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def _build(matcher, model_path, cache, templates=None):
    return compiled_grammar(
        matcher.templates, templates or matcher.template_source, "ko", model_path, cache
    )


def test_the_cache_answers_the_second_time_and_rebuilds_what_is_stale(
    ko_compiled_grammar, ko_model_path, tmp_path
):
    matcher, _ = ko_compiled_grammar
    first = _build(matcher, ko_model_path, tmp_path)
    assert first.build_seconds > 0
    again = _build(matcher, ko_model_path, tmp_path)
    assert again.build_seconds == 0 and again.model_dir == first.model_dir

    # Truncated graph: rebuilt, never trusted.
    graph = first.model_dir / "graph" / "Gr.fst"
    graph.write_bytes(graph.read_bytes()[:100])
    repaired = _build(matcher, ko_model_path, tmp_path)
    assert repaired.build_seconds > 0
    assert _build(matcher, ko_model_path, tmp_path).build_seconds == 0

    # A manifest from another model (another key) is not this grammar.
    manifest = first.model_dir / MANIFEST
    manifest.write_text(manifest.read_text().replace('"key": "', '"key": "0'))
    assert _build(matcher, ko_model_path, tmp_path).build_seconds > 0

    # Other sentences: another variant, and the old one is gone.
    changed = dict(matcher.template_source, extra="x")
    other = _build(matcher, ko_model_path, tmp_path, changed)
    assert other.build_seconds > 0 and other.model_dir != first.model_dir
    assert not first.model_dir.exists()
