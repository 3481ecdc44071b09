"""`reference_conv`, the oracle of the functional tests, against convolutions written elsewhere.

Two independent oracles on random shapes with stride, dilation, zero padding and groups:

* the convolution's definition written as plain Python loops over every output and every MAC
  (no numpy indexing tricks, no im2col), in exact integer arithmetic;
* scipy.signal.correlate2d (the ``search`` extra) per (image, output channel, input channel): the
  kernel dilated by inserting zeros, the input zero-padded, a 'valid' correlation, then every
  stride-th row and column.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.functional import reference_conv
from accelsim.workload.layer import Layer, LayerKind


@st.composite
def layers(draw: st.DrawFn) -> Layer:
    groups = draw(st.integers(1, 3))
    r, s = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dilation_h, dilation_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pad_h, pad_w = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    stride_h, stride_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    # the input must hold at least one dilated window once padded
    h = draw(st.integers(max(1, dilation_h * (r - 1) + 1 - 2 * pad_h), 9))
    w = draw(st.integers(max(1, dilation_w * (s - 1) + 1 - 2 * pad_w), 9))
    p = (h + 2 * pad_h - dilation_h * (r - 1) - 1) // stride_h + 1
    q = (w + 2 * pad_w - dilation_w * (s - 1) - 1) // stride_w + 1
    return Layer(
        "random",
        LayerKind.CONV,
        n=draw(st.integers(1, 2)),
        m=groups * draw(st.integers(1, 3)),
        c=draw(st.integers(1, 3)),
        p=p,
        q=q,
        r=r,
        s=s,
        h=h,
        w=w,
        stride_h=stride_h,
        stride_w=stride_w,
        dilation_h=dilation_h,
        dilation_w=dilation_w,
        pad_h=pad_h,
        pad_w=pad_w,
        groups=groups,
    )


def operands(layer: Layer, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = rng.integers(-8, 8, (layer.m, layer.c, layer.r, layer.s))
    inputs = rng.integers(-8, 8, (layer.n, layer.c * layer.groups, layer.h, layer.w))
    return weights, inputs


def loop_conv(layer: Layer, weights: np.ndarray, inputs: np.ndarray) -> list:
    """out[n][m][p][q] = sum over c, r, s of w[m][c][r][s] * x[n][g*C + c][row][col], with
    row = p*stride - pad + r*dilation (zero outside the input), g = m // (M / groups)."""
    w, x = weights.tolist(), inputs.tolist()
    per_group = layer.m // layer.groups
    out = []
    for n in range(layer.n):
        planes = []
        for m in range(layer.m):
            g = m // per_group
            plane = []
            for p in range(layer.p):
                line = []
                for q in range(layer.q):
                    total = 0
                    for c in range(layer.c):
                        for r in range(layer.r):
                            for s in range(layer.s):
                                row = p * layer.stride_h - layer.pad_h + r * layer.dilation_h
                                col = q * layer.stride_w - layer.pad_w + s * layer.dilation_w
                                if 0 <= row < layer.h and 0 <= col < layer.w:
                                    total += w[m][c][r][s] * x[n][g * layer.c + c][row][col]
                    line.append(total)
                plane.append(line)
            planes.append(plane)
        out.append(planes)
    return out


@settings(max_examples=150)
@given(layer=layers(), seed=st.integers(0, 2**16))
def test_reference_conv_equals_plain_loops(layer: Layer, seed: int) -> None:
    weights, inputs = operands(layer, seed)
    got = reference_conv(layer, weights, inputs)
    assert got.shape == (layer.n, layer.m, layer.p, layer.q)
    assert got.dtype == np.int64
    assert got.tolist() == loop_conv(layer, weights, inputs)


@settings(max_examples=60)
@given(layer=layers(), seed=st.integers(0, 2**16))
def test_reference_conv_equals_scipy_correlate2d(layer: Layer, seed: int) -> None:
    signal = pytest.importorskip(
        "scipy.signal", reason="scipy (pip install 'accelsim[search]') is the second oracle"
    )
    weights, inputs = operands(layer, seed)
    padded = np.pad(inputs, ((0, 0), (0, 0), (layer.pad_h,) * 2, (layer.pad_w,) * 2))
    dilated = np.zeros(
        (
            layer.m,
            layer.c,
            layer.dilation_h * (layer.r - 1) + 1,
            layer.dilation_w * (layer.s - 1) + 1,
        ),
        dtype=np.int64,
    )
    dilated[:, :, :: layer.dilation_h, :: layer.dilation_w] = weights
    per_group = layer.m // layer.groups
    expected = np.zeros((layer.n, layer.m, layer.p, layer.q), dtype=np.int64)
    for n in range(layer.n):
        for m in range(layer.m):
            first = (m // per_group) * layer.c
            full = sum(
                signal.correlate2d(padded[n, first + c], dilated[m, c], mode="valid")
                for c in range(layer.c)
            )
            expected[n, m] = full[:: layer.stride_h, :: layer.stride_w]
    np.testing.assert_array_equal(reference_conv(layer, weights, inputs), expected)


def test_a_hand_worked_strided_dilated_padded_case() -> None:
    # 1 image, 1 channel, 4 x 4 input 1..16, a 2 x 2 kernel of ones dilated by 2, padding 1,
    # stride 2: windows at rows/cols -1, 1 (p = (4 + 2 - 3) // 2 + 1 = 2), taps 2 apart.
    layer = Layer("hand", LayerKind.CONV, n=1, m=1, c=1, p=2, q=2, r=2, s=2, h=4, w=4,
                  stride_h=2, stride_w=2, dilation_h=2, dilation_w=2, pad_h=1, pad_w=1)  # fmt: skip
    inputs = np.arange(1, 17).reshape(1, 1, 4, 4)
    # x[i][j] = 4 i + j + 1; window (p, q) reads rows {2p-1, 2p+1}, cols {2q-1, 2q+1} inside 0..3
    expected = [
        [6, 6 + 8],  # (0,0): x[1][1]; (0,1): x[1][1] + x[1][3]
        [6 + 14, 6 + 8 + 14 + 16],  # (1,0): x[1][1] + x[3][1]; (1,1): all four
    ]
    assert reference_conv(layer, np.ones((1, 1, 2, 2), dtype=np.int64), inputs)[0, 0].tolist() == (
        expected
    )
