"""``accelsim cost-table``: per-layer cost tables over (weight bits, activation bits) pairs.

The output format follows the file's suffix: ``.npy`` HAQ's latency table (int64 cycles, shape
(layers, 8, 8), indexed [layer, weight_bits - 1, input_bits - 1]; needs --bits 1-8); ``.npz``
HAWQ-V3's per-layer INT4 / INT8 latency arrays; ``.csv`` / ``.json`` the long form, one row per
layer and bit pair. A sanity report (monotonic cycles, memory-wall layers) is printed.

    accelsim cost-table --arch bitfusion --workload mobilenet_v2 --dataflow ws --batch 16 \\
        --bits 1-8 --out reports/mobilenet_v2_haq.npy
"""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.errors import ConfigError, Problem

METRIC_COLUMNS = {
    "cycles": ["cycles", "ideal_cycles", "stall_cycles", "memory_cycles", "seconds"],
    "energy": ["energy", "energy_compute", "energy_onchip", "energy_dram"],
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cost-table",
        help="per-layer latency/energy for every (weight bits, activation bits) pair",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--arch", required=True, help="built-in name or YAML file")
    parser.add_argument("--workload", required=True, help="built-in name or file (.onnx too)")
    parser.add_argument("--bits", default="1-8", help="bit widths: 1-8 or 2,4,8 (default 1-8)")
    parser.add_argument(
        "--weight-bits", "--w-bits", default=None, help="weight bits, if not --bits"
    )
    parser.add_argument(
        "--input-bits", "--a-bits", default=None, help="activation bits, if not --bits"
    )
    parser.add_argument("--batch", type=int, default=None, help="batch size")
    parser.add_argument("--dataflow", default="rs", help="dataflow (default rs)")
    parser.add_argument("--metric", default="cycles", choices=["cycles", "energy", "both"])
    parser.add_argument("--remap", default="shared", choices=["shared", "best"])
    parser.add_argument("--fidelity", default="engine", choices=["engine", "ideal"])
    parser.add_argument("--unsupported", default="promote", choices=["promote", "nan", "error"])
    parser.add_argument("--out", type=Path, required=True, help=".npy, .npz, .csv or .json")
    parser.set_defaults(handler=run)


def parse_bits(text: str, *, option: str = "--bits") -> list[int]:
    """``1-8`` -> [1, ..., 8]; ``2,4,8`` -> [2, 4, 8]; ConfigError for anything else."""
    values: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.strip().partition("-")
            values += range(int(low), int(high or low) + 1)
    except ValueError:
        values = []
    if not values or not all(1 <= v <= 32 for v in values):
        expected = "bit widths from 1 to 32, as a range 1-8 or a list 2,4,8"
        raise ConfigError(Problem("command line", option, expected, text))
    return values


def run(args: argparse.Namespace) -> int:
    from accelsim.precision import cost_table
    from accelsim.precision.export import FORMATS, write_table
    from accelsim.precision.sanity import sanity_report

    if args.out.suffix not in FORMATS:
        expected = f"an output file ending in {', '.join(FORMATS)}"
        raise ConfigError(Problem("command line", "--out", expected, str(args.out)))
    if args.batch is not None and args.batch < 1:
        raise ConfigError(Problem("command line", "--batch", "a positive integer", args.batch))
    weight_bits = parse_bits(
        args.weight_bits or args.bits, option="--w-bits" if args.weight_bits else "--bits"
    )
    input_bits = parse_bits(
        args.input_bits or args.bits, option="--a-bits" if args.input_bits else "--bits"
    )
    table = cost_table(
        args.arch,
        args.workload,
        weight_bits,
        input_bits,
        batch=args.batch,
        dataflow=args.dataflow,
        metric=args.metric,
        unsupported=args.unsupported,
        remap=args.remap,
        fidelity=args.fidelity,
    )
    columns = None if args.metric == "both" else METRIC_COLUMNS[args.metric]
    path = write_table(table, args.out, columns=columns)
    print(
        f"{table.network} on {table.arch} ({table.dataflow}, batch {table.batch}): "
        f"{len(table.layers)} layers x {len(weight_bits)} x {len(input_bits)} bit pairs"
    )
    print(sanity_report(table).text())
    print(f"wrote {path}")
    return 0
