"""The Izhikevich network tutorial (seed 004), steps 1 to 5, one experiment per step.

``izhikevich_single``
    One regular-spiking neuron and a current step (runs on every backend).
``izhikevich_poisson``
    One neuron, 100 Poisson inputs through conductance synapses (variant ``poisson``) and one
    10 Hz input through a depressing synapse (variant ``depression``, built here from
    ``experiment.params.depression``).
``izhikevich_unconnected``, ``izhikevich_recurrent``
    1000 neurons, 20% fast-spiking inhibitory, without and with recurrent synapses.
``izhikevich_ring``
    The orientation column: E->E only within pi/4 on a ring; input (drawn here from
    ``experiment.params.input``) to half of the ring.

Every model but ``izhikevich_single`` pairs ``izhikevich`` with ``conductance_exp``, which NEST
lacks: those experiments run on ``numpy`` and ``brian2``.

The tutorial's depressing synapse, ``s += h`` with ``h <- 1 - (1 + (U - 1) h) exp(-dt_j / tau_d)``
and ``h = 1`` at the first spike, is the ``x`` recursion of NEST's ``tsodyks2_synapse`` with
``tau_fac = 0`` (so ``u = U`` at every spike) and ``tau_rec = tau_d``; the synapse sends
``weight * U * x``, so ``weight = w / U`` gives the tutorial's ``w h``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurobridge import Network, Result, analysis  # noqa: E402
from neurobridge.plotting import COLORS  # noqa: E402
from neurobridge.realize import stream  # noqa: E402

from . import base  # noqa: E402

if TYPE_CHECKING:
    from . import Setup


def _exercise(setup: Setup) -> str:
    return str(setup.params.get("exercise", setup.name))


# -- networks ------------------------------------------------------------------------------------

def depression_variant(model: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The model with its input replaced by ``n_inputs`` Poisson sources through a depressing synapse.

    ``params``: ``rate`` (Hz), ``n_inputs``, ``w`` (the tutorial's weight), ``U``, ``tau_d`` (ms).
    The synapse is ``tsodyks_markram`` with ``tau_rec = tau_d``, ``tau_fac = 0`` and weight ``w / U``.
    """
    data = {**model, "populations": dict(model["populations"]), "name": f"{model['name']}_depression"}
    source = dict(data["populations"]["input"])
    source["size"] = int(params.get("n_inputs", 1))
    source["params"] = {**source["params"], "rate": float(params.get("rate", 10.0))}
    data["populations"]["input"] = source
    U = float(params.get("U", 0.5))
    synapse = {"tsodyks_markram": {"U": U, "tau_rec": float(params.get("tau_d", 500.0)), "tau_fac": 0.0}}
    data["projections"] = [{**p, "weight": float(params.get("w", 0.03)) / U, "synapse": synapse}
                           for p in model["projections"] if p["source"] == "input"]
    return data


def half_ring_input(setup: Setup) -> list[dict[str, Any]]:
    """Projections from ``input`` to the first ``fraction`` of ``exc`` and ``inh``, each pair with probability ``p``.

    Drawn with the network's seed (a stream of its own), so every backend builds the same connections.
    """
    spec = {"p": 0.1, "fraction": 0.5, "weight": 0.07, **setup.params.get("input", {})}
    model = setup.model
    n_inputs = int(model["populations"]["input"]["size"])
    projections = []
    for target in ("exc", "inh"):
        stimulated = int(round(spec["fraction"] * model["populations"][target]["size"]))
        rng = stream(int(model.get("seed", 0)), f"izhikevich_ring:input->{target}")
        sources, targets = np.nonzero(rng.random((n_inputs, stimulated)) < spec["p"])
        projections.append({"source": "input", "target": target, "weight": float(spec["weight"]),
                            "delay": float(model["dt"]),
                            "connector": {"from_list": {"sources": sources.tolist(), "targets": targets.tolist()}}})
    return projections


def networks(setup: Setup) -> dict[str, Network]:
    """``izhikevich_poisson``: ``poisson`` and ``depression``; ``izhikevich_ring``: the config's model
    with its half-ring input; otherwise the config's model."""
    exercise = _exercise(setup)
    if exercise == "izhikevich_poisson":
        return {"poisson": Network.from_dict(setup.model),
                "depression": Network.from_dict(depression_variant(setup.model, setup.params.get("depression", {})))}
    if exercise == "izhikevich_ring":
        data = {**setup.model, "projections": [*half_ring_input(setup), *setup.model.get("projections", [])]}
        return {"ring": Network.from_dict(data)}
    return base.networks(setup)


# -- measurements --------------------------------------------------------------------------------

def _window(setup: Setup) -> tuple[float, float]:
    start, stop = setup.params.get("stimulus_window", [200.0, 700.0])
    return float(start), float(stop)


def window_rates(result: Result, population: str, window: tuple[float, float]) -> np.ndarray:
    """Per-neuron rates (Hz) inside ``window`` (ms)."""
    spikes = analysis.population_spikes(result, population)
    inside = spikes[(spikes.time_ms > window[0]) & (spikes.time_ms <= window[1])]
    counts = np.bincount(inside.neuron.to_numpy(), minlength=analysis.population_size(result, population))
    return counts / ((window[1] - window[0]) / 1000.0)


def ring_split(result: Result, population: str = "exc", fraction: float = 0.5,
               window: tuple[float, float] = (200.0, 700.0)) -> tuple[float, float, float]:
    """Mean rate (Hz) of the stimulated part, of the rest, and the share of spikes in the stimulated part."""
    rates = window_rates(result, population, window)
    stimulated = int(round(fraction * rates.size))
    inside, outside = rates[:stimulated], rates[stimulated:]
    total = rates.sum()
    return float(inside.mean()), float(outside.mean()), float(inside.sum() / total) if total else float("nan")


def measure(results: Mapping[str, Result], setup: Setup) -> dict[str, float]:
    """Rates and ISI CVs per population (:func:`.base.measure`), rates inside the stimulus window,
    the spike count of single neurons and, for the ring, the split between its two halves."""
    metrics = base.measure(results, setup)
    window = _window(setup)
    for variant, result in results.items():
        prefix = "" if len(results) == 1 else f"{variant}."
        for population in analysis.neuron_populations(result):
            rates = window_rates(result, population, window)
            metrics[f"{prefix}{population}.stimulus_rate_hz"] = float(rates.mean())
            if rates.size == 1:
                metrics[f"{prefix}{population}.spike_count"] = float(analysis.spike_counts(result, population)[0])
    if _exercise(setup) == "izhikevich_ring":
        fraction = float(setup.params.get("input", {}).get("fraction", 0.5))
        for population in ("exc", "inh"):
            inside, outside, share = ring_split(results["ring"], population, fraction, window)
            metrics[f"{population}.stimulated_half_rate_hz"] = inside
            metrics[f"{population}.other_half_rate_hz"] = outside
            metrics[f"{population}.stimulated_half_share"] = share
    return metrics


# -- figures -------------------------------------------------------------------------------------

def _peak(result: Result, population: str) -> float:
    return float(result.meta["network"]["populations"][population]["params"].get("V_th", 30.0))


def plot_voltage(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """Voltage traces, one panel per variant and recorded neuron; spikes drawn up to the peak as the tutorial does."""
    panels = [(variant, result, population, neuron)
              for variant, result in results.items()
              for (population, neuron), _ in result.states[result.states.variable == "V_m"]
              .groupby(["population", "neuron"], sort=False)]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.6 * len(panels)), squeeze=False,
                             constrained_layout=True)
    window = _window(setup)
    for ax, (variant, result, population, neuron) in zip(axes[:, 0], panels):
        trace = result.trace(population, "V_m", neuron)
        peak = _peak(result, population)
        ax.plot(trace.index, trace.to_numpy(), lw=0.8, color=COLORS.get(population, "C0"))
        spikes = result.spike_times(population, neuron)
        ax.vlines(spikes, trace.min(), peak, lw=0.8, color=COLORS.get(population, "C0"))
        ax.axvspan(*window, color="0.92", zorder=-1, label="input on")
        ax.set(xlabel="time (ms)", ylabel="V_m (mV)", xlim=(0, result.meta["duration_ms"]),
               title=f"{variant}: {population}[{neuron}], {spikes.size} spikes ({result.meta['backend']})")
        ax.legend(loc="upper right", fontsize="small")
    return fig


def plot_raster(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """Spike rasters of the neuron populations, excitatory black and inhibitory red, as the tutorial's."""
    fig, axes = plt.subplots(len(results), 1, figsize=(9, 4.5 * len(results)), squeeze=False,
                             constrained_layout=True)
    for ax, (variant, result) in zip(axes[:, 0], results.items()):
        offset = 0
        for index, population in enumerate(analysis.neuron_populations(result)):
            spikes = analysis.population_spikes(result, population)
            ax.plot(spikes.time_ms, spikes.neuron + offset, ".", ms=1.5, color=COLORS.get(population, f"C{index}"),
                    label=f"{population} ({spikes.shape[0]} spikes)")
            offset += analysis.population_size(result, population)
        ax.axvspan(*_window(setup), color="0.94", zorder=-1, label="input on")
        ax.set(xlabel="time (ms)", ylabel="neuron (exc, then inh)", xlim=(0, result.meta["duration_ms"]),
               ylim=(-0.5, offset - 0.5), title=f"{setup.name}: {variant} ({result.meta['backend']})")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), markerscale=6, fontsize="small")
    return fig


__all__ = ["networks", "measure", "depression_variant", "half_ring_input", "window_rates", "ring_split",
           "plot_voltage", "plot_raster"]
