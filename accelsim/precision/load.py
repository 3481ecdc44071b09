"""Read back a cost table written by ``accelsim cost-table`` (:func:`load_table`), in any of its
formats, so that a search can run without the simulator:

- ``.csv`` / ``.json``: the long form, one row per (layer, weight_bits, input_bits): every
  quantity it carries (``cycles``, ``energy``, ...) becomes an array; the identity columns give
  the names;
- ``.npy``: HAQ's (layers, 8, 8) int64 cycles, bits 1..8 on both axes (layers named ``layer0``,
  ``layer1``...; the file carries nothing else);
- ``.npz``: HAWQ-V3's arrays: ``latency_int4``/``latency_int8`` (cycles) and
  ``seconds_int4``/``seconds_int8`` at w = a = 4 and 8, with ``layer_names``; the mixed pairs
  (4, 8) and (8, 4) are absent (NaN), so a search picks INT4 or INT8 per layer.

A quantity the file does not hold is absent from ``CostTable.arrays``; ``macs`` is 0 where the
file does not give it. Every problem is a ConfigError naming the file and the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from accelsim.config import read_text
from accelsim.errors import ConfigError, Problem
from accelsim.precision.export import FORMATS, HAQ_BITS
from accelsim.precision.table import ARRAYS, CostTable

_IDENTITY = ("layer", "weight_bits", "input_bits")


def load_table(path: str | Path) -> CostTable:
    """The cost table in ``path`` (``.csv``, ``.json``, ``.npy`` or ``.npz``, as written by
    :func:`accelsim.precision.export.write_table`). Raises ConfigError for a missing, unreadable
    or malformed file: wrong suffix, missing columns, non-numeric, negative or infinite costs,
    a bit pair given twice or missing."""
    path = Path(path)
    if path.suffix not in FORMATS:
        expected = f"a cost table file ending in {', '.join(FORMATS)}"
        raise ConfigError(Problem(str(path), "", expected, path.suffix or path.name))
    if not path.is_file():
        raise ConfigError(Problem(str(path), "", "an existing cost table file", show_got=False))
    if path.suffix == ".npy":
        return _from_haq(path, _load_numpy(path))
    if path.suffix == ".npz":
        return _from_hawq(path, _load_numpy(path))
    return _from_long(path, _read_long(path))


def _load_numpy(path: Path) -> Any:
    try:
        data = np.load(path, allow_pickle=False)
        return dict(data.items()) if hasattr(data, "files") else data
    except (OSError, ValueError, EOFError) as error:
        what = "a NumPy array file" if path.suffix == ".npy" else "a NumPy .npz archive"
        raise ConfigError(Problem(str(path), "", what, str(error))) from None


def _read_long(path: Path) -> pd.DataFrame:
    text = read_text(path)
    try:
        if path.suffix == ".json":
            records = json.loads(text)
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise ValueError("not a list of records")
            return pd.DataFrame(records)
        from io import StringIO

        return pd.read_csv(StringIO(text))
    except (ValueError, pd.errors.ParserError) as error:
        what = "a JSON list of records" if path.suffix == ".json" else "a CSV table"
        raise ConfigError(
            Problem(str(path), "", f"{what} (as cost-table writes)", str(error))
        ) from None


def _from_long(path: Path, frame: pd.DataFrame) -> CostTable:
    missing = [c for c in _IDENTITY if c not in frame.columns]
    quantities = [name for name in ARRAYS if name in frame.columns]
    if missing or not quantities or frame.empty:
        expected = f"columns {', '.join(_IDENTITY)} and at least one of {', '.join(ARRAYS)}"
        raise ConfigError(Problem(str(path), "columns", expected, list(frame.columns)))
    layers = tuple(str(name) for name in pd.unique(frame["layer"]))
    weight_bits, input_bits = (
        _bits(path, frame, column) for column in ("weight_bits", "input_bits")
    )
    frame = frame.assign(
        layer=frame["layer"].astype(str),
        weight_bits=pd.to_numeric(frame["weight_bits"]).astype(int),
        input_bits=pd.to_numeric(frame["input_bits"]).astype(int),
    )
    expected_rows = len(layers) * len(weight_bits) * len(input_bits)
    if frame.duplicated(subset=list(_IDENTITY)).any() or len(frame) != expected_rows:
        expected = "one row per layer and (weight_bits, input_bits) pair, every pair present"
        raise ConfigError(Problem(str(path), "rows", expected, len(frame)))
    index = pd.MultiIndex.from_product([list(layers), list(weight_bits), list(input_bits)])
    frame = frame.set_index(list(_IDENTITY)).reindex(index)
    shape = (len(layers), len(weight_bits), len(input_bits))
    arrays = {name: _values(path, frame[name], name).reshape(shape) for name in quantities}
    macs = frame["macs"].groupby(level=0, sort=False).first() if "macs" in frame else None
    return CostTable(
        network=_first(frame, "network", path.stem),
        arch=_first(frame, "arch", ""),
        dataflow=_first(frame, "dataflow", ""),
        objective="",
        batch=int(_first(frame, "batch", 0) or 0),
        energy_unit="",
        layers=layers,
        macs=tuple(int(macs[name]) for name in layers) if macs is not None else (0,) * len(layers),
        weight_bits=weight_bits,
        input_bits=input_bits,
        arrays=arrays,
    )


def _bits(path: Path, frame: pd.DataFrame, column: str) -> tuple[int, ...]:
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.isna().any() or (values != values.round()).any() or (values < 1).any():
        expected = "whole numbers of bits from 1"
        raise ConfigError(Problem(str(path), column, expected, list(frame[column][:5])))
    return tuple(int(b) for b in sorted(values.unique()))


def _values(path: Path, column: pd.Series, name: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    given = column.notna().to_numpy()
    bad = (given & np.isnan(values)) | np.isinf(values) | (values < 0)
    if bad.any():
        raise ConfigError(
            Problem(str(path), name, "non-negative finite numbers", column[bad].iloc[0])
        )
    return values


def _first(frame: pd.DataFrame, column: str, default: Any) -> Any:
    return frame[column].iloc[0] if column in frame and len(frame) else default


def _from_haq(path: Path, array: Any) -> CostTable:
    shape = getattr(array, "shape", None)
    if not isinstance(array, np.ndarray) or array.ndim != 3 or array.shape[1:] != (8, 8):
        expected = "HAQ's cycles array of shape (layers, 8, 8)"
        raise ConfigError(Problem(str(path), "", expected, shape))
    cycles = _checked(path, "cycles", array)
    layers = tuple(f"layer{i}" for i in range(len(cycles)))
    return _table(path, layers, HAQ_BITS, {"cycles": cycles})


def _from_hawq(path: Path, arrays: dict[str, np.ndarray]) -> CostTable:
    names = arrays.get("layer_names")
    needed = ("layer_names", "latency_int4", "latency_int8")
    if names is None or any(key not in arrays for key in needed):
        expected = f"HAWQ-V3 arrays {', '.join(needed)} (seconds_int4, seconds_int8 optional)"
        raise ConfigError(Problem(str(path), "", expected, sorted(arrays)))
    layers = tuple(str(name) for name in names)
    result = {}
    for quantity, prefix in (("cycles", "latency"), ("seconds", "seconds")):
        if f"{prefix}_int4" not in arrays:
            continue
        grid = np.full((len(layers), 2, 2), np.nan)
        for position, bits in enumerate((4, 8)):
            values = _checked(path, f"{prefix}_int{bits}", arrays[f"{prefix}_int{bits}"])
            if values.shape != (len(layers),):
                expected = f"one value per layer ({len(layers)})"
                raise ConfigError(Problem(str(path), f"{prefix}_int{bits}", expected, values.shape))
            grid[:, position, position] = values
        result[quantity] = grid
    return _table(path, layers, (4, 8), result)


def _checked(path: Path, name: str, array: np.ndarray) -> np.ndarray:
    if not np.issubdtype(array.dtype, np.number):
        raise ConfigError(Problem(str(path), name, "numbers", str(array.dtype)))
    values = array.astype(np.float64)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ConfigError(Problem(str(path), name, "non-negative finite numbers", show_got=False))
    return values


def _table(
    path: Path, layers: tuple[str, ...], bits: tuple[int, ...], arrays: dict[str, np.ndarray]
) -> CostTable:
    return CostTable(
        network=path.stem,
        arch="",
        dataflow="",
        objective="",
        batch=0,
        energy_unit="",
        layers=layers,
        macs=(0,) * len(layers),
        weight_bits=bits,
        input_bits=bits,
        arrays=arrays,
    )
