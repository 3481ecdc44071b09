"""Layers and networks: the loop nests accelsim simulates.

A :class:`Layer` is one convolution-shaped loop nest (fully connected and matrix multiply are the
special cases with 1x1 filters) with its own precisions. A :class:`Network` is an ordered tuple of
layers with a batch size. Both are frozen; build them through :func:`make_layer` (which validates
and derives the output size) or the loaders in :mod:`accelsim.workload.loaders`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from accelsim.types import DataType, Dim


class LayerKind(str, Enum):
    CONV = "conv"  # groups >= 1 (grouped convolution when groups > 1)
    DEPTHWISE = "depthwise"  # groups == input channels, C (per group) == 1
    FC = "fc"  # 1x1 filter on a 1x1 input
    MATMUL = "matmul"  # (P x C) @ (C x M): P rows, reduction C, M columns; 1x1 filter


@dataclass(frozen=True)
class Layer:
    """One layer. Sizes are in elements; precisions in bits.

    ``m`` is the total number of output channels; ``c`` is the number of input channels *per
    group*, so a grouped layer does ``n * m * c * p * q * r * s`` MACs. ``h`` and ``w`` are the
    input height and width before padding; ``p`` and ``q`` the output height and width.
    """

    name: str
    kind: LayerKind
    n: int
    m: int
    c: int
    p: int
    q: int
    r: int
    s: int
    h: int
    w: int
    stride_h: int = 1
    stride_w: int = 1
    dilation_h: int = 1
    dilation_w: int = 1
    pad_h: int = 0
    pad_w: int = 0
    groups: int = 1
    weight_bits: int = 8
    input_bits: int = 8
    output_bits: int = 8
    psum_bits: int = 32
    weight_density: float = 1.0  # fraction of non-zero weights
    input_density: float = 1.0  # fraction of non-zero inputs (ReLU zeros)
    output_density: float = 1.0  # fraction of non-zero outputs as written (after ReLU)

    # ---- loop nest -------------------------------------------------------------------------
    @property
    def loop_bounds(self) -> dict[Dim, int]:
        """Bounds of the loop nest; ``M`` here is output channels *per group*."""
        return {
            Dim.N: self.n,
            Dim.G: self.groups,
            Dim.M: self.m // self.groups,
            Dim.C: self.c,
            Dim.P: self.p,
            Dim.Q: self.q,
            Dim.R: self.r,
            Dim.S: self.s,
        }

    @property
    def macs(self) -> int:
        """Exact multiply-accumulate count."""
        return self.n * self.m * self.c * self.p * self.q * self.r * self.s

    # ---- tensors ---------------------------------------------------------------------------
    @property
    def input_channels(self) -> int:
        return self.c * self.groups

    @property
    def weight_elements(self) -> int:
        return self.m * self.c * self.r * self.s

    @property
    def input_elements(self) -> int:
        """Elements of the (unpadded) input tensor."""
        return self.n * self.input_channels * self.h * self.w

    @property
    def output_elements(self) -> int:
        return self.n * self.m * self.p * self.q

    def elements(self, data_type: DataType) -> int:
        return {
            DataType.WEIGHTS: self.weight_elements,
            DataType.INPUTS: self.input_elements,
            DataType.OUTPUTS: self.output_elements,
        }[data_type]

    def bits(self, data_type: DataType) -> int:
        """Precision of one element of ``data_type`` as stored (outputs: final precision)."""
        return {
            DataType.WEIGHTS: self.weight_bits,
            DataType.INPUTS: self.input_bits,
            DataType.OUTPUTS: self.output_bits,
        }[data_type]

    # ---- variants --------------------------------------------------------------------------
    def with_batch(self, n: int) -> Layer:
        return replace(self, n=n)

    def with_precision(
        self, weight_bits: int | None = None, input_bits: int | None = None
    ) -> Layer:
        return replace(
            self,
            weight_bits=self.weight_bits if weight_bits is None else weight_bits,
            input_bits=self.input_bits if input_bits is None else input_bits,
        )

    @property
    def shape_key(self) -> tuple:
        """Everything that affects mapping and cost except the name: equal keys, equal results."""
        return tuple(getattr(self, f) for f in self.__dataclass_fields__ if f != "name")


@dataclass(frozen=True)
class Network:
    """An ordered collection of layers sharing one batch size."""

    name: str
    layers: tuple[Layer, ...]

    @property
    def batch(self) -> int:
        return self.layers[0].n if self.layers else 1

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    def with_batch(self, n: int) -> Network:
        return replace(self, layers=tuple(layer.with_batch(n) for layer in self.layers))

    def with_precision(
        self, weight_bits: int | None = None, input_bits: int | None = None
    ) -> Network:
        return replace(
            self, layers=tuple(lay.with_precision(weight_bits, input_bits) for lay in self.layers)
        )

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, key: int | str) -> Layer:
        if isinstance(key, str):
            for layer in self.layers:
                if layer.name == key:
                    return layer
            raise KeyError(key)
        return self.layers[key]
