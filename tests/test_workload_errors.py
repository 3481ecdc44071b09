"""Bad workloads: each mistake is a ConfigError naming the file, the field, the value, the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accelsim.errors import ConfigError
from accelsim.workload import builtin_workloads, load_workload, make_layer

CONV = "{name: c, type: conv, in_channels: 4, out_channels: 8, input_size: 8, kernel_size: 3"


def write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str, name: str = "bad.yaml") -> tuple[str, str]:
    """The message of the ConfigError that loading ``text`` raises, and the file name it names."""
    path = write(tmp_path, text, name)
    with pytest.raises(ConfigError) as caught:
        load_workload(path)
    return str(caught.value), str(path)


def one_layer(extra: str) -> str:
    return f"layers:\n  - {CONV}{extra}}}\n"


def test_valid_base_layer_loads(tmp_path: Path) -> None:
    """The layer the error cases below spoil is itself valid."""
    assert load_workload(write(tmp_path, one_layer(""))).macs == 6 * 6 * 8 * 4 * 3 * 3


def test_unknown_layer_key(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, one_layer(", strides: 2"))
    assert message.startswith(f"{path}: layers[0].strides: expected one of the keys in_channels")
    assert "stride, padding" in message


def test_unknown_top_level_and_defaults_keys(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, "layer: []\ndefaults: {bits: 4}\n" + one_layer(""))
    assert f"{path}: layer: expected one of the keys name, description" in message
    assert f"{path}: defaults.bits: expected one of the keys weight_bits" in message


def test_missing_field(tmp_path: Path) -> None:
    text = "layers:\n  - {name: c, type: conv, in_channels: 4, out_channels: 8, input_size: 8}\n"
    message, path = error_of(tmp_path, text)
    assert message == (
        f"{path}: layers[0].kernel_size: expected a value (missing, required for a conv layer)"
    )


def test_missing_name_and_type(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, "layers:\n  - {in_features: 3, out_features: 4}\n")
    assert f"{path}: layers[0].name: expected a layer name (missing)" in message
    assert (
        f"{path}: layers[0].type: expected one of conv, depthwise, fc, matmul (missing)" in message
    )


def test_missing_layers(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, "name: empty\n")
    assert message == f"{path}: layers: expected a non-empty list of layers, got None"


@pytest.mark.parametrize(
    ("extra", "field", "value"),
    [(", stride: 0", "stride", "0"), (", groups: -2", "groups", "-2")],
)
def test_zero_or_negative_size(tmp_path: Path, extra: str, field: str, value: str) -> None:
    message, path = error_of(tmp_path, one_layer(extra))
    assert re.match(
        rf"{re.escape(path)}: layers\[0\]\.{field}: expected a positive integer", message
    )
    assert message.endswith(f"got {value}")


def test_negative_padding_and_zero_channels(tmp_path: Path) -> None:
    text = "layers:\n  - {name: d, type: depthwise, channels: 0, input_size: 8, kernel_size: 3,"
    message, path = error_of(tmp_path, text + " padding: [1, -1]}\n")
    assert (
        f"{path}: layers[0].channels: expected a positive integer (1 to 1,099,511,627,776), got 0"
        in message
    )
    assert (
        f"{path}: layers[0].padding: expected a non-negative integer (0 to 65,536), or a list "
        "[height, width] of two of them, got [1, -1]"
    ) in message


def test_filter_larger_than_padded_input(tmp_path: Path) -> None:
    text = "layers:\n  - {name: big, type: conv, in_channels: 1, out_channels: 1, input_size: 4,"
    message, path = error_of(tmp_path, text + " kernel_size: [7, 3], padding: 1}\n")
    assert message == (
        f"{path}: layers[0].kernel_size: expected a filter height that fits the padded input "
        "(dilation * (kernel - 1) + 1 = 1 * (7 - 1) + 1 = 7 must be at most input + 2 * padding = "
        "4 + 2 * 1 = 6), got 7"
    )


def test_dilated_filter_larger_than_input(tmp_path: Path) -> None:
    message, _ = error_of(tmp_path, one_layer(", dilation: [1, 4]"))  # 4 * 2 + 1 = 9 > 8
    assert "filter width that fits the padded input" in message
    assert "= 9 must be at most input + 2 * padding = 8 + 2 * 0 = 8" in message


def test_inconsistent_output_size(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, one_layer(", stride: 2, padding: 1, output_size: [5, 4]"))
    assert message == (
        f"{path}: layers[0].output_size: expected output height floor((8 + 2 * 1 - 1 * (3 - 1) - 1)"
        " / 2) + 1 = 4 (rule: floor((input + 2 * padding - dilation * (kernel - 1) - 1) / stride)"
        " + 1), got 5"
    )


def test_truncated_yaml(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, "name: cut\nlayers:\n  - {name: c, type: conv, in_chan")
    assert message.startswith(f"{path}: line 3: expected valid YAML (expected ',' or '}}'")


def test_tab_indented_yaml(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, "name: x\nlayers:\n\t- {name: c}\n")
    assert message.startswith(f"{path}: line 3: expected valid YAML (")


@pytest.mark.parametrize("text", ["", "\n  \n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    message, path = error_of(tmp_path, text)
    assert message.startswith(f"{path}: expected a YAML mapping")


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, "- a\n- b\n")
    assert message == f"{path}: expected a YAML mapping at the top level, got ['a', 'b']"


def test_unknown_builtin_name_lists_builtins() -> None:
    with pytest.raises(ConfigError) as caught:
        load_workload("alexnett")
    message = str(caught.value)
    assert message.startswith("alexnett: expected an existing workload file or a built-in workload")
    assert ", ".join(builtin_workloads()) in message
    assert "resnet50" in message


def test_missing_path_lists_builtins(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"missing\.yaml: expected an existing workload file.*tiny"
    ):
        load_workload(tmp_path / "missing.yaml")


def test_unsupported_suffix(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, "x", "net.txt")
    expected = "a file ending in .yaml, .yml, .csv (SCALE-Sim topology) or .onnx"
    assert message == f"{path}: expected {expected}, got '.txt'"


def test_string_for_an_integer(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, one_layer(", groups: '2'"))
    assert (
        message == f"{path}: layers[0].groups: expected a positive integer "
        "(1 to 1,099,511,627,776), got '2'"
    )


def test_float_and_bool_are_not_integers(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, one_layer(", groups: 2.0, input_bits: true"))
    assert (
        f"{path}: layers[0].groups: expected a positive integer (1 to 1,099,511,627,776), got 2.0"
        in message
    )
    assert (
        f"{path}: layers[0].input_bits: expected a positive integer (1 to 32 bits), got True"
        in message
    )


def test_groups_not_dividing_channels(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, one_layer(", groups: 3"))
    assert message.splitlines() == [
        f"{path}: layers[0].groups: expected a divisor of in_channels = 4, got 3",
        f"{path}: layers[0].groups: expected a divisor of out_channels = 8, got 3",
    ]


def test_bits_and_density_ranges(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, one_layer(", weight_bits: 33, weight_density: 1.5"))
    assert (
        f"{path}: layers[0].weight_bits: expected a positive integer (1 to 32 bits), got 33"
        in message
    )
    assert f"{path}: layers[0].weight_density: expected a number in (0, 1], got 1.5" in message


def test_bad_default_is_reported_once_where_it_is_written(tmp_path: Path) -> None:
    second = "  - " + CONV.replace("name: c,", "name: d,") + "}\n"  # two layers, one message
    text = "defaults: {input_density: 0}\n" + one_layer("") + second
    message, path = error_of(tmp_path, text)
    assert message == f"{path}: defaults.input_density: expected a number in (0, 1], got 0"


def test_unknown_layer_type(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, "layers:\n  - {name: p, type: pool, kernel_size: 2}\n")
    assert (
        message
        == f"{path}: layers[0].type: expected one of conv, depthwise, fc, matmul, got 'pool'"
    )


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        "batch: 0\nlayers:\n"
        f"  - {CONV}, stride: 0}}\n"
        "  - {name: f, type: fc, in_features: 3}\n"
        f"  - {CONV}, groups: 3}}\n"
    )
    message, path = error_of(tmp_path, text)
    lines = message.splitlines()
    assert f"{path}: batch: expected a positive integer (1 to 1,048,576), got 0" in lines
    assert any(line.startswith(f"{path}: layers[0].stride:") for line in lines)
    missing = "expected a value (missing, required for a fc layer)"
    assert f"{path}: layers[1].out_features: {missing}" in lines
    assert any(line.startswith(f"{path}: layers[2].groups:") for line in lines)
    assert len(lines) == 5


def test_duplicate_layer_names(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, f"layers:\n  - {CONV}}}\n  - {CONV}}}\n")
    assert message == f"{path}: layers[1].name: expected a unique layer name, got 'c'"


def test_repeat_needs_an_index_in_the_name(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, one_layer(", repeat: 2"))
    assert message == (
        f"{path}: layers[0].name: expected a name containing {{i}} (replaced by 0, 1, ...) with "
        "repeat, got 'c'"
    )


def test_layer_entry_not_a_mapping(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, "layers:\n  - conv1\n")
    assert message == f"{path}: layers[0]: expected a mapping with name and type, got 'conv1'"


def test_bad_batch_argument() -> None:
    with pytest.raises(
        ConfigError,
        match=r"tiny\.yaml: batch: expected a positive integer \(1 to 1,048,576\), got 0",
    ):
        load_workload("tiny", batch=0)


# ---- Timeloop problem ------------------------------------------------------------------------
def test_timeloop_unknown_and_missing_dimensions(tmp_path: Path) -> None:
    text = "problem:\n  instance: {C: 3, M: 4, R: 3, S: 3, P: 0, K: 2}\n"
    message, path = error_of(tmp_path, text)
    assert f"{path}: problem.instance.K: expected one of the keys C, M, P, Q, R, S, N," in message
    assert f"{path}: problem.instance.Q: expected a positive integer (missing)" in message
    assert (
        f"{path}: problem.instance.P: expected a positive integer (1 to 1,099,511,627,776), got 0"
        in message
    )


def test_timeloop_without_instance(tmp_path: Path) -> None:
    message, path = error_of(tmp_path, "problem:\n  shape: {name: CNN-Layer}\n")
    assert message == f"{path}: problem.instance: expected a mapping of dimension sizes, got None"


# ---- make_layer, from Python -----------------------------------------------------------------
def test_make_layer_names_the_layer_when_no_path() -> None:
    with pytest.raises(ConfigError) as caught:
        make_layer("conv9", "fc", in_features=0, out_features=4, bias=True)
    assert str(caught.value).splitlines() == [
        "conv9.bias: expected one of the keys in_features, out_features, weight_bits,"
        " input_bits, output_bits, psum_bits, weight_density, input_density, output_density",
        "conv9.in_features: expected a positive integer (1 to 1,099,511,627,776), got 0",
    ]


@pytest.mark.parametrize("density", ["abc", [1], None, 0, 1.5])
def test_a_bad_density_is_a_config_error(density) -> None:
    from accelsim.workload.build import make_layer

    with pytest.raises(ConfigError, match=r"weight_density: expected a number in \(0, 1\]"):
        make_layer(
            "c", "conv", in_channels=3, out_channels=4, input_size=8, kernel_size=3,
            weight_density=density,
        )  # fmt: skip
