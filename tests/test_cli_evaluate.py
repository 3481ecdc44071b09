"""``accelsim evaluate``: the Timeloop AlexNet CONV1 reference table printed from the command line
(../shared/reference/README.md, per-instance counts exact, energy within 0.1 %), the three ways
to name a layer, and exit status 2 with one clear message for bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accelsim.cli import main

CONV1_PROBLEM = (
    "problem:\n  instance: {C: 3, M: 96, R: 11, S: 11, N: 1, P: 55, Q: 55, "
    "Hstride: 4, Wstride: 4}\n"
)
ARCH = ["--arch", "timeloop_eyeriss_like"]

# The reference table's rows: level, dataspace, instances, reads, fills, updates per instance
REFERENCE_ROWS = [
    ("psum_spad", "outputs", 132, "774,400", "72,600", "798,600"),
    ("weights_spad", "weights", 132, "798,600", "14,520", "0"),
    ("ifmap_spad", "inputs", 132, "798,600", "37,455", "0"),
    ("shared_glb", "inputs", 1, "412,005", "412,005", "0"),
    ("shared_glb", "outputs", 1, "580,800", "290,400", "871,200"),
    ("DRAM", "weights", 1, "1,916,640", "0", "0"),
    ("DRAM", "inputs", 1, "412,005", "0", "0"),
    ("DRAM", "outputs", 1, "0", "0", "290,400"),
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["evaluate", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def problem(tmp_path: Path) -> Path:
    path = tmp_path / "conv1.yaml"
    path.write_text(CONV1_PROBLEM)
    return path


def table_rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines()]


def test_reference_table_from_timeloop_files(capsys, problem: Path) -> None:
    status, out, err = run(
        capsys,
        *ARCH,
        "--layer",
        str(problem),
        "--mapping",
        "timeloop_alexnet_conv1",
        "--fidelity",
        "ideal",
    )
    assert (status, err) == (0, "")
    rows = table_rows(out)
    data_rows = [row[:6] for row in rows if len(row) == 8 and row[0] != "level"]
    assert data_rows == [[str(field) for field in row] for row in REFERENCE_ROWS]
    assert ["mac", "-", "132", "105,415,200", "computes", "2.200", "231,913,440"] in rows
    assert "for M in [0:12) (spatial-X)" in out  # the mapping is printed
    assert "MACs:           105,415,200" in out
    assert "cycles:         798,600\n" in out
    assert "utilization:    0.79 (132 of 168 PEs used)" in out
    energy = float(re.search(r"energy: +([\d.]+) uJ", out).group(1))
    assert energy == pytest.approx(866.32, rel=1e-3)
    assert "energy per MAC: 8.22 pJ" in out


def test_three_ways_to_name_the_layer_agree(capsys, tmp_path: Path) -> None:
    mapping = ["--mapping", "eyeriss_like_alexnet_conv1", "--fidelity", "ideal"]
    one_layer = tmp_path / "one.yaml"
    one_layer.write_text(
        "layers:\n  - {name: CONV1, type: conv, in_channels: 3, out_channels: 96, "
        "input_size: 227, kernel_size: 11, stride: 4}\n"
    )
    outputs = [
        run(capsys, *ARCH, "--layer", spec, *mapping)[1].split("\n", 1)[1]
        for spec in ("alexnet:CONV1", str(one_layer))
    ]
    outputs.append(
        run(capsys, *ARCH, "--workload", "alexnet", "--layer", "CONV1", *mapping)[1].split("\n", 1)[
            1
        ]
    )
    assert outputs[0] == outputs[1] == outputs[2]
    assert "412,005" in outputs[0]


def test_engine_fidelity_is_the_default(capsys) -> None:
    status, out, _ = run(
        capsys, *ARCH, "--layer", "alexnet:CONV1", "--mapping", "timeloop_alexnet_conv1"
    )
    assert status == 0
    cycles = int(re.search(r"cycles: +([\d,]+)", out).group(1).replace(",", ""))
    assert cycles >= 798_600  # the engine can only add stalls to the compute-bound count


# ---- bad input: exit 2, one message ----------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--layer", "alexnet:CONV9"],
            "command line: --layer: expected a layer of alexnet (one of CONV1, CONV2, CONV3, "
            "CONV4, CONV5, FC1, FC2, FC3), got 'CONV9'",
        ),
        (
            ["--layer", "CONV1"],
            "command line: --layer: expected an existing layer file, WORKLOAD:LAYER "
            "(e.g. alexnet:CONV1), or --workload W, got 'CONV1'",
        ),
        (
            ["--layer", "nosuchnet:CONV1"],
            "nosuchnet: expected an existing workload file or a built-in workload name",
        ),
        (
            ["--layer", "alexnet:CONV2"],
            "factors of C: expected factors multiplying to 48 (the layer's C), got '3 = 3'",
        ),
    ],
)
def test_bad_layer(capsys, argv: list[str], message: str) -> None:
    status, out, err = run(capsys, *ARCH, *argv, "--mapping", "timeloop_alexnet_conv1")
    assert (status, out) == (2, "")
    assert err.startswith("accelsim evaluate: error:\n")
    assert message in err


def test_file_with_several_layers(capsys, tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        "layers:\n  - {name: a, type: fc, in_features: 4, out_features: 4}\n"
        "  - {name: b, type: fc, in_features: 4, out_features: 4}\n"
    )
    status, _, err = run(capsys, *ARCH, "--layer", str(path), "--mapping", "x.yaml")
    assert status == 2
    assert "--layer: expected a file with one layer, or FILE:LAYER with a layer among a, b" in err


def test_missing_mapping_file_and_unknown_arch(capsys) -> None:
    status, _, err = run(capsys, *ARCH, "--layer", "alexnet:CONV1", "--mapping", "nope.yaml")
    assert status == 2
    assert "nope.yaml: expected an existing mapping file or a built-in mapping name" in err
    status, _, err = run(
        capsys, "--arch", "nope", "--layer", "alexnet:CONV1", "--mapping", "nope.yaml"
    )
    assert status == 2 and "nope: expected an existing architecture file" in err


def test_overflowing_mapping_says_which_buffer(capsys, tmp_path: Path) -> None:
    # 24 output channels per PE: 24 x 11 weights and 24 partial sums per PE.
    path = tmp_path / "big.yaml"
    path.write_text(
        "mapping:\n  - {level: DRAM, temporal: [[P, 55], [C, 3]]}\n"
        "  - {level: shared_glb, temporal: [[Q, 55]], spatial: [[M, 4, X]]}\n"
        "  - {level: DummyBuffer, spatial: [[R, 11, Y]]}\n"
        "  - {level: weights_spad, temporal: [[S, 11]]}\n"
        "  - {level: psum_spad, temporal: [[M, 24]]}\n"
    )
    status, out, err = run(capsys, *ARCH, "--layer", "alexnet:CONV1", "--mapping", str(path))
    assert (status, out) == (2, "")
    assert err.splitlines()[1:] == [
        f"{path}: weights_spad: expected tiles that fit its 3072 bits (192 words of 16 bits), "
        f"got '{24 * 11 * 16} bits needed (weights {24 * 11 * 16})'",
        f"{path}: psum_spad: expected tiles that fit its 256 bits (16 words of 16 bits), "
        f"got '{24 * 16} bits needed (outputs {24 * 16})'",
    ]


def test_bad_fidelity_is_an_argument_error(capsys) -> None:
    assert main(["evaluate", *ARCH, "--layer", "a:b", "--mapping", "m", "--fidelity", "fast"]) == 2
    assert "invalid choice: 'fast'" in capsys.readouterr().err
