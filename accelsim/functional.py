"""Functional check: run a small layer through a mapping's loop nest with real data.

:func:`run_layer` executes every iteration of the mapping's nest (each level's temporal loops, then
its spatial loops, outermost first; a dimension's index is the mixed-radix number its loops form,
outer loops the high digits) and feeds the MACs to a MAC unit's bit-exact model
(:meth:`accelsim.mac.MacUnit.dot`). It counts how often each MAC of the layer is visited and raises
unless every one is visited exactly once, so it also proves the schedule covers the layer.

Order of the arithmetic, which matters only for floating point: time first, then PE. All PEs of
the array fire in the same step (the spatial loops are the PEs running concurrently); the products
that reach one output in one step from several PEs (a spatial reduction) are added in PE order,
as a reduction chain does; each output's products are accumulated in that order in the unit's
accumulator (integer units wrap at their accumulator width, which commutes with addition).

Padding: a MAC whose input falls in the zero padding is visited (it is one of the layer's MACs)
but contributes a zero product; it is not fed to the unit (a binary unit has no zero to feed).
Iterations beyond a layer's size (a mapping whose factors overshoot it) are not MACs: the PE idles.

The whole iteration space is materialized as index arrays: meant for small layers (at most
:data:`MAX_ITERATIONS` iterations), not for whole networks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import prod

import numpy as np
from numpy.typing import ArrayLike, NDArray

from accelsim.errors import ConfigError, Problem
from accelsim.mac import MacUnit, TernaryMac
from accelsim.mapping.model import Mapping
from accelsim.types import DIMS, Dim
from accelsim.workload.layer import Layer

MAX_ITERATIONS = 1 << 20


@dataclass(frozen=True)
class MacSchedule:
    """Every MAC of a layer in the order a mapping runs it.

    Arrays of equal length, one entry per MAC (padding MACs included, overshoot left out):
    ``coordinates`` (MACs x 8, the N, G, M, C, P, Q, R, S indices), ``step`` (temporal step),
    ``pe`` (flat PE index of the spatial loops). Sorted by (step, pe).
    """

    coordinates: NDArray[np.int64]
    step: NDArray[np.int64]
    pe: NDArray[np.int64]

    def column(self, dim: Dim) -> NDArray[np.int64]:
        return self.coordinates[:, DIMS.index(dim)]


def schedule(layer: Layer, mapping: Mapping) -> MacSchedule:
    """The MACs ``mapping`` runs for ``layer``, in (step, PE) order.

    Raises ConfigError if the nest has more than :data:`MAX_ITERATIONS` iterations or does not
    visit every MAC of the layer exactly once (the message counts the missed and repeated MACs and
    names the first one).
    """
    loops = [loop for _, loop in mapping.loops() if loop.bound > 1]
    total = prod(loop.bound for loop in loops)
    if total > MAX_ITERATIONS:
        expected = f"a small layer: at most {MAX_ITERATIONS} iterations of the loop nest"
        raise ConfigError(Problem("", "functional check", expected, total))
    counters = list(_counters([loop.bound for loop in loops], total))
    coordinates = np.zeros((total, len(DIMS)), dtype=np.int64)
    for column, dim in enumerate(DIMS):
        for index, loop in enumerate(loops):
            if loop.dim is dim:  # the digit's weight: bounds of this dim's loops inside it
                inner = prod(other.bound for other in loops[index + 1 :] if other.dim is dim)
                coordinates[:, column] += counters[index] * inner
    pairs = list(zip(counters, loops, strict=True))
    step = _mixed_radix(total, [(c, loop.bound) for c, loop in pairs if not loop.spatial])
    pe = _mixed_radix(total, [(c, loop.bound) for c, loop in pairs if loop.spatial])
    bounds = np.array([layer.loop_bounds[dim] for dim in DIMS], dtype=np.int64)
    inside = np.all(coordinates < bounds, axis=1)
    order = np.lexsort((pe[inside], step[inside]))
    found = MacSchedule(coordinates[inside][order], step[inside][order], pe[inside][order])
    _check_coverage(found, bounds)
    return found


def _counters(bounds: list[int], total: int) -> Iterator[NDArray[np.int64]]:
    """Each loop's counter at every iteration of the nest, enumerated outermost loop slowest."""
    iteration = np.arange(total, dtype=np.int64)
    inner = total
    for bound in bounds:
        inner //= bound
        yield (iteration // inner) % bound


def _mixed_radix(total: int, digits: list[tuple[NDArray[np.int64], int]]) -> NDArray[np.int64]:
    """The number the counters form, first counter the most significant digit."""
    value = np.zeros(total, dtype=np.int64)
    for counter, bound in digits:
        value = value * bound + counter
    return value


def _check_coverage(found: MacSchedule, bounds: NDArray[np.int64]) -> None:
    flat = np.ravel_multi_index(tuple(found.coordinates.T), tuple(bounds))
    visits = np.bincount(flat, minlength=int(prod(bounds)))
    if np.all(visits == 1):
        return
    bad = int(np.flatnonzero(visits != 1)[0])
    first = dict(zip((d.value for d in DIMS), np.unravel_index(bad, tuple(bounds)), strict=True))
    where = ", ".join(f"{name}={int(value)}" for name, value in first.items())
    got = (
        f"{int(np.sum(visits == 0))} MACs missed, {int(np.sum(visits > 1))} visited more than "
        f"once (first: {where}, visited {int(visits[bad])} times)"
    )
    raise ConfigError(Problem("", "mapping", "a schedule visiting every MAC exactly once", got))


def run_layer(
    layer: Layer,
    mapping: Mapping,
    mac_unit: MacUnit,
    weights: ArrayLike,
    inputs: ArrayLike,
    *,
    scale: ArrayLike | None = None,
) -> NDArray:
    """The output tensor (N, M, P, Q) ``mac_unit`` computes running ``mapping`` of ``layer``.

    ``weights``: (M, C per group, R, S); ``inputs``: (N, C x groups, H, W), unpadded; both at the
    layer's weight and input bits (integers, +-1 for binary, {-1, 0, 1} for ternary). ``scale``:
    per output channel (M,), ternary units only. Raises ConfigError for wrong shapes, a schedule
    that misses or repeats a MAC, an unsupported precision or operands that do not fit it.
    """
    w, a = _operands(layer, weights, inputs)
    if scale is not None and not isinstance(mac_unit, TernaryMac):
        raise ConfigError(Problem("", "scale", "a scale only with a ternary unit", mac_unit.kind))
    found = schedule(layer, mapping)
    out_index, w_values, a_values = _gather(layer, found, w, a)
    outputs = np.zeros(layer.output_elements, dtype=_result_dtype(mac_unit, scale))
    if out_index.size == 0:
        return outputs.reshape(layer.n, layer.m, layer.p, layer.q)
    order = np.argsort(out_index, kind="stable")  # per output, still in (step, PE) order
    targets, starts, lengths = np.unique(out_index[order], return_index=True, return_counts=True)
    for length in np.unique(lengths):
        rows = lengths == length
        picks = starts[rows][:, np.newaxis] + np.arange(length)
        columns = order[picks]
        outputs[targets[rows]] = _dot(mac_unit, layer, w_values[columns], a_values[columns])
    if scale is not None:
        channel = np.arange(layer.output_elements) // (layer.p * layer.q) % layer.m
        outputs = _scaled(outputs, np.asarray(scale, dtype=np.float32), channel)
    return outputs.reshape(layer.n, layer.m, layer.p, layer.q)


def _dot(unit: MacUnit, layer: Layer, w: NDArray, a: NDArray) -> NDArray:
    return unit.dot(w, a, layer.weight_bits, layer.input_bits, axis=-1)


def _result_dtype(unit: MacUnit, scale: ArrayLike | None) -> type[np.float32] | type[np.int64]:
    return np.float32 if unit.kind == "fp" or scale is not None else np.int64


def _scaled(totals: NDArray, scale: NDArray[np.float32], channel: NDArray) -> NDArray:
    """The ternary unit's per-output scaling: the integer sum to float32, times the scale."""
    return totals.astype(np.float32) * scale[channel]


def _operands(layer: Layer, weights: ArrayLike, inputs: ArrayLike) -> tuple[NDArray, NDArray]:
    w, a = np.asarray(weights), np.asarray(inputs)
    shapes = (
        ("weights", w, (layer.m, layer.c, layer.r, layer.s)),
        ("inputs", a, (layer.n, layer.input_channels, layer.h, layer.w)),
    )
    problems = [
        Problem("", name, f"an array of shape {expected}", array.shape)
        for name, array, expected in shapes
        if array.shape != expected
    ]
    if problems:
        raise ConfigError(problems)
    return w, a


def _gather(
    layer: Layer, found: MacSchedule, w: NDArray, a: NDArray
) -> tuple[NDArray[np.int64], NDArray, NDArray]:
    """Per MAC outside the padding: the flat output index and the weight and input it uses."""
    n, g, m, c, p, q, r, s = (found.column(dim) for dim in DIMS)
    per_group = layer.m // layer.groups
    row = p * layer.stride_h + r * layer.dilation_h - layer.pad_h
    col = q * layer.stride_w + s * layer.dilation_w - layer.pad_w
    real = (row >= 0) & (row < layer.h) & (col >= 0) & (col < layer.w)
    channel_out = g * per_group + m
    out_index = ((n * layer.m + channel_out) * layer.p + p) * layer.q + q
    w_values = w[channel_out, c, r, s]
    a_values = a[n[real], (g * layer.c + c)[real], row[real], col[real]]
    return out_index[real], w_values[real], a_values


def input_patches(layer: Layer, inputs: ArrayLike) -> NDArray:
    """Input patches (N, G, P, Q, C x R x S), zero-padded, reduction index ``(c * R + r) * S + s``.

    Independent of any mapping: the reference's view of which input each MAC uses.
    """
    a = np.asarray(inputs)
    padded = np.pad(a, ((0, 0), (0, 0), (layer.pad_h,) * 2, (layer.pad_w,) * 2))
    patches = np.zeros(
        (layer.n, layer.groups, layer.p, layer.q, layer.c, layer.r, layer.s), dtype=a.dtype
    )
    for r in range(layer.r):
        for s in range(layer.s):
            top, left = r * layer.dilation_h, s * layer.dilation_w
            window = padded[
                :,
                :,
                top : top + layer.stride_h * (layer.p - 1) + 1 : layer.stride_h,
                left : left + layer.stride_w * (layer.q - 1) + 1 : layer.stride_w,
            ]
            grouped = window.reshape(layer.n, layer.groups, layer.c, layer.p, layer.q)
            patches[..., r, s] = grouped.transpose(0, 1, 3, 4, 2)
    return patches.reshape(layer.n, layer.groups, layer.p, layer.q, -1)


def reference_conv(layer: Layer, weights: ArrayLike, inputs: ArrayLike) -> NDArray:
    """numpy convolution (N, M, P, Q), exact: int64 for integer data, float64 otherwise.

    ``weights`` (M, C per group, R, S), ``inputs`` (N, C x groups, H, W); stride, dilation, zero
    padding and groups as the layer says.
    """
    w = np.asarray(weights)
    wide = np.int64 if w.dtype.kind in "iub" else np.float64
    patches = input_patches(layer, inputs).astype(wide)
    kernels = w.astype(wide).reshape(layer.groups, layer.m // layer.groups, -1)
    out = np.einsum("ngpqk,gmk->ngmpq", patches, kernels)
    return out.reshape(layer.n, layer.m, layer.p, layer.q)
