"""ELIF and AdEx single neurons under step and random-step currents (a course report, in physical units).

Both models are NEST's ``aeif_psc_exp`` (``adex`` × ``current_exp``, no synaptic
input); ELIF is AdEx with ``a = b = 0``. The base neuron is ``conf/model/adex.yaml``
(the mapping from the report's dimensionless ``R``, ``C``, ``dt`` and ``scale`` is stated
there). ``experiment.params`` holds one block per variant (``elif``, ``adex``)::

    elif:
      duration: 1500.0              # ms
      params: {a: 0.0, b: 0.0}      # on top of the model's neuron, for every neuron of the variant
      panels:                       # panel name -> the neurons drawn in it, overlaid
        delta_t: [{I: 1000.0, Delta_T: 1.0}, {I: 1000.0, Delta_T: 20.0}]
        random: [{I_random: 5000.0}]

A neuron is NEST parameters plus its current: ``I`` (a step of ``I`` pA from ``onset``
on) or ``I_random`` (a new amplitude, uniform in ``[0, 2 I_random]`` pA, every
``random_interval`` ms from ``onset``). Every neuron of a variant lives in ONE
population (per-neuron parameter lists), so a variant is one simulation.
``experiment.params.select`` lists the panels to run (default: all).

For f-I curves (``adex_fi``), a panel may instead give ``amplitudes: [first, last]``
and ``n_amplitudes``: each of its neurons is repeated over the step amplitudes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurobridge import Network, Result, analysis  # noqa: E402
from neurobridge.errors import InvalidValueError  # noqa: E402

if TYPE_CHECKING:
    from . import Setup

NEURON = "neuron"
VARIANTS = ("elif", "adex")
CURRENT_KEYS = ("I", "I_random")


@dataclass
class Cell:
    """One neuron of a variant: its panel, label, parameters and current."""

    panel: str
    label: str
    params: dict[str, float]
    amplitude: float = 0.0
    random_amplitude: float | None = None


@dataclass
class Layout:
    """The neurons of one variant, in population order, and its duration (ms)."""

    duration: float
    cells: list[Cell] = field(default_factory=list)

    def panel(self, name: str) -> list[int]:
        """Indices of the neurons of panel ``name``."""
        return [i for i, cell in enumerate(self.cells) if cell.panel == name]

    @property
    def panels(self) -> list[str]:
        return list(dict.fromkeys(cell.panel for cell in self.cells))


# -- layout --------------------------------------------------------------------------------------

def layouts(setup: Setup) -> dict[str, Layout]:
    """Every variant in ``experiment.params`` with its neurons, the selected panels only."""
    select = setup.params.get("select")
    out = {}
    for variant in VARIANTS:
        block = setup.params.get(variant)
        if not block:
            continue
        layout = Layout(float(block.get("duration", setup.model.get("duration", 1000.0))))
        for panel, neurons in (block.get("panels") or {}).items():
            if select is None or panel in select:
                layout.cells += _cells(panel, neurons, dict(block.get("params") or {}))
        if layout.cells:
            out[variant] = layout
    if not out:
        raise InvalidValueError(f"{setup.name}: no panel selected (experiment.params.select={select!r}).")
    return out


def _cells(panel: str, spec: Any, common: dict[str, Any]) -> list[Cell]:
    neurons = spec["neurons"] if isinstance(spec, Mapping) else spec
    labels = _labels(neurons)
    cells = []
    for neuron, label in zip(neurons, labels):
        params = {**common, **{k: float(v) for k, v in neuron.items() if k not in CURRENT_KEYS}}
        if isinstance(spec, Mapping) and "amplitudes" in spec:
            first, last = spec["amplitudes"]
            for amplitude in np.linspace(float(first), float(last), int(spec["n_amplitudes"])):
                cells.append(Cell(panel, label, params, float(amplitude)))
        elif "I_random" in neuron:
            cells.append(Cell(panel, label, params, 0.0, float(neuron["I_random"])))
        else:
            cells.append(Cell(panel, label, params, float(neuron.get("I", 0.0))))
    return cells


def _labels(neurons: list[Mapping[str, Any]]) -> list[str]:
    """What tells the neurons of a panel apart (``Delta_T=20``), or their parameters when alone."""
    keys = sorted({k for n in neurons for k in n})
    differing = [k for k in keys if len({repr(n.get(k)) for n in neurons}) > 1] or keys
    return [", ".join(f"{k}={_short(n[k])}" for k in differing if k in n) for n in neurons]


def _short(value: Any) -> str:
    return f"{float(value):g}"


# -- networks ------------------------------------------------------------------------------------

def networks(setup: Setup) -> dict[str, Network]:
    """One network per variant: all its neurons in one ``adex`` population."""
    return {variant: _network(setup, variant, layout) for variant, layout in layouts(setup).items()}


def _network(setup: Setup, variant: str, layout: Layout) -> Network:
    model = copy.deepcopy(dict(setup.model))
    neuron = model["populations"][NEURON]
    base = dict(neuron.get("params") or {})
    keys = sorted({k for cell in layout.cells for k in cell.params})
    params = {**base, **{k: [float(cell.params.get(k, base.get(k, 0.0)) or 0.0) for cell in layout.cells]
                         for k in keys}}
    model["populations"] = {NEURON: {**neuron, "size": len(layout.cells), "params": params}}
    model["duration"] = layout.duration
    model["stimuli"] = _stimuli(setup, layout)
    model["recordings"] = _recordings(setup)
    return Network.from_dict({**model, "name": f"{setup.name}.{variant}"})


def onset(setup: Setup) -> float:
    """When the step currents switch on (ms)."""
    return float(setup.params.get("onset", 100.0))


def _stimuli(setup: Setup, layout: Layout) -> list[dict[str, Any]]:
    amplitudes = [cell.amplitude for cell in layout.cells]
    stimuli: list[dict[str, Any]] = []
    if any(amplitudes):
        stimuli.append({"target": NEURON, "kind": "dc", "amplitude": amplitudes, "start": onset(setup)})
    for index, cell in enumerate(layout.cells):
        if cell.random_amplitude is not None:
            stimuli.append({"target": NEURON, "kind": "random_step", "neurons": [index],
                            "amplitude": {"uniform": [0.0, 2.0 * cell.random_amplitude]},
                            "interval": float(setup.params.get("random_interval", 100.0)),
                            "start": onset(setup)})
    return stimuli


def _recordings(setup: Setup) -> list[dict[str, Any]]:
    if setup.params.get("traces", True):
        return [{"population": NEURON, "variables": ["spikes", "V_m"]}]
    return [{"population": NEURON, "variables": ["spikes"]}]


# -- measures ------------------------------------------------------------------------------------

def step_rates(result: Result, setup: Setup) -> np.ndarray:
    """Rate (Hz) per neuron while the current is on (from ``onset`` to the end)."""
    counts = analysis.spike_counts(result, NEURON)
    return counts / ((result.meta["duration_ms"] - onset(setup)) / 1000.0)


def measure(results: Mapping[str, Result], setup: Setup) -> dict[str, float]:
    """Spike count per neuron (``<variant>.<panel>.<label>.n_spikes``); f-I panels: rheobase and monotonicity."""
    metrics: dict[str, float] = {}
    all_layouts = layouts(setup)
    for variant, result in results.items():
        layout = all_layouts[variant]
        counts = analysis.spike_counts(result, NEURON)
        rates = step_rates(result, setup)
        for panel in layout.panels:
            index = layout.panel(panel)
            for label, members in _by_label(layout, index).items():
                key = f"{variant}.{panel}.{label.replace(', ', '_')}"
                if len(members) == 1:
                    metrics[f"{key}.n_spikes"] = float(counts[members[0]])
                else:
                    metrics.update(_fi_metrics(key, layout, members, rates))
    return metrics


def _by_label(layout: Layout, index: list[int]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i in index:
        groups.setdefault(layout.cells[i].label, []).append(i)
    return groups


def _fi_metrics(key: str, layout: Layout, members: list[int], rates: np.ndarray) -> dict[str, float]:
    currents = np.array([layout.cells[i].amplitude for i in members])
    curve = rates[members]
    firing = currents[curve > 0]
    return {f"{key}.rheobase_pa": float(firing.min()) if firing.size else float("nan"),
            f"{key}.max_rate_hz": float(curve.max()),
            f"{key}.non_monotonicities": float(np.sum(np.diff(curve) < 0))}


# -- figures -------------------------------------------------------------------------------------

def current_trace(result: Result, setup: Setup, layout: Layout, index: int) -> tuple[np.ndarray, np.ndarray]:
    """The injected current (pA) of neuron ``index`` as a step function of time (ms)."""
    from neurobridge import realize

    network = Network.from_dict(result.meta["network"])
    times = np.arange(0.0, result.meta["duration_ms"] + network.dt, network.dt)
    current = np.zeros_like(times)
    for trace in realize(network).currents:
        hit = np.flatnonzero(trace.neurons == index)
        if not hit.size:
            continue
        values = trace.amplitudes if trace.shared else trace.amplitudes[:, hit[0]]
        where = np.searchsorted(trace.times, times, side="right") - 1
        current += np.where(where >= 0, values[np.maximum(where, 0)], 0.0)
    return times, current


def plot_traces(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """Per panel: ``V_m(t)`` of its neurons overlaid, the injected current beneath."""
    panels = [(variant, panel) for variant, layout in layouts(setup).items() if variant in results
              for panel in layout.panels]
    n_columns = min(3, len(panels))
    n_rows = -(-len(panels) // n_columns)
    fig = plt.figure(figsize=(5.2 * n_columns, 4.6 * n_rows), constrained_layout=True)
    outer = fig.add_gridspec(n_rows, n_columns)
    for slot, (variant, panel) in enumerate(panels):
        inner = outer[slot // n_columns, slot % n_columns].subgridspec(2, 1, height_ratios=(3, 1))
        top = fig.add_subplot(inner[0])
        bottom = fig.add_subplot(inner[1], sharex=top)
        _draw_panel(top, bottom, results[variant], setup, layouts(setup)[variant], variant, panel)
    fig.suptitle(f"{setup.name} on {next(iter(results.values())).meta['backend']}")
    return fig


def _draw_panel(top: plt.Axes, bottom: plt.Axes, result: Result, setup: Setup, layout: Layout,
                variant: str, panel: str) -> None:
    states = result.states[result.states.variable == "V_m"]
    counts = analysis.spike_counts(result, NEURON)
    for color, index in enumerate(layout.panel(panel)):
        trace = states[states.neuron == index]
        label = f"{layout.cells[index].label} ({counts[index]} spikes)"
        top.plot(trace.time_ms, trace.value, lw=0.8, color=f"C{color}", label=label)
        times, current = current_trace(result, setup, layout, index)
        bottom.plot(times, current / 1000.0, lw=1, color=f"C{color}")
        top.axhline(layout.cells[index].params.get("V_th", _base(setup, "V_th")), color=f"C{color}",
                    lw=0.7, ls=":")
    top.set(ylabel=r"$V_m$ (mV)", title=f"{variant}: {panel}")
    top.legend(fontsize="x-small", loc="upper right")
    top.tick_params(labelbottom=False)
    bottom.set(xlabel="time (ms)", ylabel="I (nA)", xlim=(0, result.meta["duration_ms"]))


def _base(setup: Setup, name: str) -> float:
    return float(setup.model["populations"][NEURON]["params"][name])


def plot_fi(results: Mapping[str, Result], setup: Setup) -> plt.Figure:
    """f-I curves: rate while the step is on vs its amplitude, one panel per variant."""
    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.2), squeeze=False,
                             constrained_layout=True)
    all_layouts = layouts(setup)
    for ax, (variant, result) in zip(axes[0], results.items()):
        layout = all_layouts[variant]
        rates = step_rates(result, setup)
        for panel in layout.panels:
            for label, members in _by_label(layout, layout.panel(panel)).items():
                currents = np.array([layout.cells[i].amplitude for i in members]) / 1000.0
                ax.plot(currents, rates[members], "o-", ms=3, label=f"{panel}: {label}")
        ax.set(xlabel="step current (nA)", ylabel="firing rate (Hz)", ylim=(0, None),
               title=f"{variant} f-I on {result.meta['backend']} ({result.meta['duration_ms']:g} ms)")
        ax.legend(fontsize="small")
    return fig


__all__ = ["networks", "measure", "plot_traces", "plot_fi", "layouts", "step_rates", "current_trace"]
