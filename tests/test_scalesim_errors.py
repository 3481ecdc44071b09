"""Bad SCALE-Sim inputs: one clear ConfigError naming the file, the key or line, and the value."""

from __future__ import annotations

import pytest

from accelsim.cli import main
from accelsim.errors import ConfigError
from accelsim.systolic.gemm import SystolicDataflow, gemm_from_layer
from accelsim.systolic.scalesim_config import load_scalesim_config
from accelsim.workload.layer import Layer, LayerKind
from accelsim.workload.scalesim_csv import load_scalesim_topology

GOOD_CFG = """[general]
run_name = good

[architecture_presets]
ArrayHeight:    32
ArrayWidth:     32
IfmapSramSzkB:   64
FilterSramSzkB:  64
OfmapSramSzkB:   64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : os
MemoryBanks:   1
ReadRequestBuffer: 512
WriteRequestBuffer: 512

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""
HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
)
GOOD_TOPOLOGY = HEADER + "Strides,\nConv1, 16, 16, 3, 3, 3, 10, 1,\n"


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_cfg_loads(tmp_path):
    config = load_scalesim_config(_write(tmp_path, "scale.cfg", GOOD_CFG))
    assert (config.run_name, config.array_rows, config.array_cols) == ("good", 32, 32)
    assert config.dataflow is SystolicDataflow.OS
    assert (config.filter_offset, config.bandwidth_words_per_cycle) == (10000000, (10,))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[run_presets]", "[run]", "x.cfg: [run]: expected one of the sections"),
        ("[run_presets]\nInterfaceBandwidth: CALC", "[run_presets]",
         "x.cfg: [run_presets] InterfaceBandwidth: expected this key to be present"),
        ("ArrayWidth:     32", "", "x.cfg: [architecture_presets] ArrayWidth: expected this key"),
        ("ArrayHeight:    32", "ArrayHeight: 3x2",
         "x.cfg: [architecture_presets] ArrayHeight: expected a positive integer, got '3x2'"),
        ("ArrayHeight:    32", "ArrayHeight: 0", "ArrayHeight: expected a positive integer, got"),
        ("Dataflow : os", "Dataflow : rs",
         "x.cfg: [architecture_presets] Dataflow: expected one of os, ws, is, got 'rs'"),
        ("InterfaceBandwidth: CALC", "InterfaceBandwidth: USER",
         "InterfaceBandwidth: expected CALC (accelsim models SCALE-Sim's CALC mode only"),
        ("MemoryBanks:   1", "MemoryBank: 1",
         "x.cfg: [architecture_presets] memorybank: expected one of the keys"),
        ("UseRamulatorTrace: False", "UseRamulatorTrace: True",
         "x.cfg: [run_presets] UseRamulatorTrace: expected 'false' (not modelled by accelsim)"),
        ("Bandwidth : 10", "Bandwidth : fast", "Bandwidth: expected positive integers"),
        ("[general]", "general", "x.cfg: expected an INI file"),
    ],
)  # fmt: skip
def test_bad_cfg(tmp_path, old, new, message):
    assert old in GOOD_CFG
    with pytest.raises(ConfigError) as caught:
        load_scalesim_config(_write(tmp_path, "x.cfg", GOOD_CFG.replace(old, new)))
    assert message in str(caught.value)


def test_missing_section_and_every_problem_listed(tmp_path):
    text = GOOD_CFG.replace("Dataflow : os", "Dataflow : xs").split("[run_presets]")[0]
    with pytest.raises(ConfigError) as caught:
        load_scalesim_config(_write(tmp_path, "x.cfg", text))
    assert [str(p).replace(str(tmp_path / "x.cfg"), "x.cfg") for p in caught.value.problems] == [
        "x.cfg: [architecture_presets] Dataflow: expected one of os, ws, is, got 'xs'",
        "x.cfg: [run_presets]: expected this section to be present",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "t.csv: expected a header line (Layer name, IFMAP Height"),
        ("\n \n", "t.csv: expected a header line"),
        (HEADER + "Strides,\n", "t.csv: expected at least one layer line after the header"),
        (HEADER.replace(" Channels,", "") + "Strides,\nC, 1, 1, 1, 1, 1, 1,\n",
         "t.csv: line 1: expected a column 'channels' in the header"),
        (HEADER + "\nC, 1, 1, 1, 1, 1, 1,\n", "t.csv: line 1: expected a column 'strides'"),
        (GOOD_TOPOLOGY + "Conv2, 16, sixteen, 3, 3, 3, 10, 1,\n",
         "t.csv: line 3: column 'ifmap width': expected a positive integer (1 to 2,147,483,647), "
         "got 'sixteen'"),
        (GOOD_TOPOLOGY + "Conv2, 16, 16, 3, 3, 3, 10,\n",
         "t.csv: line 3: column 'stride height': expected a positive integer (1 to 2,147,483,647), "
         "got ''"),
        (GOOD_TOPOLOGY + "Conv2, 16, 4, 3, 5, 3, 10, 1,\n",
         "t.csv: line 3: column 'filter width': expected at most the ifmap width (4)"),
    ],
)  # fmt: skip
def test_bad_topology(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        load_scalesim_topology(_write(tmp_path, "t.csv", text))
    assert message in str(caught.value)


def test_grouped_layer_rejected():
    layer = Layer("g", LayerKind.CONV, n=1, m=4, c=2, p=2, q=2, r=1, s=1, h=2, w=2, groups=2)
    with pytest.raises(ConfigError, match="g: groups: expected 1"):
        gemm_from_layer(layer)


def test_cli_exit_2_on_bad_cfg_and_topology(tmp_path, capsys):
    cfg = _write(tmp_path, "bad.cfg", GOOD_CFG.replace("Dataflow : os", "Dataflow : rs"))
    topology = _write(tmp_path, "bad.csv", GOOD_TOPOLOGY + "Conv2, 2, 2, 3, 3, 3, 10, 1,\n")
    out = tmp_path / "out"
    status = main(
        ["scalesim", "--config", str(cfg), "--topology", str(topology), "--out", str(out)]
    )
    assert status == 2
    error = capsys.readouterr().err
    assert "accelsim scalesim: error:" in error
    assert "bad.cfg: [architecture_presets] Dataflow: expected one of os, ws, is, got 'rs'" in error
    assert "bad.csv: line 3: column 'filter height': expected at most the ifmap height (2)" in error
    assert not out.exists()  # nothing written


def test_cli_exit_2_on_missing_file(tmp_path, capsys):
    cfg = _write(tmp_path, "good.cfg", GOOD_CFG)
    status = main(["scalesim", "--config", str(cfg), "--topology", str(tmp_path / "none.csv")])
    assert status == 2
    assert "none.csv: expected a readable file" in capsys.readouterr().err
