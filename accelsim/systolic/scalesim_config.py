"""SCALE-Sim architecture ``.cfg`` files (INI), read into a frozen :class:`ScaleSimConfig`.

Sections and keys (not case sensitive, configparser's rule and SCALE-Sim's):

* ``[general]`` run_name (optional: the file name);
* ``[architecture_presets]`` ArrayHeight, ArrayWidth, IfmapSramSzkB, FilterSramSzkB,
  OfmapSramSzkB, IfmapOffset, FilterOffset, OfmapOffset, Dataflow (os | ws | is), Bandwidth
  (words per cycle, needed for USER mode), and optionally MemoryBanks, ReadRequestBuffer,
  WriteRequestBuffer (they only matter to SCALE-Sim's Ramulator mode);
* ``[layout]`` IfmapCustomLayout, FilterCustomLayout (false: custom layouts are not modelled),
  IfmapSRAMBankBandwidth, IfmapSRAMBankNum, IfmapSRAMBankPort and the Filter ones: in USER mode
  the two bank bandwidths are the rates at which the ifmap and filter SRAMs read from DRAM;
* ``[sparsity]`` SparsitySupport (N:M filters, see :mod:`accelsim.systolic.sparsity`), SparseRep
  (csr | csc | ellpack_block), OptimizedMapping (false: not modelled), BlockSize,
  RandomNumberGeneratorSeed;
* ``[run_presets]`` InterfaceBandwidth (CALC | USER), UseRamulatorTrace (false);
* ``[network_presets]`` TopologyCsvLoc (ignored: the topology is given on the command line).

A file without ``[layout]`` or ``[sparsity]`` (SCALE-Sim 3.0.0 stops on one) gets SCALE-Sim's
defaults and a note in :attr:`ScaleSimConfig.notes`. Every value is checked for type and range;
every problem is reported at once in one ConfigError.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

from accelsim.errors import Problems
from accelsim.systolic.gemm import SystolicDataflow

_ARCH = "architecture_presets"
_RUN = "run_presets"
_LAYOUT = "layout"
_SPARSITY = "sparsity"
_MAX_ARRAY = 1 << 16
_MAX_KB = 1 << 24
_MAX_ADDRESS = 1 << 48
_MAX_RATE = 1 << 20

# key as written in SCALE-Sim's files -> (field, section, minimum, maximum, default or None)
_INTEGERS: dict[str, tuple[str, str, int, int, int | None]] = {
    "ArrayHeight": ("array_rows", _ARCH, 1, _MAX_ARRAY, None),
    "ArrayWidth": ("array_cols", _ARCH, 1, _MAX_ARRAY, None),
    "IfmapSramSzkB": ("ifmap_sram_kb", _ARCH, 1, _MAX_KB, None),
    "FilterSramSzkB": ("filter_sram_kb", _ARCH, 1, _MAX_KB, None),
    "OfmapSramSzkB": ("ofmap_sram_kb", _ARCH, 1, _MAX_KB, None),
    "IfmapOffset": ("ifmap_offset", _ARCH, 0, _MAX_ADDRESS, None),
    "FilterOffset": ("filter_offset", _ARCH, 0, _MAX_ADDRESS, None),
    "OfmapOffset": ("ofmap_offset", _ARCH, 0, _MAX_ADDRESS, None),
    "MemoryBanks": ("memory_banks", _ARCH, 1, _MAX_RATE, 1),
    "ReadRequestBuffer": ("read_request_buffer", _ARCH, 1, _MAX_RATE, 60),
    "WriteRequestBuffer": ("write_request_buffer", _ARCH, 1, _MAX_RATE, 60),
    "IfmapSRAMBankBandwidth": ("ifmap_bank_bandwidth", _LAYOUT, 1, _MAX_RATE, 10),
    "IfmapSRAMBankNum": ("ifmap_banks", _LAYOUT, 1, _MAX_RATE, 10),
    "IfmapSRAMBankPort": ("ifmap_bank_ports", _LAYOUT, 1, _MAX_RATE, 2),
    "FilterSRAMBankBandwidth": ("filter_bank_bandwidth", _LAYOUT, 1, _MAX_RATE, 10),
    "FilterSRAMBankNum": ("filter_banks", _LAYOUT, 1, _MAX_RATE, 10),
    "FilterSRAMBankPort": ("filter_bank_ports", _LAYOUT, 1, _MAX_RATE, 2),
    "BlockSize": ("sparsity_block_size", _SPARSITY, 1, _MAX_ARRAY, 4),
    "RandomNumberGeneratorSeed": ("sparsity_seed", _SPARSITY, 0, 2**32 - 1, 40),
}
# Booleans that must be false: what they turn on is not modelled.
_OFF = {
    "UseRamulatorTrace": (_RUN, "Ramulator DRAM traces"),
    "IfmapCustomLayout": (_LAYOUT, "custom SRAM layouts"),
    "FilterCustomLayout": (_LAYOUT, "custom SRAM layouts"),
}
_SPARSE_FORMATS = ("csr", "csc", "ellpack_block")  # SCALE-Sim 3.0.0's; blocked_ellpack crashes it
_OTHER = {
    "general": ("run_name",),
    _ARCH: ("Dataflow", "Bandwidth"),
    _RUN: ("InterfaceBandwidth",),
    "network_presets": ("TopologyCsvLoc",),
    _SPARSITY: ("SparsitySupport", "SparseRep", "OptimizedMapping"),
}
_SECTIONS = ("general", _ARCH, _LAYOUT, _SPARSITY, _RUN, "network_presets")
_OPTIONAL_SECTIONS = {
    _LAYOUT: "no [layout] section: SCALE-Sim's defaults used (bank bandwidth 10 words/cycle, "
    "10 banks, 2 ports, no custom layout); SCALE-Sim 3.0.0 itself stops on such a file",
    _SPARSITY: "no [sparsity] section: SCALE-Sim's default used (dense); SCALE-Sim 3.0.0 itself "
    "stops on such a file",
}


@dataclass(frozen=True)
class ScaleSimConfig:
    """A SCALE-Sim architecture: array shape, SRAM sizes (KiB), address offsets, dataflow,
    interface mode and DRAM rates (words per cycle)."""

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
    bandwidth_words_per_cycle: tuple[int, ...] = ()  # the ofmap write rate in USER mode: [0]
    user_bandwidth: bool = False  # InterfaceBandwidth: USER (DRAM stalls) or CALC
    memory_banks: int = 1
    read_request_buffer: int = 60
    write_request_buffer: int = 60
    ifmap_bank_bandwidth: int = 10  # ifmap SRAM's DRAM read rate in USER mode
    ifmap_banks: int = 10
    ifmap_bank_ports: int = 2
    filter_bank_bandwidth: int = 10  # filter SRAM's DRAM read rate in USER mode
    filter_banks: int = 10
    filter_bank_ports: int = 2
    sparsity: bool = False  # SparsitySupport: N:M filters from the topology's ninth column
    sparse_representation: str = "ellpack_block"  # SparseRep: csr, csc or ellpack_block
    sparsity_block_size: int = 4
    sparsity_seed: int = 40
    notes: tuple[str, ...] = ()

    @property
    def sram_words(self) -> tuple[int, int, int]:
        """Ifmap, filter and ofmap SRAM sizes in words (SCALE-Sim's word is one byte)."""
        return (self.ifmap_sram_kb * 1024, self.filter_sram_kb * 1024, self.ofmap_sram_kb * 1024)

    @property
    def dram_rates(self) -> tuple[int, int, int]:
        """USER mode DRAM rates in words per cycle: ifmap reads, filter reads, ofmap writes."""
        return (self.ifmap_bank_bandwidth, self.filter_bank_bandwidth,
                self.bandwidth_words_per_cycle[0])  # fmt: skip


def load_scalesim_config(path: str | Path) -> ScaleSimConfig:
    """Read and check a SCALE-Sim ``.cfg`` file.

    Raises ConfigError listing every problem with the file, section and key: unreadable or not
    UTF-8, an INI syntax error, a missing section or key, an unknown section or key, a value of
    the wrong type or out of range, an unknown dataflow or interface mode, a feature accelsim
    does not model turned on, a USER-mode bank bandwidth that its bank count does not divide.
    """
    path = Path(path)
    found = Problems(str(path))
    parser = _parse(path, found)
    found.raise_if_any()
    _check_known(parser, found)
    notes = tuple(note for section, note in _OPTIONAL_SECTIONS.items()
                  if not parser.has_section(section))  # fmt: skip
    values: dict[str, object] = {
        field: _integer(parser, key, section, low, high, default, found)
        for key, (field, section, low, high, default) in _INTEGERS.items()
    }
    for key, (section, feature) in _OFF.items():
        _check_off(parser, section, key, feature, found)
    values.update(_sparsity(parser, found))
    values["dataflow"] = _dataflow(parser, found)
    values["user_bandwidth"] = _interface(parser, found)
    values["bandwidth_words_per_cycle"] = _bandwidth(parser, bool(values["user_bandwidth"]), found)
    if values["user_bandwidth"]:
        _check_banks(values, found)
    found.raise_if_any()
    run_name = parser.get("general", "run_name", fallback="").strip() or path.stem
    return ScaleSimConfig(run_name=run_name, notes=notes, **values)  # type: ignore[arg-type]


def _parse(path: Path, found: Problems) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        found.add("", "a readable SCALE-Sim .cfg file", error.strerror or str(error))
        return parser
    except UnicodeDecodeError as error:
        found.add("", "a UTF-8 text file", f"byte {error.object[error.start]:#04x} at offset "
                  f"{error.start}")  # fmt: skip
        return parser
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as error:
        found.add("", "an INI file: [section] lines, then 'key: value' lines", str(error))
    return parser


def _known_keys(section: str) -> dict[str, str]:
    keys = [key for key, spec in _INTEGERS.items() if spec[1] == section]
    keys += [key for key, spec in _OFF.items() if spec[0] == section]
    keys += _OTHER.get(section, ())
    return {key.lower(): key for key in keys}


def _check_known(parser: configparser.ConfigParser, found: Problems) -> None:
    for section in parser.sections():
        if section not in _SECTIONS:
            found.add(f"[{section}]", f"one of the sections {list(_SECTIONS)}", section)
            continue
        known = _known_keys(section)
        for key in parser.options(section):
            if key not in known:
                found.add(f"[{section}] {key}", f"one of the keys {sorted(known.values())}", key)
    for section in (_ARCH, _RUN):
        if not parser.has_section(section):
            found.add(f"[{section}]", "this section to be present", show_got=False)


def _text(parser: configparser.ConfigParser, section: str, key: str) -> str | None:
    if not parser.has_section(section) or not parser.has_option(section, key):
        return None
    return parser.get(section, key).strip()


def _integer(
    parser: configparser.ConfigParser,
    key: str,
    section: str,
    low: int,
    high: int,
    default: int | None,
    found: Problems,
) -> int:
    text = _text(parser, section, key)
    if text is None:
        if default is None and parser.has_section(section):
            found.add(f"[{section}] {key}", "this key to be present", show_got=False)
        return default if default is not None else low
    value = int(text) if text.isdigit() and len(text) <= 20 else None
    if value is None or not low <= value <= high:
        found.add(f"[{section}] {key}", f"an integer from {low} to {high:,}", text)
        return low
    return value


def _check_off(
    parser: configparser.ConfigParser, section: str, key: str, feature: str, found: Problems
) -> None:
    text = _text(parser, section, key)
    if text is None or text.lower() in ("false", "0", "no", "off"):
        return
    if text.lower() in ("true", "1", "yes", "on"):
        found.add(f"[{section}] {key}", f"false ({feature} not modelled by accelsim)", text)
    else:
        found.add(f"[{section}] {key}", "true or false", text)


def _sparsity(parser: configparser.ConfigParser, found: Problems) -> dict[str, object]:
    """SparsitySupport, SparseRep and OptimizedMapping (the last two matter with sparsity on)."""
    support = _boolean(parser, "SparsitySupport", found)
    text = _text(parser, _SPARSITY, "SparseRep")
    if text is not None and text not in _SPARSE_FORMATS:
        hint = " (SCALE-Sim 3.0.0 crashes on blocked_ellpack)" if "block" in text.lower() else ""
        found.add(f"[{_SPARSITY}] SparseRep", f"one of {', '.join(_SPARSE_FORMATS)}{hint}", text)
    elif text is None and support:
        found.add(f"[{_SPARSITY}] SparseRep", "this key when SparsitySupport is true",
                  show_got=False)  # fmt: skip
    if _boolean(parser, "OptimizedMapping", found) and support:
        found.add(f"[{_SPARSITY}] OptimizedMapping", "false (SCALE-Sim's optimized sparse "
                  "mapping is not modelled by accelsim)", "true")  # fmt: skip
    return {"sparsity": support, "sparse_representation": text or "ellpack_block"}


def _boolean(parser: configparser.ConfigParser, key: str, found: Problems) -> bool:
    text = _text(parser, _SPARSITY, key)
    if text is None or text.lower() == "false":
        return False
    if text.lower() != "true":
        found.add(f"[{_SPARSITY}] {key}", "true or false", text)
    return text.lower() == "true"


def _dataflow(parser: configparser.ConfigParser, found: Problems) -> SystolicDataflow:
    text = _text(parser, _ARCH, "Dataflow")
    try:
        return SystolicDataflow((text or "").lower())
    except ValueError:
        if text is not None:
            found.add(f"[{_ARCH}] Dataflow", "one of os, ws, is", text)
        elif parser.has_section(_ARCH):
            found.add(f"[{_ARCH}] Dataflow", "this key to be present", show_got=False)
        return SystolicDataflow.OS


def _interface(parser: configparser.ConfigParser, found: Problems) -> bool:
    text = _text(parser, _RUN, "InterfaceBandwidth")
    if text is None:
        if parser.has_section(_RUN):
            found.add(f"[{_RUN}] InterfaceBandwidth", "this key to be present", show_got=False)
        return False
    if text not in ("CALC", "USER"):
        found.add(f"[{_RUN}] InterfaceBandwidth", "CALC or USER (upper case, as SCALE-Sim)", text)
    return text == "USER"


def _bandwidth(parser: configparser.ConfigParser, user: bool, found: Problems) -> tuple[int, ...]:
    text = _text(parser, _ARCH, "Bandwidth")
    if text is None:
        if user:
            found.add(f"[{_ARCH}] Bandwidth", "this key in USER mode (ofmap words per cycle)",
                      show_got=False)  # fmt: skip
        return ()
    parts = [part.strip() for part in text.split(",")]
    if all(part.isdigit() and len(part) <= 20 and 1 <= int(part) <= _MAX_RATE for part in parts):
        return tuple(int(part) for part in parts)
    found.add(f"[{_ARCH}] Bandwidth", f"integers from 1 to {_MAX_RATE:,} separated by commas", text)
    return ()


def _check_banks(values: dict[str, object], found: Problems) -> None:
    for operand, key in (("ifmap", "Ifmap"), ("filter", "Filter")):
        rate, banks = values[f"{operand}_bank_bandwidth"], values[f"{operand}_banks"]
        assert isinstance(rate, int) and isinstance(banks, int)
        if rate % banks:
            found.add(
                f"[{_LAYOUT}] {key}SRAMBankBandwidth",
                f"a multiple of {key}SRAMBankNum ({banks}) in USER mode: each bank gets an "
                "equal share of the bandwidth",
                rate,
            )
