"""Time the MobileNetV2 x 8 x 8 cost table on the BitFusion-like design, cold and warm, and
optionally plot the latency-vs-bits Pareto front (the search helper at a sweep of budgets).

    python bench/bench_precision.py [--remap shared|best] [--fidelity engine|ideal] [--repeats 3]
                                    [--plot PNG]

Cold is a table with every cache emptied first (mapper, analysis and table caches, as in a fresh
process); warm is the same table again. Prints the median of ``--repeats`` runs of each.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from accelsim.api import clear_caches
from accelsim.precision import clear_cache, cost_table
from accelsim.precision.sanity import sanity_report
from accelsim.precision.search import search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--remap", default="shared", choices=["shared", "best"])
    parser.add_argument("--fidelity", default="engine", choices=["engine", "ideal"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--plot", type=Path, default=None, help="write the Pareto plot here")
    args = parser.parse_args()
    options = dict(batch=16, dataflow="ws", remap=args.remap, fidelity=args.fidelity)
    colds, warms = [], []
    for _ in range(args.repeats):
        clear_caches()
        clear_cache()
        start = time.perf_counter()
        table = cost_table("bitfusion", "mobilenet_v2", **options)
        colds.append(time.perf_counter() - start)
        start = time.perf_counter()
        cost_table("bitfusion", "mobilenet_v2", **options)
        warms.append(time.perf_counter() - start)
    print(
        f"mobilenet_v2 x 8 x 8 on bitfusion ({args.remap}, {args.fidelity}): "
        f"{len(table.layers) * 64} layer-evaluations"
    )
    cold, warm = statistics.median(colds), statistics.median(warms)
    print(f"cold {cold:.2f} s  warm {warm:.3f} s (median of {args.repeats})")
    report = sanity_report(table)
    print(
        f"monotonic violations: {len(report.violations)}; memory-wall layers: "
        f"{len(report.memory_wall)}"
    )
    if args.plot is not None:
        plot_pareto(table, args.plot)
        print(f"wrote {args.plot}")


def pareto_points(table, count: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """(MAC-weighted mean bits, total cycles) of the search's answers over a sweep of budgets:
    each maximises the mean bits (penalty = minus the layer's MAC share times w + a)."""
    cycles = table.array("cycles")
    share = np.array(table.macs, dtype=float) / sum(table.macs)
    bits = np.add.outer(np.array(table.weight_bits), np.array(table.input_bits)) / 2
    penalty = -share[:, None, None] * bits[None, :, :]
    low, high = cycles.min(axis=(1, 2)).sum(), cycles.max(axis=(1, 2)).sum()
    points = []
    for budget in np.linspace(low, high, count):
        choice = search(table, budget, penalty=penalty)
        mean = float(np.dot(share, np.add(choice.weight_bits, choice.input_bits) / 2))
        points.append((mean, choice.cost))
    return np.array(points).T


def plot_pareto(table, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mean_bits, total = pareto_points(table)
    cycles = table.array("cycles")
    uniform = [(b, cycles[:, b - 1, b - 1].sum()) for b in table.weight_bits]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.step(mean_bits, total / 1e6, where="post", label="mixed precision (milp)")
    ax.plot(*zip(*[(b, c / 1e6) for b, c in uniform], strict=True), "o", label="uniform w = a")
    ax.set_xlabel("MAC-weighted mean bits ((w + a) / 2)")
    ax.set_ylabel("latency (million cycles)")
    ax.set_title(f"MobileNetV2 on {table.arch}, batch {table.batch}: latency vs bits")
    ax.grid(alpha=0.3)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
