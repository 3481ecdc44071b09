"""Read architecture YAML files: parse, validate every field, then build a frozen :class:`Arch`.

The format is documented in docs/arch_format.md. Every problem in a file is reported at once, each
with the file, the field path, the value and what was expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accelsim.arch import sparse
from accelsim.arch.model import (
    Arch,
    Level,
    LevelEnergy,
    LevelKind,
    MulticastRule,
    Network,
    PEArray,
)
from accelsim.arch.ports import ports
from accelsim.config import (
    LIMITS,
    apply_overrides,
    bits,
    builtin_dir,
    check_keys,
    expect_int,
    expect_number,
    integer,
    is_int,
    number,
    read_yaml,
    resolve_builtin,
    text,
)
from accelsim.energy.table import load_energy_table
from accelsim.errors import Problems
from accelsim.mac import MacUnit, make_mac_unit
from accelsim.types import Dataflow, DataType

TOP_KEYS = {
    "name": "the architecture's name",
    "description": "free text",
    "source": "where the numbers come from",
    "clock_mhz": "clock frequency in MHz",
    "pe_array": "{rows, cols}",
    "mac": "the MAC unit: {type, ...}",
    "network": "{multicast, multicast_rule, systolic, bandwidth_bits_per_cycle, energy_pj_per_bit}",
    "energy_table": "a built-in energy table name or a path",
    "area_mm2": "optional area",
    "per_dataflow": "overrides by dotted path per dataflow: {nlr: {levels.rf.capacity_bits: 0}}",
    "fixed_precision": "bits every layer runs at: {weight_bits, input_bits, output_bits, ...}",
    "levels": "storage levels, outermost (DRAM) first",
}
LEVEL_KEYS = [
    "name",
    "kind",
    "keeps",
    "capacity_bits",
    "capacity_kb",
    "capacity_words",
    "word_bits",
    "per_pe",
    "bandwidth_bits_per_cycle",
    "bandwidth_words_per_cycle",
    "read_bandwidth_bits_per_cycle",
    "write_bandwidth_bits_per_cycle",
    "latency_cycles",
    "energy",
    "parallel_with",
    "streams_partial_sums",
    "compression",
    "sparse",
    "ports",
    "shared_by",
]
NETWORK_KEYS = [
    "multicast",
    "multicast_rule",
    "systolic",
    "bandwidth_bits_per_cycle",
    "energy_pj_per_bit",
]


def builtin_archs() -> list[str]:
    return sorted(path.stem for path in builtin_dir("arch_configs").glob("*.yaml"))


def load_arch(path_or_name: str | Path) -> Arch:
    """Load an architecture from a YAML file or a built-in name (see :func:`builtin_archs`).

    Raises :class:`~accelsim.errors.ConfigError` listing every problem found.
    """
    path = resolve_builtin(path_or_name, "arch_configs", "architecture", builtin_archs())
    return arch_from_dict(read_yaml(path), source=str(path))


def arch_from_dict(raw: dict[str, Any], *, source: str = "<dict>") -> Arch:
    """Validate a parsed architecture mapping and build the :class:`Arch`."""
    found = Problems(source)
    check_keys(found, "", raw, TOP_KEYS, required=("name", "pe_array", "levels"))
    pe_array = _pe_array(found, raw.get("pe_array"))
    levels = _levels(found, raw.get("levels"))
    _check_shared_by(found, levels, pe_array)
    network = _network(found, raw.get("network", {}))
    name = text(found, "name", raw.get("name", ""), empty_ok=False)
    description = text(found, "description", raw.get("description", ""))
    text(found, "source", raw.get("source", ""))
    clock = number(found, "clock_mhz", raw.get("clock_mhz", 200), "clock_mhz")
    mac_unit = _mac_unit(found, raw.get("mac", {"type": "int"}), source)
    table = _energy_table(found, raw.get("energy_table", "eyeriss_normalized"), source)
    area = raw.get("area_mm2")
    if area is not None:
        number(found, "area_mm2", area, "area_mm2")
    fixed = _fixed_precision(found, raw.get("fixed_precision"))
    variants = _variants(found, raw, source)
    found.raise_if_any()
    assert mac_unit is not None  # raise_if_any raised otherwise
    return Arch(
        name=name,
        pe_array=pe_array,
        levels=levels,
        mac_unit=mac_unit,
        network=network,
        clock_mhz=float(clock),
        energy_table=str(table),
        source=source,
        description=description,
        area_mm2=None if area is None else float(area),
        fixed_precision=fixed,
        variants=variants,
    )


def _mac_unit(found: Problems, mac: Any, source: str) -> MacUnit | None:
    if not isinstance(mac, dict) or "type" not in mac:
        found.add("mac", "a mapping with a 'type' (int, binary, ternary, lut, fp, bitfusion)", mac)
        return None
    with found.collecting():
        return make_mac_unit(mac, source=source, path="mac")
    return None


def _pe_array(found: Problems, raw: Any) -> PEArray:
    if not isinstance(raw, dict):
        if raw is not None:
            found.add("pe_array", "a mapping {rows, cols}", raw)
        return PEArray(1, 1)
    check_keys(found, "pe_array", raw, {"rows": "", "cols": ""}, required=("rows", "cols"))
    rows = integer(found, "pe_array.rows", raw.get("rows", 1), "pe_edge")
    cols = integer(found, "pe_array.cols", raw.get("cols", 1), "pe_edge")
    return PEArray(rows, cols)


def _network(found: Problems, raw: Any) -> Network:
    if not isinstance(raw, dict):
        found.add("network", "a mapping", raw)
        return Network()
    check_keys(found, "network", raw, dict.fromkeys(NETWORK_KEYS, ""))
    for flag in ("multicast", "systolic"):
        if flag in raw and not isinstance(raw[flag], bool):
            found.add(f"network.{flag}", "true or false", raw[flag])
    bandwidth = raw.get("bandwidth_bits_per_cycle")
    energy = raw.get("energy_pj_per_bit")
    rules = [rule.value for rule in MulticastRule]
    rule = raw.get("multicast_rule", MulticastRule.UNION.value)
    if rule not in rules:
        found.add("network.multicast_rule", f"one of {', '.join(rules)}", rule)
        rule = MulticastRule.UNION.value
    return Network(
        multicast=bool(raw.get("multicast", True)),
        systolic=bool(raw.get("systolic", False)),
        multicast_rule=MulticastRule(rule),
        bandwidth_bits=None
        if bandwidth is None
        else number(found, "network.bandwidth_bits_per_cycle", bandwidth, "bandwidth"),
        energy_pj_per_bit=None
        if energy is None
        else number(found, "network.energy_pj_per_bit", energy, "energy"),
    )


def _levels(found: Problems, raw: Any) -> tuple[Level, ...]:
    if not isinstance(raw, list) or not raw:
        if raw is not None:
            found.add("levels", "a non-empty list of storage levels, DRAM first", raw)
        return ()
    levels = tuple(_level(found, f"levels[{i}]", item) for i, item in enumerate(raw))
    names = [level.name for level in levels]
    for i, name in enumerate(names):
        if name in names[:i]:
            found.add(f"levels[{i}].name", "a name not used by another level", name)
    if levels[0].kind is not LevelKind.DRAM or levels[0].keeps != frozenset(DataType):
        found.add(
            "levels[0]",
            "the outermost level to be DRAM keeping weights, inputs and outputs",
            names[0],
        )
    seen_pe = False
    for i, level in enumerate(levels):
        if level.per_pe:
            seen_pe = True
        elif seen_pe:
            found.add(f"levels[{i}].per_pe", "shared levels above every per-PE level", False)
    _check_groups(found, levels)
    return levels


def _check_groups(found: Problems, levels: tuple[Level, ...]) -> None:
    """A level ``parallel_with`` the one above: names it, is of the same kind and sharing, and
    keeps data types no other member of its group keeps. A level in error starts a new group."""
    group: list[Level] = []
    for i, level in enumerate(levels):
        if level.parallel_with is not None and _joins(found, i, levels, group):
            group.append(level)
        else:
            group = [level]


def _joins(found: Problems, i: int, levels: tuple[Level, ...], group: list[Level]) -> bool:
    level, path = levels[i], f"levels[{i}].parallel_with"
    above = levels[i - 1] if i else None
    if above is None or level.parallel_with != above.name:
        where = f" ({above.name})" if above else ""
        found.add(path, f"the name of the level just above{where}", level.parallel_with)
        return False
    if LevelKind.DRAM in (above.kind, level.kind):
        found.add(path, "on-chip levels side by side (DRAM is a depth of its own)", above.name)
        return False
    if (above.per_pe, above.kind) != (level.per_pe, level.kind):
        found.add(
            path,
            f"a level of the same kind and per_pe as {above.name}",
            f"{level.kind.value}, per_pe {level.per_pe}",
        )
        return False
    if above.shared_by != level.shared_by:
        found.add(
            f"levels[{i}].shared_by",
            f"the shared_by of {above.name}, the level it is parallel with",
            {"x": level.shared_by[0], "y": level.shared_by[1]},
        )
        return False
    shared = [d.value for d in DataType if d in level.keeps and any(d in m.keeps for m in group)]
    if shared:
        names = ", ".join(member.name for member in group)
        found.add(
            f"levels[{i}].keeps",
            f"data types no other level of its parallel group keeps ({names})",
            shared,
        )
        return False
    return True


def _level(found: Problems, path: str, raw: Any) -> Level:
    if not isinstance(raw, dict):
        found.add(path, "a mapping describing a storage level", raw)
        return Level("?", LevelKind.SRAM, frozenset(), 0, 16)
    check_keys(found, path, raw, dict.fromkeys(LEVEL_KEYS, ""), required=("name", "kind"))
    kind = _kind(found, f"{path}.kind", raw.get("kind", "sram"))
    word_bits = integer(found, f"{path}.word_bits", raw.get("word_bits", 16), "word_bits")
    shared = _shared_bandwidth(found, path, raw, word_bits)
    name = text(found, f"{path}.name", raw.get("name", "?"), empty_ok=False) or "?"
    keeps = _keeps(found, f"{path}.keeps", raw.get("keeps", [d.value for d in DataType]))
    per_pe = _per_pe(found, f"{path}.per_pe", raw.get("per_pe", kind is LevelKind.REGFILE))
    return Level(
        name=name,
        kind=kind,
        keeps=keeps,
        capacity_bits=_capacity(found, path, raw, kind, word_bits),
        word_bits=word_bits,
        per_pe=per_pe,
        read_bandwidth_bits=_bandwidth(found, path, raw, "read", shared),
        write_bandwidth_bits=_bandwidth(found, path, raw, "write", shared),
        latency_cycles=integer(
            found, f"{path}.latency_cycles", raw.get("latency_cycles", 0), "latency"
        ),
        energy=_energy(found, f"{path}.energy", raw.get("energy")),
        parallel_with=_parallel_with(found, f"{path}.parallel_with", raw.get("parallel_with")),
        streams_partial_sums=_streams(found, path, raw, keeps, per_pe),
        shared_by=_shared_by(found, f"{path}.shared_by", raw.get("shared_by"), per_pe),
        compression=sparse.compression(found, f"{path}.compression", raw.get("compression"), keeps),
        sparse=sparse.optimizations(found, f"{path}.sparse", raw.get("sparse"), name),
        ports=ports(found, f"{path}.ports", raw.get("ports"), keeps),
    )


def _shared_by(found: Problems, path: str, value: Any, per_pe: bool) -> tuple[int, int]:
    """``shared_by: {x, y}``: PEs along each axis that one instance serves (each 1 if left
    out), on a per-PE level only."""
    if value is None:
        return (1, 1)
    expected = "a mapping {x, y} of positive integers: the PEs one instance serves along X, Y"
    if not isinstance(value, dict) or not value or set(value) - {"x", "y"}:
        found.add(path, expected, value)
        return (1, 1)
    if not per_pe:
        found.add(path, "shared_by only on a per-PE level (a shared level serves every PE)", value)
        return (1, 1)
    sizes = [integer(found, f"{path}.{axis}", value.get(axis, 1), "pe_edge") for axis in "xy"]
    return sizes[0], sizes[1]


def _check_shared_by(found: Problems, levels: tuple[Level, ...], pe_array: PEArray) -> None:
    """Each level's group divides the array along both axes; zeros (compression, gating,
    skipping) are not modelled with groups."""
    zeros = any(level.compression or level.sparse for level in levels)
    for i, level in enumerate(levels):
        if zeros and level.shared_by != (1, 1):
            found.add(
                f"levels[{i}].shared_by",
                "no shared_by in a design with compression or sparse optimizations (zeros with "
                "registers shared by groups of PEs are not modelled)",
                {"x": level.shared_by[0], "y": level.shared_by[1]},
            )
        for size, extent, axis, edge in zip(
            (pe_array.cols, pe_array.rows), level.shared_by, "xy", ("cols", "rows"), strict=True
        ):
            if size % extent:
                found.add(
                    f"levels[{i}].shared_by.{axis}",
                    f"a divisor of the array's {size} {edge}",
                    extent,
                )


def _parallel_with(found: Problems, path: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        found.add(path, "the name of the level just above", value)
        return None
    return value


def _streams(
    found: Problems, path: str, raw: dict, keeps: frozenset[DataType], per_pe: bool
) -> bool:
    """``streams_partial_sums``: true or false, true only on a per-PE level keeping outputs
    (``keeps`` and ``per_pe`` as the level's own fields were read)."""
    value = raw.get("streams_partial_sums", False)
    if not isinstance(value, bool):
        found.add(f"{path}.streams_partial_sums", "true or false", value)
        return False
    if value and not (DataType.OUTPUTS in keeps and per_pe):
        found.add(
            f"{path}.streams_partial_sums",
            "true only on a per-PE level keeping outputs",
            value,
        )
        return False
    return value


def _kind(found: Problems, path: str, value: Any) -> LevelKind:
    try:
        return LevelKind(value)
    except ValueError:
        found.add(path, f"one of {', '.join(k.value for k in LevelKind)}", value)
        return LevelKind.SRAM


def _per_pe(found: Problems, path: str, value: Any) -> bool:
    if not isinstance(value, bool):
        found.add(path, "true or false", value)
        return False
    return value


def _keeps(found: Problems, path: str, value: Any) -> frozenset[DataType]:
    allowed = [d.value for d in DataType]
    if not isinstance(value, list) or any(v not in allowed for v in value):
        found.add(path, f"a list drawn from {allowed}", value)
        return frozenset()
    return frozenset(DataType(v) for v in value)


def _capacity(found: Problems, path: str, raw: dict, kind: LevelKind, word_bits: int) -> int | None:
    given = [k for k in ("capacity_bits", "capacity_kb", "capacity_words") if k in raw]
    if len(given) > 1:
        found.add(path, "at most one of capacity_bits, capacity_kb, capacity_words", given)
    if not given:
        if kind is not LevelKind.DRAM:
            found.add(
                path,
                "a capacity (capacity_bits, capacity_kb or capacity_words)",
                None,
                show_got=False,
            )
            return 0
        return None
    key = given[0]
    value = raw[key]
    if key == "capacity_kb":
        return int(number(found, f"{path}.{key}", value, "capacity_kb") * 1024 * 8)
    count = integer(found, f"{path}.{key}", value, "capacity_bits")
    if key == "capacity_words" and count * word_bits > LIMITS["capacity_bits"].high:
        found.add(f"{path}.{key}", f"at most {expect_int('capacity_bits')} in bits", value)
    return count * word_bits if key == "capacity_words" else count


def _shared_bandwidth(found: Problems, path: str, raw: dict, word_bits: int) -> float | None:
    """The level's bandwidth for both directions, in bits per cycle (None: unlimited)."""
    if "bandwidth_bits_per_cycle" in raw:
        key = "bandwidth_bits_per_cycle"
        return number(found, f"{path}.{key}", raw[key], "bandwidth")
    if "bandwidth_words_per_cycle" in raw:
        key = "bandwidth_words_per_cycle"
        words = number(found, f"{path}.{key}", raw[key], "bandwidth")
        if words * word_bits > LIMITS["bandwidth"].high:
            found.add(f"{path}.{key}", f"{expect_number('bandwidth')} once times word_bits", words)
        return words * word_bits
    return None


def _bandwidth(
    found: Problems, path: str, raw: dict, action: str, shared: float | None
) -> float | None:
    specific = f"{action}_bandwidth_bits_per_cycle"
    if specific in raw:
        return number(found, f"{path}.{specific}", raw[specific], "bandwidth")
    return shared


def _energy(found: Problems, path: str, value: Any) -> LevelEnergy | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        per_access = number(found, path, value, "energy")
        return LevelEnergy(per_access, per_access)
    if not isinstance(value, dict):
        found.add(path, "pJ per word access, or {read_pj, write_pj}", value)
        return None
    check_keys(found, path, value, {"read_pj": "", "write_pj": ""}, required=("read_pj",))
    read = number(found, f"{path}.read_pj", value.get("read_pj", 0.0), "energy")
    write = number(found, f"{path}.write_pj", value.get("write_pj", read), "energy")
    return LevelEnergy(read, write)


PRECISION_KEYS = ("weight_bits", "input_bits", "output_bits", "psum_bits")  # fixed_precision


def _fixed_precision(found: Problems, raw: Any) -> tuple[tuple[str, int], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        found.add("fixed_precision", "a mapping of bit widths", raw)
        return ()
    check_keys(found, "fixed_precision", raw, PRECISION_KEYS)
    for key, value in raw.items():
        if key in PRECISION_KEYS:
            bits(found, f"fixed_precision.{key}", value, psum=key == "psum_bits")
    return tuple(sorted((k, v) for k, v in raw.items() if k in PRECISION_KEYS and is_int(v)))


def _energy_table(found: Problems, table: Any, source: str) -> str:
    """The table's name, or its path resolved against the architecture file's folder."""
    if not isinstance(table, str):
        found.add("energy_table", "a built-in table name or a path", table)
        return "eyeriss_normalized"
    beside = Path(source).parent / table
    if beside.is_file():
        table = str(beside)
    with found.collecting():
        load_energy_table(table)
    return table


def _variants(
    found: Problems, arch_raw: dict[str, Any], source: str
) -> tuple[tuple[str, Arch], ...]:
    """Each dataflow's overrides name a dataflow and give a valid architecture: built here."""
    raw = arch_raw.get("per_dataflow")
    if raw is None:
        return ()
    names = [d.value for d in Dataflow]
    if not isinstance(raw, dict):
        found.add("per_dataflow", "a mapping from dataflow name to overrides", raw)
        return ()
    base = {k: v for k, v in arch_raw.items() if k != "per_dataflow"}
    variants = []
    for name, overrides in raw.items():
        if name not in names:
            found.add(f"per_dataflow.{name}", f"a dataflow name ({', '.join(names)})", name)
        if not isinstance(overrides, dict):
            found.add(f"per_dataflow.{name}", "a mapping of dotted paths to values", overrides)
            continue
        with found.collecting():
            variant = apply_overrides(base, overrides, source=f"{source}: per_dataflow.{name}")
            built = arch_from_dict(variant, source=f"{source} (per_dataflow.{name})")
            variants.append((str(name), built))
    return tuple(variants)
