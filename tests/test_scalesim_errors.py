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
         "x.cfg: [architecture_presets] ArrayHeight: expected an integer from 1 to 65,536, "
         "got '3x2'"),
        ("ArrayHeight:    32", "ArrayHeight: 0", "ArrayHeight: expected an integer from 1 to"),
        ("ArrayHeight:    32", "ArrayHeight : 10^30",
         "[architecture_presets] ArrayHeight: expected an integer from 1 to 65,536, got '10^30'"),
        ("ArrayHeight:    32", "ArrayHeight : " + "1" + "0" * 30,
         "ArrayHeight: expected an integer from 1 to 65,536, got '1" + "0" * 30),
        ("ArrayHeight:    32", "ArrayHeight : 100000",
         "ArrayHeight: expected an integer from 1 to 65,536, got '100000'"),
        ("ArrayHeight:    32", "ArrayHeight : -4",
         "ArrayHeight: expected an integer from 1 to 65,536, got '-4'"),
        ("IfmapOffset:    0", "IfmapOffset: 1.5",
         "[architecture_presets] IfmapOffset: expected an integer from 0 to"),
        ("MemoryBanks:   1", "MemoryBanks: 0",
         "[architecture_presets] MemoryBanks: expected an integer from 1 to"),
        ("ReadRequestBuffer: 512", "ReadRequestBuffer: many",
         "[architecture_presets] ReadRequestBuffer: expected an integer from 1 to"),
        ("Dataflow : os", "Dataflow : rs",
         "x.cfg: [architecture_presets] Dataflow: expected one of os, ws, is, got 'rs'"),
        ("InterfaceBandwidth: CALC", "InterfaceBandwidth: FAST",
         "x.cfg: [run_presets] InterfaceBandwidth: expected CALC or USER (upper case, as "
         "SCALE-Sim), got 'FAST'"),
        ("InterfaceBandwidth: CALC\n", "InterfaceBandwidth: USER\nfoo: 1\n",
         "x.cfg: [run_presets] foo: expected one of the keys"),
        ("MemoryBanks:   1", "MemoryBank: 1",
         "x.cfg: [architecture_presets] memorybank: expected one of the keys"),
        ("UseRamulatorTrace: False", "UseRamulatorTrace: True",
         "x.cfg: [run_presets] UseRamulatorTrace: expected false (Ramulator DRAM traces not "
         "modelled by accelsim), got 'True'"),
        ("UseRamulatorTrace: False", "UseRamulatorTrace: maybe",
         "x.cfg: [run_presets] UseRamulatorTrace: expected true or false, got 'maybe'"),
        ("Bandwidth : 10", "Bandwidth : fast",
         "Bandwidth: expected integers from 1 to 1,048,576 separated by commas, got 'fast'"),
        ("Bandwidth : 10", "Bandwidth : 10, 0", "Bandwidth: expected integers from 1 to"),
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
        "x.cfg: [run_presets]: expected this section to be present",
        "x.cfg: [architecture_presets] Dataflow: expected one of os, ws, is, got 'xs'",
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


USER_CFG = (
    GOOD_CFG.replace("InterfaceBandwidth: CALC", "InterfaceBandwidth: USER")
    + """
[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 6
IfmapSRAMBankNum: 3
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 8
FilterSRAMBankNum: 2
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40
"""
)


def test_user_cfg_loads_with_its_rates(tmp_path):
    config = load_scalesim_config(_write(tmp_path, "user.cfg", USER_CFG))
    assert config.user_bandwidth and config.notes == ()
    assert config.dram_rates == (6, 8, 10)  # ifmap bank bw, filter bank bw, Bandwidth
    assert config.sram_words == (64 * 1024, 64 * 1024, 64 * 1024)


def test_missing_layout_and_sparsity_take_scalesim_defaults_with_a_note(tmp_path):
    config = load_scalesim_config(_write(tmp_path, "user.cfg", USER_CFG.split("[layout]")[0]))
    assert config.dram_rates == (10, 10, 10)  # SCALE-Sim's default bank bandwidths
    assert (config.ifmap_banks, config.filter_bank_ports) == (10, 2)
    assert len(config.notes) == 2
    assert config.notes[0].startswith("no [layout] section: SCALE-Sim's defaults used")
    assert config.notes[1].startswith("no [sparsity] section")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("IfmapSRAMBankBandwidth: 6", "IfmapSRAMBankBandwidth: 7",
         "x.cfg: [layout] IfmapSRAMBankBandwidth: expected a multiple of IfmapSRAMBankNum (3) in "
         "USER mode: each bank gets an equal share of the bandwidth, got 7"),
        ("FilterSRAMBankNum: 2", "FilterSRAMBankNum: 0",
         "x.cfg: [layout] FilterSRAMBankNum: expected an integer from 1 to"),
        ("IfmapCustomLayout: False", "IfmapCustomLayout: True",
         "x.cfg: [layout] IfmapCustomLayout: expected false (custom SRAM layouts not modelled"),
        ("SparsitySupport : false\nSparseRep : ellpack_block\nOptimizedMapping : false",
         "SparsitySupport : true\nSparseRep : ellpack_block\nOptimizedMapping : true",
         "x.cfg: [sparsity] OptimizedMapping: expected false (SCALE-Sim's optimized sparse "
         "mapping is not modelled by accelsim), got 'true'"),
        ("SparsitySupport : false", "SparsitySupport : yes",
         "x.cfg: [sparsity] SparsitySupport: expected true or false, got 'yes'"),
        ("BlockSize : 8", "BlockSize : eight", "x.cfg: [sparsity] BlockSize: expected an integer"),
        ("Bandwidth : 10\n", "",
         "x.cfg: [architecture_presets] Bandwidth: expected this key in USER mode"),
        ("[sparsity]", "[sparse]", "x.cfg: [sparse]: expected one of the sections"),
        ("SparseRep : ellpack_block", "SparseRep : blocked_ellpack",
         "x.cfg: [sparsity] SparseRep: expected one of csr, csc, ellpack_block (SCALE-Sim 3.0.0 "
         "crashes on blocked_ellpack), got 'blocked_ellpack'"),
        ("OptimizedMapping : false", "OptimizedMapping : sometimes",
         "x.cfg: [sparsity] OptimizedMapping: expected true or false, got 'sometimes'"),
    ],
)  # fmt: skip
def test_bad_user_cfg(tmp_path, old, new, message):
    assert old in USER_CFG
    with pytest.raises(ConfigError) as caught:
        load_scalesim_config(_write(tmp_path, "x.cfg", USER_CFG.replace(old, new)))
    assert message in str(caught.value)


def test_bank_bandwidth_indivisible_is_fine_in_calc_mode(tmp_path):
    text = USER_CFG.replace("InterfaceBandwidth: USER", "InterfaceBandwidth: CALC")
    config = load_scalesim_config(_write(tmp_path, "x.cfg", text.replace(": 6\n", ": 7\n")))
    assert config.ifmap_bank_bandwidth == 7  # SCALE-Sim checks it only in USER mode


def test_non_utf8_cfg(tmp_path, capsys):
    path = tmp_path / "latin1.cfg"
    path.write_bytes(GOOD_CFG.replace("good", "g\xe9od").encode("latin-1"))
    with pytest.raises(
        ConfigError, match=r"latin1.cfg: expected a UTF-8 text file, got 'byte 0xe9"
    ):
        load_scalesim_config(path)
    topology = _write(tmp_path, "t.csv", GOOD_TOPOLOGY)
    status = main(["scalesim", "--config", str(path), "--topology", str(topology)])
    assert status == 2
    assert "Traceback" not in capsys.readouterr().err


def test_unknown_shipped_name(capsys):
    status = main(["scalesim", "--config", "googel", "--topology", "alexnet"])
    assert status == 2
    assert (
        "googel: expected an existing SCALE-Sim config file or a shipped name (google, scale)"
        in (capsys.readouterr().err)
    )


@pytest.mark.parametrize("ratio", ["2:x", "5:4", "0:4", "2/4"])
def test_bad_sparsity_ratio(tmp_path, capsys, ratio):
    cfg = _write(tmp_path, "s.cfg", USER_CFG.replace("SparsitySupport : false",
                                                     "SparsitySupport : true"))  # fmt: skip
    topology = _write(
        tmp_path, "s.csv", f"{HEADER}Strides, Sparsity,\nConv1, 16, 16, 3, 3, 3, 10, 1, {ratio},\n"
    )
    out = tmp_path / "out"
    status = main(
        ["scalesim", "--config", str(cfg), "--topology", str(topology), "--out", str(out)]
    )
    assert status == 2
    assert (
        f"s.csv: line 2: column 9 (N:M sparsity): expected a ratio N:M of integers with "
        f"1 <= N <= M, such as 2:4, got '{ratio}'" in capsys.readouterr().err
    )
    assert not out.exists()
