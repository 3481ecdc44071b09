"""Dataflows as templates of constraints on mappings, not as separate simulators.

A template says what the PEs' register files hold (what is *stationary*), which loop dimensions
run inside a PE, which dimensions may be spread over each axis of the array, and which loops sit
innermost at the global buffer (the reuse pattern the dataflow streams with). The mapper
(:mod:`accelsim.mapper`) searches the mappings a template allows.

The four dataflows of the Eyeriss ISCA 2016 comparison (Chen, Emer, Sze), in accelsim's terms:

* ``rs`` row stationary: a PE runs a 1-D row convolution: a filter row (all S taps, for several
  filters and channels) stays in its RF while the input row slides through it (Q innermost at the
  buffer, so only ``stride`` new inputs arrive per output); filter rows spread down the array (R on
  Y), output rows or filters across it; partial sums accumulate in the RF.
* ``ws`` weight stationary: each PE keeps weights (R x S of one filter and channel) in its RF while
  the batch and output pixels stream past (N, P, Q innermost at the buffer); input channels along
  Y, filters along X; inputs and partial sums come from and go to the buffer on every MAC.
* ``os`` output stationary: each PE keeps its partial sums in its RF while the reduction (C, R, S)
  runs inside it; the variants spread outputs differently: ``osa`` a 2-D block of pixels of one
  channel (P on Y, Q on X), ``osb`` several channels and pixels (M on Y, Q on X), ``osc`` many
  channels of one pixel (M on both axes); ``os`` takes the best of the three.
* ``nlr`` no local reuse: no RF; every operand comes from the buffer; input channels along Y and
  filters along X (DianNao style), with spatial reduction of partial sums.

The systolic variants ``systolic_ws``, ``systolic_os`` and ``systolic_is`` run a layer as an
im2col GEMM folded onto a systolic array (``network.systolic: true``) and are timed cycle by cycle
by :mod:`accelsim.systolic` (skew, fill and drain), not by the mapper and the tile engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.errors import ConfigError, Problem
from accelsim.types import SYSTOLIC, Dataflow, DataType, Dim


@dataclass(frozen=True)
class Template:
    """The constraints one dataflow puts on mappings."""

    rf_keeps: frozenset[DataType]
    pe_dims: tuple[Dim, ...]  # dimensions whose loops may run inside a PE, outermost first
    pe_whole: frozenset[Dim]  # dimensions that must run whole inside a PE
    spatial: tuple[tuple[tuple[Dim, ...], tuple[Dim, ...]], ...]  # (Y dims, X dims) options
    streaming: tuple[Dim, ...]  # loops placed innermost at the buffer, outermost first
    anchored: bool = False  # the first Y dimension must be spread (RS: filter rows down the array)
    # where a PE has a partial-sum register (a per-PE level keeping outputs only), the mapper may
    # keep outputs there and run the reduction (C, R, S) inside the PE
    pe_reduction: bool = False


_ALL = frozenset(DataType)
_FILL = (Dim.M, Dim.C, Dim.N, Dim.G)

TEMPLATES: dict[Dataflow, Template] = {
    Dataflow.RS: Template(
        rf_keeps=_ALL,
        pe_dims=(Dim.C, Dim.S, Dim.M),
        pe_whole=frozenset({Dim.S}),
        spatial=(((Dim.R, *_FILL), (Dim.P, *_FILL)), ((Dim.R, *_FILL), (Dim.M, Dim.N, Dim.C))),
        streaming=(Dim.Q,),
        anchored=True,
    ),
    Dataflow.WS: Template(
        rf_keeps=frozenset({DataType.WEIGHTS}),
        pe_dims=(Dim.R, Dim.S),
        pe_whole=frozenset(),
        spatial=(((Dim.C, Dim.R, Dim.S), (Dim.M, Dim.G)),),
        streaming=(Dim.N, Dim.P, Dim.Q),
        pe_reduction=True,
    ),
    Dataflow.OSA: Template(
        rf_keeps=frozenset({DataType.OUTPUTS}),
        pe_dims=(Dim.C, Dim.R, Dim.S),
        pe_whole=frozenset(),
        spatial=(((Dim.P, Dim.N), (Dim.Q, Dim.N)),),
        streaming=(),
    ),
    Dataflow.OSB: Template(
        rf_keeps=frozenset({DataType.OUTPUTS}),
        pe_dims=(Dim.C, Dim.R, Dim.S),
        pe_whole=frozenset(),
        spatial=(((Dim.M, Dim.G), (Dim.Q, Dim.P, Dim.N)),),
        streaming=(),
    ),
    Dataflow.OSC: Template(
        rf_keeps=frozenset({DataType.OUTPUTS}),
        pe_dims=(Dim.C, Dim.R, Dim.S),
        pe_whole=frozenset(),
        spatial=(((Dim.M, Dim.G), (Dim.M, Dim.G)),),
        streaming=(),
    ),
    Dataflow.NLR: Template(
        rf_keeps=frozenset(),
        pe_dims=(),
        pe_whole=frozenset(),
        spatial=(((Dim.C, Dim.R, Dim.S), (Dim.M, Dim.G)),),
        streaming=(),
    ),
}


def templates(dataflow: Dataflow) -> tuple[Template, ...]:
    """The templates a dataflow may use (``os`` is the union of its three variants)."""
    if dataflow in SYSTOLIC:
        raise ConfigError(
            Problem(
                "",
                "dataflow",
                "a mapping dataflow (systolic ones are timed by accelsim.systolic, not mapped)",
                dataflow.value,
            )
        )
    if dataflow is Dataflow.OS:
        return tuple(TEMPLATES[d] for d in (Dataflow.OSA, Dataflow.OSB, Dataflow.OSC))
    return (TEMPLATES[dataflow],)


def parse_dataflow(name: str | Dataflow, *, source: str = "", path: str = "dataflow") -> Dataflow:
    """A :class:`Dataflow` from its name; a ConfigError listing the known names otherwise."""
    if isinstance(name, Dataflow):
        return name
    try:
        return Dataflow(str(name).lower())
    except ValueError:
        names = ", ".join(d.value for d in Dataflow)
        raise ConfigError(Problem(source, path, f"one of {names}", name)) from None
