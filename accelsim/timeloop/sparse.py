"""Sparseloop's inputs: the problem's ``instance.densities`` and the ``sparse_optimizations``
(a top-level key, v0.3, or each component's own ``sparse_optimizations``, v0.4), read into an
:class:`accelsim.sparse.SparseSpec`.

``sparse_optimizations: {targets: [{name: <storage level>, representation_format:
{data_spaces: [{name, ranks: [{format: UOP}, {format: CP}]}]}, action_optimization: [{type:
gating|skipping, options: [{target, condition_on: [...]}]}]}]}``; keys with hyphens
(``representation-format``, ``condition-on``, as Timeloop v3.0.3 reads them) or underscores.
A level, data space or optimization type that does not exist, a format whose ranks do not fit the
data space, a density outside [0, 1]: one ConfigError naming the file, the field and the value.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from accelsim.analysis.nest import flatten
from accelsim.analysis.sparse import rank_loops
from accelsim.errors import ConfigError, Problem
from accelsim.mapping.model import Mapping
from accelsim.sparse.density import DensityModel, make_density
from accelsim.sparse.formats import Format, flattened_fiber_shapes, parse_format
from accelsim.sparse.spec import Action, Optimization, SparseSpec
from accelsim.timeloop.arch import TimeloopArch
from accelsim.timeloop.inputs import TAG_KEY, Inputs
from accelsim.timeloop.problem import TimeloopProblem
from accelsim.types import RELEVANT, DataType

_TYPES = {"gating": Action.GATING, "skipping": Action.SKIPPING}


def _normal(value: Any) -> Any:
    """Keys with hyphens as underscores, all the way down."""
    if isinstance(value, dict):
        return {str(k).replace("-", "_"): _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def read_sparse(
    inputs: Inputs, spec: TimeloopArch, problem: TimeloopProblem, mapping: Mapping
) -> SparseSpec | None:
    """The densities and optimizations of a case, or None when it has neither."""
    densities = _densities(inputs, problem)
    targets: list[tuple[str, Any, str]] = []  # (where, target entry, source)
    if "sparse_optimizations" in inputs.values:
        source = inputs.source("sparse_optimizations")
        raw = _normal(inputs.values["sparse_optimizations"])
        found = raw.get("targets") if isinstance(raw, dict) else None
        if not isinstance(found, list):
            expected = "a mapping with a list of targets"
            raise ConfigError(Problem(source, "sparse_optimizations", expected, raw))
        targets += [(f"sparse_optimizations.targets[{i}]", t, source) for i, t in enumerate(found)]
    arch_source = inputs.source("architecture")
    for where, name, entry in _embedded(inputs.values.get("architecture"), "architecture"):
        targets.append((where, {**entry, "name": name}, arch_source))
    if not densities and not targets:
        return None
    formats: dict[tuple[str, DataType], Format] = {}
    optimizations: list[Optimization] = []
    levels = [s.name for s in spec.storage if not s.dummy]
    compute = None
    for where, target, source in targets:
        if isinstance(target, dict) and target.get("name") == spec.compute.name:
            compute = _compute(target, where, source)
            continue
        _target(target, where, source, levels, (problem, mapping), formats, optimizations)
    return SparseSpec(densities, formats, tuple(optimizations), compute)


def _compute(target: dict[str, Any], where: str, source: str) -> Action:
    """The compute level's ``compute_optimization: [{type: gating|skipping}]``."""
    for key in target:
        if key not in ("name", "compute_optimization"):
            expected = "compute_optimization (the compute level has no storage to optimize)"
            raise ConfigError(Problem(source, f"{where}.{key}", expected, key))
    entries = target.get("compute_optimization")
    kinds = [e.get("type") if isinstance(e, dict) else e for e in entries or []]
    if len(kinds) != 1 or kinds[0] not in _TYPES:
        expected = "one optimization, [{type: gating}] or [{type: skipping}]"
        raise ConfigError(Problem(source, f"{where}.compute_optimization", expected, entries))
    return _TYPES[kinds[0]]


def _embedded(node: Any, where: str):
    """v0.4: (path, component name, its sparse_optimizations) for every component that has some."""
    if isinstance(node, dict):
        if "sparse_optimizations" in node and node.get(TAG_KEY) == "Component":
            yield (
                f"{where}.sparse_optimizations",
                node.get("name"),
                _normal(node["sparse_optimizations"]),
            )
        for key, value in node.items():
            if key != "sparse_optimizations":
                yield from _embedded(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _embedded(value, f"{where}[{i}]")


def _space(problem: TimeloopProblem, name: Any, source: str, path: str) -> DataType:
    by_name = {space: data_type for data_type, space in problem.spaces.items()}
    if name not in by_name:
        expected = f"a data space of the problem ({', '.join(by_name)})"
        raise ConfigError(Problem(source, path, expected, name))
    return by_name[name]


def _densities(inputs: Inputs, problem: TimeloopProblem) -> dict[DataType, DensityModel]:
    raw = inputs.values.get("problem", {})
    instance = raw.get("instance", {}) if isinstance(raw, dict) else {}
    given = instance.get("densities") if isinstance(instance, dict) else None
    if not given:
        return {}
    source = inputs.source("problem")
    if not isinstance(given, dict):
        expected = "a mapping from data space to density"
        raise ConfigError(Problem(source, "problem.instance.densities", expected, given))
    densities = {}
    for name, value in given.items():
        path = f"problem.instance.densities.{name}"
        data_type = _space(problem, name, source, path)
        tensor = problem.layer.elements(data_type)
        densities[data_type] = make_density(_normal(value), tensor, source, path)
    return densities


def _target(target, where, source, levels, case, formats, optimizations) -> None:
    problem, mapping = case
    if not isinstance(target, dict) or target.get("name") not in levels:
        name = target.get("name") if isinstance(target, dict) else target
        expected = f"a storage level of the architecture ({', '.join(levels)})"
        raise ConfigError(Problem(source, f"{where}.name", expected, name))
    level = str(target["name"])
    known = {"name", "representation_format", "action_optimization"}
    for key in target:
        if key not in known:
            expected = "representation_format or action_optimization (compute_optimization and "
            expected += "others are not modelled)"
            raise ConfigError(Problem(source, f"{where}.{key}", expected, key))
    representation = target.get("representation_format") or {}
    for i, entry in enumerate(representation.get("data_spaces", []) or []):
        path = f"{where}.representation_format.data_spaces[{i}]"
        data_type = _space(problem, entry.get("name"), source, f"{path}.name")
        format = parse_format(entry.get("ranks"), source, f"{path}.ranks")
        order = entry.get("rank_application_order", "outer-to-inner")
        if order not in ("outer-to-inner", "inner-to-outer"):
            expected = "outer-to-inner or inner-to-outer"
            raise ConfigError(Problem(source, f"{path}.rank_application_order", expected, order))
        format = replace(format, inner_to_outer=order == "inner-to-outer")
        if format.flattening:
            format = _flattening(format, problem, mapping, (source, path), (level, data_type))
            formats[level, data_type] = format
            continue
        limit = _rank_limit(mapping, level, data_type)
        if len(format.ranks) > limit:
            expected = f"at most {limit} ranks (the mapping's loops over {entry.get('name')} "
            expected += f"at and below {level})"
            raise ConfigError(Problem(source, f"{path}.ranks", expected, str(format)))
        formats[level, data_type] = format
    for i, entry in enumerate(target.get("action_optimization", []) or []):
        path = f"{where}.action_optimization[{i}]"
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind not in _TYPES:
            raise ConfigError(Problem(source, f"{path}.type", "gating or skipping", kind))
        options = entry.get("options") or [entry]
        for j, option in enumerate(options):
            at = f"{path}.options[{j}]" if "options" in entry else path
            data_type = _space(problem, option.get("target"), source, f"{at}.target")
            conditions = option.get("condition_on")
            if not isinstance(conditions, list) or not conditions:
                expected = "a list of data spaces"
                raise ConfigError(Problem(source, f"{at}.condition_on", expected, conditions))
            on = tuple(
                _space(problem, c, source, f"{at}.condition_on[{k}]")
                for k, c in enumerate(conditions)
            )
            optimizations.append(Optimization(level, _TYPES[kind], data_type, on))


def _flattening(format: Format, problem: TimeloopProblem, mapping: Mapping, where, at) -> Format:
    """A format with flattened-rankIDs applied inner to outer: the problem's dimension names
    translated, and enough ranks for the loops at and below the level (extra outer ranks are
    empty, as in Sparseloop)."""
    source, path = where
    ranks = []
    for i, rank in enumerate(format.ranks):
        if rank.flattened is not None:
            unknown = sorted(rank.flattened - set(problem.dims))
            if unknown:
                expected = f"dimensions of the problem ({', '.join(problem.dims)})"
                raise ConfigError(
                    Problem(source, f"{path}.ranks[{i}].flattened_rankIDs", expected, unknown)
                )
            rank = replace(rank, flattened=frozenset(problem.dims[d] for d in rank.flattened))
        ranks.append(rank)
    format = replace(format, ranks=tuple(ranks))
    loops = rank_loops(mapping, *at)
    try:
        flattened_fiber_shapes(format, loops)
    except ValueError:
        shown = " ".join(f"{dim}{bound}" for dim, bound in loops if bound > 1)
        expected = f"ranks enough for the loops at and below {at[0]} ({shown})"
        raise ConfigError(Problem(source, f"{path}.ranks", expected, str(format))) from None
    return format


def _rank_limit(mapping: Mapping, level: str, data_type: DataType) -> int:
    """A format fits a data space at a level when it has at most one rank more than the loops at
    and below the level that index the data space (:func:`accelsim.sparse.formats.fiber_shapes`)."""
    placed, starts = flatten(mapping)
    index = [item.level for item in mapping.levels].index(level)
    return 1 + sum(1 for p in placed[starts[index] :] if p.loop.dim in RELEVANT[data_type])
