"""A layer on a systolic array under a systolic dataflow, as a :class:`LayerResult`.

Cycles come from :mod:`accelsim.systolic`'s cycle-exact model of the folded im2col GEMM (skew,
fill and drain; equal to its per-cycle reference). Counts and their pricing:

* SRAM: the model's input and weight reads and output writes, at the innermost shared buffer
  (partial sums of a reduction split over several folds are read back: writes minus outputs);
* DRAM: each tensor once (the compulsory traffic; this variant models the array and its SRAM,
  not DRAM tiling or bandwidth, like SCALE-Sim's CALC mode: no stalls);
* PE registers: per MAC, the stationary and the moving operand read and the accumulator written;
* array network: per MAC, one hop for each of the two operands that move (ws: inputs and partial
  sums, os: inputs and weights, is: weights and partial sums).
A grouped layer runs one group after another.
"""

from __future__ import annotations

from dataclasses import replace

from accelsim.analysis.counts import Traffic
from accelsim.arch.model import Arch, LevelKind
from accelsim.cost import EnergyItem, level_energy_per_bit, mac_energy_per_mac
from accelsim.dataflow import Dataflow
from accelsim.energy.table import EnergyTable
from accelsim.errors import ConfigError, Problem
from accelsim.results import LayerResult
from accelsim.systolic import SystolicDataflow, gemm_from_layer, simulate_gemm
from accelsim.types import DataType
from accelsim.workload.layer import Layer

WGT, INP, OUT = DataType.WEIGHTS, DataType.INPUTS, DataType.OUTPUTS
MOVING = {
    SystolicDataflow.WS: (INP, OUT),
    SystolicDataflow.OS: (INP, WGT),
    SystolicDataflow.IS: (WGT, OUT),
}


def systolic_result(layer: Layer, arch: Arch, flow: Dataflow, table: EnergyTable) -> LayerResult:
    """Cost and time ``layer`` on ``arch`` (which must be systolic) under ``flow``."""
    if not arch.network.systolic:
        raise ConfigError(
            Problem(
                arch.source or arch.name,
                "network.systolic",
                f"true for the {flow.value} dataflow (a systolic array)",
                False,
            )
        )
    dataflow = SystolicDataflow(flow.value.removeprefix("systolic_"))
    group = replace(layer, groups=1, m=layer.m // layer.groups, name=layer.name)
    run = simulate_gemm(gemm_from_layer(group), dataflow, arch.pe_array.rows, arch.pe_array.cols)
    groups = layer.groups
    bits = {WGT: layer.weight_bits, INP: layer.input_bits, OUT: layer.psum_bits}
    buffer = _buffer(arch)
    written = run.output_sram_writes * groups
    sram = {
        INP: (run.input_sram_reads * groups, layer.input_elements, 0),
        WGT: (run.weight_sram_reads * groups, layer.weight_elements, 0),
        OUT: (written - layer.output_elements, 0, written),
    }
    traffic = [
        Traffic(buffer.name, d, 1, 0, reads, fills, updates, bits[d])
        for d, (reads, fills, updates) in sram.items()
    ] + [
        Traffic(arch.levels[0].name, WGT, 1, 0, layer.weight_elements, 0, 0, layer.weight_bits),
        Traffic(arch.levels[0].name, INP, 1, 0, layer.input_elements, 0, 0, layer.input_bits),
        Traffic(arch.levels[0].name, OUT, 1, 0, 0, 0, layer.output_elements, layer.output_bits),
    ]
    items = [
        EnergyItem(
            "mac", "ALU", None, "compute", layer.macs * mac_energy_per_mac(layer, arch, table)
        )
    ]
    for item in traffic:
        level = arch.level(item.level)
        read_pj, write_pj = level_energy_per_bit(level, table)
        category = "DRAM" if level.kind is LevelKind.DRAM else "buffer"
        items.append(
            EnergyItem(level.name, category, item.data_type, "read", item.read_bits * read_pj)
        )
        items.append(
            EnergyItem(level.name, category, item.data_type, "write", item.write_bits * write_pj)
        )
    items.extend(_pe_items(layer, arch, table, dataflow, bits))
    cycles = run.cycles * groups
    return LayerResult(
        layer=layer.name, dataflow=flow.value, arch=arch.name, energy_table=table.name,
        energy_unit=table.unit, macs=layer.macs, padded_macs=layer.macs,
        used_pes=min(arch.pe_array.pes, run.array_rows * run.array_cols),
        total_pes=arch.pe_array.pes, peak_macs_per_pe=1, ideal_cycles=cycles, cycles=cycles,
        stall_cycles=0, stalls_by_cause=(), clock_mhz=arch.clock_mhz,
        weight_bits=layer.weight_bits, input_bits=layer.input_bits, traffic=tuple(traffic),
        energy_items=tuple(items),
        mapping=f"{dataflow.value} systolic: {run.folds * groups} folds of the im2col GEMM",
    )  # fmt: skip


def _buffer(arch: Arch):
    shared = [level for level in arch.levels[1:] if not level.per_pe and level.keeps]
    return shared[-1] if shared else arch.levels[0]


def _pe_items(layer, arch, table, dataflow, bits) -> list[EnergyItem]:
    registers = [level for level in arch.levels if level.per_pe]
    if registers:
        register_pj = level_energy_per_bit(registers[-1], table)[0]
    else:
        register_pj = table.kind("regfile").per_bit(None)
    per_mac_bits = bits[WGT] + bits[INP] + bits[OUT]  # two operand reads, one accumulator write
    network_pj = arch.network.energy_pj_per_bit
    if network_pj is None:
        network_pj = table.kind("network").per_bit(None)
    items = [
        EnergyItem("pe registers", "RF", None, "read", layer.macs * per_mac_bits * register_pj)
    ]
    for moving in MOVING[dataflow]:
        items.append(
            EnergyItem(
                "network", "array", moving, "transfer", layer.macs * bits[moving] * network_pj
            )
        )
    return items
