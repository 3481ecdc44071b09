"""accelsim compress end to end: actual weights from .npz, a folder of .npy and ONNX give the
same sizes as the Python API, and the DRAM energy is the stored bits priced at the
architecture's DRAM energy per bit (tiny: the Eyeriss normalized table, 200 per 16-bit access)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from accelsim.api import as_network
from accelsim.cli import main
from accelsim.compress import deep_compress, plans_for


def _weights() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    shapes = {"conv1": (4, 3, 3, 3), "conv2": (8, 4, 3, 3), "fc": (10, 128)}
    return {name: rng.normal(size=shape) for name, shape in shapes.items()}


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open() as handle:
        return {row["layer"]: row for row in csv.DictReader(handle)}


def test_npz_weights_priced_on_the_dram(tmp_path: Path, capsys) -> None:
    weights = _weights()
    np.savez(tmp_path / "w.npz", **weights)
    out = tmp_path / "r.csv"
    argv = ["compress", "--workload", "tiny", "--weights", str(tmp_path / "w.npz")]
    status = main([*argv, "--density", "0.3", "--arch", "tiny", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    rows = _rows(out)
    net = as_network("tiny")
    report = deep_compress(net, plans_for(net, density=0.3), weights)
    for layer in report.layers:
        assert int(rows[layer.name]["huffman_bits"]) == layer.huffman_bits
        assert int(rows[layer.name]["nonzeros"]) == round(0.3 * layer.weights)
    total = rows["total"]
    assert int(total["dense_bits"]) == (108 + 288 + 1280) * 32
    # eyeriss_normalized: DRAM 200 per 16-bit access -> 12.5 per bit
    assert float(total["dram_energy_huffman"]) == pytest.approx(report.huffman_bits * 200 / 16)
    assert float(total["dram_energy_dense"]) == pytest.approx((108 + 288 + 1280) * 32 * 200 / 16)
    assert "tiny: Deep Compression" in capsys.readouterr().out


def test_a_folder_of_npy_files_matches_the_npz(tmp_path: Path, capsys) -> None:
    weights = _weights()
    (tmp_path / "w").mkdir()
    for name, array in weights.items():
        np.save(tmp_path / "w" / f"{name}.npy", array)
    np.savez(tmp_path / "w.npz", **weights)
    for source, out in (("w", "a.json"), ("w.npz", "b.json")):
        argv = ["compress", "--workload", "tiny", "--weights", str(tmp_path / source)]
        assert main([*argv, "--density", "0.5", "--out", str(tmp_path / out)]) == 0
    capsys.readouterr()
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()


def test_onnx_initializers_are_the_layer_weights(tmp_path: Path, capsys) -> None:
    onnx = pytest.importorskip("onnx", reason="ONNX files need the extra accelsim[onnx]")
    from onnx import TensorProto, helper, numpy_helper

    weight = np.random.default_rng(3).normal(size=(16, 64)).astype(np.float32)
    weight[np.abs(weight) < 1.0] = 0.0  # already pruned: about 32 % kept
    node = helper.make_node("Gemm", ["x", "fc.w"], ["y"], name="fc", transB=1)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(weight, "fc.w")],
    )
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    out = tmp_path / "r.csv"
    argv = ["compress", "--workload", str(path), "--weights", str(path), "--out", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    row = _rows(out)["fc"]
    assert int(row["nonzeros"]) == int((weight != 0).sum())
    assert row["counts_from"] == "weights"
