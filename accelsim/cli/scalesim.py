"""``accelsim scalesim``: a SCALE-Sim run (architecture .cfg + topology CSV) on accelsim's model.

``--mode compat`` (the default) reports SCALE-Sim v3.0.0's numbers in CALC bandwidth mode, digit
for digit; ``--mode physical`` reports accelsim's cycle-exact schedule (see docs/systolic.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from accelsim.config import check_output
from accelsim.errors import Problems
from accelsim.systolic.model import Mode, SystolicResult
from accelsim.systolic.run import COMPUTE_REPORT, SRAM_REPORT, simulate_network, write_reports
from accelsim.systolic.scalesim_config import ScaleSimConfig, load_scalesim_config
from accelsim.workload.layer import Network
from accelsim.workload.scalesim_csv import load_scalesim_topology


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scalesim",
        help="run a SCALE-Sim config and topology on accelsim's systolic model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", required=True, type=Path, help="SCALE-Sim .cfg file")
    parser.add_argument("--topology", required=True, type=Path, help="SCALE-Sim topology CSV")
    parser.add_argument(
        "--out", type=Path, help="directory for the reports (default: ./<run_name from the cfg>)"
    )
    parser.add_argument(
        "--mode",
        choices=[mode.value for mode in Mode],
        default=Mode.COMPAT.value,
        help="compat: SCALE-Sim v3.0.0's numbers; physical: accelsim's schedule",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config, network = _load(args.config, args.topology)
    out = args.out or Path(config.run_name)
    check_output(out, folder=True)
    for name in (COMPUTE_REPORT, SRAM_REPORT):
        check_output(out / name)
    results = simulate_network(network, config, Mode(args.mode))
    compute_path, sram_path = write_reports(results, out)
    print(_table(results, config, Mode(args.mode)))
    print(f"wrote {compute_path} and {sram_path}")
    return 0


def _load(config_path: Path, topology_path: Path) -> tuple[ScaleSimConfig, Network]:
    """Both inputs, with the problems of both reported at once."""
    found = Problems()
    config = network = None
    with found.collecting():
        config = load_scalesim_config(config_path)
    with found.collecting():
        network = load_scalesim_topology(topology_path)
    found.raise_if_any()
    assert config is not None and network is not None
    return config, network


def _table(results: Sequence[SystolicResult], config: ScaleSimConfig, mode: Mode) -> str:
    title = (
        f"{config.run_name}: {config.array_rows}x{config.array_cols} array, "
        f"{config.dataflow.value}, {mode.value} mode"
    )
    header = f"{'layer':<24} {'cycles':>14} {'stalls':>8} {'overall %':>10} {'mapping %':>10}"
    lines = [title, header]
    for result in results:
        lines.append(
            f"{result.layer_name[:24]:<24} {result.cycles:>14,} {result.stall_cycles:>8,} "
            f"{result.overall_util_pct:>10.2f} {result.mapping_efficiency_pct:>10.2f}"
        )
    return "\n".join(lines)
