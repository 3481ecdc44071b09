"""Loading workloads from files: accelsim's YAML, Timeloop problem YAML, SCALE-Sim topology CSV.

:func:`load_workload` takes a path or the name of a builtin workload (a file in
``accelsim/builtin/workloads/``) and returns a :class:`Network`. The file type picks the reader:

- ``.yaml`` / ``.yml`` with a top-level ``problem`` key: a Timeloop problem (one CNN layer);
- other ``.yaml`` / ``.yml``: accelsim's own format (docs/workload_format.md);
- ``.csv``: a SCALE-Sim topology (:mod:`accelsim.workload.scalesim_csv`);
- ``.onnx``: an ONNX model (:mod:`accelsim.workload.onnx_loader`, needs ``accelsim[onnx]``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from accelsim.config import (
    bits,
    check_keys,
    expect_int,
    int_in,
    number_in,
    read_yaml,
    resolve_builtin,
    text,
)
from accelsim.errors import ConfigError, Problem, Problems
from accelsim.workload.build import PRECISION_FIELDS, make_layer
from accelsim.workload.layer import Layer, LayerKind, Network

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "builtin" / "workloads"
_YAML_SUFFIXES = (".yaml", ".yml")
_SUFFIXES = (*_YAML_SUFFIXES, ".csv")
_TOP_KEYS = ("name", "description", "batch", "defaults", "layers")
_ENTRY_KEYS = ("name", "type", "repeat")
_KINDS = ", ".join(kind.value for kind in LayerKind)
_TIMELOOP_REQUIRED = ("C", "M", "P", "Q", "R", "S")
_TIMELOOP_OPTIONAL = ("N", "G", "Hstride", "Wstride", "Hdilation", "Wdilation")
_TIMELOOP_PROBLEM_KEYS = ("shape", "instance", "version")


def builtin_workloads() -> list[str]:
    """Names (file stems) of the workloads shipped with accelsim, sorted."""
    return sorted(path.stem for path in BUILTIN_DIR.iterdir() if path.suffix in _SUFFIXES)


def load_workload(workload: str | Path, *, batch: int | None = None) -> Network:
    """Load a network from a file path or a builtin workload name (see :func:`builtin_workloads`).

    ``batch`` (images per inference), when given, replaces the batch size of the file.

    Raises:
        ConfigError: the name is neither a file nor a builtin workload (the message lists the
            builtin names); the file type is not supported; the file is empty, not valid YAML or
            not a mapping; or the content has problems (all of them are listed).
    """
    path = _resolve(workload)
    network = _load_file(path)
    if batch is None:
        return network
    if not int_in(batch, "batch"):
        raise ConfigError(Problem(str(path), "batch", expect_int("batch"), batch))
    return network.with_batch(batch)


def _resolve(workload: str | Path) -> Path:
    return resolve_builtin(
        workload,
        "workloads",
        "workload",
        builtin_workloads(),
        suffixes=_SUFFIXES,
        folder=BUILTIN_DIR,
    )


def _load_file(path: Path) -> Network:
    if path.suffix == ".onnx":
        from accelsim.workload.onnx_loader import load_onnx

        return load_onnx(path)
    if path.suffix == ".csv":
        from accelsim.workload.scalesim_csv import load_scalesim_topology

        return load_scalesim_topology(path)
    if path.suffix not in _YAML_SUFFIXES:
        expected = "a file ending in .yaml, .yml, .csv (SCALE-Sim topology) or .onnx"
        raise ConfigError(Problem(str(path), "", expected, path.suffix))
    data = read_yaml(path)
    if "problem" in data:
        return _timeloop_network(data, str(path), path.stem)
    return _accelsim_network(data, str(path), path.stem)


# ---- accelsim's own format -------------------------------------------------------------------
def _accelsim_network(data: dict, source: str, stem: str) -> Network:
    found = Problems(source)
    check_keys(found, "", data, _TOP_KEYS)
    name = text(found, "name", data.get("name", stem), empty_ok=False) or stem
    text(found, "description", data.get("description", ""))
    batch = data.get("batch", 1)
    if not int_in(batch, "batch"):
        found.add("batch", expect_int("batch"), batch)
        batch = 1
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        found.add("defaults", "a mapping of precisions and densities", defaults)
        defaults = {}
    check_keys(found, "defaults", defaults, PRECISION_FIELDS)
    defaults = _checked_defaults(defaults, found)
    layers = _layers(data.get("layers"), defaults, found)
    found.raise_if_any()
    return Network(name, tuple(layers)).with_batch(batch)


def _checked_defaults(defaults: dict, found: Problems) -> dict:
    """The valid defaults; a bad one is reported once, here, not again for every layer."""
    kept = {}
    for key, value in defaults.items():
        before = len(found.items)
        if key.endswith("_bits"):
            bits(found, f"defaults.{key}", value, psum=key == "psum_bits")
        elif not number_in(value, "density"):
            found.add(f"defaults.{key}", "a number in (0, 1]", value)
        if key in PRECISION_FIELDS and len(found.items) == before:
            kept[key] = value
    return kept


def _layers(entries: object, defaults: dict, found: Problems) -> list[Layer]:
    if not isinstance(entries, list) or not entries:
        found.add("layers", "a non-empty list of layers", entries)
        return []
    layers: list[Layer] = []
    for index, entry in enumerate(entries):
        with found.collecting():
            layers.extend(_entry_layers(entry, defaults, found.source, f"layers[{index}]"))
    seen: set[str] = set()
    for index, layer in enumerate(layers):
        if layer.name in seen:
            found.add(f"layers[{index}].name", "a unique layer name", layer.name)
        seen.add(layer.name)
    return layers


def _entry_layers(entry: object, defaults: dict, source: str, where: str) -> list[Layer]:
    """The layers of one ``layers`` entry: one, or ``repeat`` copies named by ``{i}``."""
    if not isinstance(entry, dict):
        raise ConfigError(Problem(source, where, "a mapping with name and type", entry))
    found = Problems(source)
    fields = {**defaults, **entry}
    name, kind, repeat = (fields.pop(key, None) for key in _ENTRY_KEYS)
    if name is None:
        found.add(f"{where}.name", "a layer name (missing)", show_got=False)
    if kind is None:
        found.add(f"{where}.type", f"one of {_KINDS} (missing)", show_got=False)
    repeat = 1 if repeat is None else repeat
    if not int_in(repeat):
        found.add(f"{where}.repeat", expect_int(), repeat)
    elif repeat > 1 and "{i}" not in str(name):
        found.add(
            f"{where}.name", "a name containing {i} (replaced by 0, 1, ...) with repeat", name
        )
    found.raise_if_any()
    first = make_layer(name.replace("{i}", "0"), kind, source=source, path=where, **fields)
    return [replace(first, name=name.replace("{i}", str(i))) for i in range(repeat)]


# ---- Timeloop problem ------------------------------------------------------------------------
def _timeloop_network(data: dict, source: str, stem: str) -> Network:
    """One CNN layer from a Timeloop problem.

    Timeloop's R and P are widths and its S and Q heights, so R -> s, S -> r, P -> q, Q -> p.
    Timeloop has no padding: the input is exactly what the outputs need,
    h = (p - 1) * Hstride + (r - 1) * Hdilation + 1 (and the same for w). With ``G`` groups,
    ``C`` and ``M`` are per group.
    """
    found = Problems(source)
    check_keys(found, "", data, ("problem",))
    problem = data["problem"]
    if not isinstance(problem, dict):
        raise ConfigError(Problem(source, "problem", "a mapping", problem))
    check_keys(found, "problem", problem, _TIMELOOP_PROBLEM_KEYS)
    if not isinstance(problem.get("shape", {}), dict):
        found.add("problem.shape", "a mapping", problem["shape"])
    instance = problem.get("instance")
    if not isinstance(instance, dict):
        found.add("problem.instance", "a mapping of dimension sizes", instance)
        found.raise_if_any()
    assert isinstance(instance, dict)  # otherwise recorded just above, so raise_if_any raised
    size = _timeloop_sizes(instance, found)
    found.raise_if_any()
    fields = _timeloop_fields(size)
    layer = make_layer(stem, LayerKind.CONV, source=source, path="problem.instance", **fields)
    return Network(stem, (layer,)).with_batch(size["N"])


def _timeloop_sizes(instance: dict, found: Problems) -> dict[str, int]:
    check_keys(found, "problem.instance", instance, _TIMELOOP_REQUIRED + _TIMELOOP_OPTIONAL)
    size = {key: 1 for key in _TIMELOOP_OPTIONAL}
    for key in _TIMELOOP_REQUIRED:
        if key not in instance:
            found.add(f"problem.instance.{key}", "a positive integer (missing)", show_got=False)
    for key, value in instance.items():
        if key in size or key in _TIMELOOP_REQUIRED:
            if int_in(value, "dimension"):
                size[key] = value
            else:
                found.add(f"problem.instance.{key}", expect_int("dimension"), value)
    return size


def _timeloop_fields(size: dict[str, int]) -> dict[str, object]:
    p, q, r, s = size["Q"], size["P"], size["S"], size["R"]  # Timeloop widths are R and P
    stride, dilation = (size["Hstride"], size["Wstride"]), (size["Hdilation"], size["Wdilation"])
    h = (p - 1) * stride[0] + (r - 1) * dilation[0] + 1
    w = (q - 1) * stride[1] + (s - 1) * dilation[1] + 1
    return {
        "in_channels": size["C"] * size["G"],
        "out_channels": size["M"] * size["G"],
        "groups": size["G"],
        "input_size": [h, w],
        "kernel_size": [r, s],
        "output_size": [p, q],
        "stride": list(stride),
        "dilation": list(dilation),
    }
