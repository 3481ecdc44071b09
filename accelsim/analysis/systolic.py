"""Access counts of a layer on a systolic array under a systolic dataflow, as an :class:`Analysis`.

The systolic dataflows produce the same intermediate as every other dataflow (traffic per level
and data type, array-network deliveries, compute steps), so one pricing path
(:func:`accelsim.energy.pricing.price`) and one result path (:mod:`accelsim.api`) serve them all.

Steps come from :mod:`accelsim.systolic`'s cycle-exact model of the folded im2col GEMM (skew,
fill and drain included; equal to its per-cycle reference): one step is one cycle of the array.
Counts:

* SRAM (the innermost shared buffer): the model's input and weight reads and output writes
  (partial sums of a reduction split over several folds are read back: writes minus outputs);
* DRAM: each tensor once (the compulsory traffic; like SCALE-Sim's CALC mode, no DRAM tiling),
  unless the architecture gives each operand its own SRAM behind a finite DRAM interface (see
  :func:`dram_interface`): then SCALE-Sim's USER-mode memory model
  (:mod:`accelsim.systolic.memory`) gives the DRAM words, refetches included, and the stall
  cycles the schedule carries;
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
from accelsim.systolic.memory import DramInterface, gemm_memory_run, layer_memory_run
from accelsim.systolic.user_reference import MemoryRun
from accelsim.types import DATA_TYPES, Dataflow, DataType
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
    """How a systolic dataflow runs a layer: the im2col GEMM in folds, one group at a time;
    ``dram_stall_cycles``: cycles the array waits for its SRAMs behind a finite DRAM interface
    (0 without one)."""

    dataflow: SystolicDataflow
    folds: int
    dram_stall_cycles: int = 0

    def __str__(self) -> str:
        return f"{self.dataflow.value} systolic: {self.folds} folds of the im2col GEMM"


def dram_interface(arch: Arch, layer: Layer) -> DramInterface | None:
    """SCALE-Sim's USER-mode memory system, when ``arch`` describes one: each operand kept by a
    shared SRAM level of its own (keeping only that data type, finite capacity), the input and
    weight SRAMs filled from DRAM at their write bandwidth, the output SRAM drained at its read
    bandwidth. Sizes and rates in the layer's elements (SCALE-Sim's words). None otherwise."""
    sram: dict[DataType, Level] = {}
    for level in arch.levels[1:]:
        if not level.per_pe and len(level.keeps) == 1 and level.capacity_bits:
            sram.setdefault(next(iter(level.keeps)), level)
    if set(sram) != {INPUTS, WEIGHTS, OUTPUTS}:
        return None
    rates = (
        sram[INPUTS].write_bandwidth_bits,
        sram[WEIGHTS].write_bandwidth_bits,
        sram[OUTPUTS].read_bandwidth_bits,
    )
    if any(rate is None for rate in rates):
        return None
    bits = (layer.input_bits, layer.weight_bits, layer.output_bits)
    sizes = tuple(sram[d].capacity_bits or 0 for d in (INPUTS, WEIGHTS, OUTPUTS))
    words = tuple(size // b for size, b in zip(sizes, bits, strict=True))
    per_cycle = tuple(max(1, int(rate or 0) // b) for rate, b in zip(rates, bits, strict=True))
    return DramInterface((words[0], words[1], words[2]), (per_cycle[0], per_cycle[1], per_cycle[2]))


def _memory_run(
    layer: Layer, dataflow: SystolicDataflow, arch: Arch, interface: DramInterface
) -> tuple[MemoryRun, int]:
    """The memory model's run and how many times it repeats (once per group)."""
    rows, cols = arch.pe_array.rows, arch.pe_array.cols
    if layer.n == 1 and layer.groups == 1:
        return layer_memory_run(layer, dataflow, rows, cols, interface), 1
    group = replace(layer, groups=1, m=layer.m // layer.groups)  # batch folded into the rows
    return gemm_memory_run(gemm_from_layer(group), dataflow, rows, cols, interface), layer.groups


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
    dram = arch.levels[0].name
    dram_words = {
        WEIGHTS: layer.weight_elements,
        INPUTS: layer.input_elements,
        OUTPUTS: layer.output_elements,
    }
    stalls = 0
    interface = dram_interface(arch, layer)
    if interface is not None:
        memory, repeats = _memory_run(layer, dataflow, arch, interface)
        stalls = memory.stall_cycles * repeats
        words = [count * repeats for count in memory.dram_words]
        dram_words = {INPUTS: words[0], WEIGHTS: words[1], OUTPUTS: words[2]}
    buffers = _buffers(arch, interface is not None)
    traffic = [
        Traffic(buffers[data_type], data_type, 1, 0, reads, fills, updates, bits[data_type])
        for data_type, (reads, fills, updates) in sram.items()
    ] + [
        Traffic(dram, WEIGHTS, 1, 0, dram_words[WEIGHTS], 0, 0, layer.weight_bits),
        Traffic(dram, INPUTS, 1, 0, dram_words[INPUTS], 0, 0, layer.input_bits),
        Traffic(dram, OUTPUTS, 1, 0, 0, 0, dram_words[OUTPUTS], layer.output_bits),
    ]
    buffer = buffers[INPUTS]
    links = tuple(
        LinkTraffic(buffer, moving, layer.macs, bits[moving]) for moving in MOVING[dataflow]
    )
    return Analysis(
        layer=layer,
        arch_name=arch.name,
        mapping=SystolicSchedule(dataflow, run.folds * groups, stalls),
        traffic=tuple(traffic),
        links=links,
        temporal_steps=run.cycles * groups,
        used_pes=min(arch.pe_array.pes, run.array_rows * run.array_cols),
        total_pes=arch.pe_array.pes,
        register_bits=layer.macs * sum(bits.values()),
    )


def _buffers(arch: Arch, per_operand: bool) -> dict[DataType, str]:
    """The level each operand's SRAM traffic is counted at: its own SRAM (``per_operand``), else
    the innermost shared level that keeps data (DRAM when there is none)."""
    shared = [level for level in arch.levels[1:] if not level.per_pe and level.keeps]
    if per_operand:
        return {d: next(lv.name for lv in shared if lv.keeps == {d}) for d in DATA_TYPES}
    name = shared[-1].name if shared else arch.levels[0].name
    return dict.fromkeys(DATA_TYPES, name)
