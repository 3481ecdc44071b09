"""accelsim's own systolic dataflows behind a finite DRAM interface: an architecture that gives
each operand its own SRAM, filled and drained at set rates, stalls exactly as SCALE-Sim 3.0.0's
USER mode does on the same sizes and rates (golden runs in tests/data/scalesim, SOURCE.md there),
and pays for the DRAM words SCALE-Sim reads and writes, refetches included."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import accelsim
from accelsim.arch import arch_from_dict
from accelsim.systolic.scalesim_config import load_scalesim_config

DATA = Path(__file__).parent / "data" / "scalesim"
CASES = sorted(p.name for p in DATA.glob("user_*") if "google" not in p.name)


def report(case: str, name: str) -> list[dict[str, str]]:
    path = next((DATA / case / "scalesim").rglob(name))
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, skipinitialspace=True))
    header = [h.strip() for h in rows[0] if h.strip()]
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if row]


def arch_for(case: str) -> tuple[accelsim.Arch, str]:
    """SCALE-Sim's cfg as an accelsim architecture: three one-operand SRAMs of its sizes, the
    ifmap and filter SRAMs filled at its bank bandwidths, the ofmap SRAM drained at Bandwidth
    (8-bit words: SCALE-Sim's word is a byte)."""
    cfg = load_scalesim_config(DATA / case / "arch.cfg")
    ifmap_rate, filter_rate, ofmap_rate = cfg.dram_rates
    return arch_from_dict(
        {
            "name": case,
            "pe_array": {"rows": cfg.array_rows, "cols": cfg.array_cols},
            "network": {"systolic": True},
            "mac": {"type": "int"},
            "energy_table": "horowitz45",
            "levels": [
                {"name": "DRAM", "kind": "dram", "keeps": ["weights", "inputs", "outputs"]},
                {
                    "name": "ifmap_sram",
                    "kind": "sram",
                    "keeps": ["inputs"],
                    "capacity_kb": cfg.ifmap_sram_kb,
                    "word_bits": 8,
                    "write_bandwidth_bits_per_cycle": 8 * ifmap_rate,
                },
                {
                    "name": "filter_sram",
                    "kind": "sram",
                    "keeps": ["weights"],
                    "capacity_kb": cfg.filter_sram_kb,
                    "word_bits": 8,
                    "write_bandwidth_bits_per_cycle": 8 * filter_rate,
                },
                {
                    "name": "ofmap_sram",
                    "kind": "sram",
                    "keeps": ["outputs"],
                    "capacity_kb": cfg.ofmap_sram_kb,
                    "word_bits": 8,
                    "read_bandwidth_bits_per_cycle": 8 * ofmap_rate,
                },
            ],
        }
    ), cfg.dataflow.value


@pytest.mark.parametrize("case", CASES)
def test_stalls_and_dram_words_are_scalesim_user_modes(case: str) -> None:
    arch, flow = arch_for(case)
    network = accelsim.load_workload(DATA / case / "topology.csv")
    result = accelsim.simulate(arch, network, dataflow=f"systolic_{flow}")
    compute = report(case, "COMPUTE_REPORT.csv")
    access = report(case, "DETAILED_ACCESS_REPORT.csv")
    for layer, timing, counts in zip(result.layers, compute, access, strict=True):
        stalls = int(timing["Stall Cycles"])
        assert layer.stall_cycles == stalls
        assert layer.cycles == layer.ideal_cycles + stalls
        assert layer.stalls_by_cause == ((("DRAM", stalls),) if stalls else ())
        dram = {t.data_type.value: t for t in layer.traffic if t.level == "DRAM"}
        assert dram["inputs"].reads == int(counts["DRAM IFMAP Reads"])
        assert dram["weights"].reads == int(counts["DRAM Filter Reads"])
        assert dram["outputs"].updates == int(counts["DRAM OFMAP Writes"])


def test_ideal_fidelity_keeps_the_traffic_and_drops_the_stalls() -> None:
    arch, flow = arch_for(CASES[0])
    network = accelsim.load_workload(DATA / CASES[0] / "topology.csv")
    engine = accelsim.simulate(arch, network, dataflow=f"systolic_{flow}")
    ideal = accelsim.simulate(arch, network, dataflow=f"systolic_{flow}", fidelity="ideal")
    for timed, untimed in zip(engine.layers, ideal.layers, strict=True):
        assert untimed.cycles == timed.ideal_cycles and untimed.stall_cycles == 0
        assert untimed.traffic == timed.traffic


def test_a_unified_buffer_keeps_the_compulsory_traffic_and_no_stalls() -> None:
    # tpu_like keeps inputs and outputs in one unified buffer: no per-operand SRAMs, so the
    # systolic model runs without the SCALE-Sim memory system (each tensor moved once)
    layer = accelsim.make_layer("fc", "fc", in_features=64, out_features=32).with_batch(4)
    result = accelsim.simulate("tpu_like", layer, dataflow="systolic_ws").layers[0]
    assert result.stall_cycles == 0
    dram = {t.data_type.value: t for t in result.traffic if t.level == "DRAM"}
    assert dram["weights"].reads == 64 * 32
    assert dram["inputs"].reads == 4 * 64
    assert dram["outputs"].updates == 4 * 32
