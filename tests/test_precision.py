"""Mixed-precision cost tables, their export, the search helper and the sanity report."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from accelsim import ConfigError, Network, load_arch, make_layer, simulate
from accelsim.cli import main
from accelsim.config import read_yaml
from accelsim.precision import cost_table
from accelsim.precision.export import write_table
from accelsim.precision.sanity import sanity_report
from accelsim.precision.search import search

LAYERS = (
    make_layer(
        "conv", "conv", in_channels=16, out_channels=32, input_size=14, kernel_size=3, padding=1
    ),
    make_layer("dw", "depthwise", channels=32, input_size=14, kernel_size=3, padding=1),
    make_layer("fc", "fc", in_features=256, out_features=64),
)
NET = Network("small", LAYERS)


@pytest.fixture(scope="module")
def bitfusion_table():
    return cost_table("bitfusion", NET, batch=2, dataflow="ws", fidelity="ideal", workers=1)


def test_bitfusion_arch_loads() -> None:
    arch = load_arch("bitfusion")
    assert (arch.pe_array.rows, arch.pe_array.cols, arch.clock_mhz) == (16, 32, 500.0)
    assert arch.level("DRAM").read_bandwidth_bits == 192
    assert arch.level("buffer").capacity_bits == (32 + 16) * 1024 * 8
    assert arch.level("wbuf").capacity_bits * 16 * 32 == 64 * 1024 * 8


def test_table_entries_against_simulate(bitfusion_table) -> None:
    # (8, 8) runs the mapper's pick there; (4, 2), the widest pair of its group, the best of
    # that pick and its wider neighbours' mappings (tests/test_precision_monotone.py)
    table = bitfusion_table
    assert table.array("cycles").shape == (3, 8, 8)
    for w, a in ((8, 8), (4, 2)):
        result = simulate(
            "bitfusion",
            NET,
            dataflow="ws",
            batch=2,
            weight_bits=w,
            input_bits=a,
            objective="cycles",
            fidelity="ideal",
        )
        j, k = table.index(w, a)
        cycles = [layer.cycles for layer in result.layers]
        if (w, a) == (8, 8):
            assert list(table.array("cycles")[:, j, k]) == cycles
            assert np.allclose(table.array("energy")[:, j, k], [x.energy for x in result.layers])
        assert (table.array("cycles")[:, j, k] <= cycles).all()


def test_bitfusion_throughput_rule_in_ideal_cycles(bitfusion_table) -> None:
    ideal = bitfusion_table.array("ideal_cycles")
    # The fusion rule caps the lanes a PE issues per cycle (8/8 -> 1, 4/4 -> 4, 2/2 -> 16, and
    # 1-bit runs at 2-bit speed); how many the mapping fills depends on the layer's sizes.
    for layer in range(3):
        steps = ideal[layer, 7, 7]
        assert -(-steps // 4) <= ideal[layer, 3, 3] < steps
        assert -(-steps // 16) <= ideal[layer, 1, 1] <= ideal[layer, 3, 3]
        assert ideal[layer, 0, 0] == ideal[layer, 1, 1]


def test_energy_split_sums_to_total(bitfusion_table) -> None:
    t = bitfusion_table
    parts = t.array("energy_compute") + t.array("energy_onchip") + t.array("energy_dram")
    assert np.allclose(parts, t.array("energy"))


def test_long_form_frame(bitfusion_table) -> None:
    frame = bitfusion_table.to_frame()
    assert len(frame) == 3 * 8 * 8
    row = frame[(frame.layer == "dw") & (frame.weight_bits == 4) & (frame.input_bits == 2)].iloc[0]
    assert row.cycles == bitfusion_table.array("cycles")[1, 3, 1]
    assert set(frame.columns) >= {
        "layer",
        "weight_bits",
        "input_bits",
        "cycles",
        "seconds",
        "energy_dram",
    }


def test_haq_npy_layout(bitfusion_table, tmp_path: Path) -> None:
    path = write_table(bitfusion_table, tmp_path / "haq.npy")
    array = np.load(path)
    assert array.shape == (3, 8, 8) and array.dtype == np.int64
    assert array[2, 4 - 1, 2 - 1] == bitfusion_table.array("cycles")[2, 3, 1]


def test_hawq_arrays_and_json(bitfusion_table, tmp_path: Path) -> None:
    arrays = np.load(write_table(bitfusion_table, tmp_path / "hawq.npz"))
    assert list(arrays["latency_int8"]) == list(bitfusion_table.array("cycles")[:, 7, 7])
    assert list(arrays["latency_int4"]) == list(bitfusion_table.array("cycles")[:, 3, 3])
    frame = pd.read_json(write_table(bitfusion_table, tmp_path / "t.json"))
    assert len(frame) == 192


def test_fixed_precision_arch_gives_one_value_for_all_pairs() -> None:
    table = cost_table("eyeriss_isca16", NET, [2, 8], [4, 8], fidelity="ideal", workers=1)
    cycles = table.array("cycles")
    assert (cycles == cycles[:, :1, :1]).all()
    assert (table.array("run_weight_bits") == 16).all()


def test_unsupported_policies() -> None:
    arch = {
        "name": "int4",
        "pe_array": {"rows": 4, "cols": 4},
        "mac": {"type": "int", "weight_bits": 4, "input_bits": 4},
        "levels": read_yaml(Path(load_arch("tiny").source))["levels"],
    }
    from accelsim.arch import arch_from_dict

    int4 = arch_from_dict(arch)
    nan = cost_table(int4, NET, [4, 8], [4, 8], fidelity="ideal", unsupported="nan", workers=1)
    assert np.isnan(nan.array("cycles")[:, 1, :]).all()
    assert not np.isnan(nan.array("cycles")[:, 0, 0]).any()
    with pytest.raises(ConfigError, match=r"mac.weight_bits: expected 1..4 \(weight bits"):
        cost_table(int4, NET, [8], [2], fidelity="ideal", unsupported="error", workers=1)
    with pytest.raises(ConfigError, match=r"latency_int8: expected INT8 supported by the arch"):
        write_table(nan, "never.npz")
    promoted = cost_table(int4, NET, [2], [2], fidelity="ideal", workers=1)
    assert (promoted.array("run_weight_bits") == 2).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"weight_bits": [0, 1]},
            r"cost_table: weight_bits: expected distinct integers from 1 to 32",
        ),
        (
            {"input_bits": [4, 33]},
            r"cost_table: input_bits: expected distinct integers from 1 to 32",
        ),
        ({"metric": "speed"}, r"cost_table: metric: expected one of cycles, energy, both"),
        ({"unsupported": "skip"}, r"cost_table: unsupported: expected one of promote, nan, error"),
        ({"batch": 0}, r"cost_table: batch: expected a positive integer \(1 to 1,048,576\), got 0"),
    ],
)
def test_bad_arguments(kwargs, message) -> None:
    with pytest.raises(ConfigError, match=message):
        cost_table("bitfusion", NET, **kwargs)


def test_haq_needs_bits_one_to_eight(tmp_path: Path) -> None:
    table = cost_table("bitfusion", NET, [4, 8], [4, 8], dataflow="ws", fidelity="ideal")
    with pytest.raises(ConfigError, match=r"weight_bits: expected bits 1..8 in order"):
        write_table(table, tmp_path / "x.npy")
    with pytest.raises(ConfigError, match=r"expected an output file ending in .npy"):
        write_table(table, tmp_path / "x.txt")


# ---- search ------------------------------------------------------------------------------------
def _brute_force(table, budget, sensitivities):
    from accelsim.precision.search import default_penalty

    cost = table.array("cycles").reshape(3, -1)
    weight = default_penalty(table, sensitivities).reshape(3, -1)
    best = None
    for choice in itertools.product(range(64), repeat=3):
        rows = np.arange(3)
        if cost[rows, choice].sum() <= budget:
            value = weight[rows, choice].sum()
            if best is None or value < best - 1e-15:
                best = value
    return best


def needs_scipy() -> None:
    pytest.importorskip("scipy.optimize", reason="method='milp' needs the search extra (scipy)")


@pytest.mark.parametrize("fraction", [0.3, 0.6])
def test_milp_is_optimal_and_greedy_fits(bitfusion_table, fraction) -> None:
    needs_scipy()
    cycles = bitfusion_table.array("cycles")
    low, high = cycles[:, 0, 0].sum(), cycles[:, 7, 7].sum()
    budget = low + fraction * (high - low)
    sens = [3.0, 1.0, 0.5]
    exact = search(bitfusion_table, budget, sensitivities=sens)
    assert exact.cost <= budget
    assert exact.penalty == pytest.approx(_brute_force(bitfusion_table, budget, sens))
    greedy = search(bitfusion_table, budget, sensitivities=sens, method="greedy")
    assert greedy.cost <= budget and greedy.penalty >= exact.penalty - 1e-12


@pytest.mark.parametrize("method", ["milp", "greedy"])
def test_search_pairs_and_budget_errors(bitfusion_table, method) -> None:
    if method == "milp":
        needs_scipy()
    cycles = bitfusion_table.array("cycles")
    choice = search(bitfusion_table, cycles[:, 7, 7].sum(), pairs=[(4, 4), (8, 8)], method=method)
    assert set(zip(choice.weight_bits, choice.input_bits, strict=True)) == {(8, 8)}
    floor = cycles[:, 0, 0].sum()
    with pytest.raises(
        ConfigError,
        match=rf"search: budget: expected a cycles budget of at "
        rf"least {floor:.6g} \(every layer at its cheapest allowed bits",
    ):
        search(bitfusion_table, floor - 1, method=method)
    with pytest.raises(ConfigError, match=r"sensitivities: expected 3 non-negative numbers"):
        search(bitfusion_table, floor, sensitivities=[1.0], method=method)


# ---- sanity -------------------------------------------------------------------------------------
def test_sanity_monotonic_and_memory_wall(bitfusion_table) -> None:
    report = sanity_report(bitfusion_table)
    assert report.precision_scalable and report.ok
    for wall in report.memory_wall:
        assert wall.memory_cycles > wall.ideal_cycles
        assert wall.table_speedup < wall.promised_speedup
    assert "monotonic cycles: 0 violation(s)" in report.text()


def test_sanity_flags_a_violation(bitfusion_table) -> None:
    from dataclasses import replace

    arrays = {k: v.copy() for k, v in bitfusion_table.arrays.items()}
    arrays["cycles"][0, 0, 0] = arrays["cycles"][0, 1, 0] + 1
    report = sanity_report(replace(bitfusion_table, arrays=arrays))
    found = [
        (v.layer, v.weight_bits, v.input_bits, v.wider_weight_bits, v.wider_input_bits)
        for v in report.violations
    ]
    assert found == [("conv", 1, 1, 2, 1), ("conv", 1, 1, 1, 2)]  # 1-bit runs at 2-bit speed


# ---- command line -------------------------------------------------------------------------------
def test_cli_writes_haq_table(tmp_path: Path, capsys) -> None:
    out = tmp_path / "t.npy"
    status = main(
        [
            "cost-table",
            "--arch",
            "bitfusion",
            "--workload",
            "tiny",
            "--dataflow",
            "ws",
            "--fidelity",
            "ideal",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    assert np.load(out).shape[1:] == (8, 8)
    assert "memory wall" in capsys.readouterr().out


def test_cli_errors(tmp_path: Path, capsys) -> None:
    args = ["cost-table", "--arch", "bitfusion", "--workload", "tiny"]
    assert main([*args, "--bits", "0-8", "--out", str(tmp_path / "t.csv")]) == 2
    assert "--bits: expected bit widths from 1 to 32" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "t.txt")]) == 2
    assert "--out: expected an output file ending in .npy" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
