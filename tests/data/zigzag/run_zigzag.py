"""Run ZigZag 3.9.1 on one (hardware, network, objective) and store its per-layer results as JSON.

Not part of accelsim and not run by the tests: it needs ZigZag, installed in a venv of its own
outside the repository (``pip install zigzag-dse==3.9.1 six``). Every input it reads is in this
directory (copied unchanged from the zigzag-dse 3.9.1 wheel's ``zigzag/inputs``), so a run is
reproducible from here:

    python run_zigzag.py tpu_like resnet18 latency [LPF_LIMIT]

writes ``results/tpu_like_resnet18_latency.json``. ZigZag's settings are its API defaults: the
LOMA temporal mapper with uneven mappings, ``lpf_limit`` 6 (unless LPF_LIMIT is given: the number
of loop prime factors LOMA permutes, lower is faster), 3 spatial mappings generated when the
mapping file leaves the spatial mapping open; no inter-layer data locality.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAPPINGS = {
    "tpu_like": "tpu_like",
    "eyeriss_like": "default",
    "edge_tpu_like": "edge_tpu_like",
    "meta_prototype": "meta_prototype_like",
    "tesla_npu_like": "tesla_npu_like",
    "ascend_like": "ascend_like",
}


def layer_record(cme) -> dict:
    """The figures of one layer's best cost model evaluation, as plain JSON values."""
    from zigzag.utils import json_repr_handler

    layer = cme.layer
    return {
        "name": layer.name,
        "macs": int(layer.total_mac_count),
        "loop_sizes": {str(k): int(v) for k, v in layer.layer_dim_sizes.items()},
        "energy_pj": float(cme.energy_total),
        "mac_energy_pj": float(cme.mac_energy),
        "memory_energy_pj": float(cme.mem_energy),
        "memory_energy_pj_by_operand_and_level": {
            str(op): [float(x) for x in levels] for op, levels in cme.mem_energy_breakdown.items()
        },
        "latency_cycles": float(cme.latency_total2),
        "ideal_cycles": float(cme.ideal_cycle),
        "ideal_temporal_cycles": float(cme.ideal_temporal_cycle),
        "spatial_utilization": float(cme.mac_spatial_utilization),
        "utilization": float(cme.mac_utilization2),
        "spatial_mapping": str(cme.spatial_mapping),
        "temporal_mapping": json_repr_handler(cme.temporal_mapping),
        "word_accesses": json_repr_handler(cme.memory_word_access),
    }


def main() -> None:
    from zigzag import api
    from zigzag.cost_model.cost_model import CostModelEvaluation

    arch, network, opt = sys.argv[1:4]
    lpf_limit = int(sys.argv[4]) if len(sys.argv) > 4 else 6
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as dump:
        energy, latency, cmes = api.get_hardware_performance_zigzag(
            workload=str(HERE / f"{network}.onnx"),
            accelerator=str(HERE / "hardware" / f"{arch}.yaml"),
            mapping=str(HERE / "mapping" / f"{MAPPINGS[arch]}.yaml"),
            opt=opt,
            dump_folder=dump,
            lpf_limit=lpf_limit,
            loma_show_progress_bar=False,
        )
    wall_s = time.perf_counter() - start
    layers = [cme for cme, _ in cmes[0][1] if isinstance(cme, CostModelEvaluation)]
    record = {
        "tool": "zigzag-dse 3.9.1",
        "arch": arch,
        "network": network,
        "objective": opt,
        "settings": f"LOMA, uneven temporal mappings, lpf_limit {lpf_limit}, 3 spatial mappings, "
        "batch 1",
        "wall_s": round(wall_s, 1),
        "energy_pj": float(energy),
        "latency_cycles": float(latency),
        "layers": [layer_record(cme) for cme in layers],
    }
    out = HERE / "results" / f"{arch}_{network}_{opt}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"{out.name}: {energy / 1e6:.1f} uJ, {latency:,.0f} cycles, {wall_s:.0f} s")


if __name__ == "__main__":
    main()
