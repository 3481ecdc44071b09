"""Systolic arrays: a layer as a GEMM folded onto an R x C array, under os / ws / is.

* :mod:`~accelsim.systolic.gemm`: the lowering and the fold grid;
* :mod:`~accelsim.systolic.reference`: the per-cycle oracle (small sizes);
* :mod:`~accelsim.systolic.model`: closed-form cycles and SRAM counts, physical or SCALE-Sim's;
* :mod:`~accelsim.systolic.scalesim_config`: SCALE-Sim ``.cfg`` files;
* :mod:`~accelsim.systolic.run`: a network through the model.
"""

from accelsim.systolic.gemm import FoldGrid, Gemm, SystolicDataflow, fold_grid, gemm_from_layer
from accelsim.systolic.model import Mode, SystolicResult, simulate_gemm

__all__ = [
    "FoldGrid",
    "Gemm",
    "Mode",
    "SystolicDataflow",
    "SystolicResult",
    "fold_grid",
    "gemm_from_layer",
    "simulate_gemm",
]
