"""``accelsim scalesim``: a SCALE-Sim run (architecture .cfg + topology CSV) on accelsim's model.

``--mode compat`` (the default) reports SCALE-Sim v3.0.0's numbers, in CALC bandwidth mode and in
USER mode (DRAM stalls), digit for digit; ``--mode physical`` reports accelsim's cycle-exact
schedule without a DRAM model (see docs/systolic.md). ``--config`` and ``--topology`` take a file
or the name of a shipped example (``accelsim scalesim --config google --topology alexnet``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from accelsim.config import check_output
from accelsim.errors import ConfigError, Problem, Problems
from accelsim.systolic import examples
from accelsim.systolic.model import Mode, SystolicResult
from accelsim.systolic.run import (
    BANDWIDTH_REPORT,
    COMPUTE_REPORT,
    DETAILED_REPORT,
    SRAM_REPORT,
    simulate_network,
    write_reports,
)
from accelsim.systolic.scalesim_config import ScaleSimConfig, load_scalesim_config
from accelsim.systolic.sparsity import topology_ratios
from accelsim.workload.layer import Network
from accelsim.workload.scalesim_csv import load_scalesim_topology


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scalesim",
        help="run a SCALE-Sim config and topology on accelsim's systolic model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        required=True,
        help=f"SCALE-Sim .cfg file, or a shipped one: {', '.join(examples.config_names())}",
    )
    parser.add_argument(
        "--topology",
        required=True,
        help=f"SCALE-Sim topology CSV, or a shipped one: {', '.join(examples.topology_names())}",
    )
    parser.add_argument(
        "--out", type=Path, help="directory for the reports (default: ./<run_name from the cfg>)"
    )
    parser.add_argument(
        "--mode",
        choices=[mode.value for mode in Mode],
        default=Mode.COMPAT.value,
        help="compat: SCALE-Sim v3.0.0's numbers; physical: accelsim's schedule",
    )
    parser.add_argument(
        "--no-dram",
        action="store_true",
        help="CALC mode only: skip the DRAM model (closed form, much faster for big layers; "
        "writes COMPUTE_REPORT without the prefetch column and SRAM_ACCESS_REPORT)",
    )
    parser.add_argument(
        "--traces",
        type=Path,
        metavar="DIR",
        help="also write SCALE-Sim's SRAM traces (one line per cycle per operand: large) into "
        "DIR/layer<N>/ (off by default)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    topology = examples.topology_path(args.topology)
    config, network = _load(examples.config_path(args.config), topology)
    ratios = topology_ratios(topology) if config.sparsity else []
    mode = Mode(args.mode)
    if args.traces is not None and (
        mode is Mode.PHYSICAL or (args.no_dram and not config.user_bandwidth)
    ):
        raise ConfigError(
            Problem(
                "--traces",
                "",
                "compat mode with the DRAM model (traces come "
                "from it): drop --mode physical / --no-dram",
                show_got=False,
            )
        )
    out = args.out or Path(config.run_name)
    check_output(out, folder=True)
    for name in (COMPUTE_REPORT, SRAM_REPORT, BANDWIDTH_REPORT, DETAILED_REPORT):
        check_output(out / name)
    if args.traces is not None:
        check_output(args.traces, option="--traces", folder=True)
    results = simulate_network(
        network, config, mode, dram=not args.no_dram, ratios=ratios, traces=args.traces
    )
    paths = write_reports(results, out)
    for note in config.notes:
        print(f"note: {note}")
    if args.no_dram and config.user_bandwidth:
        print("note: --no-dram ignored: USER interface bandwidth needs the DRAM model")
    if config.user_bandwidth and mode is Mode.PHYSICAL:
        print("note: physical mode has no DRAM model; USER interface bandwidth ignored")
    print(_table(results, config, mode))
    print("wrote " + ", ".join(str(path) for path in paths))
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
        f"{config.dataflow.value}, {mode.value} mode, "
        f"{'USER' if config.user_bandwidth else 'CALC'} interface bandwidth"
    )
    header = f"{'layer':<24} {'cycles':>14} {'stalls':>8} {'overall %':>10} {'mapping %':>10}"
    lines = [title, header]
    for result in results:
        lines.append(
            f"{result.layer_name[:24]:<24} {result.cycles:>14,} {result.stall_cycles:>8,} "
            f"{result.overall_util_pct:>10.2f} {result.mapping_efficiency_pct:>10.2f}"
        )
    return "\n".join(lines)
