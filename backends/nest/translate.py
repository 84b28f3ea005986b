"""Translate a realized network into NEST 3.10: tables of names, then one call per item.

The tables say, for each neutral quantity, its NEST name and how its value
goes there and back (a rename, a scale factor or a forward/reverse pair).
The builder then makes one ``Create`` per population (parameters and initial
values in the same vectorised call), one array-based ``Connect`` per
projection, one ``spike_generator`` per source neuron and
``step_current_generator`` traces for the currents, so NEST holds the network
the NumPy reference built. ``native: true`` items use NEST's own connection
rules and generators instead, where NEST has them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import Any

import numpy as np

from neurobridge import catalog, values
from neurobridge.errors import UnsupportedModelError
from neurobridge.model import Network, Population, Projection
from neurobridge.realize import CurrentTrace, RealizedNetwork, RealizedPopulation, RealizedProjection

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


MODELS: Mapping[tuple[str, str], NestModel] = MappingProxyType(
    {pair: _model(pair, name) for pair, name in MODEL_NAMES.items()})


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


# -- the built network ---------------------------------------------------------------------------

@dataclass
class Built:
    """Node ids of what was created: every population is a contiguous block of ids."""

    #: Population -> the nodes that send its spikes (neurons, generators, or parrots of native sources).
    nodes: dict[str, Any] = field(default_factory=dict)
    first: dict[str, int] = field(default_factory=dict)
    #: Spike sources relayed through parrots (for synapses that refuse generator input): first parrot id.
    relays: dict[str, int] = field(default_factory=dict)

    def ids(self, population: str, local: np.ndarray) -> np.ndarray:
        return self.first[population] + np.asarray(local, dtype=np.int64)


def build(nest: ModuleType, realized: RealizedNetwork) -> Built:
    """Create every population, projection and current of ``realized`` in NEST's (reset) kernel."""
    built = Built()
    for population in realized.populations.values():
        nodes = _create(nest, population, realized.dt)
        built.nodes[population.name], built.first[population.name] = nodes, _first_id(nodes)
    for name in _relayed_sources(realized):
        built.relays[name] = _relay(nest, realized.populations[name], realized.dt)
    for projection in realized.projections:
        connect(nest, projection, realized, built)
    for trace in realized.currents:
        inject(nest, trace, built, realized.dt)
    return built


def _first_id(nodes: Any) -> int:
    return int(nodes[0].global_id)


# -- populations ---------------------------------------------------------------------------------

def _create(nest: ModuleType, population: RealizedPopulation, dt: float) -> Any:
    if not population.is_source:
        model = MODELS[(population.model, population.receptor or "")]
        return nest.Create(model.name, population.size, params=neuron_status(population, model))
    if is_native_source(population):
        return _native_source(nest, population, dt)
    return _spike_generators(nest, population, population.spike_times)


def _compact(values: np.ndarray) -> float | list[float]:
    """A scalar when every neuron has the same value (NEST sets it once), else a per-neuron list."""
    values = np.asarray(values, dtype=float)
    return float(values[0]) if np.all(values == values[0]) else values.tolist()


def neuron_status(population: RealizedPopulation, model: NestModel) -> dict[str, Any]:
    """Parameters and initial values of every neuron, as one NEST status dictionary.

    Parameters
    ----------
    population
        A realized neuron population.
    model
        Its NEST model (from :data:`MODELS`).

    Returns
    -------
    dict
        NEST names to a scalar (shared) or a per-neuron list; initial values always included
        (NEST's own defaults differ from the description's).
    """
    status: dict[str, Any] = dict(model.settings)
    for translation in model.parameters:
        status[translation.nest] = _compact(translation.forward(population.params[translation.neutral]))
    for translation in model.states:
        values = translation.forward(population.initial[translation.neutral])
        if translation.nest not in model.fixed_at_zero:
            status[translation.nest] = _compact(values)
        elif np.any(values != 0):
            raise UnsupportedModelError(
                f"populations.{population.name}.initial.{translation.neutral}: NEST's {model.name} starts "
                f"{translation.nest} at 0 and cannot set it; got values up to {np.abs(values).max():.4g}.")
    return status


def check_network(network: Network) -> None:
    """Refuse at validation what NEST cannot take: a set initial synaptic current, a relay spike at 0."""
    for population in network.populations.values():
        if population.is_source:
            continue
        model = MODELS[population.pair]
        for state in sorted(model.fixed_at_zero):
            spec = population.initial.get(state)
            if spec is not None and values.bounds(spec) != (0.0, 0.0):
                raise UnsupportedModelError(
                    f"populations.{population.name}.initial.{state}: NEST's {model.name} starts {state} "
                    f"at 0 and cannot set it; got {spec!r}.")
    dt = network.dt
    for index, projection in enumerate(network.projections):
        source = network.populations[projection.source]
        if projection.synapse.model == "static" or (source.native and source.model == "poisson"):
            continue
        first = _first_spike(source, dt)
        if first is not None and first < 2 * dt - dt / 2:
            raise UnsupportedModelError(
                f"projections[{index}]: {source.name} spikes at {first:g} ms (= dt), which cannot reach a "
                f"tsodyks_markram synapse in NEST (spikes reach it only through a relay parrot, which "
                f"would need a generator spike at 0 ms). Start the train at 2 dt ({2 * dt:g} ms) or later.")


def _first_spike(source: Population, dt: float) -> float | None:
    """The earliest stamp a source can emit (a Poisson source: the first step after its start)."""
    if source.model == "poisson":
        return float(source.params.get("start", 0.0)) + dt
    if source.model == "regular":
        return float(source.params.get("start", dt))
    times = source.params.get("times") or []
    flat = [t for train in times for t in train] if times and isinstance(times[0], list) else times
    if not flat:
        return None
    steps = min(flat) / dt
    return float(max(math.ceil(steps - 1e-9) if source.params.get("allow_offgrid_times") else round(steps), 1)) * dt


def _trains(neurons: np.ndarray, times: np.ndarray, n: int) -> list[np.ndarray]:
    """Spike times per neuron (sorted), from the flat (neuron, time) arrays."""
    order = np.argsort(neurons, kind="stable")
    bounds = np.searchsorted(neurons[order], np.arange(1, n))
    return np.split(times[order], bounds)


def _spike_generators(nest: ModuleType, population: RealizedPopulation, times: np.ndarray) -> Any:
    """One ``spike_generator`` per source neuron, in one ``Create``, times set in one call."""
    generators = nest.Create("spike_generator", population.size)
    trains = _trains(population.spike_neurons, times, population.size)
    generators.set([{"spike_times": train} for train in trains])
    return generators


def _generator_status(element: NestElement, params: Mapping[str, Any]) -> dict[str, float]:
    """A generator's parameters; an infinite ``stop`` is NEST's default and left out."""
    status = {}
    for translation in element.parameters:
        value = params.get(translation.neutral)
        if isinstance(value, (int, float)) and np.isfinite(value):
            status[translation.nest] = float(translation.forward(np.asarray(value)))
    return status


def _native_source(nest: ModuleType, population: RealizedPopulation, dt: float) -> Any:
    """Parrots fed by ``poisson_generator``s: each parrot is one source neuron with its own train.

    A generator's spike reaches its parrot one ``dt`` later, so the trains (and the spikes recorded)
    start one ``dt`` after the description's ``start``.
    """
    element = NATIVE_SOURCES[population.model]
    parrots = nest.Create("parrot_neuron", population.size)
    status = _generator_status(element, population.spec.params if population.spec else {})
    rate = population.params["rate"]
    if np.all(rate == rate[0]):
        generator = nest.Create(element.name, 1, params={**status, "rate": float(rate[0])})
        nest.Connect(generator, parrots, "all_to_all", syn_spec={"delay": dt})
    else:
        generators = nest.Create(element.name, population.size, params={**status, "rate": rate.tolist()})
        nest.Connect(generators, parrots, "one_to_one", syn_spec={"delay": dt})
    return parrots


def _relayed_sources(realized: RealizedNetwork) -> list[str]:
    """Realized spike sources with a projection through a synapse that refuses generator input."""
    names = [p.source for p in realized.projections if p.synapse.model != "static"]
    return [name for name in dict.fromkeys(names)
            if realized.populations[name].is_source and not is_native_source(realized.populations[name])]


def is_native_source(population: RealizedPopulation) -> bool:
    """A source NEST generates itself (parrots fed by a generator), not from realized trains."""
    return population.is_source and population.native and population.model in NATIVE_SOURCES


def _relay(nest: ModuleType, population: RealizedPopulation, dt: float) -> int:
    """Parrots that re-emit a source's spikes at their realized times (generators fire one dt early)."""
    times = population.spike_times
    assert not times.size or times.min() > 1.5 * dt, "check_network refuses a relayed spike at dt"
    generators = _spike_generators(nest, population, times - dt)
    parrots = nest.Create("parrot_neuron", population.size)
    nest.Connect(generators, parrots, "one_to_one", syn_spec={"delay": dt})
    return _first_id(parrots)


# -- projections ---------------------------------------------------------------------------------

def synapse_spec(projection: RealizedProjection) -> dict[str, Any]:
    """NEST's synapse model and parameters; ``u`` starts at ``U`` unless given (NEST's default is 0.5)."""
    element = SYNAPSES[projection.synapse.model]
    params = dict(projection.synapse.params)
    if "U" in params:
        params.setdefault("u", params["U"])
    spec: dict[str, Any] = {"synapse_model": element.name}
    for translation in element.parameters:
        if translation.neutral in params:
            spec[translation.nest] = float(translation.forward(np.asarray(params[translation.neutral])))
    return spec


def _source_ids(projection: RealizedProjection, built: Built) -> tuple[int, Any]:
    """First id and nodes of the senders; nodes ``None`` for a relay (parrots that refuse no synapse)."""
    if projection.source in built.relays and projection.synapse.model != "static":
        return built.relays[projection.source], None
    return built.first[projection.source], built.nodes[projection.source]


def connect(nest: ModuleType, projection: RealizedProjection, realized: RealizedNetwork, built: Built) -> None:
    """One ``nest.Connect``: NEST's own rule when native and expressible, else the realized arrays."""
    if projection.spec.native and native_expressible(projection):
        _connect_native(nest, projection, realized, built)
    elif projection.n_synapses:
        first, _ = _source_ids(projection, built)
        syn_spec = {**synapse_spec(projection), "weight": projection.weights, "delay": projection.delays}
        nest.Connect(first + projection.sources, built.ids(projection.target, projection.targets),
                     "one_to_one", syn_spec=syn_spec)


def native_expressible(projection: RealizedProjection) -> bool:
    """True when NEST has the projection's rule and its weight and delay distributions."""
    return _expressible(projection.spec)


def _expressible(spec: Projection) -> bool:
    return spec.connector.rule in NATIVE_RULES and all(
        _native_value_possible(value) for value in (spec.weight, spec.delay))


def native_fallbacks(network: Network) -> list[tuple[str, str]]:
    """``(field, message)`` for every ``native: true`` item NEST builds from the realized arrays."""
    out = []
    for index, projection in enumerate(network.projections):
        if projection.native and not _expressible(projection):
            out.append((f"projections[{index}].native", f"NEST has no native {projection.connector.rule} rule "
                        "with these weights and delays; the realized connections are used (exact, not "
                        "statistical, agreement)."))
    for index, stimulus in enumerate(network.stimuli):
        element = NATIVE_STIMULI.get(stimulus.kind)
        if stimulus.native and (element is None or not _scalar_params(stimulus.params, element)):
            what = f"a {element.name} takes one value per parameter" if element else \
                f"NEST has no generator for {stimulus.kind}"
            out.append((f"stimuli[{index}].native", f"{what}; the realized trace is used (exact, not "
                        "statistical, agreement)."))
    for population in network.populations.values():
        if population.native and population.is_source and population.model not in NATIVE_SOURCES:
            out.append((f"populations.{population.name}.native", f"a {population.model} source has no "
                        "native NEST generator; its realized spike trains are used."))
    return out


def _native_value_possible(spec: Any) -> bool:
    if isinstance(spec, dict):
        return any(kind in NATIVE_DISTRIBUTIONS for kind in spec)
    return not isinstance(spec, list)


def native_value(nest: ModuleType, spec: Any) -> Any:
    """A scalar, or a ``nest.random`` parameter with the description's factor and clipping."""
    if not isinstance(spec, dict):
        return float(spec)
    kind = next(k for k in spec if k in NATIVE_DISTRIBUTIONS)
    function, names = NATIVE_DISTRIBUTIONS[kind]
    value = getattr(nest.random, function)(**{names[k]: v for k, v in spec[kind].items()})
    if "factor" in spec:
        value = value * spec["factor"]
    if "min" in spec:
        value = nest.math.max(value, spec["min"])
    if "max" in spec:
        value = nest.math.min(value, spec["max"])
    return value


def conn_spec(projection: RealizedProjection) -> dict[str, Any]:
    """NEST's connection rule for a native projection."""
    connector = projection.spec.connector
    rule, names = NATIVE_RULES[connector.rule]
    spec: dict[str, Any] = {"rule": rule, **{names[k]: v for k, v in connector.params.items()}}
    if not connector.allow_autapses:
        spec["allow_autapses"] = False
    if not connector.allow_multapses:
        spec["allow_multapses"] = False
    return spec


def _connect_native(nest: ModuleType, projection: RealizedProjection, realized: RealizedNetwork,
                    built: Built) -> None:
    first, nodes = _source_ids(projection, built)
    if nodes is None:  # a relay: parrots, contiguous from ``first``
        size = realized.populations[projection.source].size
        nodes = nest.NodeCollection(list(range(first, first + size)))
    syn_spec = {**synapse_spec(projection), "weight": native_value(nest, projection.spec.weight),
                "delay": native_value(nest, projection.spec.delay)}
    nest.Connect(nodes, built.nodes[projection.target], conn_spec(projection), syn_spec)


# -- currents ------------------------------------------------------------------------------------

def inject(nest: ModuleType, trace: CurrentTrace, built: Built, dt: float) -> None:
    """A current into its neurons through generators with delay ``dt`` (on from the step after a change)."""
    targets = built.ids(trace.target, trace.neurons)
    element = NATIVE_STIMULI.get(trace.spec.kind)
    if trace.spec.native and element is not None and _scalar_params(trace.spec.params, element):
        generator = nest.Create(element.name, 1, params=_generator_status(element, trace.spec.params))
        _connect_generators(nest, np.full(targets.size, _first_id(generator)), targets, dt)
    elif trace.times.size and trace.shared:
        generator = nest.Create("step_current_generator", 1, params={
            "amplitude_times": trace.times, "amplitude_values": trace.amplitudes})
        _connect_generators(nest, np.full(targets.size, _first_id(generator)), targets, dt)
    elif trace.times.size:
        generators = nest.Create("step_current_generator", targets.size)
        generators.set([{"amplitude_times": trace.times, "amplitude_values": column}
                        for column in np.ascontiguousarray(trace.amplitudes.T)])
        _connect_generators(nest, _first_id(generators) + np.arange(targets.size), targets, dt)


def _scalar_params(params: Mapping[str, Any], element: NestElement) -> bool:
    """A native generator has one value per parameter; per-neuron values take the realized trace."""
    return all(not isinstance(params.get(t.neutral), (dict, list)) for t in element.parameters)


def _connect_generators(nest: ModuleType, generators: np.ndarray, targets: np.ndarray, dt: float) -> None:
    nest.Connect(generators.astype(np.int64), targets, "one_to_one",
                 syn_spec={"synapse_model": "static_synapse", "delay": np.full(targets.size, dt)})
