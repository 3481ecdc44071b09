"""Atomic table output (see :mod:`accelsim.atomic`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from accelsim.atomic import write_atomic, write_text

__all__ = ["write_atomic", "write_csv", "write_text"]


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
