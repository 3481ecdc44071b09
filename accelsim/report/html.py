"""A self-contained HTML report of a results folder: the tables and the plots, embedded."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd

from accelsim.atomic import write_text
from accelsim.report import plots
from accelsim.report.tables import Results

LAYER_COLUMNS = (
    "network", "dataflow", "layer", "macs", "cycles", "stall_cycles", "utilization",
    "energy", "energy_per_mac", "energy_ALU", "energy_RF", "energy_array", "energy_buffer",
    "energy_DRAM",
)  # fmt: skip
STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 12px; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; margin-bottom: 2em; }
"""


def write_report(results: Results, out_dir: str | Path) -> Path:
    """Write ``out_dir/index.html`` (atomically) and return its path."""
    sections = [f"<h1>accelsim report</h1><p>Results: {html.escape(results.source)}</p>"]
    if results.points is not None:
        sections.append("<h2>Summary</h2>" + _table(results.points))
        if {"cycles", "energy"} <= set(results.points.columns) and len(results.points) > 1:
            sections.append(_figure(plots.sweep_scatter(results.points), "energy against cycles"))
    if results.layers is not None:
        layers = results.layers
        unique = not layers.duplicated(subset=["layer", "dataflow"]).any()
        if unique:
            sections.append(
                "<h2>Energy breakdown</h2>"
                + _figure(
                    plots.energy_breakdown(layers), "energy per MAC by component and data type"
                )
            )
            sections.append(
                "<h2>Cycles per layer</h2>"
                + _figure(plots.layer_cycles(layers), "cycles and utilization per layer")
            )
        columns = [c for c in LAYER_COLUMNS if c in layers.columns]
        sections.append("<h2>Layers</h2>" + _table(layers[columns]))
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>accelsim report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(sections)}</body></html>"
    )
    return write_text(Path(out_dir) / "index.html", page)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)


def _figure(figure, alt: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plots.plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"
