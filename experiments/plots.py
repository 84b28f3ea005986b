"""Figures any experiment can list in ``experiment.plots``; units on every axis.

Each ``plot_<name>(results, setup)`` draws every variant of one job (one backend)
and returns the figure; the runner saves it as ``<name>.png``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurobridge import Result, analysis, catalog  # noqa: E402
from neurobridge.plotting import COLORS, raster  # noqa: E402

if TYPE_CHECKING:
    from . import Setup

def _grid(n_rows: int, n_columns: int, width: float = 4.0, height: float = 3.0):
    fig, axes = plt.subplots(n_rows, n_columns, figsize=(width * n_columns, height * n_rows),
                             squeeze=False, constrained_layout=True)
    return fig, axes


def _backend(results: Mapping[str, Result]) -> str:
    return next(iter(results.values())).meta["backend"]


def plot_raster(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """Spike rasters, one panel per variant."""
    fig, axes = _grid(len(results), 1, width=9.0, height=3.5)
    for ax, (variant, result) in zip(axes[:, 0], results.items()):
        raster(result, ax=ax, title=f"{setup.name}: {variant} on {result.meta['backend']}")
    return fig


def plot_rate_histogram(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """Histogram of per-neuron firing rates, one panel per variant, populations overlaid."""
    fig, axes = _grid(1, len(results), width=5.0, height=3.5)
    for ax, (variant, result) in zip(axes[0], results.items()):
        for index, population in enumerate(analysis.neuron_populations(result)):
            rates = analysis.firing_rates(result, population)
            ax.hist(rates, bins=30, histtype="step", lw=1.5, color=COLORS.get(population, f"C{index}"),
                    label=f"{population} (mean {rates.mean():.2f} Hz)")
        ax.set(xlabel="firing rate (Hz)", ylabel="neurons", title=f"{variant} on {result.meta['backend']}")
        ax.legend(fontsize="small")
    return fig


def plot_population_rate(results: Mapping[str, Result], setup: Setup, bin_ms: float = 5.0) -> plt.Figure:
    """Population rate over time (bins of ``bin_ms``), one panel per variant."""
    fig, axes = _grid(len(results), 1, width=9.0, height=2.8)
    for ax, (variant, result) in zip(axes[:, 0], results.items()):
        for index, population in enumerate(analysis.neuron_populations(result)):
            rate = analysis.population_rate(result, population, bin_ms)
            ax.plot(rate.index, rate.to_numpy(), lw=1, color=COLORS.get(population, f"C{index}"),
                    label=population)
        ax.set(xlabel="time (ms)", ylabel=f"rate (Hz, {bin_ms:g} ms bins)",
               title=f"{variant} on {result.meta['backend']}")
        ax.legend(fontsize="small")
    return fig


def plot_traces(results: Mapping[str, Result], setup: Setup, max_neurons: int = 3) -> plt.Figure:
    """Recorded state variables, one panel per variant and variable, first ``max_neurons`` neurons."""
    panels = [(variant, result, population, variable)
              for variant, result in results.items()
              for (population, variable), _ in result.states.groupby(["population", "variable"], sort=False)]
    fig, axes = _grid(max(len(panels), 1), 1, width=9.0, height=2.6)
    for ax, (variant, result, population, variable) in zip(axes[:, 0], panels):
        states = result.states
        rows = states[(states.population == population) & (states.variable == variable)]
        for neuron in np.unique(rows.neuron)[:max_neurons]:
            trace = rows[rows.neuron == neuron]
            ax.plot(trace.time_ms, trace.value, lw=0.8, label=f"{population}[{neuron}]")
        ax.set(xlabel="time (ms)", ylabel=f"{variable} ({catalog.UNITS.get(variable, 'a.u.')})",
               title=f"{variant} on {result.meta['backend']}")
        ax.legend(fontsize="small", loc="upper right")
    if not panels:
        axes[0, 0].text(0.5, 0.5, "no state variables recorded", ha="center", va="center")
        axes[0, 0].set_axis_off()
    return fig
