"""Translate a lowered network into NEURON 9 objects: tables of names, then plain arrays.

Nothing here imports NEURON. Every neuron is one point process of a
neurobridge mechanism (``mechanisms/*.mod``) that applies the reference's
update once per fixed step; NEURON schedules the steps and carries the spikes
(``net_event`` → ``NetCon`` → ``NET_RECEIVE``). The mechanisms take NEST's
units (mV, ms, pA, nS, pF) as they are: no membrane area, no µF/cm², nA or µS.

The lowered network (:mod:`neurobridge.lowering`) says what must happen when;
this module says how NEURON does it:

* a pathway's delay of ``D`` steps is a NetCon delay of ``(D - 1) dt``: a spike sent
  at the end of step ``s`` is delivered before the update of step ``s + D``, the step
  in which the reference adds it; the sign rule is the mechanisms' (``nb_synapse.inc``);
* a realized source replays its stamps, ``(emission step + 1) dt``, as a neuron's spike
  sent at the end of its emission step;
* currents onto one neuron are summed with the reference's running arithmetic and
  each change is played at ``(change step + 1) dt``, between the updates of the step
  it is read in and the next;
* a state sample of the lowered network is read from a ``Vector.record``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from neurobridge import catalog
from neurobridge.lowering import (
    CurrentSchedule,
    LoweredNetwork,
    NativeSource,
    NativeSupport,
    Pathway,
    SourceSchedule,
    StateSelection,
)
from neurobridge.model import Network
from neurobridge.propagators import lif_propagators

#: A derived parameter: a function of NEST's parameters (per neuron), dt and the backend options.
Derived = Callable[[Mapping[str, np.ndarray], float, Mapping[str, Any]], "np.ndarray | float"]

#: Receptor codes of the mechanisms (``receptor`` parameter; see ``nb_receptors.inc``).
RECEPTOR_CODES: Mapping[str, int] = MappingProxyType({
    "current_delta": 0, "current_exp": 1, "current_alpha": 2, "conductance_exp": 3, "conductance_alpha": 4})


@dataclass(frozen=True)
class Mechanism:
    """A neurobridge NMODL point process and how a pair's quantities map onto it."""

    name: str
    #: NEST parameters the mechanism takes under the same name and value.
    parameters: tuple[str, ...]
    #: Parameters computed from NEST's (name -> function of params, dt, options).
    derived: Mapping[str, Derived]
    #: State variable -> (range variable read back, parameter holding its initial value).
    states: Mapping[str, tuple[str, str]]


def _alpha_factor(channel: str) -> Derived:
    """``e / tau_syn``: an alpha PSC peaks at the weight."""
    return lambda p, dt, options: math.e / np.asarray(p[f"tau_syn_{channel}"], dtype=float)


def _decay(channel: str) -> Derived:
    return lambda p, dt, options: np.exp(-dt / np.asarray(p[f"tau_syn_{channel}"], dtype=float))


def _option(name: str) -> Derived:
    """A backend option (the reference's ``substeps``, ``spike_substeps``), the same for every neuron."""
    return lambda p, dt, options: float(options[name])


_SYNAPTIC_STATE = {"I_syn_ex": ("s_ex", "s_ex0"), "I_syn_in": ("s_in", "s_in0"),
                   "g_ex": ("s_ex", "s_ex0"), "g_in": ("s_in", "s_in0")}
_RECEPTOR_PARAMETERS = ("tau_syn_ex", "tau_syn_in", "E_ex", "E_in")
_RECEPTOR_DERIVED: Mapping[str, Derived] = {"end_ex": _decay("ex"), "end_in": _decay("in"),
                                            "factor_ex": _alpha_factor("ex"), "factor_in": _alpha_factor("in")}

#: The mechanism of each membrane (LIF: one for the current receptors, one for the conductances).
MECHANISMS: Mapping[str, Mechanism] = MappingProxyType({
    "lif_current": Mechanism(
        "NbLif", ("E_L", "V_th", "V_reset", "I_e"),
        {"factor_ex": _alpha_factor("ex"), "factor_in": _alpha_factor("in")},
        {"V_m": ("V_m", "V0"), "I_syn_ex": ("I_syn_ex", "I_ex0"), "I_syn_in": ("I_syn_in", "I_in0")}),
    "lif_conductance": Mechanism(
        "NbLifCond", ("C_m", "g_L", "E_L", "V_th", "V_reset", "I_e", *_RECEPTOR_PARAMETERS),
        {"substeps": _option("substeps"), **_RECEPTOR_DERIVED},
        {"V_m": ("V_m", "V0"), **_SYNAPTIC_STATE}),
    "adex": Mechanism(
        "NbAdex", ("C_m", "g_L", "E_L", "V_th", "V_reset", "Delta_T", "a", "b", "tau_w", "V_peak", "I_e",
                   *_RECEPTOR_PARAMETERS),
        {"substeps": _option("substeps"), "spike_substeps": _option("spike_substeps"),
         "detect": lambda p, dt, o: np.where(p["Delta_T"] > 0, p["V_peak"], p["V_th"]),
         "slope": lambda p, dt, o: np.where(p["Delta_T"] > 0, p["Delta_T"], 1.0),
         "exp_on": lambda p, dt, o: (p["Delta_T"] > 0).astype(float),
         "growth": lambda p, dt, o: p["g_L"] / p["C_m"] * (p["Delta_T"] > 0).astype(float),
         **_RECEPTOR_DERIVED},
        {"V_m": ("V_m", "V0"), "w": ("w", "w0"), **_SYNAPTIC_STATE}),
    "izhikevich": Mechanism(
        "NbIzhikevich", ("a", "b", "c", "d", "V_th", "I_e", *_RECEPTOR_PARAMETERS), dict(_RECEPTOR_DERIVED),
        {"V_m": ("V_m", "V0"), "U_m": ("U_m", "U0"), **_SYNAPTIC_STATE}),
})

#: The NEST model each pair stands for (what the mechanism reproduces), for the capability notes.
NEST_MODELS: Mapping[tuple[str, str], str] = MappingProxyType({
    ("lif", "current_delta"): "iaf_psc_delta", ("lif", "current_exp"): "iaf_psc_exp",
    ("lif", "current_alpha"): "iaf_psc_alpha", ("lif", "conductance_exp"): "iaf_cond_exp",
    ("lif", "conductance_alpha"): "iaf_cond_alpha",
    **{("adex", r): f"aeif_{'cond' if r.startswith('conductance') else 'psc'}_{r.split('_')[1]}"
       for r in catalog.RECEPTORS},
    **{("izhikevich", r): "izhikevich" for r in catalog.RECEPTORS},
})

#: The propagator entries NbLif takes: (parameter, row, column) of the core's ``expm(A dt)``.
PROPAGATORS: Mapping[str, tuple[tuple[str, int, int], ...]] = MappingProxyType({
    "current_delta": (("P00", 0, 0),),
    "current_exp": (("P00", 0, 0), ("P01", 0, 1), ("P02", 0, 2), ("P11", 1, 1), ("P22", 2, 2)),
    "current_alpha": (("P00", 0, 0), ("P01", 0, 1), ("P02", 0, 2), ("P03", 0, 3), ("P04", 0, 4),
                      ("P11", 1, 1), ("P13", 1, 3), ("P22", 2, 2), ("P24", 2, 4), ("P33", 3, 3),
                      ("P44", 4, 4)),
})


def mechanism_key(membrane: str, receptor: str) -> str:
    """The :data:`MECHANISMS` entry of a pair."""
    if membrane == "lif":
        return "lif_conductance" if receptor in catalog.CONDUCTANCE_RECEPTORS else "lif_current"
    return membrane


def mechanism_for(membrane: str, receptor: str) -> Mechanism:
    return MECHANISMS[mechanism_key(membrane, receptor)]


@dataclass
class PopulationView:
    """One neuron population's slice of its lowered pair group."""

    name: str
    size: int
    model: str
    receptor: str
    params: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]
    refractory_steps: np.ndarray


def population_views(lowered: LoweredNetwork) -> dict[str, PopulationView]:
    """Every neuron population, in description order, as its slice of the lowered groups."""
    views = {}
    for name, population in lowered.network.populations.items():
        if population.is_source:
            continue
        group, member = lowered.locate(name)
        part = member.indices
        views[name] = PopulationView(name, member.size, group.membrane, group.receptor,
                                     {k: v[part] for k, v in group.params.items()},
                                     {k: v[part] for k, v in group.initial.items()}, group.refractory_steps[part])
    return views


def mechanism_parameters(population: PopulationView, dt: float, options: Mapping[str, Any],
                         propagators: Callable[..., np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Every parameter and initial value of a population's point processes, per neuron.

    Parameters
    ----------
    population
        A neuron population's slice of its lowered group.
    dt
        The step (ms).
    options
        The backend options (``substeps``, ``spike_substeps``).
    propagators
        ``lif_propagators`` or a memo of it (populations with the same constants share the result).

    Returns
    -------
    dict
        Mechanism parameter name -> per-neuron array (NEST units).
    """
    receptor = population.receptor
    mechanism = mechanism_for(population.model, receptor)
    p = population.params
    out = {"receptor": np.full(population.size, float(RECEPTOR_CODES[receptor]))}
    out.update({name: np.asarray(p[name], dtype=float) for name in mechanism.parameters if name in p})
    for name, function in mechanism.derived.items():
        if name.endswith(("_ex", "_in")) and (receptor == "current_delta"
                                               or name.startswith("factor") and not receptor.endswith("alpha")):
            continue  # no synaptic time constants (delta); the alpha peak factor only for alpha
        out[name] = np.broadcast_to(np.asarray(function(p, dt, options), dtype=float), (population.size,))
    if population.model != "izhikevich":  # the lowered group's refractory counts
        out["refractory_steps"] = population.refractory_steps.astype(float)
    if population.model == "lif" and receptor in PROPAGATORS:
        P = propagators(receptor, p, dt) if propagators is not None else lif_propagators(receptor, p, dt)
        out.update({name: P[:, row, column] for name, row, column in PROPAGATORS[receptor]})
        out["P20"] = -p["tau_m"] / p["C_m"] * np.expm1(-dt / p["tau_m"])
    for variable, (_, initial) in mechanism.states.items():
        if variable in population.initial:
            out[initial] = np.asarray(population.initial[variable], dtype=float)
    return out


# -- connections ---------------------------------------------------------------------------------

#: NetCon weight vector of every mechanism (``nb_synapse.inc``): index of each entry.
WEIGHT_VECTOR = ("weight", "stp", "U", "tau_rec", "tau_fac", "x0", "u0", "extra_steps")


@dataclass
class Connections:
    """One pathway as NetCons: local source and target indices, weight vectors, delays (ms)."""

    source: str
    target: str
    sources: np.ndarray
    targets: np.ndarray
    weights: np.ndarray  # the first entry of the weight vector (NEST units, signed)
    netcon_delays: np.ndarray  # (D - 1) dt
    #: The synapse's entries of the weight vector after the weight (tsodyks2), or ``None`` (static).
    synapse: np.ndarray | None = None

    @property
    def uniform_delay(self) -> float | None:
        d = self.netcon_delays
        return float(d[0]) if d.size and np.all(d == d[0]) else None


def connections(pathway: Pathway, dt: float) -> Connections:
    """A pathway's NetCons: delay ``(D - 1) dt``; a tsodyks2 synapse's parameters and extra delay."""
    steps = pathway.delay_steps
    synapse = None
    if pathway.synapse.model == "tsodyks_markram":
        params = pathway.synapse.params
        fixed = [1.0, params["U"], params["tau_rec"], params["tau_fac"], params["x"], params["u"]]
        synapse = np.column_stack([np.tile(fixed, (steps.size, 1)), steps - 1.0])
    return Connections(pathway.source, pathway.target, pathway.pre, pathway.post,
                       np.asarray(pathway.weights, dtype=float), (steps - 1) * dt, synapse)


# -- sources -------------------------------------------------------------------------------------

def trains(schedule: SourceSchedule, dt: float) -> list[np.ndarray]:
    """A realized source's stamps (ms), ``(emission step + 1) dt``, per neuron, sorted; a stamp
    repeats for each spike."""
    steps, neurons = schedule.steps, schedule.neurons  # spelled out once, one entry per spike
    order = np.lexsort((steps, neurons))
    bounds = np.searchsorted(neurons[order], np.arange(1, schedule.size))
    return np.split((steps[order] + 1) * dt, bounds)


#: ``native: true`` sources NEURON draws itself: NetStim with Random123 (``noise = 1``: Poisson).
#: NEURON has no connection rules and no generators for these point processes' ``I_stim``.
NATIVE_SUPPORT = NativeSupport(sources=frozenset({"poisson"}))


@dataclass
class NativePoisson:
    """A ``native: true`` Poisson population as NetStims: each neuron its own train of ``rate``.

    A NetStim event at ``tau`` acts in the update of the step ``k`` with ``(k - 1/2) dt < tau <=
    (k + 1/2) dt`` (events up to half a step ahead are delivered at a step's start), as a reference
    spike stamped ``k dt``; its stamp is read back so. Trains run from ``start`` until ``stop``.
    """

    name: str
    rate: np.ndarray  # Hz
    start: float
    stop: float
    seed: int


def native_poisson(source: NativeSource, network: Network) -> NativePoisson:
    index = list(network.populations).index(source.population)
    stop = min(float(source.described.get("stop", math.inf)), network.duration)
    return NativePoisson(source.population, np.asarray(source.params["rate"], dtype=float),
                         float(source.described.get("start", 0.0)), stop, network.seed * 1000 + index)


def native_stamps(times: np.ndarray, dt: float) -> np.ndarray:
    """The step whose update a NetStim event at ``times`` reaches (see :class:`NativePoisson`)."""
    return np.ceil(np.asarray(times, dtype=float) / dt - 0.5 - 1e-9).astype(np.int64)


# -- currents ------------------------------------------------------------------------------------

@dataclass
class StimulusPlan:
    """The current of some neurons of one population: ``values[i, j]`` from step ``steps[i] + 1``."""

    population: str
    neurons: np.ndarray
    steps: np.ndarray  # change steps c (a change at c dt acts from the update of step c + 1)
    values: np.ndarray  # (n_changes, n_neurons), pA

    def play_times(self, dt: float) -> np.ndarray:
        """When the values are played into ``I_stim``: ``(c + 1) dt``, between the updates of steps
        ``c`` and ``c + 1`` (the event is delivered at the end of one fixed step or the start of the
        next, half a step from either update)."""
        return (self.steps + 1) * dt


def stimuli(lowered: LoweredNetwork) -> list[StimulusPlan]:
    """Each population's currents summed per neuron, with the reference's running arithmetic.

    The reference applies, step by step and current by current, ``i_stim += new - running``; doing
    the same here gives every neuron's current to the last bit.
    """
    by_population: dict[str, list[CurrentSchedule]] = {}
    for current in lowered.currents:
        if current.change_steps.size:
            by_population.setdefault(current.population, []).append(current)
    plans = []
    for name, currents in by_population.items():
        neurons = np.unique(np.concatenate([c.neurons for c in currents]))
        column = {int(n): i for i, n in enumerate(neurons)}
        steps = np.unique(np.concatenate([c.change_steps for c in currents]))
        total = np.zeros(neurons.size)
        running = [np.zeros(c.neurons.size) for c in currents]
        where = [np.array([column[int(n)] for n in c.neurons]) for c in currents]
        change = [dict(zip(c.change_steps.tolist(), range(c.change_steps.size))) for c in currents]
        values = np.empty((steps.size, neurons.size))
        for row, step in enumerate(steps.tolist()):
            for k, current in enumerate(currents):
                i = change[k].get(step)
                if i is None:
                    continue
                new = np.broadcast_to(np.asarray(current.amplitudes[i], dtype=float), current.neurons.shape)
                total[where[k]] += new - running[k]
                running[k][:] = new
            values[row] = total
        plans.append(StimulusPlan(name, neurons, steps, values))
    return plans


# -- recordings ----------------------------------------------------------------------------------

@dataclass
class RecordingPlan:
    """The state selections of one recording: some neurons of one population, every ``every`` steps."""

    population: str
    variables: tuple[str, ...]
    range_variables: tuple[str, ...]
    neurons: np.ndarray
    every: int
    n_samples: int

    def sample_steps(self) -> np.ndarray:
        """Samples stamped ``k * every * dt``, the state at the end of that step (the reference's)."""
        return np.arange(1, self.n_samples + 1) * self.every


def recordings(lowered: LoweredNetwork) -> list[RecordingPlan]:
    by_recording: dict[int, list[StateSelection]] = {}
    for selection in lowered.states:
        by_recording.setdefault(selection.recording, []).append(selection)
    plans = []
    for selections in by_recording.values():
        first = selections[0]
        group = lowered.groups[first.group]
        mechanism = mechanism_for(group.membrane, group.receptor)
        variables = tuple(s.variable for s in selections)
        plans.append(RecordingPlan(first.population, variables, tuple(mechanism.states[v][0] for v in variables),
                                   first.neurons, first.every, first.n_samples))
    return plans


@dataclass
class Plan:
    """Everything the adapter creates, as plain data."""

    populations: dict[str, dict[str, np.ndarray]]  # neuron populations: mechanism parameters
    mechanisms: dict[str, str]  # neuron population -> point process name
    trains: dict[str, list[np.ndarray]]  # realized sources
    natives: list[NativePoisson]
    connections: list[Connections]
    stimuli: list[StimulusPlan]
    recordings: list[RecordingPlan]
    spikes: list[str] = field(default_factory=list)  # populations whose spikes are recorded


class _SharedPropagators:
    """``lif_propagators`` once per set of time constants within one plan.

    A population whose neurons share their constants gets one ``expm`` (the core's function finds
    the distinct neurons with ``np.unique`` over every row, ~10 ms on CUBA's 3200), and populations
    with the same constants share it (CUBA's two: ~15 % of the adapter's own build time).
    """

    def __init__(self) -> None:
        self.known: dict[tuple[str, float, bytes], np.ndarray] = {}

    def __call__(self, receptor: str, p: Mapping[str, np.ndarray], dt: float) -> np.ndarray:
        names = [k for k in ("tau_m", "C_m", "tau_syn_ex", "tau_syn_in") if k in p]
        constants = np.stack([np.asarray(p[k], dtype=float) for k in names])
        n = constants.shape[1]
        if not np.all(constants == constants[:, :1]):
            return lif_propagators(receptor, p, dt)
        key = (receptor, dt, constants[:, 0].tobytes())
        if key not in self.known:
            self.known[key] = lif_propagators(receptor, {k: constants[i, :1] for i, k in enumerate(names)}, dt)
        return np.broadcast_to(self.known[key], (n, *self.known[key].shape[1:]))


def plan(lowered: LoweredNetwork, options: Mapping[str, Any]) -> Plan:
    """The lowered network as NEURON needs it (see the module docstring)."""
    dt = lowered.dt
    propagators = _SharedPropagators()
    views = population_views(lowered)
    populations = {name: mechanism_parameters(view, dt, options, propagators) for name, view in views.items()}
    mechanisms = {name: mechanism_for(view.model, view.receptor).name for name, view in views.items()}
    source_trains = {name: trains(schedule, dt) for name, schedule in lowered.sources.items()}
    natives = [native_poisson(source, lowered.network) for source in lowered.natives.values()]
    return Plan(populations, mechanisms, source_trains, natives,
                [connections(p, dt) for p in lowered.pathways if p.n_synapses],
                stimuli(lowered), recordings(lowered), list(lowered.spike_populations))
