"""argparse types the benchmarks share (run as `python bench/NAME.py`, this folder is
first on the import path)."""

from __future__ import annotations

import argparse


def positive_int(value: str) -> int:
    """argparse type: an integer of at least 1."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def non_negative_int(value: str) -> int:
    """argparse type: an integer of at least 0."""
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return number
