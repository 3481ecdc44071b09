"""SCALE-Sim architecture ``.cfg`` files (INI), read into a frozen :class:`ScaleSimConfig`.

Read: ``[architecture_presets]`` ArrayHeight, ArrayWidth, IfmapSramSzkB, FilterSramSzkB,
OfmapSramSzkB, IfmapOffset, FilterOffset, OfmapOffset, Dataflow (os | ws | is), Bandwidth
(optional); ``[run_presets]`` InterfaceBandwidth; ``[general]`` run_name (optional). Keys are not
case sensitive (configparser's rule, and SCALE-Sim's).

SCALE-Sim v3 files also carry keys that do not change its CALC-mode numbers (request-buffer sizes,
memory banks, the SRAM layout section, the topology path): they are accepted and ignored. Features
accelsim does not model are errors, not silently different results: USER interface bandwidth (DRAM
stalls), Ramulator traces, sparsity, custom SRAM layouts. Any other section or key is an error.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

from accelsim.errors import Problems
from accelsim.systolic.gemm import SystolicDataflow

_ARCH = "architecture_presets"
_RUN = "run_presets"
_INT_KEYS = {  # key as written in SCALE-Sim's files -> field; all must be integers
    "ArrayHeight": ("array_rows", 1),
    "ArrayWidth": ("array_cols", 1),
    "IfmapSramSzkB": ("ifmap_sram_kb", 1),
    "FilterSramSzkB": ("filter_sram_kb", 1),
    "OfmapSramSzkB": ("ofmap_sram_kb", 1),
    "IfmapOffset": ("ifmap_offset", 0),
    "FilterOffset": ("filter_offset", 0),
    "OfmapOffset": ("ofmap_offset", 0),
}
# Accepted and ignored: they do not change SCALE-Sim's numbers in CALC mode. A value other than
# the given one (compared without case) means a feature accelsim does not model.
_IGNORED: dict[str, dict[str, str | None]] = {
    "general": {},
    _ARCH: {"MemoryBanks": None, "ReadRequestBuffer": None, "WriteRequestBuffer": None},
    _RUN: {"UseRamulatorTrace": "false"},
    "network_presets": {"TopologyCsvLoc": None},
    "layout": {
        "IfmapCustomLayout": "false",
        "FilterCustomLayout": "false",
        "IfmapSRAMBankBandwidth": None,
        "IfmapSRAMBankNum": None,
        "IfmapSRAMBankPort": None,
        "FilterSRAMBankBandwidth": None,
        "FilterSRAMBankNum": None,
        "FilterSRAMBankPort": None,
    },
    "sparsity": {
        "SparsitySupport": "false",
        "SparseRep": None,
        "OptimizedMapping": None,
        "BlockSize": None,
        "RandomNumberGeneratorSeed": None,
    },
}
_READ: dict[str, tuple[str, ...]] = {
    "general": ("run_name",),
    _ARCH: (*_INT_KEYS, "Dataflow", "Bandwidth"),
    _RUN: ("InterfaceBandwidth",),
}


@dataclass(frozen=True)
class ScaleSimConfig:
    """A SCALE-Sim architecture: array shape, SRAM sizes (KiB), address offsets, dataflow."""

    run_name: str
    array_rows: int
    array_cols: int
    ifmap_sram_kb: int
    filter_sram_kb: int
    ofmap_sram_kb: int
    ifmap_offset: int
    filter_offset: int
    ofmap_offset: int
    dataflow: SystolicDataflow
    bandwidth_words_per_cycle: tuple[int, ...] = ()  # only used by SCALE-Sim's USER mode


def load_scalesim_config(path: str | Path) -> ScaleSimConfig:
    """Read and check a SCALE-Sim ``.cfg`` file.

    Raises ConfigError listing every problem with the file, section and key: a syntax error, a
    missing section or key, a value that is not an integer, an unknown dataflow, an unknown key,
    USER interface bandwidth or another feature accelsim does not model.
    """
    path = Path(path)
    found = Problems(str(path))
    parser = _parse(path, found)
    found.raise_if_any()
    _check_known(parser, found)
    values: dict[str, object] = {
        field: _integer(parser, key, minimum, found) for key, (field, minimum) in _INT_KEYS.items()
    }
    values["dataflow"] = _dataflow(parser, found)
    values["bandwidth_words_per_cycle"] = _bandwidth(parser, found)
    _check_interface_bandwidth(parser, found)
    found.raise_if_any()
    run_name = parser.get("general", "run_name", fallback="").strip() or path.stem
    return ScaleSimConfig(run_name=run_name, **values)  # type: ignore[arg-type]


def _parse(path: Path, found: Problems) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        found.add("", "a readable SCALE-Sim .cfg file", error.strerror or str(error))
        return parser
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as error:
        found.add("", "an INI file: [section] lines, then 'key: value' lines", str(error))
    return parser


def _check_known(parser: configparser.ConfigParser, found: Problems) -> None:
    for section in parser.sections():
        if section not in _IGNORED:
            found.add(f"[{section}]", f"one of the sections {sorted(_IGNORED)}", section)
            continue
        known = {key.lower(): key for key in (*_READ.get(section, ()), *_IGNORED[section])}
        for key, value in parser.items(section):
            if key not in known:
                found.add(f"[{section}] {key}", f"one of the keys {sorted(known.values())}", key)
                continue
            wanted = _IGNORED[section].get(known[key])
            if wanted is not None and value.strip().lower() != wanted:
                found.add(
                    f"[{section}] {known[key]}", f"{wanted!r} (not modelled by accelsim)", value
                )


def _get(parser: configparser.ConfigParser, section: str, key: str, found: Problems) -> str | None:
    if not parser.has_section(section):
        if not any(p.path == f"[{section}]" for p in found.items):
            found.add(f"[{section}]", "this section to be present", show_got=False)
        return None
    if not parser.has_option(section, key):
        found.add(f"[{section}] {key}", "this key to be present", show_got=False)
        return None
    return parser.get(section, key).strip()


def _integer(parser: configparser.ConfigParser, key: str, minimum: int, found: Problems) -> int:
    text = _get(parser, _ARCH, key, found)
    if text is None:
        return 0
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        wanted = "a positive integer" if minimum > 0 else "a non-negative integer"
        found.add(f"[{_ARCH}] {key}", wanted, text)
    return value


def _dataflow(parser: configparser.ConfigParser, found: Problems) -> SystolicDataflow:
    text = _get(parser, _ARCH, "Dataflow", found)
    try:
        return SystolicDataflow((text or "").lower())
    except ValueError:
        if text is not None:
            found.add(f"[{_ARCH}] Dataflow", "one of os, ws, is", text)
        return SystolicDataflow.OS


def _bandwidth(parser: configparser.ConfigParser, found: Problems) -> tuple[int, ...]:
    text = parser.get(_ARCH, "Bandwidth", fallback="").strip()
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if all(part.isdigit() and int(part) > 0 for part in parts):
        return tuple(int(part) for part in parts)
    found.add(f"[{_ARCH}] Bandwidth", "positive integers separated by commas", text)
    return ()


def _check_interface_bandwidth(parser: configparser.ConfigParser, found: Problems) -> None:
    text = _get(parser, _RUN, "InterfaceBandwidth", found)
    if text is not None and text != "CALC":
        found.add(
            f"[{_RUN}] InterfaceBandwidth",
            "CALC (accelsim models SCALE-Sim's CALC mode only, without DRAM stalls; "
            "USER bandwidth mode is not supported)",
            text,
        )
