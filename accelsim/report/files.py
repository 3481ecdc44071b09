"""Atomic table output (see :mod:`accelsim.atomic`)."""

from accelsim.atomic import write_atomic, write_csv, write_text

__all__ = ["write_atomic", "write_csv", "write_text"]
