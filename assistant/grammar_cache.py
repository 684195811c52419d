"""The compiled grammar as a variant of the Vosk model, built once and kept by content hash.

A variant is a private directory (0700, files 0600) that links every file of the model
but two: `graph/Gr.fst` is the grammar of the enabled skills' sentences (with a costly way
out for speech that is none of them), and `conf/mfcc.conf` adds `--dither=0`. Kaldi's
feature extraction adds random dither by default and the model's mfcc.conf leaves it on,
so the same audio decoded twice could give two transcripts; without dither a clip always
gives the same one.

The key of a variant hashes the templates, the model's identity (path, sizes and times of
its graph and acoustic model) and the builder's version. A variant is used only when its
manifest (written last) names that key and the digests of its own files still match;
anything else (stale, truncated, another model's) is built again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ModelError
from assistant.grammar_fst import (
    GARBAGE_COST,
    WordGraph,
    compile_sentences,
    garbage_words,
    with_garbage,
)
from assistant.paths import ensure_private_dir
from assistant.rejection import STATE_CHANGING
from assistant.sentence_graph import SentenceGraph
from assistant.vocabulary import read_word_table, write_words_txt

log = logging.getLogger(__name__)

ACTION_COST = 5.0
"""Extra cost of every sentence of an intent that changes something (the stricter
standard of assistant.rejection, applied inside the search as well). Measured with the
benchmark: 3.0 let one sentence of other talk through as an alarm; 8.0 turned commands
into questions ("알람 취소" heard as "알람 몇 개 있어") and declined most spoken actions."""
BUILDER_VERSION = 5
"""Bump when the compiled graph changes for the same templates."""
MANIFEST = "grammar.json"
SENTENCES = "sentences.json"
_OWN_FILES = ("graph/Gr.fst", "conf/mfcc.conf", "conf/model.conf", SENTENCES)
FINAL_STATE_SILENCE = 1.0
"""Vosk ends an utterance after this much silence once its best path is a whole sentence
(Kaldi's endpoint rule 2; the model says 0.5 s). The listener's own early end decides
sooner (0.3 s) for a sentence that cannot grow, and waits up to
`listen.early_end_extendable_seconds` for one that can: Vosk must not cut that first."""


@dataclass(frozen=True)
class CompiledGrammar:
    model_dir: Path
    """A Vosk model directory whose Gr.fst is the grammar."""
    sentences: SentenceGraph
    """The sentences alone (no way out), for parsing and early end of speech."""
    build_seconds: float
    """0 when the cache answered."""


def model_identity(model_dir: Path) -> dict[str, object]:
    parts: dict[str, object] = {"path": str(model_dir.resolve())}
    for name in ("graph/HCLr.fst", "graph/Gr.fst", "graph/words.txt", "am/final.mdl"):
        path = model_dir / name
        if path.exists():
            stat = path.stat()
            parts[name] = [stat.st_size, stat.st_mtime_ns]
    return parts


def has_dynamic_graph(model_dir: Path) -> bool:
    return (model_dir / "graph" / "HCLr.fst").is_file() and (
        model_dir / "graph" / "Gr.fst"
    ).is_file()


def grammar_key(
    templates: dict, language: str, model_dir: Path, garbage_cost: float, action_cost: float
) -> str:
    material = {
        "templates": templates,
        "language": language,
        "model": model_identity(model_dir),
        "garbage_cost": garbage_cost,
        "action_cost": action_cost,
        "state_changing": sorted(STATE_CHANGING),
        "builder": BUILDER_VERSION,
    }
    encoded = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def compiled_grammar(
    intents,
    templates: dict,
    language: str,
    model_dir: Path,
    cache_root: Path,
    garbage_cost: float = GARBAGE_COST,
    action_cost: float = ACTION_COST,
) -> CompiledGrammar:
    """The grammar variant of `model_dir` for these templates, from the cache or built now."""
    if not has_dynamic_graph(model_dir):
        raise ModelError(f"{model_dir} has no dynamic graph (graph/HCLr.fst and graph/Gr.fst)")
    key = grammar_key(templates, language, model_dir, garbage_cost, action_cost)
    root = ensure_private_dir(cache_root)
    target = root / key[:32]
    cached = _load_if_valid(target, key)
    if cached is not None:
        return CompiledGrammar(target, cached, 0.0)
    started = time.perf_counter()
    costs = {name: action_cost for name in STATE_CHANGING}
    sentences = _build(intents, language, model_dir, target, key, garbage_cost, costs)
    seconds = time.perf_counter() - started
    log.info("grammar graph built in %.1f s (%d states)", seconds, sentences.size)
    _remove_others(root, keep=target.name)
    return CompiledGrammar(target, sentences, seconds)


def repeatable_model(model_dir: Path, cache_root: Path) -> Path:
    """A variant of `model_dir` that differs only by dither off (free recognition that
    gives the same transcript for the same audio); made once, links only."""
    key = hashlib.sha256(
        json.dumps([model_identity(model_dir), BUILDER_VERSION], sort_keys=True).encode()
    ).hexdigest()[:32]
    target = ensure_private_dir(cache_root) / f"free-{key}"
    ready = target / MANIFEST
    if ready.is_file() and (target / "conf" / "mfcc.conf").is_file():
        return target
    if target.exists():
        shutil.rmtree(target)
    ensure_private_dir(target)
    _link_model(model_dir, target, own=("conf/mfcc.conf",))
    _write_feature_config(model_dir, target)
    os.chmod(target / "conf" / "mfcc.conf", 0o600)
    ready.write_text(json.dumps({"free": str(model_dir.resolve())}), encoding="utf-8")
    os.chmod(ready, 0o600)
    return target


def _load_if_valid(target: Path, key: str) -> SentenceGraph | None:
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("key") != key:
            return None
        for name, digest in manifest["digests"].items():
            if _digest(target / name) != digest:
                return None
        return SentenceGraph.from_json((target / SENTENCES).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _build(intents, language, model_dir, target, key, garbage_cost, costs) -> SentenceGraph:
    if target.exists():
        shutil.rmtree(target)
    ensure_private_dir(target)
    vocabulary = read_word_table(model_dir)
    graph, skipped = compile_sentences(intents, language, vocabulary, costs)
    if not graph.finals:
        raise ModelError("no sentence of the enabled skills can be said with this model's words")
    if skipped:
        log.info("%d templates with free text are left to free recognition (auto mode)", skipped)
    full = with_garbage(graph, garbage_words(vocabulary), garbage_cost)
    _link_model(model_dir, target)
    if not (model_dir / "graph" / "words.txt").is_file():
        write_words_txt(vocabulary, target / "graph" / "words.txt")
    described, _ = _run_worker(
        [_spec(graph, describe=True), _spec(full, write=str(target / "graph" / "Gr.fst"))]
    )
    names = {v: k for k, v in vocabulary.items()}
    sentences = SentenceGraph.from_automaton(described, names)
    (target / SENTENCES).write_text(sentences.to_json(), encoding="utf-8")
    _write_feature_config(model_dir, target)
    _write_decoder_config(model_dir, target)
    for name in _OWN_FILES + ("graph/words.txt",):
        if (target / name).is_file() and not (target / name).is_symlink():
            os.chmod(target / name, 0o600)
    digests = {name: _digest(target / name) for name in _OWN_FILES}
    manifest = {"key": key, "digests": digests, "model": str(model_dir.resolve())}
    temporary = target / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(manifest), encoding="utf-8")
    os.chmod(temporary, 0o600)
    temporary.replace(target / MANIFEST)
    return sentences


def _link_model(model_dir: Path, target: Path, own: tuple[str, ...] = _OWN_FILES) -> None:
    """Mirror the model's tree with symbolic links, except the files made here."""
    source = model_dir.resolve()
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if str(relative) in own or path.is_dir():
            if path.is_dir():
                ensure_private_dir(target / relative)
            continue
        link = target / relative
        ensure_private_dir(link.parent)
        link.symlink_to(path)


def _write_feature_config(model_dir: Path, target: Path) -> None:
    # Kaldi's default dither (1.0) adds random noise to every frame: decoding is then not
    # repeatable. The model's mfcc.conf does not set it, so the variant turns it off.
    source = model_dir / "conf" / "mfcc.conf"
    original = source.read_text(encoding="utf-8") if source.is_file() else ""
    lines = [line for line in original.splitlines() if not line.startswith("--dither")]
    (target / "conf" / "mfcc.conf").write_text("\n".join(lines + ["--dither=0"]) + "\n")


def _write_decoder_config(model_dir: Path, target: Path) -> None:
    rule = "--endpoint.rule2.min-trailing-silence"
    original = (model_dir / "conf" / "model.conf").read_text(encoding="utf-8")
    lines = [line for line in original.splitlines() if not line.startswith(rule)]
    (target / "conf" / "model.conf").write_text(
        "\n".join(lines + [f"{rule}={FINAL_STATE_SILENCE}"]) + "\n"
    )


def _spec(graph: WordGraph, **extra) -> dict:
    return {
        "states": graph.states,
        "start": graph.start,
        "arcs": graph.arcs,
        "finals": sorted(graph.finals),
        **extra,
    }


def _run_worker(graphs: list[dict]) -> tuple[dict, list]:
    request = json.dumps({"graphs": graphs})
    result = subprocess.run(
        [sys.executable, "-m", "assistant.fst_worker"],
        input=request,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise ModelError(f"cannot build the grammar graph: {last}")
    answers = json.loads(result.stdout)["graphs"]
    return answers[0], answers[1:]


def _digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def _remove_others(root: Path, keep: str) -> None:
    """One variant at a time: a stale one is never read again, so it goes."""
    for entry in root.iterdir():
        if entry.name.startswith("free-"):
            continue  # the free variant does not depend on the sentences
        if entry.name != keep and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
