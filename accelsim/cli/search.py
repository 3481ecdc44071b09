"""``accelsim search TABLE --budget B``: pick per-layer (weight bits, activation bits) from a cost
table written by ``accelsim cost-table`` (.csv, .json, .npy or .npz) so that the network's total
cycles (or energy) fit the budget with the least quantization penalty (docs/precision.md).

The budget is a number in the objective's unit (cycles, or the table's energy unit), or a
percentage of the cost with every layer at the widest pair of the table (``50%``).

    accelsim cost-table --arch bitfusion --workload tiny --dataflow ws --bits 2,4,8 \\
        --out reports/tiny_bits.csv
    accelsim search reports/tiny_bits.csv --budget 50% --method greedy
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from accelsim.config import check_output
from accelsim.errors import ConfigError, Problem

OBJECTIVES = ("cycles", "energy")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "search",
        help="choose per-layer bits from a cost table under a cycles or energy budget",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("table", type=Path, help="cost table from cost-table: .csv .json .npy .npz")
    parser.add_argument(
        "--budget",
        required=True,
        help="total cost allowed: a number (cycles or energy units) or a percentage like 50%%",
    )
    parser.add_argument(
        "--objective",
        default="cycles",
        choices=OBJECTIVES,
        help="the quantity the budget limits (default cycles)",
    )
    parser.add_argument(
        "--method",
        default="milp",
        choices=["milp", "greedy"],
        help="milp: exact, needs scipy (accelsim[search]); greedy: fast (default milp)",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the choice as CSV")
    parser.set_defaults(handler=run)


def parse_budget(text: str, widest: float) -> float:
    """``text`` as an absolute budget; ``N%`` is N percent of ``widest``."""
    value = text.strip()
    scale = widest / 100 if value.endswith("%") else 1.0
    try:
        budget = float(value.rstrip("%")) * scale
    except ValueError:
        budget = math.nan
    if not math.isfinite(budget) or budget <= 0:
        expected = "a positive number, or a percentage like 50%"
        raise ConfigError(Problem("command line", "--budget", expected, text))
    return budget


def run(args: argparse.Namespace) -> int:
    from accelsim.precision import load_table
    from accelsim.precision.search import search

    if args.out is not None:
        if args.out.suffix != ".csv":
            raise ConfigError(Problem("command line", "--out", "a .csv file", str(args.out)))
        check_output(args.out)
    table = load_table(args.table)
    if args.objective not in table.arrays:
        expected = f"a quantity the table holds ({', '.join(table.arrays)})"
        raise ConfigError(Problem(str(args.table), "--objective", expected, args.objective))
    costs = table.array(args.objective)
    widest = float(costs[:, -1, -1].sum())
    choice = search(
        table, parse_budget(args.budget, widest), metric=args.objective, method=args.method
    )
    print(choice.to_frame().to_string(index=False))
    print(
        f"{args.objective}: {choice.cost:,.6g} of a budget of {choice.budget:,.6g} "
        f"({choice.cost / widest:.1%} of all layers at "
        f"w{table.weight_bits[-1]}a{table.input_bits[-1]}); "
        f"penalty {choice.penalty:.6g}; method {choice.method}"
    )
    if args.out is not None:
        from accelsim.atomic import write_csv

        print(f"wrote {write_csv(args.out, choice.to_frame())}")
    return 0
