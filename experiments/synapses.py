"""Synapses and spike timing: the teaching figures of seed 003, in mV with ``E_L = 0`` and ``V_th = 1``.

Five experiments share this module; :func:`networks`, :func:`measure` and the
plots pick the exercise by ``experiment.params.exercise`` (default: the
experiment's name):

``psp_shapes``
    The membrane response to one input spike through ``current_delta``
    ("exponential"), ``current_exp`` with ``tau_syn = tau_m`` ("alpha") and
    ``current_exp`` with ``tau_syn = 2 ms`` ("biexponential"), against
    :func:`psp`.
``stp``
    Five spikes onto a depressing and a facilitating Tsodyks-Markram synapse,
    the PSP amplitudes against :func:`tsodyks_markram`.
``coincidence``
    Four input spikes of 0.6 mV into a 5 ms membrane: only the pair 1 ms apart
    reaches the 1 mV threshold.
``spike_timing_tuning``
    Noisy LIF neurons receiving two spikes ``delta`` ms apart: mean spike count
    against ``delta`` (every ``delta`` in one population).
``population_decoder``
    Channels of the same detectors, each tuned to its own ``delta`` by the
    delays of its inputs: the population of tuning curves.

The notebook's dimensionless models become mV and pA with ``C_m = tau_m``
(pF, ms), so ``R = 1 mV/pA``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colormaps  # noqa: E402

from neurobridge import Network, Result, analysis  # noqa: E402

from . import base  # noqa: E402

if TYPE_CHECKING:
    from . import Setup

PSP_KINDS = ("exponential", "alpha", "biexponential")


# -- closed forms --------------------------------------------------------------------------------

def psp(t: np.ndarray, tau_m: float, tau_syn: float | None = None, weight: float = 1.0) -> np.ndarray:
    """PSP (mV) at ``t`` ms after arrival for ``R = 1 mV/pA``.

    ``tau_syn`` ``None``: a jump of ``weight`` mV decaying with ``tau_m``; equal to
    ``tau_m``: ``weight (t / tau) exp(-t / tau)``; otherwise the difference of
    exponentials ``weight tau_s / (tau_m - tau_s) (exp(-t / tau_m) - exp(-t / tau_s))``.
    """
    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    if tau_syn is None:
        return weight * np.exp(-t / tau_m)
    if math.isclose(tau_syn, tau_m):
        return weight * t / tau_m * np.exp(-t / tau_m)
    return weight * tau_syn / (tau_m - tau_syn) * (np.exp(-t / tau_m) - np.exp(-t / tau_syn))


def psp_peak(tau_m: float, tau_syn: float | None = None, weight: float = 1.0) -> tuple[float, float]:
    """Time (ms after arrival) and amplitude (mV) of the peak of :func:`psp`."""
    if tau_syn is None:
        time = 0.0
    elif math.isclose(tau_syn, tau_m):
        time = tau_m
    else:
        time = tau_m * tau_syn / (tau_m - tau_syn) * math.log(tau_m / tau_syn)
    return time, float(psp(np.array([time]), tau_m, tau_syn, weight)[0])


def tsodyks_markram(times: np.ndarray, U: float, tau_rec: float, tau_fac: float) -> tuple[np.ndarray, np.ndarray]:
    """``u`` and ``x`` used by each spike (``PSP = w u x``) of a ``tsodyks2_synapse`` starting at ``u = U, x = 1``.

    Between spikes ``h`` apart: ``u <- U + u (1 - U) exp(-h / tau_fac)`` and
    ``x <- 1 + (x - u x - 1) exp(-h / tau_rec)`` (the previous spike's ``u, x``).
    """
    u, x = np.empty(len(times)), np.empty(len(times))
    u[0], x[0] = U, 1.0
    for k in range(1, len(times)):
        h = times[k] - times[k - 1]
        x[k] = 1.0 + (x[k - 1] - u[k - 1] * x[k - 1] - 1.0) * math.exp(-h / tau_rec)
        u[k] = U + u[k - 1] * (1.0 - U) * (math.exp(-h / tau_fac) if tau_fac > 0 else 0.0)
    return u, x


def tsodyks_markram_traces(times: np.ndarray, t: np.ndarray, U: float, tau_rec: float,
                           tau_fac: float) -> tuple[np.ndarray, np.ndarray]:
    """``u(t)`` and ``x(t)`` as the notebook plots them: ``u`` decays to 0, ``x`` recovers to 1.

    Before the first spike ``u = 0`` and ``x = 1``; after spike ``k``, ``u`` is its
    ``u_k`` and ``x`` is ``x_k (1 - u_k)``, relaxing until the next spike.
    """
    u_k, x_k = tsodyks_markram(times, U, tau_rec, tau_fac)
    last = np.searchsorted(times, t, side="right") - 1
    after = last >= 0
    k = np.maximum(last, 0)
    since = t - times[k]
    u = np.where(after, u_k[k] * (np.exp(-since / tau_fac) if tau_fac > 0 else 0.0), 0.0)
    x_left = x_k[k] * (1.0 - u_k[k])
    x = np.where(after, 1.0 + (x_left - 1.0) * np.exp(-since / tau_rec), 1.0)
    return u, x


def noise_std(sigma: float, tau_m: float, dt: float, resistance: float = 1.0) -> float:
    """Std (pA) of a current redrawn every ``dt`` that gives ``V_m`` a stationary std ``sigma`` (mV).

    The notebook's ``dv/dt = -v / tau + sigma xi sqrt(2 / tau)`` has stationary std ``sigma``.
    A current held for ``dt`` moves ``V`` by ``R (1 - exp(-dt/tau)) I`` (exact integration), so
    ``var V = (R s)^2 (1 - e)^2 / (1 - e^2) = (R s)^2 tanh(dt / (2 tau))`` with ``e = exp(-dt/tau)``:
    ``s = sigma / (R sqrt(tanh(dt / (2 tau))))``, close to ``sigma sqrt(2 tau / dt) / R``.
    """
    return sigma / (resistance * math.sqrt(math.tanh(dt / (2.0 * tau_m))))


# -- shared helpers ------------------------------------------------------------------------------

def _exercise_name(setup: Setup) -> str:
    return str(setup.params.get("exercise", setup.name))


def _trace(result: Result, population: str, neuron: int = 0) -> tuple[np.ndarray, np.ndarray]:
    series = result.trace(population, "V_m", neuron)
    return series.index.to_numpy(), series.to_numpy()


def _arrivals(network: Network, target: str) -> np.ndarray:
    """Arrival times (ms) at ``target`` of the spikes of the first projection onto it."""
    projection = next(p for p in network.projections if p.target == target)
    times = np.asarray(network.populations[projection.source].params["times"], dtype=float)
    return times + float(projection.delay)


def _params(network: Network, population: str) -> Mapping[str, Any]:
    return network.populations[population].parameters()


def _title(result: Result, text: str) -> str:
    return f"{text} ({result.meta['backend']})"


# -- psp_shapes ----------------------------------------------------------------------------------

def _psp_tau_syn(network: Network, kind: str) -> float | None:
    params = _params(network, kind)
    return None if network.populations[kind].receptor == "current_delta" else float(params["tau_syn_ex"])


def _measure_psp_shapes(results: Mapping[str, Result], setup: Setup) -> dict[str, float]:
    """Peak time after arrival and amplitude of each PSP, and their errors against :func:`psp_peak`."""
    network = Network.from_dict(setup.model)
    result = next(iter(results.values()))
    metrics: dict[str, float] = {}
    for kind in PSP_KINDS:
        arrival = _arrivals(network, kind)[0]
        weight = float(next(p.weight for p in network.projections if p.target == kind))
        tau_m = float(_params(network, kind)["tau_m"])
        time, voltage = _trace(result, kind)
        peak = int(np.argmax(voltage))
        expected_time, expected_amplitude = psp_peak(tau_m, _psp_tau_syn(network, kind), weight)
        metrics[f"{kind}.peak_time_ms"] = float(time[peak] - arrival)
        metrics[f"{kind}.peak_mV"] = float(voltage[peak])
        metrics[f"{kind}.expected_peak_time_ms"] = expected_time
        metrics[f"{kind}.expected_peak_mV"] = expected_amplitude
        metrics[f"{kind}.peak_time_error_ms"] = abs(metrics[f"{kind}.peak_time_ms"] - expected_time)
        metrics[f"{kind}.peak_rel_error"] = abs(voltage[peak] / expected_amplitude - 1.0)
    return metrics


def plot_psp_shapes(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """Normalised PSPs (simulated, solid) over their closed forms (dotted), as the notebook's figure."""
    network = Network.from_dict(setup.model)
    result = next(iter(results.values()))
    fig, ax = plt.subplots(figsize=(7, 3), constrained_layout=True)
    for index, kind in enumerate(PSP_KINDS):
        time, voltage = _trace(result, kind)
        tau_syn = _psp_tau_syn(network, kind)
        arrival = _arrivals(network, kind)[0]
        receptor = network.populations[kind].receptor
        label = f"{kind} ({receptor}" + (f", tau_syn {tau_syn:g} ms)" if tau_syn else ")")
        ax.plot(time, voltage / voltage.max(), color=f"C{index}", lw=1.5, label=label)
        fine = np.linspace(0, network.duration, 1000)
        closed = psp(fine - arrival, float(_params(network, kind)["tau_m"]), tau_syn) * (fine >= arrival)
        ax.plot(fine, closed / closed.max(), color="k", lw=0.8, ls=":")
    ax.plot([], [], color="k", lw=0.8, ls=":", label="closed form")
    ax.set(xlabel="time (ms)", ylabel="V_m / peak (normalised)", xlim=(0, network.duration),
           title=_title(result, "Postsynaptic potential forms, one input spike at 5 ms"))
    ax.legend(loc="upper right", fontsize="small")
    return fig


# -- stp -----------------------------------------------------------------------------------------

def _stp_variants(network: Network) -> dict[str, tuple[float, dict[str, float]]]:
    """Per target population: the weight and the ``tsodyks_markram`` parameters of its projection."""
    return {p.target: (float(p.weight), dict(p.synapse.params)) for p in network.projections
            if p.synapse.model == "tsodyks_markram"}


def psp_jumps(time: np.ndarray, voltage: np.ndarray, arrivals: np.ndarray, tau_m: float) -> np.ndarray:
    """The jump of ``V_m`` (mV) at each arrival: ``V(t) - V(t - dt) exp(-dt / tau_m)``, largest near it."""
    dt = float(np.median(np.diff(time)))
    previous = np.r_[0.0, voltage[:-1]]
    jumps = voltage - previous * np.exp(-dt / tau_m)
    windows = [(time >= t - 1.5 * dt) & (time <= t + 2.5 * dt) for t in arrivals]
    return np.array([jumps[w].max() if w.any() else np.nan for w in windows])


def _measure_stp(results: Mapping[str, Result], setup: Setup) -> dict[str, float]:
    """PSP amplitude per spike and their largest relative error against :func:`tsodyks_markram`."""
    network = Network.from_dict(setup.model)
    result = next(iter(results.values()))
    metrics: dict[str, float] = {}
    for target, (weight, syn) in _stp_variants(network).items():
        arrivals = _arrivals(network, target)
        time, voltage = _trace(result, target)
        measured = psp_jumps(time, voltage, arrivals, float(_params(network, target)["tau_m"]))
        u, x = tsodyks_markram(arrivals, syn["U"], syn["tau_rec"], syn["tau_fac"])
        expected = weight * u * x
        for k, (value, reference) in enumerate(zip(measured, expected), start=1):
            metrics[f"{target}.psp{k}_mV"] = float(value)
            metrics[f"{target}.expected_psp{k}_mV"] = float(reference)
        metrics[f"{target}.max_rel_error"] = float(np.max(np.abs(measured / expected - 1.0)))
    return metrics


def plot_stp(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """PSP (top) and ``u``, ``x`` (bottom) for depression and facilitation, as the notebook's figure."""
    network = Network.from_dict(setup.model)
    result = next(iter(results.values()))
    variants = _stp_variants(network)
    fig, axes = plt.subplots(2, len(variants), figsize=(4.5 * len(variants), 5.5), sharex=True,
                             squeeze=False, constrained_layout=True)
    for column, (target, (_, syn)) in enumerate(variants.items()):
        time, voltage = _trace(result, target)
        top, bottom = axes[0, column], axes[1, column]
        top.plot(time, voltage, color="C0", lw=1.2)
        top.set(ylabel="PSP, V_m (mV)", title=_title(
            result, f"{target.capitalize()}\nU {syn['U']:g}, tau_rec {syn['tau_rec']:g} ms, "
                    f"tau_fac {syn['tau_fac']:g} ms"))
        fine = np.linspace(0, network.duration, 3001)
        u, x = tsodyks_markram_traces(_arrivals(network, target), fine, syn["U"], syn["tau_rec"], syn["tau_fac"])
        bottom.plot(fine, u, color="C1", label="u (release probability)")
        bottom.plot(fine, x, color="C2", label="x (available resources)")
        bottom.set(xlabel="time (ms)", ylabel="u, x", ylim=(-0.05, 1.3), xlim=(0, network.duration))
        bottom.legend(loc="upper right", fontsize="small", ncol=2)
    return fig


# -- coincidence ---------------------------------------------------------------------------------

def _coincidence_windows(arrivals: np.ndarray, duration: float) -> list[tuple[float, float, str]]:
    """One window per group of arrivals closer than 5 ms, from the first arrival to the next group."""
    groups: list[list[float]] = [[float(arrivals[0])]]
    for t in arrivals[1:]:
        if t - groups[-1][-1] < 5.0:
            groups[-1].append(float(t))
        else:
            groups.append([float(t)])
    starts = [g[0] for g in groups] + [duration]
    return [(starts[i], starts[i + 1], "+".join(f"{math.floor(t):d}" for t in g)) for i, g in enumerate(groups)]


def _measure_coincidence(results: Mapping[str, Result], setup: Setup) -> dict[str, float]:
    """Peak of the threshold-free membrane after each group of inputs; the detector's spikes."""
    network = Network.from_dict(setup.model)
    result = next(iter(results.values()))
    threshold = float(_params(network, "detector")["V_th"])
    time, voltage = _trace(result, "membrane")
    metrics: dict[str, float] = {}
    for start, stop, label in _coincidence_windows(_arrivals(network, "membrane"), network.duration):
        inside = (time >= start) & (time < stop)
        peak = float(voltage[inside].max())
        metrics[f"inputs_{label}.peak_mV"] = peak
        metrics[f"inputs_{label}.crosses"] = float(peak >= threshold)
    spikes = result.spike_times("detector", 0)
    metrics["detector.spike_count"] = float(spikes.size)
    metrics["detector.first_spike_ms"] = float(spikes[0]) if spikes.size else float("nan")
    return metrics


def plot_coincidence(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """The membrane without threshold, the threshold (dashed) and the detector's spikes."""
    network = Network.from_dict(setup.model)
    result = next(iter(results.values()))
    threshold = float(_params(network, "detector")["V_th"])
    time, voltage = _trace(result, "membrane")
    fig, ax = plt.subplots(figsize=(8, 2.8), constrained_layout=True)
    ax.plot(time, voltage, lw=1.2, label="V_m without threshold")
    ax.axhline(threshold, ls="--", color="g", label=f"threshold {threshold:g} mV")
    for t in _arrivals(network, "membrane"):
        ax.axvline(t, color="0.7", lw=0.6, zorder=-1)
    for t in result.spike_times("detector", 0):
        ax.plot(t, threshold * 1.08, "v", color="tab:red", label="detector spike")
    ax.set(xlabel="time (ms)", ylabel="V_m (mV)", xlim=(0, network.duration), ylim=(-0.05, 1.25),
           title=_title(result, "Coincidence detection: inputs of 0.6 mV (grey), tau_m 5 ms"))
    ax.legend(loc="upper right", fontsize="small")
    return fig


# -- spike_timing_tuning ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Tuning:
    """The spike-time tuning design read from ``experiment.params``."""

    deltas: np.ndarray
    per_delta: int
    sigma: float
    weight: float
    window: tuple[float, float]

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Tuning:
        first, last, count = params.get("deltas", [-10.0, 10.0, 41])
        deltas = np.round(np.linspace(first, last, int(count)), 9)
        per_delta = int(math.ceil(int(params.get("n_neurons", 10000)) / deltas.size))
        window = tuple(params.get("count_window", [-15.0, 25.0]))
        return cls(deltas, per_delta, float(params.get("sigma", 0.3)), float(params.get("weight", 0.8)),
                   (float(window[0]), float(window[1])))

    @property
    def size(self) -> int:
        return self.deltas.size * self.per_delta


def _noisy_detectors(setup: Setup, size: int, sigma: float) -> dict[str, Any]:
    """The config's model with ``neurons`` resized and driven by the noise that gives ``sigma``."""
    data = {**setup.model, "populations": dict(setup.model["populations"])}
    neurons = dict(data["populations"]["neurons"])
    neurons["size"] = size
    data["populations"]["neurons"] = neurons
    params = neurons["params"]
    std = noise_std(sigma, params["tau_m"], data["dt"], resistance=params["tau_m"] / params["C_m"])
    data["stimuli"] = [{"target": "neurons", "kind": "noise", "mean": 0.0, "std": std, "dt": data["dt"]}]
    return data


def _spike_timing_networks(setup: Setup) -> dict[str, Network]:
    """One population: block ``j`` of ``per_delta`` neurons gets its second spike ``deltas[j]`` after the first."""
    design = Tuning.from_params(setup.params)
    data = _noisy_detectors(setup, design.size, design.sigma)
    first = float(data["populations"]["first"]["params"]["times"][0])
    seconds = np.repeat(first + design.deltas, design.per_delta)
    data["populations"]["second"] = {"size": design.size, "model": "spike_times",
                                     "params": {"times": [[float(t)] for t in seconds]}}
    dt = data["dt"]
    data["projections"] = [
        {"source": "first", "target": "neurons", "connector": "all_to_all", "weight": design.weight, "delay": dt},
        {"source": "second", "target": "neurons", "connector": "one_to_one", "weight": design.weight, "delay": dt},
    ]
    return {"tuning": Network.from_dict(data)}


def tuning_curve(result: Result, design: Tuning, window: tuple[float, float] | None = None,
                 onset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of the spike count per ``delta`` (optionally inside ``onset + window``)."""
    spikes = analysis.population_spikes(result, "neurons")
    if window is not None:
        spikes = spikes[(spikes.time_ms > onset + window[0]) & (spikes.time_ms <= onset + window[1])]
    counts = np.bincount(spikes.neuron.to_numpy(), minlength=design.size).reshape(design.deltas.size, -1)
    return counts.mean(axis=1), counts.std(axis=1, ddof=1) / math.sqrt(design.per_delta)


def _first_time(setup: Setup) -> float:
    return float(setup.model["populations"]["first"]["params"]["times"][0])


def _measure_spike_timing(results: Mapping[str, Result], setup: Setup) -> dict[str, float]:
    """Peak ``delta``, count at 0, baseline and the symmetry of the evoked tuning curve.

    ``asymmetry_z`` is the RMS over ``delta > 0`` of ``(c(delta) - c(-delta)) / SE``: about 1 for a
    curve symmetric within noise. Counts over the whole run give the notebook's figure.
    """
    design = Tuning.from_params(setup.params)
    result = next(iter(results.values()))
    mean, _ = tuning_curve(result, design)
    evoked, error = tuning_curve(result, design, design.window, _first_time(setup))
    positive = design.deltas > 0
    mirror = np.searchsorted(design.deltas, -design.deltas[positive])
    z = (evoked[positive] - evoked[mirror]) / np.hypot(error[positive], error[mirror])
    far = np.abs(design.deltas) >= 0.8 * np.abs(design.deltas).max()
    return {
        "neurons": float(design.size), "per_delta": float(design.per_delta),
        "peak_delta_ms": float(design.deltas[np.argmax(_smooth(evoked))]),
        "count_at_zero": float(mean[design.deltas == 0][0]) if np.any(design.deltas == 0) else float("nan"),
        "count_far": float(mean[far].mean()),
        "evoked_at_zero": float(evoked[np.argmin(np.abs(design.deltas))]),
        "evoked_far": float(evoked[far].mean()),
        "asymmetry_z": float(np.sqrt(np.mean(z**2))),
        "rate_hz": float(analysis.firing_rates(result, "neurons").mean()),
    }


def _smooth(values: np.ndarray, width: int = 5) -> np.ndarray:
    """Moving average over ``width`` points (edges averaged over what is there)."""
    kernel = np.ones(width)
    return np.convolve(values, kernel, "same") / np.convolve(np.ones_like(values), kernel, "same")


def plot_tuning_curve(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """Mean spike count against ``delta`` over the whole run (the notebook's figure) and evoked only."""
    design = Tuning.from_params(setup.params)
    result = next(iter(results.values()))
    mean, error = tuning_curve(result, design)
    evoked, evoked_error = tuning_curve(result, design, design.window, _first_time(setup))
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    ax.errorbar(design.deltas, mean, error, marker="o", ms=3, lw=1.2, capsize=2,
                label="whole run (0-200 ms)")
    low, high = design.window
    ax.errorbar(design.deltas, evoked, evoked_error, marker="s", ms=3, lw=1.0, capsize=2,
                label=f"{low:+g} to {high:+g} ms around the first input")
    ax.set(xlabel="delta t (ms)", ylabel="mean spike count per neuron",
           title=_title(result, f"Spike time tuning curve, {design.size} noisy neurons "
                                f"({design.per_delta} per delta t)"))
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small", loc="upper right")
    return fig


# -- population_decoder --------------------------------------------------------------------------

@dataclass(frozen=True)
class Decoder:
    """Channels tuned to ``centres`` (ms), probed at every ``delta`` with ``per_point`` neurons each."""

    centres: np.ndarray
    deltas: np.ndarray
    per_point: int
    base_delay: float
    sigma: float
    weight: float
    window: tuple[float, float]
    probe: float

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Decoder:
        def grid(spec: list[float]) -> np.ndarray:
            return np.round(np.linspace(spec[0], spec[1], int(spec[2])), 9)

        window = params.get("count_window", [-10.0, 25.0])
        return cls(grid(params.get("centres", [-3.0, 3.0, 7])), grid(params.get("deltas", [-8.0, 8.0, 33])),
                   int(params.get("per_point", 100)), float(params.get("base_delay", 5.0)),
                   float(params.get("sigma", 0.3)), float(params.get("weight", 0.8)),
                   (float(window[0]), float(window[1])), float(params.get("probe", 0.5)))

    @property
    def size(self) -> int:
        return self.centres.size * self.deltas.size * self.per_point

    def layout(self) -> tuple[np.ndarray, np.ndarray]:
        """Centre and ``delta`` of every neuron (channel-major, then ``delta``, then repeats)."""
        centre = np.repeat(self.centres, self.deltas.size * self.per_point)
        delta = np.tile(np.repeat(self.deltas, self.per_point), self.centres.size)
        return centre, delta


def _decoder_networks(setup: Setup) -> dict[str, Network]:
    """Detector of centre ``c``: first input delayed ``base + c``, second ``base``; fires most at ``delta = c``."""
    design = Decoder.from_params(setup.params)
    data = _noisy_detectors(setup, design.size, design.sigma)
    centre, delta = design.layout()
    first = _first_time(setup)
    data["populations"]["second"] = {"size": design.size, "model": "spike_times",
                                     "params": {"times": [[float(t)] for t in first + delta]}}
    data["projections"] = [
        {"source": "first", "target": "neurons", "connector": "all_to_all", "weight": design.weight,
         "delay": [float(d) for d in design.base_delay + centre]},
        {"source": "second", "target": "neurons", "connector": "one_to_one", "weight": design.weight,
         "delay": design.base_delay},
    ]
    return {"decoder": Network.from_dict(data)}


def channel_curves(result: Result, design: Decoder, onset: float) -> np.ndarray:
    """Mean evoked spike count, ``(channels, deltas)``, counted in ``onset + base_delay + window``."""
    spikes = analysis.population_spikes(result, "neurons")
    start, stop = onset + design.base_delay + np.array(design.window)
    spikes = spikes[(spikes.time_ms > start) & (spikes.time_ms <= stop)]
    counts = np.bincount(spikes.neuron.to_numpy(), minlength=design.size)
    return counts.reshape(design.centres.size, design.deltas.size, design.per_point).mean(axis=2)


def gaussian_fit(deltas: np.ndarray, curve: np.ndarray) -> tuple[float, float, float, float]:
    """Least-squares ``baseline + height exp(-(d - centre)^2 / (2 width^2))``: centre, width, height, baseline."""
    from scipy.optimize import curve_fit

    def model(d, centre, width, height, baseline):
        return baseline + height * np.exp(-((d - centre) ** 2) / (2 * width**2))

    guess = (deltas[np.argmax(curve)], 1.5, float(curve.max() - curve.min()), float(curve.min()))
    fitted, _ = curve_fit(model, deltas, curve, p0=guess, maxfev=5000)
    return float(fitted[0]), abs(float(fitted[1])), float(fitted[2]), float(fitted[3])


def _measure_decoder(results: Mapping[str, Result], setup: Setup) -> dict[str, float]:
    """Fitted centre and width of each channel's tuning curve; the centre error against the design."""
    design = Decoder.from_params(setup.params)
    curves = channel_curves(next(iter(results.values())), design, _first_time(setup))
    metrics: dict[str, float] = {}
    errors, widths = [], []
    for centre, curve in zip(design.centres, curves):
        fit_centre, width, height, _ = gaussian_fit(design.deltas, curve)
        metrics[f"channel_{centre:+g}.centre_ms"] = fit_centre
        metrics[f"channel_{centre:+g}.width_ms"] = width
        metrics[f"channel_{centre:+g}.height"] = height
        errors.append(abs(fit_centre - centre))
        widths.append(width)
    metrics["max_centre_error_ms"] = float(max(errors))
    metrics["mean_width_ms"] = float(np.mean(widths))
    metrics["decoded_probe_ms"] = _decode(design, curves, design.probe)
    return metrics


def _decode(design: Decoder, curves: np.ndarray, probe: float) -> float:
    """Maximum-likelihood ``delta`` from the channels' mean responses at ``probe`` (Poisson counts)."""
    column = int(np.argmin(np.abs(design.deltas - probe)))
    observed = curves[:, column] * design.per_point
    expected = np.maximum(curves * design.per_point, 1e-9)
    log_likelihood = (observed[:, None] * np.log(expected) - expected).sum(axis=0)
    return float(design.deltas[np.argmax(log_likelihood)])


def plot_decoder(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """Every channel's normalised tuning curve (dots: simulated, lines: Gaussian fits), probed at one delta."""
    design = Decoder.from_params(setup.params)
    result = next(iter(results.values()))
    curves = channel_curves(result, design, _first_time(setup))
    column = int(np.argmin(np.abs(design.deltas - design.probe)))
    fine = np.linspace(design.deltas[0], design.deltas[-1], 400)
    colormap = colormaps["plasma"]
    fig, ax = plt.subplots(figsize=(7.5, 4.5), constrained_layout=True)
    span = np.ptp(design.centres) or 1.0
    for centre, curve in zip(design.centres, curves):
        color = colormap(0.85 * (centre - design.centres.min()) / span)
        fit_centre, width, height, baseline = gaussian_fit(design.deltas, curve)
        normalised = (curve - baseline) / height
        ax.plot(design.deltas, normalised, ".", color=color, ms=4)
        ax.plot(fine, np.exp(-((fine - fit_centre) ** 2) / (2 * width**2)), color=color, lw=1.2,
                label=f"{centre:+g} ms")
        ax.plot(design.deltas[column], normalised[column], "o", color=color, ms=7, mec="k")
    ax.axvline(design.deltas[column], ls="--", color="gray", zorder=-1,
               label=f"probe {design.deltas[column]:+g} ms")
    ax.set(xlabel="delta t (ms)", ylabel="activity (evoked count above baseline,\nper fitted height)",
           title=_title(result, "Population of spike-time detectors"))
    ax.legend(title="channel centre", fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


# -- dispatch ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Exercise:
    """The networks and measurements of one exercise."""

    networks: Callable[[Setup], dict[str, Network]]
    measure: Callable[[Mapping[str, Result], Setup], dict[str, float]]


EXERCISES: dict[str, Exercise] = {
    "psp_shapes": Exercise(base.networks, _measure_psp_shapes),
    "stp": Exercise(base.networks, _measure_stp),
    "coincidence": Exercise(base.networks, _measure_coincidence),
    "spike_timing_tuning": Exercise(_spike_timing_networks, _measure_spike_timing),
    "population_decoder": Exercise(_decoder_networks, _measure_decoder),
}


def _exercise(setup: Setup) -> Exercise:
    from neurobridge.errors import UnknownNameError, did_you_mean

    name = _exercise_name(setup)
    if name not in EXERCISES:
        raise UnknownNameError(f'Unknown exercise "{name}" (experiment.params.exercise) in '
                               f"experiments.synapses."
                               f"{did_you_mean(name, list(EXERCISES))} Allowed: {', '.join(EXERCISES)}.")
    return EXERCISES[name]


def networks(setup: Setup) -> dict[str, Network]:
    """The exercise's network variants (see the module docstring)."""
    return _exercise(setup).networks(setup)


def measure(results: Mapping[str, Result], setup: Setup) -> dict[str, float]:
    """The exercise's numbers (see each ``_measure_*``)."""
    return _exercise(setup).measure(results, setup)


__all__ = ["networks", "measure", "psp", "psp_peak", "tsodyks_markram", "tsodyks_markram_traces", "noise_std",
           "psp_jumps", "tuning_curve", "gaussian_fit", "Tuning", "Decoder", "EXERCISES",
           "plot_psp_shapes", "plot_stp", "plot_coincidence", "plot_tuning_curve", "plot_decoder"]
