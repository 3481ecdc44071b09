"""Names shared by every stage: loop dimensions, data types and dataflows.

Glossary (one word each, used everywhere): *weights* (filters), *inputs* (ifmaps, activations),
*outputs* (ofmaps, partial sums while they accumulate).

Loop dimensions follow the Eyeriss / accelsim convention: N batch, G groups, M output channels per
group, C input channels per group, P output height, Q output width, R filter height, S filter width.
(Timeloop swaps the meaning of P/Q and R/S: its R and P are widths. The Timeloop loaders translate.)
"""

from __future__ import annotations

from enum import Enum


class Dim(str, Enum):
    """A loop dimension of the 7-deep convolution nest, plus groups."""

    N = "N"
    G = "G"
    M = "M"
    C = "C"
    P = "P"
    Q = "Q"
    R = "R"
    S = "S"


class DataType(str, Enum):
    """The three tensors of a layer."""

    WEIGHTS = "weights"
    INPUTS = "inputs"
    OUTPUTS = "outputs"


DIMS: tuple[Dim, ...] = tuple(Dim)
DATA_TYPES: tuple[DataType, ...] = tuple(DataType)

# Which loop dimensions index each tensor. A loop over any other dimension leaves the tensor's tile
# unchanged (it is "irrelevant" to it), which is what makes reuse possible.
RELEVANT: dict[DataType, frozenset[Dim]] = {
    DataType.WEIGHTS: frozenset({Dim.G, Dim.M, Dim.C, Dim.R, Dim.S}),
    DataType.INPUTS: frozenset({Dim.N, Dim.G, Dim.C, Dim.P, Dim.Q, Dim.R, Dim.S}),
    DataType.OUTPUTS: frozenset({Dim.N, Dim.G, Dim.M, Dim.P, Dim.Q}),
}

# Dimensions summed over to make one output: the reduction (partial-sum) dimensions.
REDUCTION_DIMS: frozenset[Dim] = frozenset({Dim.C, Dim.R, Dim.S})


class Dataflow(str, Enum):
    """A dataflow's name (its constraints on mappings live in :mod:`accelsim.dataflow`)."""

    RS = "rs"
    WS = "ws"
    OS = "os"
    OSA = "osa"
    OSB = "osb"
    OSC = "osc"
    NLR = "nlr"
    SYSTOLIC_WS = "systolic_ws"
    SYSTOLIC_OS = "systolic_os"
    SYSTOLIC_IS = "systolic_is"


SYSTOLIC = frozenset({Dataflow.SYSTOLIC_WS, Dataflow.SYSTOLIC_OS, Dataflow.SYSTOLIC_IS})
