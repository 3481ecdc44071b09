"""Pick per-layer (weight bits, activation bits) under a latency or energy budget.

The network's cost is taken as the sum of its layers' costs (the cost table's additivity
assumption). Each layer gets exactly one pair; the chosen pairs minimise the total *penalty*, a
stand-in for accuracy loss. By default the penalty of layer ``l`` at ``(w, a)`` is
``s_l * (4**-w + 4**-a)``: the variance of uniform quantization noise falls by 4x per extra bit,
and ``s_l`` is the layer's sensitivity (a Hessian trace as HAWQ uses, 1 when not given). Pass
``penalty`` to use your own (shape: layers x w x a).

``method="milp"`` solves the exact integer program with scipy's ``milp`` (HiGHS)::

    minimise   sum_{l,k} penalty[l, k] x[l, k]
    subject to sum_k x[l, k] = 1 for every layer l,   sum_{l,k} cost[l, k] x[l, k] <= budget,
               x binary (k runs over the allowed, supported pairs)

``method="greedy"`` (no scipy needed) starts every layer at its lowest-penalty pair and, while the
total is over budget, makes the move with the largest cost saved per penalty added; it is fast
and usually close, but not guaranteed optimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from accelsim.errors import ConfigError, Problem
from accelsim.precision.table import CostTable

METHODS = ("milp", "greedy")


@dataclass(frozen=True)
class BitChoice:
    """The search's answer: bits per layer, the network's cost and the total penalty."""

    layers: tuple[str, ...]
    weight_bits: tuple[int, ...]
    input_bits: tuple[int, ...]
    metric: str
    cost: float  # sum over layers, in the metric's unit
    budget: float
    penalty: float
    method: str
    weight_densities: tuple[float, ...] = ()  # per layer, when chosen too (search_pruning)

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            {"layer": self.layers, "weight_bits": self.weight_bits, "input_bits": self.input_bits}
        )
        if self.weight_densities:
            frame["weight_density"] = self.weight_densities
        return frame


def search(
    table: CostTable,
    budget: float,
    *,
    metric: str = "cycles",
    sensitivities: Sequence[float] | None = None,
    penalty: NDArray | None = None,
    pairs: Iterable[tuple[int, int]] | None = None,
    method: str = "milp",
) -> BitChoice:
    """The per-layer bit pairs of least total penalty whose summed ``metric`` fits ``budget``.

    ``metric`` is any array of the table (``cycles``, ``seconds``, ``energy``, ...); ``pairs``
    limits the choices (for example ``[(4, 4), (8, 8)]`` as HAWQ-V3 does). Raises ConfigError
    for a budget below the cheapest assignment (the message gives that cost), sensitivities or
    a penalty of the wrong shape, pairs not in the table, an unknown method, or a missing scipy.
    """
    cost = table.array(metric).reshape(len(table.layers), -1)
    weight = _penalty(table, sensitivities, penalty).reshape(cost.shape)
    allowed = _allowed(table, pairs) & ~np.isnan(cost)
    _check_budget(table, metric, budget, cost, allowed)
    chosen = _solve(cost, weight, allowed, budget, method)
    return _choice(table, chosen, chosen, cost, weight, metric, budget, method)


def search_pruning(
    tables: Sequence[CostTable],
    budget: float,
    penalty: NDArray,
    *,
    metric: str = "energy",
    pairs: Iterable[tuple[int, int]] | None = None,
    method: str = "milp",
) -> BitChoice:
    """Bits *and* pruning: per layer one (table, w, a) cell of a density axis (the tables of
    :func:`accelsim.precision.table.density_tables`, or any tables of the same network and bits
    priced at other weight densities), of least total ``penalty`` (shape: tables x layers x w
    x a, your accuracy model of bits and pruning) within ``budget`` of summed ``metric``. The
    same integer program as :func:`search`, with the density as one more choice per layer.
    Raises ConfigError for tables that do not match, a penalty of the wrong shape, or an
    infeasible budget."""
    first = _same_grid(tables)
    cost = _by_layer(np.stack([table.array(metric) for table in tables]))
    shape = (len(tables), len(first.layers), len(first.weight_bits), len(first.input_bits))
    weights = np.asarray(penalty, dtype=float)
    if weights.shape != shape or not np.isfinite(weights).all():
        raise ConfigError(
            Problem("search", "penalty", f"finite numbers of shape {shape}", weights.shape)
        )
    weight = _by_layer(weights)
    allowed = np.tile(_allowed(first, pairs), (1, len(tables))) & ~np.isnan(cost)
    _check_budget(first, metric, budget, cost, allowed)
    chosen = _solve(cost, weight, allowed, budget, method)
    cells = len(first.weight_bits) * len(first.input_bits)
    which, pair = chosen // cells, chosen % cells
    densities = tuple(
        tables[t].weight_densities[i] if tables[t].weight_densities else 1.0
        for i, t in enumerate(which)
    )
    return _choice(
        first, pair, chosen, cost, weight, metric, budget, method, weight_densities=densities
    )


def _solve(cost: NDArray, weight: NDArray, allowed: NDArray, budget: float, method: str):
    """The chosen column per layer, by the named method."""
    if method == "milp":
        return _milp(cost, weight, allowed, budget)
    if method == "greedy":
        return _greedy(cost, weight, allowed, budget)
    raise ConfigError(Problem("search", "method", f"one of {', '.join(METHODS)}", method))


def _choice(table, pair, chosen, cost, weight, metric, budget, method, **extra) -> BitChoice:
    """The BitChoice of the (weight, input) cells ``pair`` of ``table``; ``chosen`` indexes the
    columns of ``cost`` and ``weight``."""
    rows = np.arange(len(table.layers))
    na = len(table.input_bits)
    return BitChoice(
        layers=table.layers,
        weight_bits=tuple(table.weight_bits[k // na] for k in pair),
        input_bits=tuple(table.input_bits[k % na] for k in pair),
        metric=metric,
        cost=float(cost[rows, chosen].sum()),
        budget=float(budget),
        penalty=float(weight[rows, chosen].sum()),
        method=method,
        **extra,
    )


def _same_grid(tables: Sequence[CostTable]) -> CostTable:
    if not tables:
        raise ConfigError(Problem("search", "tables", "at least one cost table", []))
    first = tables[0]
    for table in tables[1:]:
        grid = (table.layers, table.weight_bits, table.input_bits)
        if grid != (first.layers, first.weight_bits, first.input_bits):
            expected = "tables of the same layers and bits (a density axis)"
            raise ConfigError(Problem("search", "tables", expected, table.layers))
    return first


def _by_layer(stacked: NDArray) -> NDArray:
    """(tables, layers, w, a) -> (layers, tables * w * a): each layer's choices in a row."""
    return np.ascontiguousarray(stacked.transpose(1, 0, 2, 3)).reshape(stacked.shape[1], -1)


def default_penalty(table: CostTable, sensitivities: Sequence[float] | None = None) -> NDArray:
    """``s_l * (4**-w + 4**-a)`` of shape (layers, w, a); ``s_l`` = 1 when not given."""
    w = 4.0 ** -np.array(table.weight_bits, dtype=float)
    a = 4.0 ** -np.array(table.input_bits, dtype=float)
    scale = np.ones(len(table.layers)) if sensitivities is None else np.asarray(sensitivities)
    return scale[:, None, None] * (w[None, :, None] + a[None, None, :])


def _penalty(table: CostTable, sensitivities, penalty) -> NDArray:
    shape = (len(table.layers), len(table.weight_bits), len(table.input_bits))
    if penalty is not None:
        penalty = np.asarray(penalty, dtype=float)
        if penalty.shape != shape or not np.isfinite(penalty).all():
            raise ConfigError(
                Problem("search", "penalty", f"finite numbers of shape {shape}", penalty.shape)
            )
        return penalty
    if sensitivities is not None:
        values = np.asarray(sensitivities, dtype=float)
        if values.shape != (shape[0],) or not (np.isfinite(values).all() and (values >= 0).all()):
            expected = f"{shape[0]} non-negative numbers, one per layer"
            raise ConfigError(Problem("search", "sensitivities", expected, values.shape))
    return default_penalty(table, sensitivities)


def _allowed(table: CostTable, pairs) -> NDArray[np.bool_]:
    mask = np.zeros((len(table.weight_bits), len(table.input_bits)), dtype=bool)
    if pairs is None:
        mask[:] = True
    else:
        for w, a in pairs:
            mask[table.index(w, a)] = True
    return np.broadcast_to(mask.reshape(1, -1), (len(table.layers), mask.size)).copy()


def _check_budget(table, metric, budget, cost, allowed) -> None:
    cheapest = np.where(allowed, cost, np.inf).min(axis=1)
    if not np.isfinite(cheapest).all():
        layer = table.layers[int(np.argmax(~np.isfinite(cheapest)))]
        raise ConfigError(
            Problem("search", "pairs", f"at least one supported pair for layer {layer}", None)
        )
    floor = float(cheapest.sum())
    if not isinstance(budget, (int, float)) or isinstance(budget, bool) or budget < floor:
        expected = (
            f"a {metric} budget of at least {floor:.6g} (every layer at its cheapest allowed "
            "bits costs that much)"
        )
        raise ConfigError(Problem("search", "budget", expected, budget))


def _milp(cost, weight, allowed, budget) -> NDArray[np.intp]:
    try:
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import csr_array, kron
    except ImportError:
        expected = "scipy for method='milp' (pip install 'accelsim[search]'), or method='greedy'"
        raise ConfigError(Problem("search", "method", expected, "milp")) from None
    layers, choices = cost.shape
    c = np.where(allowed, weight, 0.0).reshape(-1)
    one_each = kron(csr_array(np.eye(layers)), csr_array(np.ones((1, choices))))
    total = np.where(allowed, cost, 0.0).reshape(1, -1)
    constraints = [
        LinearConstraint(one_each, 1, 1),
        LinearConstraint(total, -np.inf, budget),
    ]
    upper = allowed.reshape(-1).astype(float)
    found = milp(c, constraints=constraints, integrality=np.ones_like(c), bounds=Bounds(0, upper))
    if found.x is None:
        raise ConfigError(Problem("search", "budget", "a feasible problem", found.message))
    return np.round(found.x).reshape(layers, choices).argmax(axis=1)


def _greedy(cost, weight, allowed, budget) -> NDArray[np.intp]:
    masked_weight = np.where(allowed, weight, np.inf)
    masked_cost = np.where(allowed, cost, np.inf)
    chosen = masked_weight.argmin(axis=1)
    rows = np.arange(len(chosen))
    while masked_cost[rows, chosen].sum() > budget:
        saved = masked_cost[rows, chosen][:, None] - masked_cost
        added = masked_weight - masked_weight[rows, chosen][:, None]
        with np.errstate(invalid="ignore"):  # inf / inf on disallowed pairs, masked out below
            ratio = np.where(saved > 0, saved / np.maximum(added, 1e-300), -np.inf)
        layer, pair = np.unravel_index(np.argmax(ratio), ratio.shape)
        chosen[layer] = pair
    return chosen
