"""Write cost tables in the formats mixed-precision search tools read; every file is written
atomically (a temporary file renamed into place), so a failed run leaves nothing half-written.

- ``.npy``: HAQ's latency table, int64 cycles of shape (layers, 8, 8) indexed
  ``[layer, weight_bits - 1, input_bits - 1]`` (the table must cover bits 1..8 on both axes,
  every pair supported);
- ``.npz``: the per-layer INT4 and INT8 latency arrays of HAWQ-V3's integer program
  (``latency_int4``, ``latency_int8`` in cycles, ``seconds_int4``, ``seconds_int8``, and
  ``layer_names``), taken at w = a = 4 and w = a = 8;
- ``.csv`` / ``.json``: the long form (:meth:`CostTable.to_frame`), JSON as a list of records.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from accelsim.atomic import write_atomic
from accelsim.errors import ConfigError, Problem
from accelsim.precision.table import CostTable

FORMATS = (".npy", ".npz", ".csv", ".json")
HAQ_BITS = tuple(range(1, 9))


def write_table(table: CostTable, path: str | Path, *, columns: list[str] | None = None) -> Path:
    """Write ``table`` in the format its suffix names (see the module docstring); ``columns``
    limits the long-form columns (identity columns are always kept). Raises ConfigError for an
    unknown suffix or a table the format cannot hold."""
    path = Path(path)
    if path.suffix == ".npy":
        array = haq_array(table, source=str(path))
        return write_atomic(path, lambda tmp: _save_npy(tmp, array))
    if path.suffix == ".npz":
        arrays = hawq_arrays(table, source=str(path))
        return write_atomic(path, lambda tmp: _save_npz(tmp, arrays))
    if path.suffix in (".csv", ".json"):
        frame = _long_form(table, columns)
        if path.suffix == ".csv":
            return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
        return write_atomic(path, lambda tmp: frame.to_json(tmp, orient="records", indent=1))
    expected = f"an output file ending in {', '.join(FORMATS)}"
    raise ConfigError(Problem(str(path), "", expected, path.suffix or path.name))


def write_tables(
    tables: list[CostTable], path: str | Path, *, columns: list[str] | None = None
) -> Path:
    """Several tables (a density axis) one after the other in one long-form ``.csv`` or
    ``.json`` file; ConfigError for another suffix."""
    path = Path(path)
    if path.suffix not in (".csv", ".json"):
        expected = "a .csv or .json output for a density axis (one table per density)"
        raise ConfigError(Problem(str(path), "", expected, path.suffix or path.name))
    frame = pd.concat([_long_form(table, columns) for table in tables], ignore_index=True)
    if path.suffix == ".csv":
        return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
    return write_atomic(path, lambda tmp: frame.to_json(tmp, orient="records", indent=1))


def haq_array(table: CostTable, *, source: str = "HAQ table") -> np.ndarray:
    """Cycles as int64 of shape (layers, 8, 8), indexed
    ``[layer, weight_bits - 1, input_bits - 1]``."""
    for name, bits in (("weight_bits", table.weight_bits), ("input_bits", table.input_bits)):
        if tuple(bits) != HAQ_BITS:
            expected = "bits 1..8 in order (HAQ's table is indexed by bits - 1; use --bits 1-8)"
            raise ConfigError(Problem(source, name, expected, list(bits)))
    cycles = table.arrays["cycles"]
    if np.isnan(cycles).any():
        layer, w, a = np.argwhere(np.isnan(cycles))[0]
        expected = (
            "every pair supported (HAQ's table is int64; use unsupported='promote'), but "
            f"{table.layers[layer]} at w{w + 1}a{a + 1} is not"
        )
        raise ConfigError(Problem(source, "cycles", expected, show_got=False))
    return np.rint(cycles).astype(np.int64)


def hawq_arrays(table: CostTable, *, source: str = "HAWQ-V3 arrays") -> dict[str, np.ndarray]:
    """HAWQ-V3's per-layer latency arrays at INT4 (w = a = 4) and INT8 (w = a = 8)."""
    arrays: dict[str, np.ndarray] = {"layer_names": np.array(table.layers)}
    for bits in (4, 8):
        if bits not in table.weight_bits or bits not in table.input_bits:
            expected = "a table covering 4 and 8 bits on both axes (HAWQ-V3 uses INT4 and INT8)"
            raise ConfigError(
                Problem(source, "bits", expected, [table.weight_bits, table.input_bits])
            )
        j, k = table.index(bits, bits)
        cycles = table.arrays["cycles"][:, j, k]
        if np.isnan(cycles).any():
            expected = f"INT{bits} supported by the architecture's MAC unit"
            raise ConfigError(Problem(source, f"latency_int{bits}", expected, show_got=False))
        arrays[f"latency_int{bits}"] = np.rint(cycles).astype(np.int64)
        arrays[f"seconds_int{bits}"] = table.arrays["seconds"][:, j, k].copy()
    return arrays


def _long_form(table: CostTable, columns: list[str] | None) -> pd.DataFrame:
    frame = table.to_frame()
    if columns is None:
        return frame
    identity = [
        "network",
        "arch",
        "dataflow",
        "batch",
        "layer_index",
        "layer",
        "weight_bits",
        "input_bits",
    ]
    if "weight_density" in frame:
        identity.append("weight_density")
    return frame[identity + [c for c in columns if c not in identity]]


def _save_npy(tmp: Path, array: np.ndarray) -> None:
    with tmp.open("wb") as handle:  # a handle: np.save would append .npy to a path
        np.save(handle, array)


def _save_npz(tmp: Path, arrays: dict[str, np.ndarray]) -> None:
    with tmp.open("wb") as handle:
        # numpy's default, spelled out so that mypy does not match the arrays to the flag
        np.savez(handle, allow_pickle=True, **arrays)
