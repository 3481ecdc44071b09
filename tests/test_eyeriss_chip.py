"""Golden results: accelsim's `eyeriss_chip` against the chip's measurements.

Source: Chen, Krishna, Emer, Sze, JSSC 52(1) 2017, AlexNet CONV1-5 at batch 4, 200 MHz core clock,
as tabulated in tests/data/reference/eyeriss_jssc17_alexnet_n4.csv (MB = 1e6 bytes, 16-bit words).
Tolerances and the gaps behind them: docs/eyeriss_chip.md.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest

import accelsim
from accelsim.results import LayerResult

CSV = Path(__file__).resolve().parent / "data" / "reference" / "eyeriss_jssc17_alexnet_n4.csv"
LAYERS = ("CONV1", "CONV2", "CONV3", "CONV4", "CONV5")


@cache
def measured() -> dict[str, dict[str, float]]:
    with CSV.open() as handle:
        return {
            row.pop("layer"): {k: float(v) for k, v in row.items()}
            for row in csv.DictReader(handle)
        }


@cache
def run(fidelity: str, objective: str = "energy") -> dict[str, LayerResult]:
    workload = accelsim.load_workload("alexnet").with_batch(4)
    result = accelsim.simulate(
        "eyeriss_chip", workload, dataflow="rs", fidelity=fidelity, objective=objective
    )
    return {layer.layer: layer for layer in result.layers}


def latency_ms(layer: LayerResult) -> float:
    return layer.cycles / (layer.clock_mhz * 1e3)


def dram_mb(layer: LayerResult, data_type: str) -> float:
    words = sum(
        t.reads + t.fills + t.updates
        for t in layer.traffic
        if t.level == "DRAM" and t.data_type.value == data_type
    )
    return words * 2 / 1e6


def rlc_ratio(zero_fraction: float) -> float:
    """The chip's run-length code: 3 pairs (5-bit run, 16-bit value) per 64-bit word."""
    return 64 / 3 / 16 * (1 - zero_fraction)


@pytest.mark.parametrize("name", LAYERS)
def test_ideal_latency_within_25_percent_of_the_chip(name: str) -> None:
    # Unlimited bandwidth: the loop bounds alone. Measured 0.88-0.97x: the chip is slower than
    # full use of its active PEs (control, PE pipeline, passes), accelsim uses fewer PEs on
    # CONV1/2 (132 and 120 against 154 and 135: the energy objective keeps exact divisors).
    ratio = latency_ms(run("ideal")[name]) / measured()[name]["processing_latency_ms"]
    assert 0.75 <= ratio <= 1.25


@pytest.mark.parametrize("name", LAYERS)
def test_the_engine_is_never_faster_than_the_loop_bounds(name: str) -> None:
    engine, ideal = run("engine")[name], run("ideal")[name]
    assert engine.cycles >= ideal.cycles


@pytest.mark.parametrize("name", LAYERS)
def test_engine_latency_within_15_percent_of_the_chips_total_latency(name: str) -> None:
    # The engine times DRAM traffic too, so it is held to the chip's total latency (processing
    # plus the DRAM transfers that do not overlap it). Measured 0.90, 1.01, 0.96, 0.93, 1.09 on
    # CONV1-5; without the psum scratchpad streaming its partial sums through the PE column, as
    # the chip does, 0.90, 1.06, 1.32, 1.27, 1.49; before the ifmap window was also refilled as
    # its first columns died, 0.96, 1.06, 1.32, 1.27, 1.49 (docs/eyeriss_chip.md: which mechanism
    # closes how much of each gap).
    ratio = latency_ms(run("engine")[name]) / measured()[name]["total_latency_ms"]
    assert 0.85 <= ratio <= 1.15


# ---- the chip's uneven folding: the mapper's cycles objective (issue #15 items 1 and 6) ------
def test_the_cycles_objective_folds_conv1_and_conv2_unevenly_as_the_chip_does() -> None:
    # The chip runs CONV1 on 154 of its 168 PEs and CONV2 on 135 (the CSV's active_pes). With
    # ceiling factors the mapper puts CONV1's R = 11 down 11 rows and P = 55 across 14 columns
    # in ceil(55 / 14) = 4 passes (14, 14, 14, then 13 busy): 11 x 14 = 154 PEs; CONV2 R = 5 x
    # M 2 down 10 rows and N 2 x C 7 across 14 columns, C = 48 in ceil(48 / 7) = 7 passes (the
    # last with 6 busy): 140 PEs at most, 10 x 2 x 48 / 7 = 137.1 on average.
    found = run("ideal", "cycles")
    assert found["CONV1"].used_pes == 11 * 14 >= 150 and measured()["CONV1"]["active_pes"] == 154
    assert found["CONV2"].used_pes == 10 * 14 >= 130 and measured()["CONV2"]["active_pes"] == 135
    # The ideal cycles are the busiest PE's steps, the padded nest's: the last pass of 13 busy
    # columns takes as long as a full one. CONV1: N 4 x M 96 x C 3 x Q 55 x S 11 x 4 passes of P.
    assert found["CONV1"].cycles == 4 * 96 * 3 * 55 * 11 * 4
    assert found["CONV1"].cycles * 154 == found["CONV1"].macs * 56 // 55  # 56 of 55 columns
    # CONV2: N 4 over 2 columns x G 2 x M 128 over 2 rows x P 27 x Q 27 x S 5 x 7 passes of C
    assert found["CONV2"].cycles == (4 // 2) * 2 * (128 // 2) * 27 * 27 * 5 * 7


CYCLES_CONV1 = (
    "CONV1 on the chip's 154 PEs: the engine takes 3,498,312 cycles, 17.5 ms against the chip's "
    "20.9 ms total latency (0.837; the ideal 2,787,840 cycles are 0.845 of the chip's 16.5 ms "
    "processing latency): the chip is slower than full use of its active PEs (control and PE "
    "pipeline overheads, not modelled; docs/eyeriss_chip.md)"
)


@pytest.mark.parametrize(
    "name",
    [pytest.param("CONV1", marks=pytest.mark.xfail(strict=True, reason=CYCLES_CONV1)), *LAYERS[1:]],
)
def test_with_the_chips_pe_use_engine_latency_within_15_percent(name: str) -> None:
    # The cycles objective's mappings (CONV1 154 PEs, CONV2 140, CONV3-5 168: one ceiling factor
    # each). Measured 0.837, 0.858, 0.859, 0.929, 1.047 of the chip's total latency.
    ratio = latency_ms(run("engine", "cycles")[name]) / measured()[name]["total_latency_ms"]
    assert 0.85 <= ratio <= 1.15


def test_the_psum_scratchpad_streams_its_partial_sums() -> None:
    psum = accelsim.arch.load_arch("eyeriss_chip").level("psum_spad")
    assert psum.streams_partial_sums and psum.capacity_words == 24


def pooled_zeros_bound(pooled_zeros: float, size: int, pooled_size: int) -> float:
    """The least zero fraction of a size x size ofmap whose 3 x 3, stride-2 max pooling (AlexNet's)
    gives ``pooled_zeros``: a pooled zero needs its whole window of 9 zeros, and a value lies in at
    most 2 x 2 windows, so the zeros number at least 9 / 4 per zero window."""
    return 9 / 4 * pooled_zeros * pooled_size**2 / size**2


# The zero fraction of each ofmap as it goes to DRAM: the next layer's ifmap zeros where no pooling
# follows (CONV3, CONV4) is exact; where max pooling follows the pre-pooling fraction is unknown,
# bounded below through the pooled one (CONV1 55 -> 27 with CONV2's measured ifmap zeros 38.7 %:
# at least 21.0 %; CONV2 27 -> 13 with CONV3's 72.5 %: at least 37.8 %; CONV5 feeds FC1, not
# measured: 0) and above by 1 (all zeros). Pairs: (low, high) zero fraction of the ofmap.
OFMAP_ZEROS = {
    "CONV1": (pooled_zeros_bound(0.387, 55, 27), 1.0),
    "CONV2": (pooled_zeros_bound(0.725, 27, 13), 1.0),
    "CONV3": (0.793, 0.793),
    "CONV4": (0.776, 0.776),
    "CONV5": (0.0, 1.0),
}

CONV1_DRAM = (
    "CONV1: accelsim moves 3.63 MB uncompressed (weights 0.07, ifmap 1.24, ofmap 2.32) against "
    "the chip's 5.0 MB (0.73x); coded with the chip's RLC (ifmap zeros 0.01 %: 1.65 MB) and the "
    "ofmap's zeros between 21.0 % (the bound from the pooled 38.7 %) and 100 %, 1.72-4.17 MB, a "
    "window of 1.49-4.79 MB with the 15 % margin: the chip moves more CONV1 data than accelsim's "
    "mapping does"
)


@pytest.mark.parametrize(
    "name",
    [pytest.param("CONV1", marks=pytest.mark.xfail(strict=True, reason=CONV1_DRAM)), *LAYERS[1:]],
)
def test_dram_traffic_matches_once_run_length_coding_is_applied(name: str) -> None:
    # accelsim moves 16-bit words uncompressed (0.73-2.0x the measured MB); coding its ifmaps and
    # ofmaps with the chip's RLC at the measured zero fractions brackets the chip's traffic to
    # within 15 % (packing to whole words, the 31-zero run cap and the padded ifmaps accelsim
    # reads from DRAM are not in the arithmetic). Measured on CONV2-5: 4.0 MB against a bracket
    # of 3.03-4.27, 3.0 against 2.93, 2.1 against 2.05, 1.3 against 1.30-1.76.
    layer, row = run("engine")[name], measured()[name]
    ifmap = dram_mb(layer, "inputs") * rlc_ratio(row["ifmap_zeros_pct"] / 100)
    coded = [
        dram_mb(layer, "weights") + ifmap + dram_mb(layer, "outputs") * rlc_ratio(zeros)
        for zeros in OFMAP_ZEROS[name]
    ]
    assert min(coded) / 1.15 <= row["dram_accesses_mb"] <= max(coded) * 1.15


def test_the_chip_config_has_the_papers_data_paths() -> None:
    buffer, dram = (accelsim.arch.load_arch("eyeriss_chip").level(n) for n in ("buffer", "DRAM"))
    assert buffer.read_bandwidth_bits == 3 * 64  # filter, ifmap, psum input networks
    assert buffer.write_bandwidth_bits == 2 * 64  # psum output network, path from DRAM
    assert dram.read_bandwidth_bits == 64
