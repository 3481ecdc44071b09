"""The SCALE-Sim configs and topologies shipped with accelsim: every one loads, and runs by name."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from accelsim.cli import main
from accelsim.systolic import examples
from accelsim.systolic.gemm import SystolicDataflow
from accelsim.systolic.scalesim_config import load_scalesim_config
from accelsim.workload.scalesim_csv import load_scalesim_topology


def test_the_shipped_names():
    assert examples.config_names() == ["google", "scale"]
    assert examples.topology_names() == ["alexnet", "mobilenet", "resnet18"]


@pytest.mark.parametrize("name", examples.config_names())
def test_every_shipped_config_loads(name):
    config = load_scalesim_config(examples.config_path(name))
    assert config.notes == ()
    expected = {
        "google": (256, SystolicDataflow.OS, True),
        "scale": (32, SystolicDataflow.WS, False),
    }
    assert (config.array_rows, config.dataflow, config.user_bandwidth) == expected[name]


@pytest.mark.parametrize("name", examples.topology_names())
def test_every_shipped_topology_loads(name):
    network = load_scalesim_topology(examples.topology_path(name))
    counts = {"alexnet": 5, "resnet18": 21, "mobilenet": 28}
    assert len(network.layers) == counts[name]
    if name == "alexnet":  # conv1: 55 x 55 outputs of an 11 x 11 x 3 window, 96 filters
        assert network.layers[0].macs == 55 * 55 * 11 * 11 * 3 * 96


def test_runnable_by_name(tmp_path, capsys):
    arguments = ["--config", "scale", "--topology", "alexnet", "--out", str(tmp_path), "--no-dram"]
    assert main(["scalesim", *arguments]) == 0
    assert (
        "scale_example_run_32x32_ws: 32x32 array, ws, compat mode, CALC" in capsys.readouterr().out
    )
    report = (tmp_path / "COMPUTE_REPORT.csv").read_text().splitlines()
    # conv1 on 32 x 32, ws: ceil(363 / 32) x 96 / 32 = 12 x 3 folds of 2*32 + 32 + 55*55 - 2 cycles,
    # SCALE-Sim's 112283 (its own regression test, see test_scalesim_compat.py).
    assert report[1].split(",")[1] == str(12 * 3 * (2 * 32 + 32 + 55 * 55 - 2) - 1) == "112283"
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "COMPUTE_REPORT.csv",
        "SRAM_ACCESS_REPORT.csv",
    ]


@pytest.mark.parametrize("network", ["alexnet", "resnet18"])
def test_google_on_whole_networks_are_golden_cases(network):
    # tests/data/scalesim/user_google_<network> holds SCALE-Sim's reports for these two files
    # (compared column by column in test_scalesim_user.py).
    data = Path(__file__).parent / "data" / "scalesim" / f"user_google_{network}"
    assert filecmp.cmp(data / "arch.cfg", examples.config_path("google"), shallow=False)
    assert filecmp.cmp(data / "topology.csv", examples.topology_path(network), shallow=False)


def test_physical_mode_ignores_user_bandwidth_with_a_note(tmp_path, capsys):
    topology = tmp_path / "one.csv"
    topology.write_text(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
        "Num Filter, Strides,\nL, 4, 4, 1, 1, 6, 4, 1,\n"
    )
    arguments = ["--config", "google", "--topology", str(topology), "--mode", "physical"]
    assert main(["scalesim", *arguments, "--out", str(tmp_path / "out")]) == 0
    assert "note: physical mode has no DRAM model; USER interface bandwidth ignored" in (
        capsys.readouterr().out
    )
    report = (tmp_path / "out" / "COMPUTE_REPORT.csv").read_text().splitlines()
    # 16 pixels x 6 window x 4 filters on 256 x 256, one partial fold: T + R + r + c - 2.
    assert report[1].split(",")[:3] == ["0", str(6 + 256 + 16 + 4 - 2), "0"]
