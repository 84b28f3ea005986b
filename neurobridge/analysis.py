"""Per-neuron spike statistics of a :class:`~neurobridge.Result`, shared by experiments and comparison.

Everything takes the tidy ``spikes`` table (``population, neuron, time_ms``) and a
population's size, so silent neurons count as zeros. Statistics a library has
come from it (``scipy.stats.variation`` for the ISI CV, ``numpy.corrcoef``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from . import catalog
from .results import Result


def population_spikes(result: Result, population: str) -> pd.DataFrame:
    """The spikes of one population (``neuron``, ``time_ms``)."""
    spikes = result.spikes
    return spikes.loc[spikes.population == population, ["neuron", "time_ms"]]


def population_size(result: Result, population: str) -> int:
    """Number of neurons of ``population`` in the run."""
    return int(result.meta["population_sizes"][population])


def neuron_populations(result: Result) -> list[str]:
    """Populations of neurons (not spike sources), in the description's order."""
    described = result.meta.get("network", {}).get("populations", {})
    sources = set(catalog.SOURCES)
    return [name for name in result.meta["population_sizes"]
            if described.get(name, {}).get("model") not in sources]


def spike_counts(result: Result, population: str) -> np.ndarray:
    """Spikes per neuron (length: the population's size)."""
    neurons = population_spikes(result, population).neuron.to_numpy()
    return np.bincount(neurons, minlength=population_size(result, population))


def firing_rates(result: Result, population: str) -> np.ndarray:
    """Per-neuron rates (Hz) over the whole run."""
    return spike_counts(result, population) / (result.meta["duration_ms"] / 1000.0)


def spike_trains(result: Result, population: str) -> list[np.ndarray]:
    """Sorted spike times (ms) per neuron, one array per neuron of the population."""
    frame = population_spikes(result, population).sort_values("time_ms")
    grouped = dict(iter(frame.groupby("neuron").time_ms))
    empty = np.empty(0)
    return [grouped[i].to_numpy() if i in grouped else empty for i in range(population_size(result, population))]


def isi_cvs(trains: list[np.ndarray], min_spikes: int = 3) -> np.ndarray:
    """Coefficient of variation of the inter-spike intervals of every train with ``min_spikes`` or more."""
    return np.array([stats.variation(np.diff(t)) for t in trains if t.size >= min_spikes], dtype=float)


def binned_counts(trains: list[np.ndarray], duration_ms: float, bin_ms: float) -> np.ndarray:
    """Spike counts in bins of ``bin_ms``: one row per train."""
    edges = np.arange(0.0, duration_ms + bin_ms, bin_ms)
    rows = [np.histogram(t, edges)[0] for t in trains]
    return np.array(rows, dtype=float).reshape(len(trains), edges.size - 1)


def pairwise_correlations(counts: np.ndarray) -> np.ndarray:
    """Pearson correlations of every pair of rows of binned counts (rows without variance dropped)."""
    active = counts[counts.std(axis=1) > 0]
    if active.shape[0] < 2:
        return np.empty(0)
    matrix = np.corrcoef(active)
    return matrix[np.triu_indices_from(matrix, k=1)]


def population_rate(result: Result, population: str, bin_ms: float) -> pd.Series:
    """Population rate (Hz per neuron) in bins of ``bin_ms``, indexed by the bin centre (ms)."""
    duration = result.meta["duration_ms"]
    edges = np.arange(0.0, duration + bin_ms, bin_ms)
    counts, _ = np.histogram(population_spikes(result, population).time_ms, edges)
    rate = counts / population_size(result, population) / (bin_ms / 1000.0)
    return pd.Series(rate, index=pd.Index((edges[:-1] + edges[1:]) / 2, name="time_ms"), name="rate_hz")


__all__ = ["spike_counts", "firing_rates", "spike_trains", "isi_cvs", "binned_counts",
           "pairwise_correlations", "population_rate", "neuron_populations", "population_size"]
