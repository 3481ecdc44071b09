"""accelsim timeloop: the command, the readers' other forms (v0.2/v0.3 trees, merged files, the
general problem shape) and bad input (one ConfigError naming file, path, value and expectation;
exit status 2; no stats written)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import accelsim
from accelsim.cli import main
from accelsim.errors import ConfigError
from accelsim.timeloop import evaluate_case, load_case
from accelsim.timeloop.problem import read_problem

DATA = Path(__file__).parent / "data" / "timeloop"
FILES = ("arch.yaml", "prob.yaml", "map.yaml", "ERT.yaml")


def copy_case(name: str, tmp_path: Path) -> list[Path]:
    for file in FILES:
        shutil.copy(DATA / name / file, tmp_path / file)
    return [tmp_path / file for file in FILES]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_cli_writes_stats_json_in_the_issue_schema(tmp_path: Path, capsys) -> None:
    inputs = copy_case("conv1d_2level_ws", tmp_path)
    out = tmp_path / "out"
    assert main(["timeloop", *map(str, inputs), "--out", str(out)]) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert set(stats) == {"cycles", "energy_uj", "computes", "levels"}
    # 1-D convolution P = 16, R = 3, weight stationary in a 64-entry buffer under main memory
    # (timeloop-model.stats.txt of the tutorial): 16 x 3 MACs, one per cycle.
    assert (stats["cycles"], stats["computes"]) == (16 * 3, 16 * 3)
    [buffer, memory] = stats["levels"]
    assert (buffer["name"], buffer["instances"], memory["name"]) == ("Buffer", 1, "MainMemory")
    assert buffer["dataspaces"] == {
        "Weights": {"reads": 48, "fills": 3, "updates": 0, "link_transfers": 0},
        # R outermost: each of the 3 windows of 16 inputs slides by one, 16 + 1 + 1 fetched
        "Inputs": {"reads": 48, "fills": 16 + 2, "updates": 0, "link_transfers": 0},
        # 16 outputs, 3 passes: the first pass starts from zero (no read, no fill)
        "Outputs": {"reads": 48 - 16, "fills": 0, "updates": 48, "link_transfers": 0},
    }
    assert "Buffer" in capsys.readouterr().out
    assert (out / "stats.txt").is_file()


def test_one_file_holding_every_key(tmp_path: Path) -> None:
    inputs = copy_case("conv1d_2level_ws", tmp_path)
    merged = tmp_path / "all.yaml"
    merged.write_text("".join(path.read_text() + "\n" for path in inputs))
    one = evaluate_case(load_case([merged]))
    four = evaluate_case(load_case(inputs))
    assert one == four


def test_v02_tree_and_elision_switch_reproduce_the_2020_output(tmp_path: Path) -> None:
    # The 2020 Eyeriss-like spec (subtree/local, PE[0..167], word-bits/block-size) and a
    # Timeloop build of 2020, whose outputs' fills include the first visit.
    case = DATA / "eyeriss_like_vgg16_conv3_1"
    inputs = [case / file for file in FILES]
    old = evaluate_case(load_case(inputs), elide_first_read=False)
    levels = {level.name: level for level in old.levels}
    assert levels["shared_glb"].dataspaces["Inputs"]["reads"] == 168 * 118_784
    assert levels["psum_spad"].dataspaces["Outputs"]["fills"] == 458_752
    assert levels["shared_glb"].dataspaces["Outputs"]["fills"] == 802_816
    assert (levels["DummyBuffer"].instances, levels["psum_spad"].instances) == (14, 168)
    new = evaluate_case(load_case(inputs))
    levels = {level.name: level for level in new.levels}
    # psum_spad: 57,344 outputs per PE arrive 8 times (C = 8 at DRAM); the first is elided.
    assert levels["psum_spad"].dataspaces["Outputs"]["fills"] == 458_752 - 57_344
    assert levels["shared_glb"].dataspaces["Outputs"]["fills"] == 0  # each output once


def test_matrix_multiply_with_data_spaces_a_b_z() -> None:
    shape = {
        "name": "MatMul",
        "dimensions": ["M", "K", "N"],
        "data_spaces": [
            {"name": "A", "projection": [[["M"]], [["K"]]]},
            {"name": "B", "projection": [[["K"]], [["N"]]]},
            {"name": "Z", "projection": [[["M"]], [["N"]]], "read_write": True},
        ],
    }
    problem = read_problem({"shape": shape, "instance": {"M": 4, "K": 6, "N": 5}}, "mm.yaml")
    # Z[m][n] += A[m][k] B[k][n]: m is the batch-like dimension, k the reduction, n the outputs
    assert problem.dims == {"M": "N", "K": "C", "N": "M"}
    assert {dt.value: name for dt, name in problem.spaces.items()} == {
        "inputs": "A",
        "weights": "B",
        "outputs": "Z",
    }
    assert problem.layer.macs == 4 * 6 * 5


def test_unsupported_shape_says_why() -> None:
    shape = {
        "dimensions": ["A", "B"],
        "data_spaces": [
            {"name": "X", "projection": [[["A"]], [["B"]]]},
            {"name": "Y", "projection": [[["A"]], [["B"]]]},
            {"name": "Z", "projection": [[["A"]], [["B"]]], "read_write": True},
        ],
    }
    with pytest.raises(ConfigError) as error:
        read_problem({"shape": shape, "instance": {"A": 2, "B": 2}}, "odd.yaml")
    assert "odd.yaml: problem.shape.dimensions: expected dimensions that map onto a conv" in str(
        error.value
    )


BAD_INPUTS = [
    (
        "arch.yaml",
        "  - !Component\n    name: Buffer",
        "  - !Bogus\n    name: Buffer",
        "arch.yaml: line 18: expected a known tag (!Container, ",
        "got '!Bogus'",
    ),
    (
        "arch.yaml",
        "      depth: 64\n      width: 8\n      datawidth: 8\n",
        "      depth: 64\n      width: 8\n",
        "arch.yaml: architecture.nodes[2].attributes.datawidth: expected the word width in bits",
        "",
    ),
    (
        "arch.yaml",
        "    name: Buffer\n",
        "    name: Buffer[3..1]\n",
        "arch.yaml: architecture.nodes[2].name: expected a name, optionally with an instance range",
        "got 'Buffer[3..1]'",
    ),
    (
        "map.yaml",
        "factors: R=1 P=16",
        "factors: R=1 P=8",
        "map.yaml: mapping.factors.P: expected factors multiplying to the problem's P = 16",
        "got 8",
    ),
    (
        "ERT.yaml",
        "          - name: update\n",
        "          - name: not_update\n",
        "ERT.yaml: ERT.tables[MainMemory].actions: expected one of random_update, random_write,",
        "(to price its updates)",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "message", "detail"), BAD_INPUTS)
def test_bad_input_is_one_clear_error_and_exit_2(
    tmp_path: Path, capsys, file: str, old: str, new: str, message: str, detail: str
) -> None:
    inputs = copy_case("conv1d_2level_ws", tmp_path)
    edit(tmp_path / file, old, new)
    if file == "ERT.yaml":  # without 'write' too, nothing can price an update
        edit(tmp_path / file, "          - name: write\n", "          - name: not_write\n")
    out = tmp_path / "out"
    assert main(["timeloop", *map(str, inputs), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert detail in err
    assert "Traceback" not in err
    assert not out.exists()


def test_v03_tree_of_the_front_ends_merged_input(tmp_path: Path) -> None:
    # The front end's parsed-processed-input.yaml (architecture as a v0.3 tree, plus keys that
    # evaluation ignores, and an empty mapping replaced by the mapper's, given after it) counts
    # exactly as the v0.4 spec with its tags does.
    case = DATA / "simple_weight_stationary"
    merged = [case / "parsed-processed-input.yaml", case / "map.yaml", case / "ERT.yaml"]
    tree = evaluate_case(load_case(merged))
    tagged = evaluate_case(load_case([case / file for file in FILES]))
    assert tree.levels == tagged.levels
    assert (tree.cycles, tree.computes) == (tagged.cycles, tagged.computes) == (903_168, 10_838_016)


def test_cycles_are_throttled_by_the_busiest_port(tmp_path: Path) -> None:
    # Timeloop: cycles = compute steps x the worst level's slowdown, per-instance fills +
    # updates over write bandwidth (and reads over read bandwidth). Its simple_pim output of the
    # exercises shows it: shared_glb writes 153,228 + 3,211,264 + 3,211,264 at 16 words/cycle
    # -> 410,985 cycles. Here the 1-D convolution's Buffer gets 0.25 words/cycle of writes:
    # fills 3 + 18 + 0 and updates 48 -> (21 + 48) / 0.25 = 276 cycles, above the 48 steps and
    # above the reads (48 + 48 + 32 at 2 words/cycle: 64).
    inputs = copy_case("conv1d_2level_ws", tmp_path)
    edit(
        tmp_path / "arch.yaml",
        "      depth: 64\n",
        "      depth: 64\n      write_bandwidth: 0.25\n      read_bandwidth: 2\n",
    )
    result = evaluate_case(load_case(inputs))
    assert (result.compute_cycles, result.cycles) == (48, (21 + 48) * 4)


def test_without_an_ert_the_energy_table_prices_as_evaluate_does(tmp_path: Path) -> None:
    # One level under the MAC (MainMemory keeps everything; no first fill to elide there): the
    # same counts priced with accelsim's timeloop45 table as `accelsim evaluate` prices them.
    case = DATA / "conv1d_1level"
    loaded = load_case([case / file for file in ("arch.yaml", "prob.yaml", "map.yaml")])
    result = evaluate_case(loaded)
    assert result.energy_pj == pytest.approx(
        accelsim.evaluate(
            loaded.arch, loaded.problem.layer, loaded.mapping, fidelity="ideal"
        ).energy,
        rel=1e-12,
    )
    assert (
        result.levels[0].dataspaces
        == evaluate_case(load_case([case / file for file in FILES])).levels[0].dataspaces
    )


def test_engine_fidelity_prints_the_engines_cycles_beside(tmp_path: Path, capsys) -> None:
    inputs = copy_case("conv1d_2level_ws", tmp_path)
    argv = ["timeloop", *map(str, inputs), "--out", str(tmp_path / "o"), "--fidelity", "engine"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    result = evaluate_case(load_case(inputs), fidelity="engine")
    # The engine never beats the compute steps (16 x 3 MACs on one MAC unit).
    assert result.engine_cycles is not None and result.engine_cycles >= 16 * 3
    assert f"Cycles (engine): {result.engine_cycles:,}" in out
    assert "Cycles: 48 (compute steps 48)" in out
