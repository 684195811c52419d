"""Turns a word graph into OpenFst files with kaldifst, in a process of its own.

kaldifst and vosk each carry their own copy of OpenFst; loaded into one process they
deadlock or crash (measured: `import kaldifst; import vosk` hangs, the other order
segfaults). So the assistant never imports kaldifst: it runs this module as a child
(`python -m assistant.fst_worker`), sends the graphs as JSON on stdin and reads back,
for each graph, the arcs of the optimised automaton.

Each graph is made an ε-free, deterministic, minimal acceptor whose arcs are sorted by
input label: what Vosk's lookahead composition with HCLr.fst needs of a Gr.fst.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def optimise(spec: dict[str, Any]):
    import kaldifst

    fst = kaldifst.StdVectorFst()
    for _ in range(spec["states"]):
        fst.add_state()
    fst.start = spec["start"]
    for source, target, label, cost in spec["arcs"]:
        fst.add_arc(source, kaldifst.StdArc(label, label, cost, target))
    for state in spec["finals"]:
        fst.set_final(state, 0.0)
    kaldifst.rmepsilon(fst)
    fst = kaldifst.determinize(fst)
    kaldifst.minimize(fst)
    kaldifst.arcsort(fst, sort_type="ilabel")
    return fst


def describe(fst) -> dict[str, Any]:
    import kaldifst

    arcs, finals = [], []
    for state in kaldifst.StateIterator(fst):
        if fst.final(state).value != float("inf"):
            finals.append(state)
        for arc in kaldifst.ArcIterator(fst, state):
            arcs.append((state, arc.nextstate, arc.ilabel, arc.weight.value))
    return {"start": fst.start, "arcs": arcs, "finals": finals, "states": fst.num_states}


def main() -> int:
    request = json.load(sys.stdin)
    answers = []
    for spec in request["graphs"]:
        fst = optimise(spec)
        if spec.get("write"):
            fst.write(spec["write"])
        answers.append(describe(fst) if spec.get("describe") else None)
    json.dump({"graphs": answers}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
