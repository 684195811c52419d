"""`assistant run` and `assistant ask` (filled in with the pipeline)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    pass
