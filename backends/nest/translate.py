"""Translate a realized network into NEST 3.10: tables of names, then one call per item.

The tables say, for each neutral quantity, its NEST name and how its value
goes there and back (a rename, a scale factor or a forward/reverse pair).
The builder then makes one ``Create`` per population (parameters and initial
values in the same vectorised call), one array-based ``Connect`` per
projection, one ``spike_generator`` or ``spike_train_injector`` per source neuron (one compiled
``count_grid_generator`` per pathway for a dense drive, :mod:`.count_grid`) and
``step_current_generator`` traces for the currents, so NEST holds the network
the NumPy reference built. ``native: true`` items use NEST's own connection
rules and generators instead, where NEST has them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import Any

import numpy as np

from neurobridge import catalog, values
from neurobridge.errors import UnsupportedModelError
from neurobridge.lowering import (
    CurrentSchedule,
    LoweredNetwork,
    Member,
    NativeSource,
    NativeSupport,
    PairGroup,
    Pathway,
    SourceSchedule,
    poisson_input_trains,
)
from neurobridge.model import Network
from neurobridge.realize import EVENT_BYTES, SpikeEvents, take_columns

from . import count_grid, nestml

Transform = Callable[[np.ndarray], np.ndarray]


def _same(values: np.ndarray) -> np.ndarray:
    return values


def _negate(values: np.ndarray) -> np.ndarray:
    return -values


@dataclass(frozen=True)
class Translation:
    """One quantity: its neutral name, its NEST name, and the transforms to NEST and back."""

    neutral: str
    nest: str
    forward: Transform = _same
    reverse: Transform = _same


def rename(neutral: str, nest: str | None = None) -> Translation:
    """A quantity that only changes name (or keeps it: NEST's names are ours)."""
    return Translation(neutral, nest or neutral)


def negated(neutral: str, nest: str | None = None) -> Translation:
    """A quantity NEST stores with the opposite sign."""
    return Translation(neutral, nest or neutral, _negate, _negate)


@dataclass(frozen=True)
class NestModel:
    """A NEST neuron model and how a model × receptor pair's quantities map onto it."""

    name: str
    parameters: tuple[Translation, ...]
    states: tuple[Translation, ...]
    #: State variables NEST does not accept as initial values (they must start at 0).
    fixed_at_zero: frozenset[str] = frozenset()
    #: NEST-only settings pinned to the reference's behaviour.
    settings: Mapping[str, Any] = field(default_factory=dict)


#: The NEST model of each supported model × receptor pair.
MODEL_NAMES: Mapping[tuple[str, str], str] = MappingProxyType({
    ("lif", "current_delta"): "iaf_psc_delta",
    ("lif", "current_exp"): "iaf_psc_exp",
    ("lif", "current_alpha"): "iaf_psc_alpha",
    ("lif", "conductance_exp"): "iaf_cond_exp",
    ("lif", "conductance_alpha"): "iaf_cond_alpha",
    ("adex", "current_delta"): "aeif_psc_delta",
    ("adex", "current_exp"): "aeif_psc_exp",
    ("adex", "current_alpha"): "aeif_psc_alpha",
    ("adex", "conductance_exp"): "aeif_cond_exp",
    ("adex", "conductance_alpha"): "aeif_cond_alpha",
    ("izhikevich", "current_delta"): "izhikevich",
})

#: Where NEST departs from "same name, same value" (everything else is a plain rename).
_SIGN_FLIPPED_STATES = {  # aeif_psc_*: an inhibitory current is stored positive and subtracted
    "aeif_psc_exp": ("I_syn_in",), "aeif_psc_alpha": ("I_syn_in",),
}
_NOT_SETTABLE_STATES = {  # iaf_psc_exp/alpha do not take their synaptic currents as status
    "iaf_psc_exp": ("I_syn_ex", "I_syn_in"), "iaf_psc_alpha": ("I_syn_ex", "I_syn_in"),
}
_SETTINGS = {
    "iaf_psc_delta": {"refractory_input": False},   # spikes into a refractory neuron are lost
    "aeif_psc_delta": {"refractory_input": False},
    "izhikevich": {"consistent_integration": True},  # the reference's forward Euler
}


def _model(pair: tuple[str, str], name: str) -> NestModel:
    flipped = _SIGN_FLIPPED_STATES.get(name, ())
    return NestModel(
        name=name,
        parameters=tuple(rename(p) for p in catalog.parameter_defaults(*pair)),
        states=tuple(negated(s) if s in flipped else rename(s) for s in catalog.state_variables(*pair)),
        fixed_at_zero=frozenset(_NOT_SETTABLE_STATES.get(name, ())),
        settings=MappingProxyType(_SETTINGS.get(name, {})),
    )


MODELS: Mapping[tuple[str, str], NestModel] = MappingProxyType(  # NEST's own, then the NESTML-built ones
    {pair: _model(pair, name) for pair, name in {**MODEL_NAMES, **nestml.MODEL_NAMES}.items()})


@dataclass(frozen=True)
class NestElement:
    """A NEST synapse model or generator and its parameters."""

    name: str
    parameters: tuple[Translation, ...] = ()


SYNAPSES: Mapping[str, NestElement] = MappingProxyType({
    "static": NestElement("static_synapse"),
    "tsodyks_markram": NestElement("tsodyks2_synapse", tuple(
        rename(p) for p in ("U", "u", "x", "tau_rec", "tau_fac"))),
})

#: ``native: true`` connectors: NEST's rule and the names of its parameters.
NATIVE_RULES: Mapping[str, tuple[str, Mapping[str, str]]] = MappingProxyType({
    "one_to_one": ("one_to_one", {}),
    "all_to_all": ("all_to_all", {}),
    "fixed_probability": ("pairwise_bernoulli", {"p": "p"}),
    "fixed_indegree": ("fixed_indegree", {"n": "indegree"}),
    "fixed_outdegree": ("fixed_outdegree", {"n": "outdegree"}),
    "fixed_total_number": ("fixed_total_number", {"n": "N"}),
})

#: ``native: true`` distributions of weights and delays: ``nest.random`` function and argument names.
NATIVE_DISTRIBUTIONS: Mapping[str, tuple[str, Mapping[str, str]]] = MappingProxyType({
    "normal": ("normal", {"mean": "mean", "std": "std"}),
    "uniform": ("uniform", {"low": "min", "high": "max"}),
    "lognormal": ("lognormal", {"mean": "mean", "sigma": "std"}),
    "truncated_normal": ("normal", {"mean": "mean", "std": "std"}),  # redrawn into [low, high]: nest.math.redraw
})

#: ``native: true`` stimuli and sources: NEST generators.
NATIVE_STIMULI: Mapping[str, NestElement] = MappingProxyType({
    "noise": NestElement("noise_generator", tuple(rename(p) for p in ("mean", "std", "dt", "start", "stop"))),
    "dc": NestElement("dc_generator", tuple(rename(p) for p in ("amplitude", "start", "stop"))),
    "sinusoidal": NestElement("ac_generator", tuple(
        rename(p) for p in ("amplitude", "frequency", "phase", "offset", "start", "stop"))),
})
NATIVE_SOURCES: Mapping[str, NestElement] = MappingProxyType({
    "poisson": NestElement("poisson_generator", tuple(rename(p) for p in ("rate", "start", "stop"))),
})

#: What NEST draws itself under ``native: true`` (the core decides item by item from this).
NATIVE_SUPPORT = NativeSupport(sources=frozenset(NATIVE_SOURCES), rules=frozenset(NATIVE_RULES),
                               distributions=frozenset(NATIVE_DISTRIBUTIONS), stimuli=frozenset(NATIVE_STIMULI),
                               poisson_input=True)


# -- the built network ---------------------------------------------------------------------------

@dataclass
class Built:
    """Node ids of what was created: every population is a contiguous block of ids."""

    #: Population -> the nodes that send its spikes (neurons, generators, or parrots of native sources).
    nodes: dict[str, Any] = field(default_factory=dict)
    first: dict[str, int] = field(default_factory=dict)
    #: Realized sources sent by ``count_grid_generator``\ s (no nodes in :attr:`nodes`), and their grids.
    drives: frozenset[str] = frozenset()
    grids: dict[str, tuple[np.ndarray, int]] = field(default_factory=dict)

    def ids(self, population: str, local: np.ndarray) -> np.ndarray:
        return self.first[population] + np.asarray(local, dtype=np.int64)


def install_models(nest: ModuleType, network: Network) -> None:
    """Load the NESTML module into a fresh kernel when ``network`` uses one of its models."""
    if any(p.pair in nestml.MODEL_NAMES for p in network.populations.values() if not p.is_source):
        nestml.install(nest)


#: A source held as events goes to a ``count_grid_generator`` too when the grid NEST's device would hold (a
#: byte a cell) is at most this many times the events' bytes: one cell in twelve non-zero, as the
#: microcircuit's background at 0.1 (about one cell in eight). Sparser trains stay spike generators.
DENSIFY_FACTOR = 2.0


def grid_drives(lowered: LoweredNetwork) -> set[str]:
    """Realized sources whose every pathway is a drive (:attr:`Pathway.is_drive`), held as a grid or as events
    dense enough (:data:`DENSIFY_FACTOR`): each pathway can be one ``count_grid_generator``
    (:mod:`.count_grid`) instead of a generator per train."""
    out = set()
    for name, schedule in lowered.sources.items():
        spikes = schedule.spikes
        pathways = [p for p in lowered.pathways if p.source == name]
        if not pathways or not all(p.is_drive for p in pathways) or not spikes.n_events:
            continue
        if spikes.grid is not None:
            held = spikes.grid
        elif spikes.size * lowered.n_steps <= DENSIFY_FACTOR * EVENT_BYTES * spikes.n_events:
            held = spikes.counts
        else:
            continue
        if int(held.max()) <= count_grid.MAX_COUNT:
            out.add(name)
    return out


def drive_grid(spikes: SpikeEvents) -> tuple[np.ndarray, int]:
    """The source's counts as ``(grid, first)``: ``grid[r, i]`` spikes of neuron ``i`` emitted in step ``first + r``
    (the realized grid itself, or one made from the events, spanning their first to last step)."""
    if spikes.grid is not None:
        return spikes.grid, spikes.first
    emitted, counts = spikes.steps() - 1, spikes.counts
    first = int(emitted.min(initial=0))
    rows = int(emitted.max(initial=first)) - first + 1 if emitted.size else 0
    grid = np.zeros((rows, spikes.size), dtype=np.uint8 if counts.size and counts.max() < 256 else np.uint16)
    grid[emitted - first, spikes.neurons] = counts
    return grid, first


def build(nest: ModuleType, lowered: LoweredNetwork, drives: frozenset[str] = frozenset()) -> Built:
    """Create every population, pathway and current of ``lowered`` in NEST's (reset) kernel.

    ``drives`` (of :func:`grid_drives`, the device installed) are sent by a ``count_grid_generator`` per
    pathway; they have no nodes of their own (their recorded spikes are the realized ones).
    """
    built = Built(drives=drives)
    inputs = {p.source for p in lowered.pathways if p.native is not None and p.native.how == "poisson_input"}
    kept = {p.source for p in lowered.pathways if p.native is None or p.native.how != "poisson_input"}
    for name in lowered.realized.populations:
        if name in lowered.natives and name in inputs - kept and name not in lowered.spike_populations:
            continue  # only Poisson inputs: a poisson_generator per pathway, no parrots (see connect)
        if name in drives:
            continue
        nodes = _create(nest, lowered, name)
        built.nodes[name], built.first[name] = nodes, _first_id(nodes)
    for pathway in lowered.pathways:
        connect(nest, pathway, lowered, built)
    for current in lowered.currents:
        inject(nest, current, built, lowered.dt)
    return built


def _first_id(nodes: Any) -> int:
    return int(nodes[0].global_id)


# -- populations ---------------------------------------------------------------------------------

def _create(nest: ModuleType, lowered: LoweredNetwork, name: str) -> Any:
    if name in lowered.natives:
        return _native_source(nest, lowered.natives[name], lowered.dt)
    if name in lowered.sources:
        return _spike_sources(nest, lowered.sources[name], lowered.dt, spike_source_model(lowered, name))
    group, member = lowered.locate(name)
    model = MODELS[(group.membrane, group.receptor)]
    return nest.Create(model.name, member.size, params=neuron_status(group, member, model))


def _compact(values: np.ndarray) -> float | list[float]:
    """A scalar when every neuron has the same value (NEST sets it once), else a per-neuron list."""
    values = np.asarray(values, dtype=float)
    return float(values[0]) if np.all(values == values[0]) else values.tolist()


def neuron_status(group: PairGroup, member: Member, model: NestModel) -> dict[str, Any]:
    """Parameters and initial values of one population's neurons, as one NEST status dictionary.

    Parameters
    ----------
    group, member
        The lowered pair group and the population's place in it.
    model
        Its NEST model (from :data:`MODELS`).

    Returns
    -------
    dict
        NEST names to a scalar (shared) or a per-neuron list; initial values always included
        (NEST's own defaults differ from the description's). A state NEST cannot set
        (``fixed_at_zero``) is left out: validation (:func:`check_network`) refused any other value.
    """
    status: dict[str, Any] = dict(model.settings)
    for translation in model.parameters:
        status[translation.nest] = _compact(translation.forward(group.params[translation.neutral][member.indices]))
    for translation in model.states:
        if translation.nest not in model.fixed_at_zero:
            status[translation.nest] = _compact(translation.forward(group.initial[translation.neutral][member.indices]))
    return status


def check_network(network: Network) -> None:
    """Refuse at validation what NEST cannot take: a set initial synaptic current.

    A pair NEST gets from the NESTML module is built here, on the first validation that needs it.
    """
    for population in network.populations.values():
        if population.is_source:
            continue
        if population.pair in nestml.MODEL_NAMES:
            nestml.require(population.pair, f"populations.{population.name}")
        model = MODELS[population.pair]
        for state in sorted(model.fixed_at_zero):
            spec = population.initial.get(state)
            if spec is not None and values.bounds(spec) != (0.0, 0.0):
                raise UnsupportedModelError(
                    f"populations.{population.name}.initial.{state}: NEST's {model.name} starts {state} "
                    f"at 0 and cannot set it; got {spec!r}.")


#: Given spike trains reach NEST through one of two nodes per source neuron, with the same stamps and
#: arrivals. A ``spike_generator`` sends an event with its multiplicity straight to its targets, but
#: costs a call per generator and minimum delay; a ``spike_train_injector`` sends its spikes as a neuron
#: does (any synapse model; a multiplicity becomes that many spikes). ``Simulate`` CPU seconds,
#: benchmarks/nest_spike_generators.py, generator / injector / one poisson_generator:
#:
#: * 7,713 trains of 1.8 kHz for 300 ms (the microcircuit's background at 0.1, 1.1 spikes per event):
#:   7.25 / 4.04 / 1.10 with a 0.1 ms minimum delay, 1.61 / 1.59 / 1.02 with 1.5 ms;
#: * 2,500 trains of 20 kHz for 1 s (Brunel's input, 2.3 spikes per event):
#:   5.51 / 6.22 / 1.76 with 0.1 ms, 2.57 / 4.15 / 1.60 with 1.5 ms.
#:
#: So the injector where a synapse is plastic (NEST refuses one from a device) or where the minimum delay
#: is short and events carry about one spike each; the generator otherwise.
INJECTOR_MIN_DELAY_STEPS = 4
INJECTOR_SPIKES_PER_EVENT = 1.5


def spike_source_model(lowered: LoweredNetwork, name: str) -> str:
    """``spike_train_injector`` or ``spike_generator`` for the realized source ``name`` (see above)."""
    if any(p.source == name and p.synapse.model != "static" for p in lowered.pathways):
        return "spike_train_injector"
    spikes = lowered.sources[name].spikes
    per_event = spikes.n_spikes / max(spikes.n_events, 1)
    short = _min_delay_steps(lowered) <= INJECTOR_MIN_DELAY_STEPS
    return "spike_train_injector" if short and per_event < INJECTOR_SPIKES_PER_EVENT else "spike_generator"


def _min_delay_steps(lowered: LoweredNetwork) -> int:
    """NEST's minimum delay in steps, from below: one step where a current, a native source (through its
    parrots) or a native pathway (its delays drawn by NEST) may set it."""
    if lowered.currents or lowered.natives or any(p.drawn_by_simulator for p in lowered.pathways):
        return 1
    return min((int(p.delay_steps.min()) for p in lowered.pathways if p.delay_steps.size), default=1)


def _spike_sources(nest: ModuleType, schedule: SourceSchedule, dt: float, model: str) -> Any:
    """One ``model`` node (:func:`spike_source_model`) per source neuron, in one ``Create``, times set in
    one call (:func:`train_status`)."""
    # Every stamp is a grid point (within float rounding, far below NEST's half-tic tolerance, so it stays
    # there); allow_offgrid_times skips the on-grid check that makes setting the times 4x as slow.
    nodes = nest.Create(model, schedule.size, params={"allow_offgrid_times": True})
    nodes.set(train_status(schedule.spikes, dt))
    return nodes


def train_status(spikes: SpikeEvents, dt: float) -> list[dict[str, np.ndarray]]:
    """Each neuron's train as a spike node's status: the spike stamped ``(step + 1) dt`` leaves in ``step``
    (the lowered emission step), as a neuron's does; multiplicities where a step holds several spikes."""
    steps, counts, bounds = spikes.by_neuron()  # each train stays sorted
    trains = np.split(steps * dt, bounds)  # stamp step k: (emission + 1) dt
    if counts.size and counts.max() > 1:
        multiplicities = np.split(counts.astype(np.int64), bounds)
        return [{"spike_times": t, "spike_multiplicities": m} for t, m in zip(trains, multiplicities)]
    return [{"spike_times": t} for t in trains]


def _generator_status(element: NestElement, params: Mapping[str, Any]) -> dict[str, float]:
    """A generator's parameters; an infinite ``stop`` is NEST's default and left out."""
    status = {}
    for translation in element.parameters:
        value = params.get(translation.neutral)
        if isinstance(value, (int, float)) and np.isfinite(value):
            status[translation.nest] = float(translation.forward(np.asarray(value)))
    return status


def _native_source(nest: ModuleType, source: NativeSource, dt: float) -> Any:
    """Parrots fed by ``poisson_generator``s: each parrot is one source neuron with its own train.

    A generator's spike reaches its parrot one ``dt`` later, so the trains (and the spikes recorded)
    start one ``dt`` after the description's ``start``.
    """
    element = NATIVE_SOURCES[source.model]
    parrots = nest.Create("parrot_neuron", source.size)
    status = _generator_status(element, source.described)
    rate = source.params["rate"]
    if np.all(rate == rate[0]):
        generator = nest.Create(element.name, 1, params={**status, "rate": float(rate[0])})
        nest.Connect(generator, parrots, "all_to_all", syn_spec={"delay": dt})
    else:
        generators = nest.Create(element.name, source.size, params={**status, "rate": rate.tolist()})
        nest.Connect(generators, parrots, "one_to_one", syn_spec={"delay": dt})
    return parrots


# -- pathways ------------------------------------------------------------------------------------

def synapse_spec(pathway: Pathway) -> dict[str, Any]:
    """NEST's synapse model and parameters (the lowered synapse is complete: ``u`` is set)."""
    element = SYNAPSES[pathway.synapse.model]
    spec: dict[str, Any] = {"synapse_model": element.name}
    for translation in element.parameters:
        if translation.neutral in pathway.synapse.params:
            spec[translation.nest] = float(translation.forward(np.asarray(pathway.synapse.params[translation.neutral])))
    return spec


def connect(nest: ModuleType, pathway: Pathway, lowered: LoweredNetwork, built: Built) -> None:
    """One ``nest.Connect``: NEST's own rule for a native pathway, else the realized arrays (NEST's signed
    weights: NEST applies the sign rule itself)."""
    if pathway.native is not None and pathway.native.how == "poisson_input":
        _poisson_input(nest, pathway, lowered, built)
    elif pathway.drawn_by_simulator:
        _connect_native(nest, pathway, lowered, built)
    elif pathway.source in built.drives and pathway.n_synapses:
        _connect_drive(nest, pathway, lowered, built)
    elif pathway.n_synapses:
        first = built.first[pathway.source]
        syn_spec = {**synapse_spec(pathway), "weight": pathway.weights, "delay": pathway.delay_steps * lowered.dt}
        nest.Connect(first + pathway.pre, built.ids(pathway.target, pathway.post), "one_to_one", syn_spec=syn_spec)


def _connect_drive(nest: ModuleType, pathway: Pathway, lowered: LoweredNetwork, built: Built) -> None:
    """One ``count_grid_generator`` holding the pathway's senders' columns of the grid, one connection per
    target with its weight and the pathway's delay."""
    if pathway.source not in built.grids:  # made once for all of the source's pathways
        built.grids[pathway.source] = drive_grid(lowered.sources[pathway.source].spikes)
    grid, first = built.grids[pathway.source]
    targets = built.ids(pathway.target, pathway.post)
    device = count_grid.create(nest, take_columns(grid, pathway.pre), first, targets)
    nest.Connect(np.full(targets.size, device, dtype=np.int64), targets, "one_to_one", syn_spec={
        "synapse_model": "static_synapse", "weight": pathway.weights, "delay": pathway.delay_steps * lowered.dt})


def native_value(nest: ModuleType, spec: Any) -> Any:
    """A scalar, or a ``nest.random`` parameter with the description's factor and clipping."""
    if not isinstance(spec, dict):
        return float(spec)
    kind = next(k for k in spec if k in NATIVE_DISTRIBUTIONS)
    function, names = NATIVE_DISTRIBUTIONS[kind]
    value = getattr(nest.random, function)(**{names[k]: v for k, v in spec[kind].items() if k in names})
    if kind == "truncated_normal":
        value = nest.math.redraw(value, min=float(spec[kind]["low"]), max=float(spec[kind]["high"]))
    if "factor" in spec:
        value = value * spec["factor"]
    if "min" in spec:
        value = nest.math.max(value, spec["min"])
    if "max" in spec:
        value = nest.math.min(value, spec["max"])
    return value


def conn_spec(pathway: Pathway) -> dict[str, Any]:
    """NEST's connection rule for a native pathway."""
    connector = pathway.spec.connector
    rule, names = NATIVE_RULES[connector.rule]
    spec: dict[str, Any] = {"rule": rule, **{names[k]: v for k, v in connector.params.items()}}
    if not connector.allow_autapses:
        spec["allow_autapses"] = False
    if not connector.allow_multapses:
        spec["allow_multapses"] = False
    return spec


def _poisson_input(nest: ModuleType, pathway: Pathway, lowered: LoweredNetwork, built: Built) -> None:
    """One ``poisson_generator`` of ``n`` times the source's rate onto every target (each target gets its
    own train, as NEST's generators give), with the pathway's weight and delay: no parrots, as a
    hand-written script has it."""
    source = lowered.natives[pathway.source]
    element = NATIVE_SOURCES[source.model]
    rate = float(source.params["rate"][0]) * poisson_input_trains(pathway.spec)
    generator = nest.Create(element.name, 1, params={**_generator_status(element, source.described), "rate": rate})
    nest.Connect(generator, built.nodes[pathway.target], "all_to_all",
                 syn_spec={"synapse_model": "static_synapse", "weight": float(pathway.spec.weight),
                           "delay": float(pathway.spec.delay)})


def _connect_native(nest: ModuleType, pathway: Pathway, lowered: LoweredNetwork, built: Built) -> None:
    nodes = built.nodes[pathway.source]
    syn_spec = {**synapse_spec(pathway), "weight": native_value(nest, pathway.spec.weight),
                "delay": native_value(nest, pathway.spec.delay)}
    nest.Connect(nodes, built.nodes[pathway.target], conn_spec(pathway), syn_spec)


# -- currents ------------------------------------------------------------------------------------

def inject(nest: ModuleType, current: CurrentSchedule, built: Built, dt: float) -> None:
    """A current into its neurons through generators with delay ``dt`` (on from the step after a change)."""
    targets = built.ids(current.population, current.neurons)
    times = current.change_steps * dt
    if current.native is not None and current.native.native:
        element = NATIVE_STIMULI[current.kind]
        generator = nest.Create(element.name, 1, params=_generator_status(element, current.params))
        _connect_generators(nest, np.full(targets.size, _first_id(generator)), targets, dt)
    elif times.size and current.shared:
        generator = nest.Create("step_current_generator", 1, params={
            "amplitude_times": times, "amplitude_values": current.amplitudes})
        _connect_generators(nest, np.full(targets.size, _first_id(generator)), targets, dt)
    elif times.size:
        generators = nest.Create("step_current_generator", targets.size)
        generators.set([{"amplitude_times": times, "amplitude_values": column}
                        for column in np.ascontiguousarray(current.amplitudes.T)])
        _connect_generators(nest, _first_id(generators) + np.arange(targets.size), targets, dt)


def _connect_generators(nest: ModuleType, generators: np.ndarray, targets: np.ndarray, dt: float) -> None:
    nest.Connect(generators.astype(np.int64), targets, "one_to_one",
                 syn_spec={"synapse_model": "static_synapse", "delay": np.full(targets.size, dt)})
