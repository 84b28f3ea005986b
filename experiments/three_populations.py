"""Two excitatory and one inhibitory LIF population under noisy step currents (a course report).

The base network is ``conf/model/three_populations.yaml`` (``ep1``, ``ep2``, ``ip1``, 100
LIF neurons each; E→I, I→E and E→E projections). ``experiment.params.scenario`` picks
one of ``experiment.params.scenarios``; a scenario sets the connectivity and the
currents::

    connectivity: normal | uniform | full
    currents:                      # report units, one unit = unit_pa pA (R I = 1 mV)
      ep1: {level: 20, gap: 500}   # level * (1 + floor(t / gap)): the report's incremental steps
      ep2: {level: 20, gap: 300, extra: 20, extra_from: 500}
      ip1: {noise: 35}             # a noisy current of mean 35 units instead of steps

Every current carries independent Gaussian noise per neuron (``noise_std_pa``, NEST
``noise_generator`` semantics, a new value every ``noise_dt`` ms); a population
without an entry gets no current at all. Weights are given in report units and
scaled by ``weight_unit_pa / K`` with ``K`` the expected number of inputs a neuron
receives from the source population, so the connectivity rules compare at equal
mean input.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurobridge import Network, Result, analysis, realize  # noqa: E402
from neurobridge.errors import unknown  # noqa: E402

if TYPE_CHECKING:
    from . import Setup

POPULATIONS = ("ep1", "ep2", "ip1")
CONNECTIVITY = ("normal", "uniform", "full")
COLORS = {"ep1": "tab:blue", "ep2": "tab:green", "ip1": "tab:red"}


# -- networks ------------------------------------------------------------------------------------

def scenario(setup: Setup) -> tuple[str, Mapping[str, Any]]:
    """The chosen scenario's name and settings."""
    name = setup.params.get("scenario", "default")
    scenarios = setup.params.get("scenarios") or {}
    if name not in scenarios:
        raise unknown("scenario", name, "experiment.params.scenario", scenarios)
    return str(name), scenarios[name]


def networks(setup: Setup) -> dict[str, Network]:
    """One variant, named after the scenario."""
    name, settings = scenario(setup)
    model = copy.deepcopy(dict(setup.model))
    model["projections"] = [_projection(setup, p, settings.get("connectivity", "normal"))
                            for p in model.get("projections", [])]
    model["stimuli"] = [stimulus for population, current in (settings.get("currents") or {}).items()
                        for stimulus in _currents(setup, population, current, float(model["duration"]))]
    return {name: Network.from_dict({**model, "name": f"{setup.name}.{name}"})}


def _projection(setup: Setup, projection: Mapping[str, Any], connectivity: str) -> dict[str, Any]:
    """The projection's connector and weights under ``connectivity`` (the model gives the sign)."""
    if connectivity not in CONNECTIVITY:
        raise unknown("connectivity", connectivity, "experiment.params.scenarios.*.connectivity", CONNECTIVITY)
    n_source = int(setup.model["populations"][projection["source"]]["size"])
    sign = -1.0 if str(projection["source"]).startswith("i") else 1.0
    weights = setup.params["weights"]
    p = float(setup.params.get("p", 0.2))
    partners = n_source if connectivity == "full" else p * n_source
    factor = sign * float(setup.params.get("weight_unit_pa", 10.0)) / partners
    if connectivity == "uniform":
        weight: Any = {"uniform": [float(weights["low"]), float(weights["high"])], "factor": factor}
    else:
        weight = {"normal": {"mean": float(weights["mean"]), "std": float(weights["std"])}, "factor": factor}
        weight["min" if sign > 0 else "max"] = 0.0  # a weight keeps its sign
    connector = "all_to_all" if connectivity == "full" else {"fixed_probability": p}
    return {**projection, "connector": connector, "weight": weight}


def _currents(setup: Setup, population: str, current: Mapping[str, Any], duration: float) -> list[dict]:
    if population not in POPULATIONS:
        raise unknown("population", population, "experiment.params.scenarios.*.currents", POPULATIONS)
    unit = float(setup.params.get("unit_pa", 10.0))
    noise = {"target": population, "kind": "noise", "std": float(setup.params.get("noise_std_pa", 50.0)),
             "dt": float(setup.params.get("noise_dt", 1.0)), "mean": unit * float(current.get("noise", 0.0))}
    if "noise" in current:
        return [noise]
    times, levels = step_levels(current, duration)
    step = {"target": population, "kind": "step", "times": times, "amplitudes": [unit * v for v in levels]}
    return [step, noise]


def step_levels(current: Mapping[str, Any], duration: float) -> tuple[list[float], list[float]]:
    """Change times (ms) and levels (report units) of ``level * (1 + floor(t / gap)) + extra``."""
    level, gap = float(current.get("level", 20.0)), float(current.get("gap", duration))
    extra, extra_from = float(current.get("extra", 0.0)), float(current.get("extra_from", duration))
    changes = sorted({0.1, *np.arange(gap, duration, gap).tolist(), *([extra_from] if extra else [])})
    changes = [t for t in changes if t < duration]
    levels = [level * (1 + np.floor(t / gap + 1e-9)) + (extra if t >= extra_from else 0.0) for t in changes]
    return [float(t) for t in changes], [float(v) for v in levels]


# -- measures ------------------------------------------------------------------------------------

def window_rates(result: Result, population: str, start: float, stop: float) -> float:
    """Mean rate (Hz per neuron) of ``population`` in ``[start, stop)`` ms."""
    times = analysis.population_spikes(result, population).time_ms
    count = np.sum((times >= start) & (times < stop))
    return float(count / analysis.population_size(result, population) / ((stop - start) / 1000.0))


def measure(results: Mapping[str, Result], setup: Setup) -> dict[str, float]:
    """Per population: the mean rate over the run and in its first and second half (Hz)."""
    metrics: dict[str, float] = {}
    for variant, result in results.items():
        half = result.meta["duration_ms"] / 2
        for population in analysis.neuron_populations(result):
            metrics[f"{variant}.{population}.rate_hz"] = float(analysis.firing_rates(result, population).mean())
            metrics[f"{variant}.{population}.rate_first_half_hz"] = window_rates(result, population, 0.0, half)
            metrics[f"{variant}.{population}.rate_second_half_hz"] = window_rates(
                result, population, half, 2 * half)
    return metrics


def mean_currents(result: Result) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per population: time (ms) and the injected current averaged over its neurons (pA)."""
    network = Network.from_dict(result.meta["network"])
    times = np.arange(network.n_steps) * network.dt
    out = {name: (times, np.zeros_like(times)) for name in POPULATIONS if name in network.populations}
    for trace in realize(network).currents:
        size = network.populations[trace.target].size
        values = trace.amplitudes if trace.shared else trace.amplitudes.mean(axis=1)
        where = np.searchsorted(trace.times, times, side="right") - 1
        out[trace.target][1][:] += np.where(where >= 0, values[np.maximum(where, 0)], 0.0) * trace.neurons.size / size
    return out


# -- figures -------------------------------------------------------------------------------------

def plot_activity(results: Mapping[str, Result], setup: Setup, bin_ms: float = 10.0) -> plt.Figure:
    """Per population (columns): spikes per time bin, raster and mean input current (rows)."""
    result = next(iter(results.values()))
    variant = next(iter(results))
    fig, axes = plt.subplots(3, 3, figsize=(13, 8), sharex=True, constrained_layout=True)
    currents = mean_currents(result)
    for column, population in enumerate(POPULATIONS):
        spikes = analysis.population_spikes(result, population)
        edges = np.arange(0.0, result.meta["duration_ms"] + bin_ms, bin_ms)
        counts, _ = np.histogram(spikes.time_ms, edges)
        color = COLORS[population]
        axes[0, column].stairs(counts, edges, color=color, fill=True, alpha=0.7)
        axes[0, column].set(ylabel=f"spikes per {bin_ms:g} ms",
                            title=f"{population}: {analysis.firing_rates(result, population).mean():.1f} Hz")
        axes[1, column].plot(spikes.time_ms, spikes.neuron, "|", ms=2, color=color)
        axes[1, column].set(ylabel="neuron", ylim=(-0.5, analysis.population_size(result, population) - 0.5))
        times, current = currents.get(population, (edges, np.zeros_like(edges)))
        axes[2, column].plot(times, current, lw=0.8, color=color)
        axes[2, column].set(xlabel="time (ms)", ylabel="mean input current (pA)",
                            xlim=(0, result.meta["duration_ms"]))
    fig.suptitle(f"{setup.name}, scenario {variant}, on {result.meta['backend']}")
    return fig


__all__ = ["networks", "measure", "plot_activity", "step_levels", "window_rates", "mean_currents", "scenario"]
