"""Access counts of a layer on a systolic array under a systolic dataflow, as an :class:`Analysis`.

The systolic dataflows produce the same intermediate as every other dataflow (traffic per level
and data type, array-network deliveries, compute steps), so one pricing path
(:func:`accelsim.energy.pricing.price`) and one result path (:mod:`accelsim.api`) serve them all.

Steps come from :mod:`accelsim.systolic`'s cycle-exact model of the folded im2col GEMM (skew,
fill and drain included; equal to its per-cycle reference): one step is one cycle of the array.
Counts:

* SRAM (the innermost shared buffer): the model's input and weight reads and output writes
  (partial sums of a reduction split over several folds are read back: writes minus outputs);
* DRAM: each tensor once (the compulsory traffic; like SCALE-Sim's CALC mode, no DRAM tiling);
* PE registers (``register_bits``): per MAC, the stationary and the moving operand read and the
  accumulator written;
* array network: per MAC, one hop for each of the two operands that move (ws: inputs and partial
  sums, os: inputs and weights, is: weights and partial sums).

A grouped layer runs one group after another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from accelsim.analysis.counts import Analysis, LinkTraffic, Traffic
from accelsim.arch.model import Arch, Level
from accelsim.errors import ConfigError, Problem
from accelsim.systolic import SystolicDataflow, gemm_from_layer, simulate_gemm
from accelsim.types import Dataflow, DataType
from accelsim.workload.layer import Layer

WEIGHTS, INPUTS, OUTPUTS = DataType.WEIGHTS, DataType.INPUTS, DataType.OUTPUTS
SYSTOLIC_FLOWS = {
    Dataflow.SYSTOLIC_WS: SystolicDataflow.WS,
    Dataflow.SYSTOLIC_OS: SystolicDataflow.OS,
    Dataflow.SYSTOLIC_IS: SystolicDataflow.IS,
}
MOVING = {
    SystolicDataflow.WS: (INPUTS, OUTPUTS),
    SystolicDataflow.OS: (INPUTS, WEIGHTS),
    SystolicDataflow.IS: (WEIGHTS, OUTPUTS),
}


@dataclass(frozen=True)
class SystolicSchedule:
    """How a systolic dataflow runs a layer: the im2col GEMM in folds, one group at a time."""

    dataflow: SystolicDataflow
    folds: int

    def __str__(self) -> str:
        return f"{self.dataflow.value} systolic: {self.folds} folds of the im2col GEMM"


def analyze_systolic(layer: Layer, arch: Arch, flow: Dataflow) -> Analysis:
    """Count ``layer`` on ``arch`` (which must be a systolic array) under the systolic ``flow``.

    Raises ConfigError when the architecture is not systolic.
    """
    if not arch.network.systolic:
        expected = f"true for the {flow.value} dataflow (a systolic array)"
        raise ConfigError(Problem(arch.source or arch.name, "network.systolic", expected, False))
    dataflow = SYSTOLIC_FLOWS[flow]
    group = replace(layer, groups=1, m=layer.m // layer.groups)
    run = simulate_gemm(gemm_from_layer(group), dataflow, arch.pe_array.rows, arch.pe_array.cols)
    groups = layer.groups
    bits = {WEIGHTS: layer.weight_bits, INPUTS: layer.input_bits, OUTPUTS: layer.psum_bits}
    written = run.output_sram_writes * groups
    sram = {
        INPUTS: (run.input_sram_reads * groups, layer.input_elements, 0),
        WEIGHTS: (run.weight_sram_reads * groups, layer.weight_elements, 0),
        OUTPUTS: (written - layer.output_elements, 0, written),
    }
    buffer = _buffer(arch).name
    dram = arch.levels[0].name
    traffic = [
        Traffic(buffer, data_type, 1, 0, reads, fills, updates, bits[data_type])
        for data_type, (reads, fills, updates) in sram.items()
    ] + [
        Traffic(dram, WEIGHTS, 1, 0, layer.weight_elements, 0, 0, layer.weight_bits),
        Traffic(dram, INPUTS, 1, 0, layer.input_elements, 0, 0, layer.input_bits),
        Traffic(dram, OUTPUTS, 1, 0, 0, 0, layer.output_elements, layer.output_bits),
    ]
    links = tuple(
        LinkTraffic(buffer, moving, layer.macs, bits[moving]) for moving in MOVING[dataflow]
    )
    return Analysis(
        layer=layer,
        arch_name=arch.name,
        mapping=SystolicSchedule(dataflow, run.folds * groups),
        traffic=tuple(traffic),
        links=links,
        temporal_steps=run.cycles * groups,
        used_pes=min(arch.pe_array.pes, run.array_rows * run.array_cols),
        total_pes=arch.pe_array.pes,
        register_bits=layer.macs * sum(bits.values()),
    )


def _buffer(arch: Arch) -> Level:
    """The innermost shared level that keeps data (DRAM when there is none)."""
    shared = [level for level in arch.levels[1:] if not level.per_pe and level.keeps]
    return shared[-1] if shared else arch.levels[0]
