"""Workloads: builtin networks load with exact MAC counts; the file formats and make_layer agree.

Expected MAC counts are written as arithmetic over the layer shapes. AlexNet's per-layer counts are
the ones quoted in ../shared/reference/README.md (Eyeriss, grouped CONV2/4/5).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shared_cases import ALEXNET_MACS as ALEXNET_REFERENCE_MACS

from accelsim.errors import ConfigError
from accelsim.workload import (
    Layer,
    LayerKind,
    Network,
    builtin_workloads,
    load_workload,
    make_layer,
)
from accelsim.workload.build import output_extent


def write(tmp_path: Path, text: str, name: str = "net.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---- builtin workloads -----------------------------------------------------------------------
def test_builtin_names() -> None:
    names = builtin_workloads()
    assert names == sorted(names)
    expected = {"alexnet", "alexnet_ungrouped", "bert_base", "mobilenet_v2", "resnet18"}
    assert expected | {"resnet50", "tiny", "vgg16"} <= set(names)


@pytest.mark.parametrize("name", builtin_workloads())
def test_every_builtin_loads(name: str) -> None:
    network = load_workload(name)
    assert isinstance(network, Network)
    assert network.name == name
    assert len(network) > 0 and network.batch == 1
    assert len({layer.name for layer in network}) == len(network)
    assert all(isinstance(layer, Layer) and layer.macs > 0 for layer in network)


ALEXNET_MACS = {
    "CONV1": 55 * 55 * 96 * 3 * 11 * 11,  # 105,415,200
    "CONV2": 27 * 27 * 256 * 48 * 5 * 5,  # 223,948,800
    "CONV3": 13 * 13 * 384 * 256 * 3 * 3,  # 149,520,384
    "CONV4": 13 * 13 * 384 * 192 * 3 * 3,  # 112,140,288
    "CONV5": 13 * 13 * 256 * 192 * 3 * 3,  # 74,760,192
    "FC1": 9216 * 4096,  # 37,748,736
    "FC2": 4096 * 4096,  # 16,777,216
    "FC3": 4096 * 1000,  # 4,096,000
}


@pytest.mark.parametrize("layer_name", list(ALEXNET_MACS))
def test_alexnet_layer_macs(layer_name: str) -> None:
    layer = load_workload("alexnet")[layer_name]
    assert layer.macs == ALEXNET_MACS[layer_name] == ALEXNET_REFERENCE_MACS[layer_name]


def test_alexnet_layers_in_order_and_grouped() -> None:
    network = load_workload("alexnet")
    assert [layer.name for layer in network] == list(ALEXNET_MACS)
    assert [layer.groups for layer in network][:5] == [1, 2, 1, 2, 2]
    conv2 = network["CONV2"]
    assert (conv2.c, conv2.input_channels, conv2.p, conv2.pad_h) == (48, 96, 27, 2)
    assert network.macs == 724_406_816


def test_alexnet_ungrouped_doubles_grouped_layers() -> None:
    grouped, ungrouped = load_workload("alexnet"), load_workload("alexnet_ungrouped")
    for name in ("CONV2", "CONV4", "CONV5"):
        assert ungrouped[name].macs == 2 * grouped[name].macs
    assert ungrouped["CONV2"].macs == 27 * 27 * 256 * 96 * 5 * 5
    assert ungrouped.macs == 1_135_256_096


def test_vgg16_macs() -> None:
    network = load_workload("vgg16")
    conv = sum(layer.macs for layer in network if layer.kind is LayerKind.CONV)
    assert conv == (
        224 * 224 * 64 * (3 + 64) * 9
        + 112 * 112 * 128 * (64 + 128) * 9
        + 56 * 56 * 256 * (128 + 256 + 256) * 9
        + 28 * 28 * 512 * (256 + 512 + 512) * 9
        + 14 * 14 * 512 * (512 + 512 + 512) * 9
    )
    assert conv == 15_346_630_656
    assert network.macs == conv + 512 * 7 * 7 * 4096 + 4096 * 4096 + 4096 * 1000
    assert network.macs == 15_470_264_320  # "15.47 G"
    assert len(network) == 16


def _resnet_stages(blocks: tuple[int, ...], bottleneck: bool) -> int:
    """ResNet MACs from its block structure, independent of the YAML file."""
    total = 112 * 112 * 64 * 3 * 7 * 7  # conv1
    expansion = 4 if bottleneck else 1
    cin, size = 64, 56
    for stage, count in enumerate(blocks):
        width = 64 * 2**stage
        for block in range(count):
            out = size // 2 if (block == 0 and stage > 0) else size
            if bottleneck:  # 1x1 reduce (input size), 3x3 (stride here), 1x1 expand
                total += size * size * cin * width + out * out * width * width * 9
                total += out * out * width * width * 4
            else:
                total += out * out * cin * width * 9 + out * out * width * width * 9
            if block == 0 and (out != size or cin != width * expansion):
                total += out * out * cin * width * expansion  # 1x1 downsample projection
            cin, size = width * expansion, out
    return total + cin * 1000  # fc


def test_resnet18_macs() -> None:
    network = load_workload("resnet18")
    assert network.macs == _resnet_stages((2, 2, 2, 2), bottleneck=False) == 1_814_073_344
    assert network.macs == pytest.approx(1.82e9, rel=0.005)  # "1.82 G"
    assert len(network) == 1 + 16 + 3 + 1


def test_resnet50_macs() -> None:
    network = load_workload("resnet50")
    assert network.macs == _resnet_stages((3, 4, 6, 3), bottleneck=True) == 4_089_184_256
    assert network.macs == pytest.approx(4.1e9, rel=0.01)  # "about 4.1 G", within 1 %
    assert len(network) == 1 + 16 * 3 + 4 + 1
    assert network["layer2.0.conv2"].stride_h == 2  # torchvision v1.5: stride in the 3x3
    assert network["layer4.0.downsample.0"].macs == 7 * 7 * 1024 * 2048


def test_mobilenet_v2_macs() -> None:
    network = load_workload("mobilenet_v2")
    total = 112 * 112 * 32 * 3 * 9  # features.0
    total += 112 * 112 * 32 * 9 + 112 * 112 * 32 * 16  # features.1: depthwise, project (t = 1)
    cin, size = 16, 112
    settings = [(6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2)]
    for expansion, cout, count, stride in [*settings, (6, 320, 1, 1)]:
        for index in range(count):
            out = size // stride if index == 0 else size
            hidden = cin * expansion
            total += size * size * cin * hidden + out * out * hidden * 9 + out * out * hidden * cout
            cin, size = cout, out
    total += 7 * 7 * 320 * 1280 + 1280 * 1000
    assert network.macs == total == 300_774_272  # "about 300 M"
    assert len(network) == 53  # as quantized by HAQ
    depthwise = [layer for layer in network if layer.kind is LayerKind.DEPTHWISE]
    assert len(depthwise) == 17
    assert all(layer.c == 1 and layer.groups == layer.m for layer in depthwise)


def test_bert_base_macs() -> None:
    network = load_workload("bert_base")
    projections = 4 * 128 * 768 * 768  # Q, K, V, output
    attention = 12 * 128 * 64 * 128 + 12 * 128 * 128 * 64  # scores, context
    feed_forward = 128 * 768 * 3072 + 128 * 3072 * 768
    assert network.macs == projections + attention + feed_forward == 931_135_488
    scores = network["attention.self.scores"]
    assert (scores.p, scores.c, scores.m, scores.groups) == (128, 64, 12 * 128, 12)
    assert scores.input_elements == 128 * 768  # Q, all heads
    assert scores.weight_elements == 128 * 768  # K, all heads


def test_tiny_macs() -> None:
    network = load_workload("tiny")
    assert [layer.macs for layer in network] == [8 * 8 * 4 * 3 * 9, 4 * 4 * 8 * 4 * 9, 128 * 10]


def test_batch_scales_macs_linearly() -> None:
    network = load_workload("alexnet")
    assert load_workload("alexnet", batch=16).macs == 16 * network.macs
    assert network.with_batch(3).macs == 3 * network.macs
    assert network.with_batch(3).batch == 3
    assert load_workload("resnet18", batch=4).batch == 4


def test_load_by_path_equals_builtin() -> None:
    path = Path(__file__).resolve().parents[1] / "workloads" / "tiny.yaml"
    assert load_workload(path) == load_workload("tiny") == load_workload(str(path))


# ---- accelsim YAML features ------------------------------------------------------------------
def test_defaults_batch_and_per_layer_override(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "batch: 2\n"
        "defaults: {weight_bits: 4, input_bits: 6, input_density: 0.5}\n"
        "layers:\n"
        "  - {name: a, type: fc, in_features: 10, out_features: 20}\n"
        "  - {name: b, type: fc, in_features: 20, out_features: 5, weight_bits: 2}\n",
    )
    network = load_workload(path)
    assert network.name == "net"  # the file stem when there is no name
    assert network.batch == 2 and network.macs == 2 * (10 * 20 + 20 * 5)
    assert [(layer.weight_bits, layer.input_bits) for layer in network] == [(4, 6), (2, 6)]
    assert network["a"].input_density == 0.5 and network["a"].psum_bits == 32
    assert load_workload(path, batch=5).macs == 5 * (10 * 20 + 20 * 5)


def test_repeat_names_copies(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: blocks\nlayers:\n"
        "  - {name: 'block{i}.conv', type: conv, repeat: 3, in_channels: 4, out_channels: 4,\n"
        "     input_size: 6, kernel_size: 3, padding: 1}\n",
    )
    network = load_workload(path)
    assert [layer.name for layer in network] == ["block0.conv", "block1.conv", "block2.conv"]
    assert network.macs == 3 * 6 * 6 * 4 * 4 * 9


def test_rectangular_sizes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "layers:\n"
        "  - {name: r, type: conv, in_channels: 2, out_channels: 3, input_size: [10, 7],\n"
        "     kernel_size: [3, 1], stride: [1, 2], padding: [0, 1], dilation: [2, 1]}\n",
    )
    layer = load_workload(path)["r"]
    assert (layer.h, layer.w, layer.r, layer.s) == (10, 7, 3, 1)
    assert (layer.p, layer.q) == ((10 - 2 * 2 - 1) // 1 + 1, (7 + 2 - 1) // 2 + 1) == (6, 5)
    assert (layer.pad_h, layer.pad_w, layer.dilation_h, layer.stride_w) == (0, 1, 2, 2)


# ---- make_layer ------------------------------------------------------------------------------
def test_make_layer_conv_derives_output() -> None:
    fields = dict(in_channels=3, out_channels=96, input_size=227, kernel_size=11, stride=4)
    layer = make_layer("c", "conv", **fields)
    assert (layer.p, layer.q, layer.n) == (55, 55, 1)
    assert layer.macs == 55 * 55 * 96 * 3 * 11 * 11


def test_make_layer_depthwise_fc_matmul() -> None:
    fields = dict(channels=32, input_size=112, kernel_size=3, stride=2, padding=1)
    depthwise = make_layer("d", LayerKind.DEPTHWISE, **fields)
    assert (depthwise.m, depthwise.c, depthwise.groups, depthwise.p) == (32, 1, 32, 56)
    assert depthwise.macs == 56 * 56 * 32 * 3 * 3
    fc = make_layer("f", "fc", in_features=9216, out_features=4096)
    assert (fc.m, fc.c, fc.p, fc.q, fc.r, fc.s, fc.h, fc.w) == (4096, 9216, 1, 1, 1, 1, 1, 1)
    matmul = make_layer("m", "matmul", rows=128, inner=64, columns=128, groups=12)
    assert (matmul.p, matmul.q, matmul.h, matmul.c, matmul.m) == (128, 1, 128, 64, 12 * 128)
    assert matmul.macs == 12 * 128 * 64 * 128


@given(
    size=st.integers(1, 40),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
)
def test_output_size_matches_window_count(size, kernel, stride, padding, dilation) -> None:
    """The derived output size equals the number of filter positions inside the padded input."""
    extent = dilation * (kernel - 1) + 1
    positions = sum(
        1 for start in range(0, size + 2 * padding, stride) if start + extent <= size + 2 * padding
    )
    fields = dict(in_channels=1, out_channels=1, input_size=size, kernel_size=kernel)
    fields.update(stride=stride, padding=padding, dilation=dilation)
    if positions == 0:
        with pytest.raises(ConfigError, match="fits the padded input"):
            make_layer("x", "conv", **fields)
        return
    layer = make_layer("x", "conv", **fields)
    assert layer.p == layer.q == positions == output_extent(size, kernel, stride, padding, dilation)


# ---- Timeloop problem ------------------------------------------------------------------------
def test_timeloop_eyeriss_conv1(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "problem:\n"
        "  shape:\n"
        "    name: CNN-Layer\n"
        "    dimensions: [C, M, R, S, N, P, Q]\n"
        "  instance: {C: 3, M: 96, R: 11, S: 11, N: 1, P: 55, Q: 55, Hstride: 4, Wstride: 4}\n",
        "conv1.yaml",
    )
    network = load_workload(path)
    layer = network["conv1"]
    assert (layer.h, layer.w, layer.p, layer.pad_h) == (227, 227, 55, 0)
    assert network.macs == 105_415_200


def test_timeloop_axes_are_translated(tmp_path: Path) -> None:
    """Timeloop R, P are widths and S, Q heights: R -> s, S -> r, P -> q, Q -> p."""
    path = write(
        tmp_path,
        "problem:\n  instance: {C: 2, M: 4, N: 3, R: 3, S: 2, P: 5, Q: 7,\n"
        "             Wstride: 2, Hstride: 1, Wdilation: 1, Hdilation: 3}\n",
    )
    layer = load_workload(path)["net"]
    assert (layer.r, layer.s, layer.p, layer.q) == (2, 3, 7, 5)
    assert (layer.stride_h, layer.stride_w, layer.dilation_h, layer.dilation_w) == (1, 2, 3, 1)
    assert layer.h == (7 - 1) * 1 + (2 - 1) * 3 + 1  # (p - 1) * Hstride + (r - 1) * Hdilation + 1
    assert layer.w == (5 - 1) * 2 + (3 - 1) * 1 + 1
    assert layer.n == 3 and layer.macs == 3 * 4 * 2 * 7 * 5 * 2 * 3


def test_timeloop_groups_and_batch_override(tmp_path: Path) -> None:
    path = write(tmp_path, "problem:\n  instance: {G: 4, C: 2, M: 3, R: 1, S: 1, P: 2, Q: 2}\n")
    layer = load_workload(path, batch=2)["net"]
    assert (layer.groups, layer.c, layer.m, layer.input_channels, layer.n) == (4, 2, 12, 8, 2)


# ---- other formats ---------------------------------------------------------------------------
def test_csv_goes_to_scalesim_reader(tmp_path: Path) -> None:
    header = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
    path = write(
        tmp_path, header + "Num Filter, Strides,\nconv1, 8, 8, 3, 3, 2, 4, 1,\n", "topology.csv"
    )
    network = load_workload(path, batch=2)
    assert len(network) == 1 and network.batch == 2
    assert network.macs == 2 * 6 * 6 * 4 * 2 * 3 * 3


def test_an_empty_onnx_file_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("onnx", reason="reading .onnx files needs the onnx extra")
    with pytest.raises(ConfigError, match=r"model\.onnx"):
        load_workload(write(tmp_path, "", "model.onnx"))


def test_examples_in_the_format_doc_load(tmp_path: Path) -> None:
    doc = Path(__file__).resolve().parents[1] / "docs" / "workload_format.md"
    examples = re.findall(r"```yaml\n(.*?)```", doc.read_text(), re.DOTALL)
    assert len(examples) == 2
    for index, text in enumerate(examples):
        assert len(load_workload(write(tmp_path, text, f"example{index}.yaml"))) > 0
