"""Systolic dataflows through accelsim.simulate: cycles and SRAM counts against the per-cycle
reference (accelsim/systolic/reference.py: every PE, every cycle, real numbers), not against the
closed-form model simulate calls; counts priced by the table."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import accelsim
from accelsim.arch import arch_from_dict
from accelsim.systolic import SystolicDataflow, gemm_from_layer
from accelsim.systolic.reference import ReferenceRun, simulate_reference

FLOWS = ("systolic_ws", "systolic_os", "systolic_is")


def systolic_arch(rows: int = 4, cols: int = 4) -> accelsim.Arch:
    return arch_from_dict(
        {
            "name": "sa",
            "pe_array": {"rows": rows, "cols": cols},
            "network": {"systolic": True},
            "mac": {"type": "int"},
            "energy_table": "horowitz45",
            "levels": [
                {"name": "DRAM", "kind": "dram", "keeps": ["weights", "inputs", "outputs"]},
                {"name": "sram", "kind": "sram", "capacity_kb": 64},
            ],
        }
    )


def per_cycle(layer: accelsim.Layer, flow: str, rows: int = 4, cols: int = 4) -> ReferenceRun:
    """The layer's im2col GEMM run PE by PE, cycle by cycle, on random integers."""
    gemm = gemm_from_layer(layer)
    rng = np.random.default_rng(gemm.m * gemm.k * gemm.n)
    a, b = rng.integers(-8, 8, (gemm.m, gemm.k)), rng.integers(-8, 8, (gemm.k, gemm.n))
    run = simulate_reference(a, b, SystolicDataflow(flow.removeprefix("systolic_")), rows, cols)
    assert np.array_equal(run.outputs, a @ b)
    return run


@pytest.mark.parametrize("flow", FLOWS)
def test_cycles_and_sram_counts_are_the_per_cycle_references(flow):
    arch = systolic_arch()
    for layer in accelsim.load_workload("tiny"):
        result = accelsim.simulate(arch, layer, dataflow=flow).layers[0]
        expected = per_cycle(layer, flow)
        assert result.cycles == expected.cycles
        assert result.stall_cycles == 0
        assert result.macs == expected.macs
        sram = {t.data_type.value: t for t in result.traffic if t.level == "sram"}
        assert sram["inputs"].reads == expected.input_sram_reads
        assert sram["weights"].reads == expected.weight_sram_reads
        assert sram["outputs"].updates == expected.output_sram_writes


def test_a_gemm_that_fits_the_array_takes_its_fill_skew_and_drain():
    # an FC layer 4 inputs -> 4 outputs at batch 3 is a 3 x 4 by 4 x 4 GEMM: one fold on 4 x 4;
    # weight stationary streams T = 3 rows through R = 4 rows, r = 4 used rows, c = 4 used cols:
    # T + R + r + c - 2 cycles (docs/systolic.md)
    layer = accelsim.make_layer("fc", "fc", in_features=4, out_features=4).with_batch(3)
    result = accelsim.simulate(systolic_arch(), layer, dataflow="systolic_ws").layers[0]
    assert result.cycles == 3 + 4 + 4 + 4 - 2
    sram = {t.data_type.value: t for t in result.traffic if t.level == "sram"}
    assert sram["weights"].reads == 4 * 4  # the stationary tile, read once
    assert sram["inputs"].reads == 3 * 4  # every input row streamed once
    assert sram["outputs"].updates == 3 * 4 and sram["outputs"].reads == 0


def test_grouped_layers_run_one_group_after_another():
    layer = accelsim.make_layer("dw", "depthwise", channels=4, input_size=6, kernel_size=3)
    result = accelsim.simulate(systolic_arch(), layer, dataflow="systolic_os").layers[0]
    one = per_cycle(replace(layer, groups=1, m=1), "systolic_os")  # a 16 x 9 by 9 x 1 GEMM
    assert result.cycles == 4 * one.cycles


@pytest.mark.parametrize("flow", FLOWS)
def test_energy_breakdowns_sum_and_every_mac_is_priced(flow):
    network = accelsim.simulate("tpu_like", "tiny", dataflow=flow)
    for layer in network.layers:
        for key in ("category", "data_type", "component", "action"):
            assert sum(layer.energy_by(key).values()) == pytest.approx(layer.energy)
        assert layer.energy_by("category")["ALU"] > 0


def test_a_systolic_dataflow_needs_a_systolic_array():
    with pytest.raises(
        accelsim.ConfigError, match=r"network\.systolic: expected true for the systolic_ws dataflow"
    ):
        accelsim.simulate("eyeriss_isca16", "tiny", dataflow="systolic_ws")
