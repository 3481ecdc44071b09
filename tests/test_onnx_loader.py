"""ONNX import: models built here with onnx.helper (no downloads), checked field by field."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from accelsim import ConfigError, LayerKind, load_workload
from accelsim.workload.onnx_loader import UnsupportedOpsWarning, load_onnx

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def _weight(name: str, shape: list[int]):
    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def _save(tmp_path: Path, nodes, inits, input_shape, name="m.onnx", output="y") -> Path:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
        initializer=inits,
    )
    path = tmp_path / name
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def _conv(name, x, y, cin, cout, k, stride=1, pad=0, group=1):
    init = _weight(f"{name}.w", [cout, cin // group, k, k])
    node = helper.make_node(
        "Conv",
        [x, init.name],
        [y],
        name=name,
        kernel_shape=[k, k],
        strides=[stride, stride],
        pads=[pad] * 4,
        group=group,
    )
    return node, init


def test_conv_grouped_depthwise_gemm(tmp_path: Path) -> None:
    c1, w1 = _conv("c1", "x", "a", 3, 8, 3, stride=2, pad=1)
    dw, w2 = _conv("dw", "a", "b", 8, 8, 3, pad=1, group=8)
    gr, w3 = _conv("gr", "b", "c", 8, 16, 1, group=2)
    pool = helper.make_node("GlobalAveragePool", ["c"], ["d"], name="pool")
    flat = helper.make_node("Flatten", ["d"], ["e"], name="flat")
    fc_w = _weight("fc.w", [10, 16])
    fc = helper.make_node("Gemm", ["e", "fc.w"], ["y"], name="fc", transB=1)
    path = _save(tmp_path, [c1, dw, gr, pool, flat, fc], [w1, w2, w3, fc_w], [2, 3, 32, 32])
    net = load_workload(path)
    assert [layer.name for layer in net] == ["c1", "dw", "gr", "fc"]
    c1, dw, gr, fc = net.layers
    assert (c1.kind, c1.m, c1.c, c1.p, c1.q, c1.r, c1.stride_h, c1.pad_h) == (
        LayerKind.CONV,
        8,
        3,
        16,
        16,
        3,
        2,
        1,
    )
    assert (dw.kind, dw.groups, dw.c, dw.m) == (LayerKind.DEPTHWISE, 8, 1, 8)
    assert (gr.kind, gr.groups, gr.c, gr.m) == (LayerKind.CONV, 2, 4, 16)
    assert (fc.kind, fc.c, fc.m) == (LayerKind.FC, 16, 10)
    assert net.batch == 2 and all(layer.n == 2 for layer in net)
    assert c1.macs == 2 * 8 * 3 * 16 * 16 * 3 * 3


def test_matmul_batched_and_weights(tmp_path: Path) -> None:
    proj = _weight("wq", [64, 32])
    q = helper.make_node("MatMul", ["x", "wq"], ["q"], name="proj")
    t = helper.make_node("Transpose", ["q"], ["qt"], name="t", perm=[0, 2, 1])
    att = helper.make_node("MatMul", ["q", "qt"], ["y"], name="scores")
    net = load_onnx(_save(tmp_path, [q, t, att], [proj], [2, 10, 64]))
    proj_layer, scores = net.layers
    assert (proj_layer.kind, proj_layer.p, proj_layer.c, proj_layer.m, proj_layer.n) == (
        LayerKind.MATMUL,
        10,
        64,
        32,
        2,
    )
    assert (scores.p, scores.c, scores.m, scores.n) == (10, 32, 10, 2)
    assert scores.macs == 2 * 10 * 32 * 10


def test_precision_from_attributes_and_side_file(tmp_path: Path) -> None:
    c1, w1 = _conv("c1", "x", "a", 3, 4, 3)
    c1.attribute.extend([helper.make_attribute("weight_bits", 4)])
    c2, w2 = _conv("c2", "a", "y", 4, 4, 3)
    path = _save(tmp_path, [c1, c2], [w1, w2], [1, 3, 8, 8])
    net = load_onnx(path)
    assert (net[0].weight_bits, net[0].input_bits, net[1].weight_bits) == (4, 8, 8)
    side = path.with_suffix(".precision.yaml")
    side.write_text("default: {input_bits: 6}\nlayers: {c2: {weight_bits: 2}}\n")
    net = load_workload(path)
    assert (net[0].weight_bits, net[0].input_bits) == (4, 6)
    assert (net[1].weight_bits, net[1].input_bits) == (2, 6)


def test_bad_side_file_is_reported(tmp_path: Path) -> None:
    c1, w1 = _conv("c1", "x", "y", 3, 4, 3)
    path = _save(tmp_path, [c1], [w1], [1, 3, 8, 8])
    with pytest.raises(
        ConfigError, match=r"layers.c1.weight_bits: expected a positive integer \(1 to 32 bits\)"
    ):
        load_onnx(path, precision={"layers": {"c1": {"weight_bits": 0}}})


def test_unsupported_ops_are_listed_in_a_warning(tmp_path: Path) -> None:
    c1, w1 = _conv("c1", "x", "a", 3, 4, 3)
    lstm_free = helper.make_node("Relu", ["a"], ["b"], name="relu")
    odd = helper.make_node("Einsum", ["b", "b"], ["y"], name="odd", equation="nchw,nchw->nchw")
    path = _save(tmp_path, [c1, lstm_free, odd], [w1], [1, 3, 8, 8])
    with pytest.warns(UnsupportedOpsWarning, match=r"not modelled.*Einsum x 1"):
        net = load_onnx(path)
    assert len(net) == 1


def test_dynamic_batch_takes_batch_other_dims_need_input_shapes(tmp_path: Path) -> None:
    c1, w1 = _conv("c1", "x", "y", 3, 4, 3)
    path = _save(tmp_path, [c1], [w1], ["N", 3, 8, 8])
    assert load_onnx(path, batch=4)[0].n == 4
    dynamic = _save(tmp_path, [c1], [w1], ["N", 3, "H", "W"], name="dyn.onnx")
    with pytest.raises(
        ConfigError,
        match=r"input x: expected a fixed size for dimension 2 "
        r"\(the model has dynamic shapes: give input_shapes",
    ):
        load_onnx(dynamic)
    assert load_onnx(dynamic, input_shapes={"x": [1, 3, 16, 16]})[0].p == 14


def test_not_onnx_and_truncated_files(tmp_path: Path) -> None:
    text = tmp_path / "text.onnx"
    text.write_text("this is not a model")
    with pytest.raises(ConfigError, match=r"text.onnx: expected an ONNX model \(the file is not"):
        load_workload(text)
    c1, w1 = _conv("c1", "x", "y", 3, 64, 3)
    good = _save(tmp_path, [c1], [w1], [1, 3, 8, 8])
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(ConfigError, match=r"cut.onnx: expected an ONNX model .*truncated"):
        load_workload(cut)
    with pytest.raises(ConfigError, match=r"missing.onnx: expected an existing"):
        load_onnx(tmp_path / "missing.onnx")


# ---- ResNet-18, built here, against the shipped workload ----------------------------------------
def _resnet18(tmp_path: Path) -> Path:
    nodes, inits = [], []

    def conv(name, x, cin, cout, k, stride, pad):
        node, init = _conv(name, x, name + ".out", cin, cout, k, stride, pad)
        nodes.append(node)
        inits.append(init)
        return name + ".out"

    def relu(x):
        nodes.append(helper.make_node("Relu", [x], [x + ".r"], name=x + ".relu"))
        return x + ".r"

    out = relu(conv("conv1", "x", 3, 64, 7, 2, 3))
    nodes.append(
        helper.make_node(
            "MaxPool",
            [out],
            ["pool"],
            name="maxpool",
            kernel_shape=[3, 3],
            strides=[2, 2],
            pads=[1, 1, 1, 1],
        )
    )
    out, cin = "pool", 64
    for stage, cout in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            name = f"layer{stage}.{block}"
            a = relu(conv(f"{name}.conv1", out, cin, cout, 3, stride, 1))
            b = conv(f"{name}.conv2", a, cout, cout, 3, 1, 1)
            skip = out
            if stride != 1 or cin != cout:
                skip = conv(f"{name}.downsample.0", out, cin, cout, 1, stride, 0)
            nodes.append(helper.make_node("Add", [b, skip], [name + ".sum"], name=name + ".add"))
            out, cin = relu(name + ".sum"), cout
    nodes.append(helper.make_node("GlobalAveragePool", [out], ["gap"], name="avgpool"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"))
    inits.append(_weight("fc.weight", [1000, 512]))
    nodes.append(helper.make_node("Gemm", ["flat", "fc.weight"], ["y"], name="fc", transB=1))
    return _save(tmp_path, nodes, inits, [1, 3, 224, 224], name="resnet18.onnx")


def test_resnet18_onnx_matches_the_shipped_workload(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # only MAC-free ops besides Conv and Gemm: no warning
        imported = load_workload(_resnet18(tmp_path))
    shipped = load_workload("resnet18")
    assert [layer.name for layer in imported] == [layer.name for layer in shipped]
    for got, want in zip(imported, shipped, strict=True):
        assert got == want, got.name
    assert imported.macs == shipped.macs
