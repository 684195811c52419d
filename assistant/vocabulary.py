"""The word symbol table of a Vosk model with a dynamic graph.

Vosk numbers words as its graph does: `graph/words.txt` when the model ships one, else
the symbol table stored inside `graph/Gr.fst` (the Korean model has no words.txt; its
Gr.fst is an OpenFst `ngram` FST whose header carries the table). A grammar graph must
use exactly these numbers, so they are read from the model, never assumed.
"""

from __future__ import annotations

import struct
from pathlib import Path

from assistant.errors import ModelError

_FST_MAGIC = 0x7EB2FDD6
_SYMBOLS_MAGIC = 0x7EB2FB74
_HAS_INPUT_SYMBOLS = 1


class _Reader:
    """Little-endian reads of OpenFst's binary header fields."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def int32(self) -> int:
        (value,) = struct.unpack_from("<i", self.data, self.offset)
        self.offset += 4
        return value

    def int64(self) -> int:
        (value,) = struct.unpack_from("<q", self.data, self.offset)
        self.offset += 8
        return value

    def string(self) -> str:
        length = self.int32()
        if length < 0 or self.offset + length > len(self.data):
            raise ValueError("string runs past the end")
        raw = self.data[self.offset : self.offset + length]
        self.offset += length
        return raw.decode("utf-8")


def read_word_table(model_dir: Path) -> dict[str, int]:
    """word → id, as the model's decoder numbers them."""
    words_txt = model_dir / "graph" / "words.txt"
    if words_txt.is_file():
        return _read_words_txt(words_txt)
    return _read_fst_symbols(model_dir / "graph" / "Gr.fst")


def _read_words_txt(path: Path) -> dict[str, int]:
    table: dict[str, int] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                table[parts[0]] = int(parts[1])
    return table


def _read_fst_symbols(path: Path) -> dict[str, int]:
    try:
        with path.open("rb") as f:
            head = f.read(64 << 20)  # the table sits right after the header; 64 MB is ample
        reader = _Reader(head)
        if reader.int32() & 0xFFFFFFFF != _FST_MAGIC:
            raise ValueError("not an OpenFst file")
        reader.string()  # FST type
        reader.string()  # arc type
        reader.int32()  # version
        flags = reader.int32()
        for _ in range(4):  # properties, start, number of states, number of arcs
            reader.int64()
        if not flags & _HAS_INPUT_SYMBOLS:
            raise ValueError("it carries no symbol table")
        if reader.int32() & 0xFFFFFFFF != _SYMBOLS_MAGIC:
            raise ValueError("bad symbol table")
        reader.string()  # table name
        reader.int64()  # next free key
        count = reader.int64()
        table = {}
        for _ in range(count):
            word = reader.string()
            table[word] = reader.int64()
        return table
    except (OSError, ValueError, struct.error, UnicodeDecodeError) as e:
        raise ModelError(f"cannot read the word list of {path}: {e}") from None


def write_words_txt(table: dict[str, int], path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for word, key in sorted(table.items(), key=lambda item: item[1]):
            f.write(f"{word} {key}\n")
