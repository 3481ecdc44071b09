"""The one set of parse helpers (accelsim.config): the YAML reader's duplicate-key and depth
checks, the limits, and the output-path check."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from accelsim.config import (
    LIMITS,
    MAX_DEPTH,
    check_output,
    int_in,
    load_yaml_text,
    number_in,
    read_yaml,
)
from accelsim.errors import ConfigError


def nested(depth: int) -> str:
    """A YAML document whose collections nest ``depth`` deep (the top mapping counts as 1)."""
    return "a: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "\n"


def test_depth_limit_is_exact() -> None:
    value = load_yaml_text(nested(MAX_DEPTH), "f.yaml")["a"]
    for _ in range(MAX_DEPTH - 2):
        value = value[0]
    assert value == [1]
    with pytest.raises(
        ConfigError, match=f"^f.yaml: line 1: expected YAML nested at most {MAX_DEPTH}"
    ):
        load_yaml_text(nested(MAX_DEPTH + 1), "f.yaml")


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, "a"),
        ("a: {x: 1, y: 2, x: 3}\n", 1, "x"),
        ("a:\n  - {p: 1}\n  - {q: 1, q: 2}\n", 3, "q"),
        ("a:\n  b:\n    c:\n      d: 1\n      d: 2\n", 5, "d"),
        ("1: a\n1: b\n", 2, 1),
    ],
)
def test_duplicate_keys_at_every_depth(text: str, line: int, key: object) -> None:
    with pytest.raises(ConfigError) as caught:
        load_yaml_text(text, "f.yaml")
    assert str(caught.value) == (
        f"f.yaml: line {line}: expected a key used once per mapping ({key!r} appears twice)"
    )


def test_aliases_are_not_duplicates() -> None:
    assert load_yaml_text("x: &v {a: 1}\ny: *v\n", "f.yaml") == {"x": {"a": 1}, "y": {"a": 1}}


def test_unsafe_tags_are_refused() -> None:
    with pytest.raises(ConfigError, match="valid YAML"):
        load_yaml_text("a: !!python/object/apply:os.system ['true']\n", "f.yaml")


def test_read_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: \xe9\n")  # Latin-1, not UTF-8
    with pytest.raises(ConfigError, match=f"^{path}: expected a UTF-8 text file"):
        read_yaml(path)


@pytest.mark.parametrize(
    ("value", "kind", "ok"),
    [
        (1, "size", True),
        (2**31 - 1, "size", True),
        (2**31, "size", False),
        (0, "size", False),
        (True, "size", False),
        (4.0, "size", False),
        (0, "padding", True),
        (32, "bits", True),
        (33, "bits", False),
        (64, "psum_bits", True),
        (65, "psum_bits", False),
    ],
)
def test_integer_limits(value: object, kind: str, ok: bool) -> None:
    assert int_in(value, kind) is ok


@pytest.mark.parametrize(
    ("value", "kind", "ok"),
    [
        (2**24, "bandwidth", True),
        (2**24 + 1, "bandwidth", False),
        (0, "bandwidth", False),
        (0, "energy", True),
        (-0.5, "energy", False),
        (math.inf, "energy", False),
        (math.nan, "energy", False),
        (1e30, "capacity_kb", False),
        (1.0, "density", True),
        (0.0, "density", False),
    ],
)
def test_number_limits(value: float, kind: str, ok: bool) -> None:
    assert number_in(value, kind) is ok


def test_every_limit_is_documented() -> None:
    limits = (Path(__file__).parent.parent / "docs" / "limits.md").read_text()
    documented = {
        "size": "1 to 2^31 - 1",
        "padding": "0 to 65,536",
        "pe_edge": "1 to 65,536",
        "batch": "1 to 2^20",
        "bits": "1 to 32",
        "dimension": "integer 1 to 2^40",
        "psum_bits": "1 to 64",
        "word_bits": "1 to 4,096",
        "capacity_bits": "0 to 2^48 bits",
        "capacity_kb": "at most 2^38 KiB",
        "capacity_bytes": "at most 2^45 bytes",
        "bandwidth": "at most 2^24 bits per cycle",
        "latency": "0 to 10^6 cycles",
        "clock_mhz": "at most 10^6 MHz",
        "energy": "0 to 10^9",
        "area_mm2": "at most 10^6 mm2",
        "density": "above 0, at most 1",
    }
    assert set(documented) == set(LIMITS)
    for text in documented.values():
        assert text in limits


def test_check_output(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    assert check_output(tmp_path / "new" / "deeper" / "out.csv") == tmp_path / "new/deeper/out.csv"
    assert check_output(tmp_path / "folder", folder=True) == tmp_path / "folder"
    assert check_output(tmp_path / "file") == tmp_path / "file"  # a file is replaced whole
    for target, folder, expected in [
        ("folder", False, "expected a file to write, not an existing folder"),
        ("file", True, "expected a folder to write into, not an existing file"),
        ("file/x.csv", False, f"(but {tmp_path / 'file'} is a file, not a folder)"),
        ("file/a/b", True, f"(but {tmp_path / 'file'} is a file, not a folder)"),
    ]:
        with pytest.raises(ConfigError) as caught:
            check_output(tmp_path / target, folder=folder, option="--out")
        assert str(caught.value).startswith("command line: --out: ")
        assert expected in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder"]  # nothing created
