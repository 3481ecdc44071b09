"""SCALE-Sim topology CSVs: one convolution layer per line.

The header is ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
Num Filter, Strides,`` (spaces after the commas and a trailing comma are allowed; column names are
matched without case or surrounding spaces; ``Stride Height`` and ``Stride Width`` may replace
``Strides``). SCALE-Sim pads nothing: the output size is ``ceil((H - R + stride) / stride)``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from accelsim.config import expect_int, int_in, read_text
from accelsim.errors import Problems
from accelsim.workload.layer import Layer, LayerKind, Network

_SIZE_COLUMNS = (
    "ifmap height",
    "ifmap width",
    "filter height",
    "filter width",
    "channels",
    "num filter",
)
_EXPECTED_HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
    "Strides"
)


def load_scalesim_topology(path: str | Path) -> Network:
    """Read a SCALE-Sim topology CSV into a :class:`Network` of ungrouped conv layers (batch 1).

    Raises ConfigError naming the file, line and column for: an unreadable or empty file, a
    missing column, a value that is not a positive integer, a filter larger than its input.
    """
    path = Path(path)
    found = Problems(str(path))
    text = read_text(path, encoding="utf-8-sig")
    rows = _nonblank_rows(text)
    if not rows:
        found.add("", f"a header line ({_EXPECTED_HEADER},) and one line per layer", show_got=False)
        found.raise_if_any()
    columns = _column_indices(rows[0][1], found)
    found.raise_if_any()
    layers = [_layer(number, row, columns, found) for number, row in rows[1:]]
    if not layers:
        found.add("", "at least one layer line after the header", show_got=False)
    found.raise_if_any()
    return Network(name=path.stem, layers=tuple(layer for layer in layers if layer is not None))


def _nonblank_rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every line with something in it."""
    lines = enumerate(csv.reader(text.splitlines()), 1)
    return [(number, row) for number, row in lines if any(cell.strip() for cell in row)]


def _column_indices(header: list[str], found: Problems) -> dict[str, int]:
    index = {cell.strip().lower(): i for i, cell in enumerate(header) if cell.strip()}
    if "strides" in index:
        index.setdefault("stride height", index["strides"])
        index.setdefault("stride width", index["strides"])
    missing = [name for name in ("layer name", *_SIZE_COLUMNS) if name not in index]
    if "stride height" not in index or "stride width" not in index:
        missing.append("strides")
    for name in missing:
        found.add(
            "line 1", f"a column {name!r} in the header ({_EXPECTED_HEADER},)", show_got=False
        )
    return index


def _layer(number: int, row: list[str], columns: dict[str, int], found: Problems) -> Layer | None:
    before = len(found.items)
    name = _cell(row, columns["layer name"]).strip() or f"layer{number - 1}"
    values = {
        column: _positive_int(row, columns[column], number, column, found)
        for column in (*_SIZE_COLUMNS, "stride height", "stride width")
    }
    if len(found.items) > before:
        return None
    for filter_side, ifmap_side in (
        ("filter height", "ifmap height"),
        ("filter width", "ifmap width"),
    ):
        if values[filter_side] > values[ifmap_side]:
            found.add(
                f"line {number}: column {filter_side!r}",
                f"at most the {ifmap_side} ({values[ifmap_side]}) (SCALE-Sim pads nothing)",
                values[filter_side],
            )
    if len(found.items) > before:
        return None
    return _build(name, values)


def _build(name: str, values: dict[str, int]) -> Layer:
    h, w = values["ifmap height"], values["ifmap width"]
    r, s = values["filter height"], values["filter width"]
    stride_h, stride_w = values["stride height"], values["stride width"]
    return Layer(
        name=name,
        kind=LayerKind.CONV,
        n=1,
        m=values["num filter"],
        c=values["channels"],
        p=-(-(h - r + stride_h) // stride_h),
        q=-(-(w - s + stride_w) // stride_w),
        r=r,
        s=s,
        h=h,
        w=w,
        stride_h=stride_h,
        stride_w=stride_w,
    )


def _cell(row: list[str], position: int) -> str:
    return row[position] if position < len(row) else ""


def _positive_int(row: list[str], position: int, number: int, column: str, found: Problems) -> int:
    text = _cell(row, position).strip()
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not int_in(value):
        found.add(f"line {number}: column {column!r}", expect_int(), text)
        return 1
    return value
