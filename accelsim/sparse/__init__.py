"""Sparsity as inputs: density models, representation formats and gating/skipping specs (layer
1). The counting that turns dense counts into sparse ones is :mod:`accelsim.analysis.sparse`."""

from accelsim.sparse.density import NM, Actual, DensityModel, FixedStructured, Uniform, make_density
from accelsim.sparse.formats import Format, Rank, RankFormat, parse_format, rank_units
from accelsim.sparse.spec import Action, Optimization, SparseSpec

__all__ = [
    "NM",
    "Action",
    "Actual",
    "DensityModel",
    "FixedStructured",
    "Format",
    "Optimization",
    "Rank",
    "RankFormat",
    "SparseSpec",
    "Uniform",
    "make_density",
    "parse_format",
    "rank_units",
]
