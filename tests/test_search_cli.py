"""``accelsim search`` and ``accelsim.precision.load_table``: a table written by ``cost-table``
in each format reads back to the same numbers, and the search over it is checked against a
brute-force enumeration of every per-layer choice."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.errors import ConfigError
from accelsim.precision import CostTable, load_table
from accelsim.precision.sanity import sanity_report
from accelsim.precision.search import default_penalty

TABLE_ARGS = ["--arch", "bitfusion", "--workload", "tiny", "--dataflow", "ws", "--bits", "1-8"]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny network's table on BitFusion (3 layers x 8 x 8 pairs) in every format."""
    folder = tmp_path_factory.mktemp("tables")
    paths = {suffix: folder / f"tiny{suffix}" for suffix in (".csv", ".json", ".npy", ".npz")}
    for suffix, path in paths.items():
        metric = ["--metric", "both"] if suffix in (".csv", ".json") else []
        assert main(["cost-table", "-q", *TABLE_ARGS, *metric, "--out", str(path)]) == 0
    return paths


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_long_forms_read_back_whole(written: dict[str, Path], suffix: str) -> None:
    table = load_table(written[suffix])
    assert table.layers == ("conv1", "conv2", "fc")
    assert table.weight_bits == table.input_bits == tuple(range(1, 9))
    assert (table.network, table.arch, table.dataflow, table.batch) == (
        "tiny",
        "bitfusion",
        "ws",
        1,
    )
    assert table.macs == (8 * 8 * 4 * 3 * 3 * 3, 4 * 4 * 8 * 4 * 3 * 3, 128 * 10)
    npy = np.load(written[".npy"])
    assert np.array_equal(table.array("cycles"), npy.astype(float))  # same run, another format


def test_haq_and_hawq_files_read_back(written: dict[str, Path]) -> None:
    haq = load_table(written[".npy"])
    reference = load_table(written[".csv"]).array("cycles")
    assert haq.layers == ("layer0", "layer1", "layer2") and np.array_equal(haq.array(), reference)
    hawq = load_table(written[".npz"])
    assert hawq.layers == ("conv1", "conv2", "fc") and hawq.weight_bits == (4, 8)
    cycles = hawq.array("cycles")
    assert np.array_equal(cycles[:, 0, 0], reference[:, 3, 3])  # INT4 = w4a4
    assert np.array_equal(cycles[:, 1, 1], reference[:, 7, 7])  # INT8 = w8a8
    assert np.isnan(cycles[:, 0, 1]).all() and np.isnan(cycles[:, 1, 0]).all()


def brute_force(table: CostTable, metric: str, budget: float) -> float:
    """The least total default penalty over every assignment of pairs within the budget."""
    cost = table.array(metric).reshape(len(table.layers), -1)
    weight = default_penalty(table).reshape(cost.shape)
    best = np.inf
    for choice in itertools.product(range(cost.shape[1]), repeat=len(table.layers)):
        rows = np.arange(len(table.layers))
        if cost[rows, choice].sum() <= budget:
            best = min(best, weight[rows, choice].sum())
    return float(best)


@pytest.mark.parametrize("objective", ["cycles", "energy"])
def test_search_command_finds_the_brute_force_optimum(
    written: dict[str, Path], objective: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("scipy", reason="the milp method needs scipy (accelsim[search])")
    table = load_table(written[".csv"])
    widest = table.array(objective)[:, -1, -1].sum()
    argv = ["search", str(written[".csv"]), "--budget", "50%", "--objective", objective]
    assert main(argv) == 0
    out = capsys.readouterr().out
    penalty = float(out.split("penalty ")[1].split(";")[0])
    assert penalty == pytest.approx(brute_force(table, objective, 0.5 * widest), rel=1e-5)
    assert f"of a budget of {0.5 * widest:,.6g}" in out


def test_search_on_hawq_arrays_picks_int4_or_int8(
    written: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out_csv = written[".npz"].parent / "choice.csv"
    argv = ["search", str(written[".npz"]), "--budget", "80%", "--method", "greedy"]
    assert main([*argv, "--out", str(out_csv)]) == 0
    rows = out_csv.read_text().splitlines()
    assert rows[0] == "layer,weight_bits,input_bits"
    assert all(row.split(",")[1] == row.split(",")[2] in ("4", "8") for row in rows[1:])


@pytest.mark.parametrize(
    ("content", "suffix", "expected"),
    [
        (
            "layer,weight_bits\nconv1,8\n",
            ".csv",
            "columns: expected columns layer, weight_bits, input_bits",
        ),
        (
            "layer,weight_bits,input_bits,cycles\nc,8,8,-1\n",
            ".csv",
            "cycles: expected non-negative",
        ),
        (
            "layer,weight_bits,input_bits,cycles\nc,8,8,inf\n",
            ".csv",
            "cycles: expected non-negative",
        ),
        (
            "layer,weight_bits,input_bits,cycles\nc,8,8,1\nc,8,8,2\n",
            ".csv",
            "rows: expected one row",
        ),
        (
            "layer,weight_bits,input_bits,cycles\nc,x,8,1\n",
            ".csv",
            "weight_bits: expected whole numbers",
        ),
        ('{"layer": 1}', ".json", "expected a JSON list of records"),
        ("not numpy", ".npy", "expected a NumPy array file"),
        ("not numpy", ".npz", "expected a NumPy .npz archive"),
        ("", ".txt", "expected a cost table file ending in .npy, .npz, .csv, .json"),
    ],
)
def test_bad_tables_are_config_errors(
    tmp_path: Path, content: str, suffix: str, expected: str
) -> None:
    path = tmp_path / f"t{suffix}"
    path.write_text(content)
    with pytest.raises(ConfigError, match="^" + str(path).replace(".", r"\.")) as caught:
        load_table(path)
    assert expected in str(caught.value)


@pytest.mark.parametrize("budget", ["0", "-5", "lots", "nan", "inf", "%"])
def test_bad_budget(written: dict[str, Path], budget: str, capsys) -> None:
    assert main(["search", str(written[".csv"]), "--budget", budget]) == 2
    assert (
        "--budget: expected a positive number, or a percentage like 50%" in capsys.readouterr().err
    )


def test_budget_below_the_cheapest_choice(written: dict[str, Path], capsys) -> None:
    assert main(["search", str(written[".npy"]), "--budget", "1"]) == 2
    assert "budget" in capsys.readouterr().err


def memory_wall_table(ideal_narrow: float, cycles_narrow: float, memory_narrow: float) -> CostTable:
    """One layer, bits 1 and 8; at w8a8: 800 ideal and engine cycles, a memory bound of 10."""

    def grid(wide: float, narrow: float) -> np.ndarray:
        values = np.full((1, 2, 2), float(wide))
        values[0, 0, 0] = narrow
        return values

    arrays = {
        "ideal_cycles": grid(800, ideal_narrow),
        "cycles": grid(800, cycles_narrow),
        "memory_cycles": grid(10, memory_narrow),
        "macs_per_cycle": grid(1, 64),
    }
    return CostTable("n", "a", "ws", "cycles", 1, "pJ", ("l",), (800,), (1, 8), (1, 8), arrays)


def test_memory_wall_lists_only_layers_short_of_the_promise() -> None:
    """promised = ideal w8a8 / ideal w1a1; table = max(cycles, memory) w8a8 / the same at w1a1."""
    capped = sanity_report(memory_wall_table(12.5, 12.5, 50)).memory_wall
    assert [(m.promised_speedup, m.table_speedup) for m in capped] == [(800 / 12.5, 800 / 50)]
    assert sanity_report(memory_wall_table(40, 30, 39.9)).memory_wall == ()  # memory < compute
    short = sanity_report(memory_wall_table(40, 30, 41)).memory_wall  # 800 / 41 = 19.5x < 20x
    assert [m.table_speedup for m in short] == [800 / 41]
    beats = memory_wall_table(40, 35, 45)  # memory 45 > compute 40 at w1a1 ...
    beats.arrays["cycles"][0, 1, 1] = 1000  # ... but w8a8 ran 1000 cycles: 1000 / 45 = 22x > 20x
    assert sanity_report(beats).memory_wall == ()


def test_the_readme_example(written: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """README.md's worked example prints exactly what the command prints."""
    assert main(["search", str(written[".csv"]), "--budget", "50%", "--method", "greedy"]) == 0
    printed = capsys.readouterr().out.splitlines()
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    example = readme.split("accelsim search t.csv --budget 50% --method greedy\n")[1]
    assert printed == example.split("\n```")[0].splitlines()
