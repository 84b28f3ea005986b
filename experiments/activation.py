"""Activation functions of a LIF neuron under regular and irregular input (a NEST teaching exercise).

The neuron is the exercise's ``iaf_psc_exp`` (``conf/model/activation.yaml``). One
module serves four configs, chosen by ``experiment.params.sweep``:

``membrane`` (``activation_membrane``)
    One neuron per input; ``V_m`` and the effective input
    ``u_eff = I_syn_ex / g_L + bias`` (``g_L = C_m / tau_m``) over time.
``bias`` (``activation_bias``)
    No input; ``n_neurons`` neurons with ``E_L`` from ``b_min`` to ``b_max`` in one run.
    Theory: the noise-free LIF rate (:func:`neurobridge.theory.lif_rate_on_grid`).
``weight`` (``activation_weight``)
    Neuron ``i`` receives its own source at ``rate`` through weight ``w_i``
    (``w_min .. w_max``) and an inhibitory copy of weight ``-winfactor w_i``.
``rate`` (``activation_rate``)
    Neuron ``i`` receives one source of rate ``nu_i`` (``rate_min .. rate_max``) at ``weight``.

For ``weight`` and ``rate``, ``experiment.params.inputs`` maps ``regular`` (spikes on
the 0.1 ms grid from 0.1 ms every ``1000 / rate`` ms, as the exercise rounds them) and
``irregular`` (Poisson) to their settings; each is one variant. Theory for Poisson
input: the Siegert rate with Fourcaud & Brunel's correction for exponential synapses.
The exercise's count of non-monotonicities is ``sum(diff(rates) < 0)``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurobridge import Network, Result, analysis, theory  # noqa: E402
from neurobridge.errors import InvalidValueError, unknown  # noqa: E402

if TYPE_CHECKING:
    from . import Setup

NEURON = "neuron"
SWEEPS = ("membrane", "bias", "weight", "rate")
INPUTS = {"regular": "regular", "irregular": "poisson"}
#: The exercise connects its sources with NEST's default delay.
DELAY_MS = 1.0
#: Axis labels of the swept quantity.
AXIS = {"bias": "bias E_L (mV)", "weight": "input weight (pA)", "rate": "input rate (Hz)"}


# -- networks ------------------------------------------------------------------------------------

def networks(setup: Setup) -> dict[str, Network]:
    """The variants of the sweep: ``no_input`` for ``bias``, else one per entry of ``params.inputs``."""
    sweep = sweep_name(setup)
    if sweep == "bias":
        return {"no_input": _bias_network(setup)}
    return {variant: _input_network(setup, variant, settings)
            for variant, settings in input_settings(setup).items()}


def sweep_name(setup: Setup) -> str:
    """``experiment.params.sweep``, checked."""
    sweep = setup.params.get("sweep", "bias")
    if sweep not in SWEEPS:
        raise unknown("sweep", sweep, "experiment.params.sweep", SWEEPS)
    return str(sweep)


def input_settings(setup: Setup) -> dict[str, Mapping[str, Any]]:
    """``experiment.params.inputs``: variant name (``regular`` / ``irregular``) to its settings."""
    inputs = dict(setup.params.get("inputs") or {})
    for variant in inputs:
        if variant not in INPUTS:
            raise unknown("input", variant, "experiment.params.inputs", INPUTS)
    if not inputs:
        raise InvalidValueError(f"experiment.params.inputs of {setup.name} names no input "
                                f"(allowed: {', '.join(INPUTS)}).")
    return inputs


def n_neurons(setup: Setup) -> int:
    """Points of the curve (one neuron each); 1 for ``membrane``."""
    return 1 if sweep_name(setup) == "membrane" else int(setup.params.get("n_neurons", 100))


def sweep_values(setup: Setup, variant: str) -> np.ndarray:
    """The swept quantity per neuron (mV, pA or Hz), as the network's ``linspace`` draws it."""
    sweep = sweep_name(setup)
    settings = setup.params if sweep == "bias" else input_settings(setup)[variant]
    low, high = {"bias": ("b_min", "b_max"), "weight": ("w_min", "w_max"),
                 "rate": ("rate_min", "rate_max")}[sweep]
    return np.linspace(float(settings[low]), float(settings[high]), n_neurons(setup))


def _base(setup: Setup) -> dict[str, Any]:
    model = copy.deepcopy(dict(setup.model))
    if NEURON not in model.get("populations", {}):
        raise InvalidValueError(f'model.populations needs a population "{NEURON}" for {setup.name}, '
                                f"got {list(model.get('populations', {}))}.")
    model["populations"] = {NEURON: model["populations"][NEURON]}
    model["populations"][NEURON]["size"] = n_neurons(setup)
    model["projections"], model["stimuli"] = [], []
    return model


def _bias_network(setup: Setup) -> Network:
    model = _base(setup)
    params = model["populations"][NEURON].setdefault("params", {})
    params["E_L"] = {"linspace": [float(setup.params["b_min"]), float(setup.params["b_max"])]}
    model["recordings"] = [{"population": NEURON, "variables": ["spikes"]}]
    return Network.from_dict({**model, "name": f"{setup.name}.no_input"})


def _input_network(setup: Setup, variant: str, settings: Mapping[str, Any]) -> Network:
    sweep = sweep_name(setup)
    model = _base(setup)
    model["duration"] = float(settings.get("duration", model.get("duration", 1000.0)))
    model["populations"][NEURON]["params"]["E_L"] = float(settings["bias"])
    rate: Any = settings.get("rate")
    weight: Any = settings.get("weight")
    if sweep == "rate":
        rate = {"linspace": [float(settings["rate_min"]), float(settings["rate_max"])]}
    if sweep == "weight":
        weight = {"linspace": [float(settings["w_min"]), float(settings["w_max"])]}
    model["populations"]["excitatory_input"] = _source(variant, rate, model["dt"], n_neurons(setup))
    model["projections"] = [_one_to_one("excitatory_input", weight)]
    winfactor = float(settings.get("winfactor", 0.0))
    if sweep == "weight" and winfactor > 0:
        model["populations"]["inhibitory_input"] = _source(variant, rate, model["dt"], n_neurons(setup))
        model["projections"].append(_one_to_one("inhibitory_input", {**weight, "factor": -winfactor}))
    variables = ["spikes", "V_m", "I_syn_ex"] if sweep == "membrane" else ["spikes"]
    model["recordings"] = [{"population": NEURON, "variables": variables}]
    return Network.from_dict({**model, "name": f"{setup.name}.{variant}"})


def _source(variant: str, rate: Any, dt: float, size: int) -> dict[str, Any]:
    params: dict[str, Any] = {"rate": rate}
    if variant == "regular":
        params["start"] = dt  # the exercise's np.arange(0.1, T, 1000 / rate), rounded to 0.1 ms
    return {"size": size, "model": INPUTS[variant], "params": params}


def _one_to_one(source: str, weight: Any) -> dict[str, Any]:
    return {"source": source, "target": NEURON, "connector": "one_to_one", "weight": weight,
            "delay": DELAY_MS}


# -- theory --------------------------------------------------------------------------------------

def neuron_parameters(setup: Setup) -> dict[str, float]:
    """The neuron's scalar parameters (defaults filled in), as the theory needs them."""
    network = next(iter(networks(setup).values()))
    params = network.populations[NEURON].parameters()
    return {k: float(v) for k, v in params.items() if not isinstance(v, (dict, list))}


def theory_rates(setup: Setup, variant: str, noise: bool) -> np.ndarray:
    """Predicted rate (Hz) per neuron: Siegert + Fourcaud-Brunel (``noise``) or noise-free LIF.

    For input sweeps the noise-free rate is the LIF rate at the mean drive.
    """
    p = neuron_parameters(setup)
    x = sweep_values(setup, variant)
    lif = (p["V_th"], p["V_reset"], p["tau_m"], p["t_ref"])
    if sweep_name(setup) == "bias":
        return theory.lif_rate_on_grid(x, *lif, dt=float(setup.model.get("dt", 0.1)))
    rates = []
    for rate, weight, bias in _drives(setup, variant, x):
        weights = [weight, -float(input_settings(setup)[variant].get("winfactor", 0.0)) * weight]
        mu, sigma = theory.poisson_drive([rate, rate], weights, p["tau_syn_ex"], p["C_m"], p["tau_m"], bias)
        rates.append(theory.siegert_rate(mu, sigma, *lif, tau_syn=p["tau_syn_ex"]) if noise
                     else float(theory.lif_rate(mu, *lif)))
    return np.array(rates)


def _drives(setup: Setup, variant: str, x: np.ndarray) -> list[tuple[float, float, float]]:
    settings = input_settings(setup)[variant]
    bias = float(settings["bias"])
    if sweep_name(setup) == "weight":
        return [(float(settings["rate"]), float(w), bias) for w in x]
    return [(float(r), float(settings["weight"]), bias) for r in x]


def prediction(setup: Setup) -> dict[str, dict[str, dict[str, float]]]:
    """The population's mean predicted rate where :func:`measure` holds the curve to theory: the noise-free
    rate of the bias sweep, Siegert's rate for the irregular input sweeps."""
    sweep = sweep_name(setup)
    if sweep == "membrane":
        return {}
    variant, noise = ("no_input", False) if sweep == "bias" else ("irregular", True)
    return {variant: {NEURON: {"rate_hz": float(np.mean(theory_rates(setup, variant, noise)))}}}


# -- measures ------------------------------------------------------------------------------------

def non_monotonicities(rates: np.ndarray) -> int:
    """The exercise's count: how often the curve steps down, ``sum(diff(rates) < 0)``."""
    return int(np.sum(np.diff(rates) < 0.0))


def isi_rates(result: Result) -> np.ndarray:
    """Rate (Hz) per neuron from its mean inter-spike interval; NaN with fewer than two spikes."""
    trains = analysis.spike_trains(result, NEURON)
    return np.array([1000.0 / np.mean(np.diff(t)) if t.size >= 2 else np.nan for t in trains])


def measure(results: Mapping[str, Result], setup: Setup) -> dict[str, float]:
    """Per variant: spike count (``membrane``) or the curve's non-monotonicities and its agreement with theory."""
    metrics: dict[str, float] = {}
    for variant, result in results.items():
        rates = analysis.firing_rates(result, NEURON)
        metrics[f"{variant}.mean_rate_hz"] = float(rates.mean())
        if sweep_name(setup) == "membrane":
            metrics[f"{variant}.n_spikes"] = float(analysis.spike_counts(result, NEURON).sum())
            continue
        metrics[f"{variant}.non_monotonicities"] = float(non_monotonicities(rates))
        metrics.update(_theory_metrics(result, setup, variant))
    return metrics


def _theory_metrics(result: Result, setup: Setup, variant: str) -> dict[str, float]:
    if sweep_name(setup) == "bias":
        return bias_agreement(result, setup)
    if variant != "irregular":
        return {}
    measured = analysis.firing_rates(result, NEURON)
    error = pooled_relative_error(measured, theory_rates(setup, variant, noise=True))
    return {f"{variant}.siegert_max_rel_error": float(np.nanmax(error)) if error.size else float("nan"),
            f"{variant}.siegert_median_rel_error": float(np.nanmedian(error)) if error.size else float("nan")}


def bias_agreement(result: Result, setup: Setup) -> dict[str, float]:
    """Bias sweep vs the noise-free rate: largest rate below rheobase and largest relative error above."""
    biases = sweep_values(setup, "no_input")
    predicted = theory_rates(setup, "no_input", noise=False)
    measured = analysis.firing_rates(result, NEURON)
    above = predicted > 0
    isi = isi_rates(result)
    counted = np.abs(measured[above] - predicted[above]) / predicted[above]
    timed = np.abs(isi[above] - predicted[above]) / predicted[above]
    p = neuron_parameters(setup)
    continuous = theory.lif_rate(biases, p["V_th"], p["V_reset"], p["tau_m"], p["t_ref"])[above]
    firing = biases[measured > 0]
    return {"no_input.max_rate_below_rheobase_hz": float(measured[~above].max(initial=0.0)),
            "no_input.lowest_firing_bias_mv": float(firing.min()) if firing.size else float("nan"),
            "no_input.max_rel_error_isi": float(np.nanmax(timed, initial=0.0)),
            "no_input.max_rel_error_isi_continuous": float(
                np.nanmax(np.abs(isi[above] - continuous) / continuous, initial=0.0)),
            "no_input.max_rel_error_count": float(np.nanmax(counted, initial=0.0)),
            "no_input.max_rel_error_count_above_50hz": float(
                np.nanmax(counted[predicted[above] >= 50.0], initial=0.0))}


def pooled_relative_error(measured: np.ndarray, predicted: np.ndarray, group: int = 10,
                          min_rate_hz: float = 5.0) -> np.ndarray:
    """|mean measured - mean predicted| / mean predicted over groups of ``group`` adjacent neurons.

    Pooling neighbours of the sweep averages out the Poisson count noise of single
    neurons; groups predicted below ``min_rate_hz`` are left out (too few spikes).
    """
    n = measured.size // group * group
    m = measured[:n].reshape(-1, group).mean(axis=1)
    p = predicted[:n].reshape(-1, group).mean(axis=1)
    keep = p >= min_rate_hz
    return np.abs(m[keep] - p[keep]) / p[keep]


# -- figures -------------------------------------------------------------------------------------

def plot_membrane(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """``V_m`` and ``u_eff = I_syn_ex / g_L + bias`` over time, one panel per input, spikes marked."""
    fig, axes = plt.subplots(len(results), 1, figsize=(11, 3.2 * len(results)), squeeze=False,
                             constrained_layout=True)
    p = neuron_parameters(setup)
    g_L = p["C_m"] / p["tau_m"]
    for ax, (variant, result) in zip(axes[:, 0], results.items()):
        settings = input_settings(setup)[variant]
        states = result.states
        v = states[states.variable == "V_m"]
        current = states[states.variable == "I_syn_ex"]
        ax.plot(v.time_ms, v.value, lw=1, label=r"$V_m$")
        ax.plot(current.time_ms, current.value / g_L + float(settings["bias"]), lw=1,
                label=r"$u_\mathrm{eff} = I_\mathrm{syn,ex}/g_L + \mathrm{bias}$")
        spikes = analysis.population_spikes(result, NEURON).time_ms
        ax.plot(spikes, np.full(spikes.size, p["V_th"] + 1.0), "v", ms=6, color="tab:red",
                label=f"output spikes ({spikes.size})")
        ax.axhline(p["V_th"], color="gray", lw=0.8, ls=":", label=r"$V_\mathrm{th}$")
        ax.set(xlabel="time (ms)", ylabel="potential (mV)", xlim=(0, result.meta["duration_ms"]),
               title=f"{variant} input: {settings['rate']:g} Hz, weight {settings['weight']:g} pA, "
                     f"bias {settings['bias']:g} mV (on {result.meta['backend']})")
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_activation(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """Output rate vs the swept quantity, one panel per variant, with the theory overlaid."""
    fig, axes = plt.subplots(1, len(results), figsize=(6.5 * len(results), 4.5), squeeze=False,
                             constrained_layout=True)
    sweep = sweep_name(setup)
    for index, (ax, (variant, result)) in enumerate(zip(axes[0], results.items())):
        x = sweep_values(setup, variant)
        rates = analysis.firing_rates(result, NEURON)
        ax.plot(x, rates, ".-", color=f"C{index}", ms=4, lw=1,
                label=f"simulated ({non_monotonicities(rates)} non-monotonicities)")
        for noise, style, name in _theory_lines(sweep, variant):
            ax.plot(x, theory_rates(setup, variant, noise), style, color="black", lw=1.2, label=name)
        ax.set(xlabel=AXIS[sweep], ylabel="output rate (Hz)", ylim=(0, None),
               title=f"{variant} on {result.meta['backend']} ({result.meta['duration_ms']:g} ms)")
        ax.legend(fontsize="small", loc="upper left")
    fig.suptitle(f"{setup.name}: output rate vs {sweep}")
    return fig


def _theory_lines(sweep: str, variant: str) -> list[tuple[bool, str, str]]:
    if sweep == "bias":
        return [(False, "--", "noise-free LIF theory (on the 0.1 ms grid)")]
    if variant == "irregular":
        return [(True, "--", "Siegert + Fourcaud-Brunel"), (False, ":", "noise-free LIF at the mean drive")]
    return [(False, ":", "noise-free LIF at the mean drive")]


__all__ = ["networks", "measure", "plot_membrane", "plot_activation", "non_monotonicities",
           "theory_rates", "sweep_values", "isi_rates", "pooled_relative_error", "bias_agreement"]
