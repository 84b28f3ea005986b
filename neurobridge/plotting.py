"""Figures shared by the demo, the experiments and the report. Units on every axis."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .results import Result  # noqa: E402

COLORS = {"exc": "black", "inh": "tab:red"}
#: Populations per legend row under a raster (three labels fit the figure's width).
LEGEND_COLUMNS = 3


def raster(result: Result, path: str | Path | None = None, title: str | None = None,
           max_neurons: int = 500, ax: plt.Axes | None = None) -> Any:
    """Spike raster, one band per population whose spikes were recorded (its first ``max_neurons``),
    time in ms; the legend says how many neurons of each are shown."""
    own = ax is None
    sizes = result.meta.get("population_sizes", {})
    recorded = result.meta.get("spike_populations")
    if recorded is not None:
        sizes = {name: size for name, size in sizes.items() if name in recorded}
    columns = min(max(1, len(sizes)), LEGEND_COLUMNS)
    if ax is None:  # a legend row more for every LEGEND_COLUMNS populations
        _, ax = plt.subplots(figsize=(8, 4 + 0.3 * (math.ceil(len(sizes) / columns) - 1)), constrained_layout=True)
    fig: Any = ax.get_figure()
    offset = 0
    for index, (name, frame) in enumerate(_by_population(result.spikes, sizes)):
        shown = frame[frame.neuron < max_neurons]
        size = sizes.get(name, int(frame.neuron.max()) + 1 if len(frame) else 0)
        color = COLORS.get(name, f"C{index}")
        count = f"first {max_neurons} of {size}" if size > max_neurons else f"all {size}"
        ax.plot(shown.time_ms, shown.neuron + offset, "|", ms=2, color=color, label=f"{name} ({count} neurons)")
        offset += min(size, max_neurons)
    ax.set(xlabel="time (ms)", ylabel="neuron", xlim=(0, result.meta["duration_ms"]),
           title=title or f"{result.meta.get('name', '')} on {result.meta['backend']}")
    if offset:
        ax.set_ylim(-0.5, offset - 0.5)
    if offset:  # below the axes, clear of the spikes
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=columns, markerscale=4,
                  fontsize="small", frameon=False)
    if path is not None and own:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig


def _by_population(spikes: pd.DataFrame, sizes: dict[str, int]):
    names = list(sizes) or sorted(spikes.population.unique())
    for name in names:
        yield name, spikes[spikes.population == name]
