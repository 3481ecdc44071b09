"""Read an ONNX model into a :class:`Network`: its Conv, Gemm and MatMul nodes become layers.

Shapes come from ``onnx.shape_inference``. A symbolic leading (batch) dimension of a graph input
takes ``batch`` (default 1); any other symbolic or missing dimension needs ``input_shapes``.
Layer names are the node names (``<op>_<index>`` for unnamed nodes, made unique with a suffix).

- ``Conv``: weights (M, C/groups, kH, kW); ``groups == C == M`` is a depthwise layer, any other
  ``groups`` a grouped convolution; pads, strides, dilations and ``auto_pad`` are honoured
  (asymmetric pads are averaged, the output size kept from shape inference).
- ``Gemm`` and ``MatMul`` with a 2-D first input and a constant second input (an initializer):
  a fully connected layer, rows as the batch. Other ``MatMul``: a matrix multiply of the last two
  dimensions, the first leading dimension as the batch and the others as groups.

Precision per node, from a side file ``<model>.precision.yaml`` (or the ``precision`` argument: a
path or a mapping) of the form ``{default: {weight_bits: 4}, layers: {node_name: {weight_bits: 2,
input_bits: 4}}}`` and from the integer node attributes ``weight_bits``, ``input_bits``,
``output_bits``, ``psum_bits``; the more specific wins: the file's entry for the node, then the
node's attributes, then the file's default, then accelsim's defaults (8, 8, 8, 32).

Nodes of other types carry no MACs accelsim counts. Known MAC-free ones (activations,
element-wise, pooling, shape ops) are logged; every other op type is listed in a
:class:`UnsupportedOpsWarning`, never dropped silently.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accelsim.config import bits, read_yaml
from accelsim.errors import ConfigError, Problem, Problems
from accelsim.workload.build import make_layer
from accelsim.workload.layer import Layer, LayerKind, Network

log = logging.getLogger(__name__)

PRECISION_KEYS = ("weight_bits", "input_bits", "output_bits", "psum_bits")
_MAC_FREE_NAMES = (
    "Relu Clip Sigmoid Tanh HardSigmoid HardSwish LeakyRelu PRelu Elu Selu Gelu Softmax Erf "
    "Add Sub Mul Div Pow Sqrt Neg Abs Exp Log Min Max Sum Mean Where Equal Less Greater Not "
    "MaxPool AveragePool GlobalAveragePool GlobalMaxPool BatchNormalization "
    "LayerNormalization InstanceNormalization Dropout Identity Reshape Flatten Squeeze Unsqueeze "
    "Transpose Concat Split Slice Gather Shape Constant ConstantOfShape Cast Pad Resize Expand "
    "Tile ReduceMean ReduceSum ReduceMax QuantizeLinear DequantizeLinear"
)
MAC_FREE = frozenset(_MAC_FREE_NAMES.split())


class UnsupportedOpsWarning(UserWarning):
    """An ONNX model has ops accelsim does not model (they may carry MACs)."""


def load_onnx(
    path: str | Path,
    *,
    batch: int | None = None,
    input_shapes: Mapping[str, list[int]] | None = None,
    precision: str | Path | Mapping[str, Any] | None = None,
) -> Network:
    """The network of an ONNX file (see the module docstring).

    Raises ConfigError when onnx is not installed, the file is missing, not ONNX or truncated,
    shape inference fails, a shape stays unknown (dynamic) without ``input_shapes``, or a node's
    precision or shape is invalid; every problem names the file and the node.
    """
    onnx = import_onnx()
    source = str(path)
    model = read_onnx_model(onnx, Path(path))
    graph = _infer(onnx, model, source, batch or 1, input_shapes or {})
    shapes = _shapes(graph)
    constants = {init.name: list(init.dims) for init in graph.initializer}
    default, per_node = _precision_file(Path(path), precision)
    found = Problems(source)
    layers: list[Layer] = []
    skipped: Counter[str] = Counter()
    names = unique_node_names(graph.node)
    for node, name in zip(graph.node, names, strict=True):
        if node.op_type not in ("Conv", "Gemm", "MatMul"):
            skipped[node.op_type] += 1
            continue
        with found.collecting():
            own = _node_bits(onnx, node, source, name)
            fields = {**default, **own, **per_node.get(name, {})}
            layers.append(_layer(node, name, shapes, constants, source, fields, onnx))
    found.raise_if_any()
    _report_skipped(skipped, source)
    if not layers:
        expected = "a model with at least one Conv, Gemm or MatMul node"
        raise ConfigError(Problem(source, "graph", expected, show_got=False))
    network = Network(graph.name or Path(path).stem, tuple(layers))
    return network.with_batch(batch) if batch is not None else network


# ---- reading -----------------------------------------------------------------------------------
def import_onnx():
    try:
        import onnx
    except ImportError:
        expected = "the onnx package for .onnx workloads (pip install 'accelsim[onnx]')"
        raise ConfigError(Problem("", "onnx", expected, show_got=False)) from None
    return onnx


def read_onnx_model(onnx, path: Path):
    if not path.is_file():
        raise ConfigError(Problem(str(path), "", "an existing ONNX file", show_got=False))
    try:
        model = onnx.load_model_from_string(path.read_bytes())
    except Exception as error:  # protobuf raises DecodeError and others for bad bytes
        expected = f"an ONNX model (the file is not ONNX or is truncated: {error})"
        raise ConfigError(Problem(str(path), "", expected, show_got=False)) from None
    if not model.graph.node:
        expected = "an ONNX model with a graph of nodes (the file is not ONNX or is truncated)"
        raise ConfigError(Problem(str(path), "", expected, show_got=False))
    return model


def _infer(onnx, model, source: str, batch: int, input_shapes: Mapping[str, list[int]]):
    constants = {init.name for init in model.graph.initializer}
    found = Problems(source)
    for value in model.graph.input:
        if value.name in constants:
            continue
        dims = value.type.tensor_type.shape.dim
        fixed = input_shapes.get(value.name)
        if fixed is not None:
            _set_dims(dims, fixed, value.name, found)
            continue
        for index, dim in enumerate(dims):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                continue
            if index == 0:
                dim.dim_value = batch  # the batch dimension
            else:
                found.add(
                    f"input {value.name}",
                    f"a fixed size for dimension {index} (the model has dynamic shapes: give "
                    "input_shapes={name: [n, c, h, w]})",
                    dim.dim_param or "unknown",
                )
    found.raise_if_any()
    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=True).graph
    except Exception as error:
        raise ConfigError(
            Problem(source, "", f"a model ONNX shape inference accepts ({error})", show_got=False)
        ) from None


def _set_dims(dims, shape: list[int], name: str, found: Problems) -> None:
    if len(shape) != len(dims) or any(not isinstance(v, int) or v < 1 for v in shape):
        found.add(f"input_shapes.{name}", f"{len(dims)} positive integers", shape)
        return
    for dim, value in zip(dims, shape, strict=True):
        dim.dim_value = value


def _shapes(graph) -> dict[str, list[int]]:
    shapes: dict[str, list[int]] = {}
    for value in [*graph.input, *graph.value_info, *graph.output]:
        dims = value.type.tensor_type.shape.dim
        shapes[value.name] = [d.dim_value if d.HasField("dim_value") else 0 for d in dims]
    for init in graph.initializer:
        shapes[init.name] = list(init.dims)
    return shapes


def unique_node_names(nodes) -> list[str]:
    names: list[str] = []
    seen: Counter[str] = Counter()
    for index, node in enumerate(nodes):
        name = node.name or f"{node.op_type}_{index}"
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name] - 1}")
    return names


# ---- precision ---------------------------------------------------------------------------------
def _node_bits(onnx, node, source: str, name: str) -> dict[str, int]:
    bits = {}
    for attribute in node.attribute:
        if attribute.name in PRECISION_KEYS:
            value = onnx.helper.get_attribute_value(attribute)
            if not isinstance(value, int):
                raise ConfigError(
                    Problem(source, f"{name}.{attribute.name}", "an integer attribute", value)
                )
            bits[attribute.name] = value
    return bits


def _precision_file(path: Path, precision) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """The side file's default bits and its bits per node name."""

    if precision is None:
        side = path.with_suffix(".precision.yaml")
        if not side.is_file():
            return {}, {}
        precision = side
    source = "precision" if isinstance(precision, Mapping) else str(precision)
    raw = precision if isinstance(precision, Mapping) else read_yaml(Path(precision))
    found = Problems(source)
    for key in raw:
        if key not in ("default", "layers"):
            found.add(str(key), "one of the keys default, layers", key)
    default = _bits_entry(found, "default", raw.get("default", {}))
    layers = raw.get("layers", {})
    if not isinstance(layers, Mapping):
        found.add("layers", "a mapping from node name to {weight_bits, input_bits, ...}", layers)
        layers = {}
    per_node = {str(n): _bits_entry(found, f"layers.{n}", v) for n, v in layers.items()}
    found.raise_if_any()
    return default, per_node


def _bits_entry(found: Problems, where: str, entry: Any) -> dict[str, int]:
    if not isinstance(entry, Mapping):
        found.add(where, "a mapping of weight_bits, input_bits, output_bits, psum_bits", entry)
        return {}
    out = {}
    for key, value in entry.items():
        if key not in PRECISION_KEYS:
            found.add(f"{where}.{key}", f"one of {', '.join(PRECISION_KEYS)}", key)
        else:
            out[key] = bits(found, f"{where}.{key}", value, psum=key == "psum_bits")
    return out


# ---- layers ------------------------------------------------------------------------------------
def _layer(node, name, shapes, constants, source, bits, onnx) -> Layer:
    inputs = [shapes.get(i, []) for i in node.input]
    output = shapes.get(node.output[0], [])
    if any(0 in shape or not shape for shape in [*inputs[:2], output]):
        expected = "shapes known after shape inference (give input_shapes for dynamic models)"
        raise ConfigError(Problem(source, name, expected, [*inputs[:2], output]))
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    if node.op_type == "Conv":
        return _conv(name, inputs[0], inputs[1], output, attrs, source, bits)
    constant = node.input[1] in constants
    if node.op_type == "Gemm":
        return _gemm(name, inputs[0], inputs[1], attrs, constant, source, bits)
    return _matmul(name, inputs[0], inputs[1], constant, source, bits)


def _conv(name, x, w, y, attrs, source, bits) -> Layer:
    if len(x) != 4:
        expected = "a 2-D convolution (4-D input N, C, H, W)"
        raise ConfigError(Problem(source, name, expected, x))
    groups = attrs.get("group", 1)
    kernel = w[2:]
    stride = attrs.get("strides", [1, 1])
    dilation = attrs.get("dilations", [1, 1])
    pads = _pads(attrs, x[2:], y[2:], kernel, stride, dilation)
    common = dict(
        input_size=x[2:],
        kernel_size=kernel,
        stride=list(stride),
        padding=pads,
        dilation=list(dilation),
        output_size=y[2:],
        **bits,
    )
    if groups > 1 and groups == x[1] == w[0]:
        layer = make_layer(name, LayerKind.DEPTHWISE, source=source, channels=x[1], **common)
    else:
        layer = make_layer(
            name,
            LayerKind.CONV,
            source=source,
            in_channels=x[1],
            out_channels=w[0],
            groups=groups,
            **common,
        )
    return layer.with_batch(x[0])


def _pads(attrs, size, out, kernel, stride, dilation) -> list[int]:
    """Symmetric padding per axis: the mean of the begin and end pads (rounded up)."""
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        totals = [
            max((o - 1) * s + d * (k - 1) + 1 - n, 0)
            for n, o, k, s, d in zip(size, out, kernel, stride, dilation, strict=True)
        ]
        return [-(-t // 2) for t in totals]
    pads = attrs.get("pads", [0, 0, 0, 0])
    return [-(-(pads[i] + pads[i + 2]) // 2) for i in range(2)]


def _gemm(name, a, b, attrs, constant, source, bits) -> Layer:
    rows, inner = (a[1], a[0]) if attrs.get("transA", 0) else (a[0], a[1])
    columns = b[0] if attrs.get("transB", 0) else b[1]
    if constant:
        layer = make_layer(
            name, LayerKind.FC, source=source, in_features=inner, out_features=columns, **bits
        )
        return layer.with_batch(rows)
    return make_layer(
        name, LayerKind.MATMUL, source=source, rows=rows, inner=inner, columns=columns, **bits
    )


def _matmul(name, a, b, constant, source, bits) -> Layer:
    if len(a) < 2 or len(b) < 2:
        expected = "MatMul inputs of at least 2 dimensions"
        raise ConfigError(Problem(source, name, expected, [a, b]))
    if len(a) == 2 and constant and len(b) == 2:
        return _gemm(name, a, b, {}, True, source, bits)
    lead = a[:-2] if len(a) >= len(b) else b[:-2]
    batch = lead[0] if lead else 1
    groups = 1
    for size in lead[1:]:
        groups *= size
    rows = a[-2]
    if len(b) == 2:  # a constant weight shared by every leading index: fold them into rows
        rows, groups = rows * groups, 1
    layer = make_layer(
        name,
        LayerKind.MATMUL,
        source=source,
        rows=rows,
        inner=a[-1],
        columns=b[-1],
        groups=groups,
        **bits,
    )
    return layer.with_batch(batch)


def _report_skipped(skipped: Counter[str], source: str) -> None:
    free = {op: n for op, n in skipped.items() if op in MAC_FREE}
    other = {op: n for op, n in skipped.items() if op not in MAC_FREE}
    if free:
        log.info("%s: skipped MAC-free nodes: %s", source, _counts(free))
    if other:
        warnings.warn(
            f"{source}: nodes of unsupported ops were not modelled (they may carry MACs): "
            f"{_counts(other)}",
            UnsupportedOpsWarning,
            stacklevel=3,
        )


def _counts(ops: dict[str, int]) -> str:
    return ", ".join(f"{op} x {n}" for op, n in sorted(ops.items()))
