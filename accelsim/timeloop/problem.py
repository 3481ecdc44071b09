"""Timeloop problems mapped onto accelsim's convolution layer.

A problem is a ``shape`` (dimensions, coefficients, data spaces with projections) and an
``instance`` (dimension sizes, coefficient values). The shape is matched onto Timeloop's own
CNN-layer, whose dimensions accelsim's Layer models, by the role each dimension plays: the
output data space is the read-write one; the input data space is the other one whose projection
has a sum (``[[R, Wdilation], [P, Wstride]]``), else the first listed; the third is the weights.
Then a dimension in weights and outputs is M, in weights and inputs C, in inputs and outputs N,
and the two dimensions of a sum are a filter/output pair (R/P, then S/Q). So a 1-D convolution
(R, P), a matrix multiply (A[m][k] x B[k][n] -> Z[m][n]: N=m, C=k, M=n) and the CNN-layer itself
fit; a dimension in all three data spaces is the groups G of a grouped convolution (Timeloop's
grouped-CONV, whose M and C are per group: accelsim's layer gets ``groups``); a dimension of size
1 that plays no such role (a dot product's M) takes a free one. A shape with more than three data
spaces, a product of sums or a sum of more than two terms does not fit, and is a ConfigError
saying so. Without data spaces, the
shape is Timeloop's CNN-layer. H, W and padding in the instance are ignored (Timeloop models no
padding: the inputs are exactly what the outputs need).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accelsim.errors import Problems
from accelsim.types import DataType
from accelsim.workload.build import make_layer
from accelsim.workload.layer import Layer, LayerKind, Network
from accelsim.workload.loaders import _timeloop_fields

CNN_DIMS = ("C", "M", "R", "S", "N", "P", "Q")
CNN_COEFFICIENTS = ("Wstride", "Hstride", "Wdilation", "Hdilation")
_PAIRS = (("R", "P", "Wdilation", "Wstride"), ("S", "Q", "Hdilation", "Hstride"))
_DIMENSION_ROLES = (
    "dimensions that map onto a convolution (each used by exactly two data spaces, or in a "
    "sliding-window sum, or by all three as groups; at most one of each)"
)
_IGNORED_INSTANCE = ("H", "W", "Hpad", "Wpad", "densities", "G")


@dataclass(frozen=True)
class TimeloopProblem:
    """A problem as accelsim's layer, with the names to translate the mapping and the stats."""

    layer: Layer
    dims: dict[str, str]  # problem dimension -> Timeloop CNN-layer dimension
    spaces: dict[DataType, str]  # accelsim data type -> problem data-space name
    sizes: dict[str, int]  # Timeloop CNN-layer dimension -> size
    order: tuple[DataType, ...] = (DataType.WEIGHTS, DataType.INPUTS, DataType.OUTPUTS)


def _cnn_shape() -> dict[str, Any]:
    return {
        "dimensions": list(CNN_DIMS),
        "data_spaces": [
            {"name": "Weights", "projection": [[["C"]], [["M"]], [["R"]], [["S"]]]},
            {
                "name": "Inputs",
                "projection": [
                    [["N"]],
                    [["C"]],
                    [["R", "Wdilation"], ["P", "Wstride"]],
                    [["S", "Hdilation"], ["Q", "Hstride"]],
                ],
            },
            {
                "name": "Outputs",
                "projection": [[["N"]], [["M"]], [["Q"]], [["P"]]],
                "read_write": True,
            },
        ],
    }


def read_problem(raw: Any, source: str) -> TimeloopProblem:
    """Read the value of a ``problem`` key. Raises ConfigError listing every problem found."""
    found = Problems(source)
    if not isinstance(raw, dict) or not isinstance(raw.get("instance"), dict):
        found.add("problem", "a mapping with shape and instance", raw)
        found.raise_if_any()
    assert isinstance(raw, dict)  # checked just above
    shape = raw.get("shape") or {}
    if not isinstance(shape, dict):
        found.add("problem.shape", "a mapping with dimensions and data_spaces", shape)
        found.raise_if_any()
    shape = {str(k).replace("-", "_"): v for k, v in shape.items()}
    if "data_spaces" not in shape:
        shape = {**_cnn_shape(), **shape}
    spaces = shape.get("data_spaces")
    if not isinstance(spaces, list) or len(spaces) != 3:
        found.add(
            "problem.shape.data_spaces",
            "three data spaces (two operands and one read-write result)",
            spaces,
        )
        found.raise_if_any()
    assert isinstance(spaces, list)  # checked just above
    roles = _roles(found, spaces)
    found.raise_if_any()
    dims, coefficients = _dims(found, shape, roles, raw["instance"])
    found.raise_if_any()
    sizes = _sizes(found, raw["instance"], shape, dims, coefficients)
    found.raise_if_any()
    fields = _timeloop_fields(sizes)
    name = str(shape.get("name", "timeloop"))
    layer = make_layer(name, LayerKind.CONV, source=source, path="problem.instance", **fields)
    layer = Network(name, (layer,)).with_batch(sizes["N"]).layers[0]
    names = {role: str(spaces[index]["name"]) for role, index in roles.items()}
    order = tuple(sorted(roles, key=lambda role: roles[role]))  # the data spaces as listed
    return TimeloopProblem(layer, dims, names, sizes, order)


def _roles(found: Problems, spaces: list[Any]) -> dict[DataType, int]:
    outputs = [
        i
        for i, s in enumerate(spaces)
        if isinstance(s, dict) and (s.get("read_write") or s.get("read-write"))
    ]
    if len(outputs) != 1:
        found.add(
            "problem.shape.data_spaces",
            "exactly one data space with read_write: true",
            [s.get("name") if isinstance(s, dict) else s for s in spaces],
        )
        return {}
    operands = [i for i in range(3) if i != outputs[0]]
    summed = [
        i for i in operands if any(len(coordinate) > 1 for coordinate in _projection(spaces[i]))
    ]
    inputs = summed[0] if summed else operands[0]
    weights = next(i for i in operands if i != inputs)
    return {DataType.WEIGHTS: weights, DataType.INPUTS: inputs, DataType.OUTPUTS: outputs[0]}


def _projection(space: Any) -> list[list[list[Any]]]:
    if not isinstance(space, dict) or not isinstance(space.get("projection"), list):
        return []
    return [c if isinstance(c, list) else [[c]] for c in space["projection"]]


def _dims(
    found: Problems, shape: dict[str, Any], roles: dict[DataType, int], instance: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Problem dimension -> CNN dimension, and problem coefficient -> CNN coefficient."""
    spaces = shape["data_spaces"]
    where = "problem.shape.data_spaces"
    uses: dict[str, set[DataType]] = {}
    dims: dict[str, str] = {}
    coefficients: dict[str, str] = {}
    pairs = iter(_PAIRS)
    for role, index in roles.items():
        for k, coordinate in enumerate(_projection(spaces[index])):
            terms = [t if isinstance(t, list) else [t] for t in coordinate]
            if len(terms) > 2 or any(len(t) not in (1, 2) for t in terms):
                found.add(
                    f"{where}[{index}].projection[{k}]",
                    "a dimension, or a sum of two dimensions each with an optional coefficient",
                    coordinate,
                )
                continue
            for term in terms:
                uses.setdefault(str(term[0]), set()).add(role)
            if len(terms) == 2:
                if role is not DataType.INPUTS:
                    found.add(
                        f"{where}[{index}].projection[{k}]",
                        "sums only in the input data space",
                        coordinate,
                    )
                    continue
                pair = next(pairs, None)
                if pair is None:
                    found.add(
                        f"{where}[{index}].projection[{k}]",
                        "at most two sliding-window sums (R/P and S/Q)",
                        coordinate,
                    )
                    continue
                filter_dim, output_dim, dilation, stride = pair
                first, second = (str(terms[0][0]), terms[0]), (str(terms[1][0]), terms[1])
                dims[first[0]], dims[second[0]] = filter_dim, output_dim
                if len(first[1]) == 2:
                    coefficients[str(first[1][1])] = dilation
                if len(second[1]) == 2:
                    coefficients[str(second[1][1])] = stride
    by_roles = {
        frozenset({DataType.WEIGHTS, DataType.OUTPUTS}): "M",
        frozenset({DataType.WEIGHTS, DataType.INPUTS}): "C",
        frozenset({DataType.INPUTS, DataType.OUTPUTS}): "N",
        frozenset(DataType): "G",
    }
    trivial = []
    for dim in shape.get("dimensions", list(uses)):
        dim = str(dim)
        if dim in dims:
            continue
        cnn = by_roles.get(frozenset(uses.get(dim, set())))
        if cnn is None or cnn in dims.values():
            if instance.get(dim) == 1:  # size 1 (a dot product's M): any free dimension will do
                trivial.append(dim)
                continue
            found.add("problem.shape.dimensions", _DIMENSION_ROLES, dim)
            continue
        dims[dim] = cnn
    free = [cnn for cnn in (*CNN_DIMS, "G") if cnn not in dims.values()]
    for dim, cnn in zip(trivial, free, strict=False):
        dims[dim] = cnn
    return dims, coefficients


def _sizes(found, instance, shape, dims, coefficients) -> dict[str, int]:
    sizes = dict.fromkeys((*CNN_DIMS, "G"), 1) | dict.fromkeys(CNN_COEFFICIENTS, 1)
    for entry in shape.get("coefficients", []) or []:
        if isinstance(entry, dict) and entry.get("name") in coefficients:
            sizes[coefficients[entry["name"]]] = int(entry.get("default", 1))
    for key, value in instance.items():
        if key in dims:
            target = dims[key]
        elif key in coefficients:
            target = coefficients[key]
        elif key in _IGNORED_INSTANCE:
            continue
        else:
            found.add(
                f"problem.instance.{key}",
                f"a dimension ({', '.join(dims)}) or coefficient of the shape",
                value,
            )
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            found.add(f"problem.instance.{key}", "a positive integer", value)
            continue
        sizes[target] = value
    for dim in dims:
        if dim not in instance:
            found.add(
                f"problem.instance.{dim}", "a positive integer (missing)", None, show_got=False
            )
    if "G" not in dims and instance.get("G", 1) != 1:
        found.add(
            "problem.instance.G",
            "G = 1 (groups need a G dimension in all three data spaces of the shape)",
            instance["G"],
        )
    return sizes
