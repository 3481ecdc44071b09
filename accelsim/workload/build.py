"""Validated construction of layers: :func:`make_layer` checks the fields and derives the size.

One vocabulary serves Python callers and the workload YAML files (see docs/workload_format.md).
Fields by layer kind (required ones first; a "pair" is an integer or ``[height, width]``):

- ``conv``: ``in_channels``, ``out_channels`` (both totals over all groups), ``input_size``
  (unpadded), ``kernel_size``; optional ``output_size`` (derived when absent, checked when given),
  ``stride``, ``padding``, ``dilation`` (pairs, default 1, 0, 1) and ``groups`` (default 1).
- ``depthwise``: ``channels``, ``input_size``, ``kernel_size``; optional ``output_size``,
  ``stride``, ``padding``, ``dilation``. One filter per channel: groups = input = output channels.
- ``fc``: ``in_features``, ``out_features``: a 1x1 filter on a 1x1 input.
- ``matmul``: ``rows`` (P), ``inner`` (C, the reduction length), ``columns`` (M); optional
  ``groups`` (default 1): that many independent products (P x C) @ (C x M), e.g. attention heads.
  As a loop nest: p = h = rows, q = w = 1, r = s = 1, c = inner, m = columns x groups.

Every kind also takes the precisions ``weight_bits``, ``input_bits``, ``output_bits`` and
``psum_bits`` (integers 1..32, psum_bits 1..64; default 8, 8, 8, 32) and the densities
``weight_density``, ``input_density`` and ``output_density`` (fractions of non-zero elements in
(0, 1], default 1.0; the output density is what a compressed format at DRAM writes).
Layers are built with batch 1; use :meth:`Layer.with_batch` or :meth:`Network.with_batch` for
other batch sizes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict, TypeGuard, cast

from accelsim.config import bits, check_keys, expect_int, int_in, number_in
from accelsim.errors import Problems
from accelsim.workload.layer import Layer, LayerKind

_SIZE_FIELDS = ("input_size", "kernel_size", "output_size", "stride", "padding", "dilation")
_PRECISION_DEFAULTS: dict[str, object] = {
    "weight_bits": 8,
    "input_bits": 8,
    "output_bits": 8,
    "psum_bits": 32,
    "weight_density": 1.0,
    "input_density": 1.0,
    "output_density": 1.0,
}
PRECISION_FIELDS: tuple[str, ...] = tuple(_PRECISION_DEFAULTS)

REQUIRED_FIELDS: dict[LayerKind, tuple[str, ...]] = {
    LayerKind.CONV: ("in_channels", "out_channels", "input_size", "kernel_size"),
    LayerKind.DEPTHWISE: ("channels", "input_size", "kernel_size"),
    LayerKind.FC: ("in_features", "out_features"),
    LayerKind.MATMUL: ("rows", "inner", "columns"),
}
OPTIONAL_FIELDS: dict[LayerKind, tuple[str, ...]] = {
    LayerKind.CONV: (*_SIZE_FIELDS[2:], "groups", *PRECISION_FIELDS),
    LayerKind.DEPTHWISE: (*_SIZE_FIELDS[2:], *PRECISION_FIELDS),
    LayerKind.FC: PRECISION_FIELDS,
    LayerKind.MATMUL: ("groups", *PRECISION_FIELDS),
}


@dataclass(frozen=True)
class _Shape:
    """A layer's sizes in convolution terms, before the checks that need arithmetic."""

    in_channels: int
    out_channels: int
    groups: int
    input_size: tuple[int, int]
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    output_size: tuple[int, int] | None


class _Precision(TypedDict):
    """The precision fields of a Layer, once checked."""

    weight_bits: int
    input_bits: int
    output_bits: int
    psum_bits: int
    weight_density: float
    input_density: float
    output_density: float


def allowed_fields(kind: LayerKind) -> tuple[str, ...]:
    """Every field a layer of ``kind`` accepts, required ones first."""
    return REQUIRED_FIELDS[kind] + OPTIONAL_FIELDS[kind]


def output_extent(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length in elements along one axis by PyTorch's rule (<= 0 if the filter is too big):
    ``floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1``."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def make_layer(
    name: str, kind: LayerKind | str, *, source: str = "", path: str = "", **fields: object
) -> Layer:
    """Check ``fields`` (see the module docstring for those of each kind) and build a batch-1 Layer.

    ``source`` (a file name) and ``path`` (e.g. ``layers[3]``) locate the layer in error messages;
    ``path`` defaults to the layer name.

    Raises:
        ConfigError: listing every problem found: unknown or missing fields, values of the wrong
            type or range, groups that do not divide the channels, a filter larger than the padded
            input, or an ``output_size`` that disagrees with the PyTorch output-size rule.
    """
    found = Problems(source)
    where = path or str(name)
    if not isinstance(name, str) or not name:
        found.add(f"{where}.name", "a non-empty string", name)
    layer_kind = _parse_kind(kind, found, where)
    if layer_kind is None:
        found.raise_if_any()
    assert layer_kind is not None  # an unknown kind was recorded, so raise_if_any raised
    _check_keys(layer_kind, fields, found, where)
    shape = _parse_shape(layer_kind, fields, found, where)
    precision = _parse_precision(fields, found, where)
    found.raise_if_any()
    _check_shape(layer_kind, shape, found, where)
    found.raise_if_any()
    return _build(name, layer_kind, shape, cast(_Precision, precision))  # checked: no problems


def _parse_kind(kind: object, found: Problems, where: str) -> LayerKind | None:
    try:
        return LayerKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in LayerKind)
        found.add(f"{where}.type", f"one of {kinds}", kind)
        return None


def _check_keys(kind: LayerKind, fields: Mapping[str, object], found: Problems, where: str) -> None:
    note = f"missing, required for a {kind.value} layer"
    required = REQUIRED_FIELDS[kind]
    check_keys(found, where, fields, allowed_fields(kind), required=required, required_note=note)


def _integer(
    fields: Mapping[str, object], key: str, found: Problems, where: str, default: int = 1
) -> int:
    value = fields.get(key, default)
    if not int_in(value, "dimension"):
        if key in fields:
            found.add(f"{where}.{key}", expect_int("dimension"), value)
        return 1
    return value


def _pair(
    fields: Mapping[str, object],
    key: str,
    found: Problems,
    where: str,
    default: int,
    minimum: int = 1,
) -> tuple[int, int]:
    value = fields.get(key, default)
    items = list(value) if isinstance(value, (list, tuple)) else [value, value]
    limit = "padding" if minimum == 0 else "dimension" if key.endswith("put_size") else "size"
    valid = [v for v in items if int_in(v, limit)]
    if len(items) == 2 and len(valid) == 2:
        return (valid[0], valid[1])
    if key in fields:
        one = expect_int(limit)
        found.add(f"{where}.{key}", f"{one}, or a list [height, width] of two of them", value)
    return (1, 1)


def _parse_shape(
    kind: LayerKind, fields: Mapping[str, object], found: Problems, where: str
) -> _Shape:
    """Read the size fields of any kind into convolution terms (values checked, not yet related)."""
    if kind is LayerKind.FC:
        ins, outs = (_integer(fields, k, found, where) for k in ("in_features", "out_features"))
        return _Shape(ins, outs, 1, (1, 1), (1, 1), (1, 1), (0, 0), (1, 1), None)
    if kind is LayerKind.MATMUL:
        rows, inner, columns, groups = (
            _integer(fields, k, found, where) for k in ("rows", "inner", "columns", "groups")
        )
        size = (rows, 1)
        one = (1, 1)
        return _Shape(inner * groups, columns * groups, groups, size, one, one, (0, 0), one, size)
    if kind is LayerKind.DEPTHWISE:
        channels = _integer(fields, "channels", found, where)
        ins, outs, groups = channels, channels, channels
    else:
        ins, outs, groups = (
            _integer(fields, k, found, where) for k in ("in_channels", "out_channels", "groups")
        )
    output = _pair(fields, "output_size", found, where, 1) if "output_size" in fields else None
    return _Shape(
        in_channels=ins,
        out_channels=outs,
        groups=groups,
        input_size=_pair(fields, "input_size", found, where, 1),
        kernel_size=_pair(fields, "kernel_size", found, where, 1),
        stride=_pair(fields, "stride", found, where, 1),
        padding=_pair(fields, "padding", found, where, 0, minimum=0),
        dilation=_pair(fields, "dilation", found, where, 1),
        output_size=output,
    )


def _parse_precision(
    fields: Mapping[str, object], found: Problems, where: str
) -> dict[str, object]:
    values = {key: fields.get(key, default) for key, default in _PRECISION_DEFAULTS.items()}
    for key, value in values.items():
        if key.endswith("_bits"):
            bits(found, f"{where}.{key}", value, psum=key == "psum_bits")
        elif not _is_fraction(value):
            found.add(f"{where}.{key}", "a number in (0, 1]", value)
    return {
        key: float(v) if key.endswith("_density") and _is_fraction(v) else v
        for key, v in values.items()
    }


def _is_fraction(value: object) -> TypeGuard[int | float]:
    return number_in(value, "density")


def _check_shape(kind: LayerKind, shape: _Shape, found: Problems, where: str) -> None:
    """Relate the sizes: groups divide the channels; the filter fits; the output size agrees."""
    for key, channels in (("in_channels", shape.in_channels), ("out_channels", shape.out_channels)):
        if kind is LayerKind.CONV and channels % shape.groups:
            found.add(f"{where}.groups", f"a divisor of {key} = {channels}", shape.groups)
    for axis, label in enumerate(("height", "width")):
        _check_axis(shape, axis, label, found, where)


def _check_axis(shape: _Shape, axis: int, label: str, found: Problems, where: str) -> None:
    size, kernel = shape.input_size[axis], shape.kernel_size[axis]
    stride, pad, dilation = shape.stride[axis], shape.padding[axis], shape.dilation[axis]
    extent = dilation * (kernel - 1) + 1
    if extent > size + 2 * pad:
        found.add(
            f"{where}.kernel_size",
            f"a filter {label} that fits the padded input (dilation * (kernel - 1) + 1 = "
            f"{dilation} * ({kernel} - 1) + 1 = {extent} must be at most input + 2 * padding = "
            f"{size} + 2 * {pad} = {size + 2 * pad})",
            kernel,
        )
        return
    derived = output_extent(size, kernel, stride, pad, dilation)
    if shape.output_size is not None and shape.output_size[axis] != derived:
        found.add(
            f"{where}.output_size",
            f"output {label} floor(({size} + 2 * {pad} - {dilation} * ({kernel} - 1) - 1)"
            f" / {stride}) + 1 = {derived} (rule: floor((input + 2 * padding"
            " - dilation * (kernel - 1) - 1) / stride) + 1)",
            shape.output_size[axis],
        )


def _build(name: str, kind: LayerKind, shape: _Shape, precision: _Precision) -> Layer:
    (h, w), (r, s) = shape.input_size, shape.kernel_size
    p, q = (
        output_extent(h, r, shape.stride[0], shape.padding[0], shape.dilation[0]),
        output_extent(w, s, shape.stride[1], shape.padding[1], shape.dilation[1]),
    )
    return Layer(
        name=name,
        kind=kind,
        n=1,
        m=shape.out_channels,
        c=shape.in_channels // shape.groups,
        p=p,
        q=q,
        r=r,
        s=s,
        h=h,
        w=w,
        stride_h=shape.stride[0],
        stride_w=shape.stride[1],
        dilation_h=shape.dilation[0],
        dilation_w=shape.dilation[1],
        pad_h=shape.padding[0],
        pad_w=shape.padding[1],
        groups=shape.groups,
        **precision,
    )
