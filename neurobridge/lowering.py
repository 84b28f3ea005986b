"""Lowering: the one statement of the time semantics every backend builds.

:func:`lower` turns a :class:`~.realize.RealizedNetwork` into a
:class:`LoweredNetwork`: everything a simulator must be told to agree with the
NumPy reference, which follows NEST 3.10. Adapters translate it into their
simulator's calls and never re-derive any of it. The contract, item by item:

Time
    Step ``s`` is the interval ``(s dt, (s + 1) dt]``. A spike found in step ``s``
    is stamped at its end, ``(s + 1) dt``.
Groups (:class:`PairGroup`)
    Populations of one membrane × receptor pair share one group: one set of
    state arrays, parameters concatenated in description order, each population
    a block at its ``offset``. ``refractory_steps`` is NEST's ``round(t_ref / dt)``;
    a refractory neuron is held at ``V_reset`` for that many steps after its
    spike step while its synapses keep integrating.
Senders
    Every neuron and every source neuron has a global sender index: groups
    first, in order, then the sources (:attr:`LoweredNetwork.senders`).
Pathways (:class:`Pathway`)
    One projection onto one receptor channel (``ex``, ``in`` or ``delta``), with
    NEST's sign rule applied: a negative weight goes to ``in`` (a conductance
    receptor adds ``|w|``, a current receptor adds ``w``); ``current_delta`` has
    one channel. A spike emitted in step ``s`` through a delay of ``D`` steps
    (``delay_steps``, at least 1) *arrives* in step ``s + D``: it is added to the
    synaptic state at the end of that step and moves the membrane from step
    ``s + D + 1`` on; on the ``delta`` channel it moves ``V_m`` within step
    ``s + D``, before the threshold (NEST's ``iaf_psc_delta``; ``acts_in_arrival_step``).
    An alpha receptor scales the arrival by ``e / tau_syn`` so the PSC peaks at the
    weight. Through ``tsodyks_markram`` (NEST's ``tsodyks2_synapse``) each spike
    first updates the synapse's ``x`` and ``u`` from the time since its previous
    spike, then sends ``w x u``; the first spike of a synapse uses ``x`` and ``u``
    as initialised (``u`` is ``U`` unless given: the parameters are complete here).
    Several spikes of one sender in one step count with their multiplicity.
Sources (:class:`SourceSchedule`)
    A realized source spike stamped ``t`` is emitted in step ``t / dt - 1``, so it
    travels like a neuron's spike stamped ``t``. Spikes of one source neuron in one
    step are one event of that multiplicity; the schedule keeps them so (a pointer per
    step, a neuron and a multiplicity per event), never one float per spike. A Poisson
    source emits in the steps whose stamps lie in ``(start, stop]``, a Poisson count per
    step and neuron (NEST's ``poisson_generator``).
Currents (:class:`CurrentSchedule`)
    A piecewise-constant current changes at ``change_steps`` (``T / dt`` for a
    change at ``T``, at least 1): the new value is read at the end of that step
    and acts from the next (NEST's generators connected with delay ``dt``).
States (:class:`StateSelection`)
    Sample ``k`` (``k = 1, 2, ...``) of a recording with an interval of ``every``
    steps is the state at the end of step ``k every - 1``, stamped ``k every dt``;
    the last is at ``duration`` when ``every`` divides the number of steps.
Spikes
    :attr:`LoweredNetwork.spike_populations` are recorded (the core's rule). A
    realized source's spikes are reported from the realized arrays
    (``replayed``); a neuron group's and a native source's from the simulator.
Native
    ``native: true`` asks a simulator to draw an item itself. The core decides, from
    the backend's :class:`NativeSupport`, which items it draws (:class:`NativeDecision`):
    the rest run on the realized arrays and warn once, naming the field. Realization
    draws nothing for a native source or projection; the arrays of one the backend
    cannot draw are drawn here, from the item's own stream (the same as a realized run).
    A ``one_to_one`` or ``fixed_indegree`` projection from an unrecorded native Poisson
    source becomes a Poisson input (``poisson_input``): each target a Poisson count of
    ``n rate dt`` per step, the source not simulated.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import catalog, values
from .model import Network, Projection, Recording, Stimulus, Synapse
from .realize import (
    CurrentTrace,
    RealizedNetwork,
    RealizedPopulation,
    RealizedProjection,
    SpikeEvents,
    delay_steps,
    draw_projection,
    is_shared,
    shared,
)
from .realize import source as realize_source

CHANNELS = ("ex", "in")
DELTA = "delta"


# -- native support and decisions ----------------------------------------------------------------

@dataclass(frozen=True)
class NativeSupport:
    """What a backend draws itself under ``native: true`` (declared in its :class:`~.backend.Capabilities`).

    Attributes
    ----------
    sources
        Source models it generates (``poisson``).
    rules
        Connector rules it draws, with scalar weights and delays or the ``distributions`` below.
    distributions
        Weight and delay distributions it draws for those rules.
    stimuli
        Stimulus kinds it generates when every parameter is one scalar.
    poisson_input
        A ``fixed_indegree`` (``n`` trains per target) or ``one_to_one`` (one train per target)
        projection from a native, unrecorded Poisson source with one scalar weight, delay and rate
        becomes a per-target Poisson count each step (NEST's ``poisson_generator`` onto the targets,
        Brian2's Poisson draw per neuron and step); the source itself is not simulated.
    simulated_sources
        Whether the backend can simulate a native source that stays a population (recorded, or
        projected otherwise than as a Poisson input); without, such a source is realized.
    """

    sources: frozenset[str] = frozenset()
    rules: frozenset[str] = frozenset()
    distributions: frozenset[str] = frozenset()
    stimuli: frozenset[str] = frozenset()
    poisson_input: bool = False
    simulated_sources: bool = True


@dataclass(frozen=True)
class NativeDecision:
    """How one ``native: true`` item runs: ``how`` is ``native``, ``poisson_input`` or ``realized``."""

    where: str
    how: str
    reason: str = ""

    @property
    def native(self) -> bool:
        return self.how != "realized"


def native_decisions(network: Network, support: NativeSupport,
                     backend: str = "this backend") -> dict[str, NativeDecision]:
    """Every ``native: true`` item of ``network`` and how ``backend`` runs it, by field path."""
    decisions: dict[str, NativeDecision] = {}
    projections: dict[str, NativeDecision] = {}
    for index, projection in enumerate(network.projections):
        if projection.native:
            where = f"projections[{index}]"
            projections[where] = _projection_decision(network, projection, support, where, backend)
    for population in network.populations.values():
        if population.native and population.is_source:
            where = f"populations.{population.name}"
            if population.model not in support.sources:
                decisions[where] = NativeDecision(where, "realized", f"{backend} has no native generator for a "
                                                  f"{population.model} source; its realized spike trains are used")
            elif not support.simulated_sources and _simulated(network, population.name, projections):
                decisions[where] = NativeDecision(where, "realized", f"{backend} generates a native Poisson source "
                                                  f"only as the input of unrecorded one_to_one or fixed_indegree "
                                                  f"projections; its realized spike trains are used")
            else:
                decisions[where] = NativeDecision(where, "native")
    for where, decision in projections.items():
        source = network.projections[int(where[len("projections["):-1])].source
        if decision.how == "poisson_input" and not decisions[f"populations.{source}"].native:
            decision = NativeDecision(where, "realized", "its source is realized; the realized connections are used")
        decisions[where] = decision
    for index, stimulus in enumerate(network.stimuli):
        if stimulus.native:
            where = f"stimuli[{index}]"
            decisions[where] = _stimulus_decision(stimulus, support, where, backend)
    return decisions


def _simulated(network: Network, name: str, projections: Mapping[str, NativeDecision]) -> bool:
    """Whether a native source must exist as a population: recorded, or sending otherwise than as
    a Poisson input."""
    if name in network.spike_populations():
        return True
    return any(p.source == name and projections.get(f"projections[{i}]", NativeDecision("", "realized")).how
               != "poisson_input" for i, p in enumerate(network.projections))


def poisson_input_trains(projection: Projection) -> int:
    """How many independent trains of the source's rate a Poisson input gives each target."""
    return 1 if projection.connector.rule == "one_to_one" else int(projection.connector.params["n"])


def _projection_decision(network: Network, projection: Projection, support: NativeSupport, where: str,
                         backend: str) -> NativeDecision:
    rule = projection.connector.rule
    if support.poisson_input and poisson_input_obstacle(network, projection, support) is None:
        return NativeDecision(where, "poisson_input")
    if rule not in support.rules:
        obstacle = poisson_input_obstacle(network, projection, support) if support.poisson_input else None
        why = f"no Poisson input: {obstacle}" if obstacle and rule in ("fixed_indegree", "one_to_one") else \
            f"{backend} has no native {rule} rule"
        return NativeDecision(where, "realized", f"{why}; the realized connections are used")
    drawable = [_drawable(spec, support) for spec in (projection.weight, projection.delay)]
    if not all(drawable):
        kinds = ", ".join(sorted(support.distributions)) or "none"
        return NativeDecision(where, "realized", f"{backend} draws {rule} with scalar weights and delays or "
                              f"these distributions: {kinds}; the realized connections are used")
    return NativeDecision(where, "native")


def _drawable(spec: Any, support: NativeSupport) -> bool:
    if isinstance(spec, dict):
        return values.kind_of(spec) in support.distributions
    return not isinstance(spec, list)


def poisson_input_obstacle(network: Network, projection: Projection, support: NativeSupport) -> str | None:
    """Why a ``native: true`` projection does not become a per-target Poisson count (``None``: it does)."""
    if projection.connector.rule not in ("fixed_indegree", "one_to_one"):
        return "it is neither a fixed_indegree nor a one_to_one projection"
    source = network.populations[projection.source]
    if not (source.native and source.model == "poisson" and "poisson" in support.sources):
        return "its source is not a native Poisson population"
    if projection.source in network.spike_populations():
        return f"its source's spikes are recorded (a Poisson input has no {projection.source} spikes to record)"
    if projection.synapse.model != "static":
        return f"its synapse is {projection.synapse.model}; a Poisson input has no plasticity"
    if not (isinstance(projection.weight, float) and isinstance(projection.delay, float)):
        return "a Poisson input takes one scalar weight and delay"
    if not isinstance(source.params.get("rate"), float):
        return "a Poisson input takes one rate for the whole source"
    return None


def _stimulus_decision(stimulus: Stimulus, support: NativeSupport, where: str, backend: str) -> NativeDecision:
    if stimulus.kind not in support.stimuli:
        return NativeDecision(where, "realized", f"{backend} has no native generator for {stimulus.kind}; the "
                              f"realized trace is used")
    if any(isinstance(v, (dict, list)) for v in stimulus.params.values()):
        return NativeDecision(where, "realized", f"a native {stimulus.kind} takes one value per parameter; the "
                              f"realized trace is used")
    return NativeDecision(where, "native")


# -- the lowered network -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    """A population inside a group: neurons ``offset .. offset + size``."""

    population: str
    offset: int
    size: int

    @property
    def indices(self) -> slice:
        return slice(self.offset, self.offset + self.size)


@dataclass
class PairGroup:
    """The neuron populations of one membrane × receptor pair, as one block of state."""

    name: str
    membrane: str
    receptor: str
    members: dict[str, Member]
    #: Parameters (NEST's names and units), one value per neuron of the group.
    params: dict[str, np.ndarray]
    #: Initial values of every state variable (NEST's names), one per neuron.
    initial: dict[str, np.ndarray]
    #: NEST's refractory counts, ``round(t_ref / dt)`` (zeros for Izhikevich, which has none).
    refractory_steps: np.ndarray

    @property
    def n(self) -> int:
        return sum(m.size for m in self.members.values())

    @property
    def receptor_spec(self) -> catalog.ReceptorSpec:
        return catalog.RECEPTOR_SPECS[self.receptor]

    @property
    def channels(self) -> tuple[str, ...]:
        """The input channels: ``(delta,)`` or ``(ex, in)``."""
        return (DELTA,) if self.receptor_spec.kind == "delta" else CHANNELS

    def scalar(self, name: str) -> float | None:
        """The parameter's value when every neuron of the group has the same, else ``None``."""
        array = self.params[name]
        return float(array[0]) if array.size and np.all(array == array[0]) else None


@dataclass
class Pathway:
    """One projection onto one receptor channel; indices are local to the source and target populations."""

    projection: int
    source: str
    target: str
    group: str
    channel: str
    pre: np.ndarray
    post: np.ndarray
    #: The weights as described (NEST's signed convention).
    weights: np.ndarray
    #: What a spike adds to the channel: ``|w|`` onto conductances, ``w`` onto currents.
    values: np.ndarray
    delay_steps: np.ndarray
    synapse: Synapse
    #: The projection as described (a native pathway is drawn from it by the simulator).
    spec: Projection
    native: NativeDecision | None = None

    @property
    def drawn_by_simulator(self) -> bool:
        """A native pathway: the simulator draws its connections (``pre``/``post`` are empty)."""
        return self.native is not None and self.native.native

    @property
    def acts_in_arrival_step(self) -> bool:
        """``delta``: the spike moves ``V_m`` in the step it arrives (before the threshold); else from the next."""
        return self.channel == DELTA

    @property
    def n_synapses(self) -> int:
        return int(self.pre.size)

    @property
    def shared_weight(self) -> float | None:
        return _one_value(self.values)

    @property
    def uniform_delay(self) -> int | None:
        d = _one_value(self.delay_steps)
        return None if d is None else int(d)

    @property
    def name(self) -> str:
        return f"p{self.projection}_{self.channel}"

    @property
    def is_drive(self) -> bool:
        """A realized static pathway of one delay whose senders and targets each appear once: each step
        it adds the counts of its senders, times their values, to their targets' channel (no lookup)."""
        if self.drawn_by_simulator or self.synapse.model != "static" or self.uniform_delay is None:
            return False
        return np.unique(self.pre).size == self.pre.size and np.unique(self.post).size == self.post.size


def _one_value(array: np.ndarray) -> float | None:
    """The value every entry has (a shared broadcast answers at once), else ``None``."""
    if not array.size:
        return None
    return float(array[0]) if is_shared(array) or np.all(array == array[0]) else None


@dataclass
class SourceSchedule:
    """A realized source's spikes by emission step, compactly (the realized :class:`~.realize.SpikeEvents`).

    The events of emission step ``s`` are ``neurons[pointer[s]:pointer[s + 1]]`` with ``counts`` spikes
    each; :attr:`steps` and :attr:`neurons_per_spike` spell them out, one entry per spike.
    """

    population: str
    size: int
    spikes: SpikeEvents

    @property
    def pointer(self) -> np.ndarray:
        """``(n_steps + 1,)``: the events emitted in step ``s`` are ``pointer[s]:pointer[s + 1]``."""
        return self.spikes.pointer[1:]

    @property
    def n_spikes(self) -> int:
        return self.spikes.n_spikes

    def events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(steps, neurons, multiplicity)``: each (emission step, neuron) once, with its number of spikes."""
        return self.spikes.steps() - 1, self.spikes.neurons.astype(np.int64), self.spikes.counts.astype(np.int64)

    @property
    def steps(self) -> np.ndarray:
        """The emission step of every spike (sorted), one entry per spike."""
        steps, _, counts = self.events()
        return np.repeat(steps, counts)

    @property
    def neurons(self) -> np.ndarray:
        """The neuron of every spike, in the order of :attr:`steps`."""
        _, neurons, counts = self.events()
        return np.repeat(neurons, counts)


@dataclass
class CurrentSchedule:
    """A current into some neurons of one population: it changes at the end of each of ``change_steps``."""

    index: int
    population: str
    group: str
    #: Neurons of the population it reaches, and the same as indices in the group.
    neurons: np.ndarray
    group_neurons: np.ndarray
    change_steps: np.ndarray
    #: ``(n_changes,)`` shared by every neuron, or ``(n_changes, n_neurons)``.
    amplitudes: np.ndarray
    kind: str
    params: Mapping[str, Any]
    native: NativeDecision | None = None

    @property
    def shared(self) -> bool:
        return self.amplitudes.ndim == 1

    @property
    def acts_from(self) -> np.ndarray:
        """The first step each value moves the membrane in."""
        return self.change_steps + 1


@dataclass
class StateSelection:
    """One recorded state variable of some neurons of one population."""

    recording: int
    population: str
    variable: str
    group: str
    neurons: np.ndarray
    group_neurons: np.ndarray
    every: int
    n_samples: int

    @property
    def sample_steps(self) -> np.ndarray:
        """The step at whose end each sample is taken: ``k every - 1``."""
        return np.arange(1, self.n_samples + 1) * self.every - 1


@dataclass
class NativeSource:
    """A source population the simulator generates itself (``native: true``, supported)."""

    population: str
    size: int
    model: str
    #: Realized per-neuron parameters (``rate``) and the description's own (``start``, ``stop``).
    params: dict[str, np.ndarray]
    described: Mapping[str, Any]
    #: The steps ``[first, end)`` it emits in: NEST stamps its spikes in ``(start, stop]``.
    first: int
    end: int
    decision: NativeDecision


@dataclass
class LoweredNetwork:
    """Everything a backend builds, in the reference's time semantics (see the module docstring)."""

    realized: RealizedNetwork
    groups: dict[str, PairGroup]
    senders: dict[str, int]
    pathways: list[Pathway]
    sources: dict[str, SourceSchedule]
    natives: dict[str, NativeSource]
    currents: list[CurrentSchedule]
    states: list[StateSelection]
    spike_populations: list[str]
    decisions: dict[str, NativeDecision] = field(default_factory=dict)

    @property
    def network(self) -> Network:
        return self.realized.network

    @property
    def dt(self) -> float:
        return self.realized.dt

    @property
    def n_steps(self) -> int:
        return self.network.n_steps

    @property
    def duration(self) -> float:
        return self.network.duration

    @property
    def n_senders(self) -> int:
        return sum(self.size(name) for name in self.senders)

    def size(self, population: str) -> int:
        return self.realized.populations[population].size

    def locate(self, population: str) -> tuple[PairGroup, Member]:
        """The group of a neuron population and its place in it."""
        for group in self.groups.values():
            if population in group.members:
                return group, group.members[population]
        raise KeyError(f"{population} is not a neuron population")

    def replayed(self, population: str) -> bool:
        """Whether a recorded population's spikes are the realized ones (a realized source)."""
        return population in self.sources

    def max_delay_steps(self, group: str) -> int:
        """The longest delay onto ``group`` (at least 1): the ring buffer a group needs."""
        realized = [int(p.delay_steps[:1].max() if is_shared(p.delay_steps) else p.delay_steps.max())
                    for p in self.pathways if p.group == group and p.delay_steps.size]
        native = [self.native_delay_steps(p) for p in self.pathways  # a backend's own buffer
                  if p.group == group and p.drawn_by_simulator and isinstance(p.spec.delay, (int, float))]
        return max([*realized, *native], default=1)

    def native_delay_steps(self, pathway: Pathway) -> int:
        """A native pathway's scalar delay in steps, rounded as realized delays are (:func:`realize.delay_steps`)."""
        return int(delay_steps(float(pathway.spec.delay), self.dt))

    def pathways_onto(self, group: str) -> Iterator[Pathway]:
        return (p for p in self.pathways if p.group == group)


def lower(realized: RealizedNetwork, support: NativeSupport = NativeSupport(), backend: str = "this backend") -> \
        LoweredNetwork:
    """The realized network as every backend builds it (see the module docstring)."""
    network = realized.network
    decisions = native_decisions(network, support, backend)
    groups = _groups(realized)
    natives = {name: _native_source(realized.populations[name], realized.dt, decisions[f"populations.{name}"])
               for name, p in network.populations.items()
               if decisions.get(f"populations.{name}", NativeDecision("", "realized")).native}
    senders: dict[str, int] = {}
    start = 0
    for group in groups.values():
        for member in group.members.values():
            senders[member.population] = start + member.offset
        start += group.n
    sources = {}
    for name, population in realized.populations.items():
        if population.is_source:
            senders[name] = start
            start += population.size
            if name not in natives:
                sources[name] = SourceSchedule(name, population.size, _realized_spikes(realized, population))
    locate = {m.population: group for group in groups.values() for m in group.members.values()}
    for index in range(len(network.projections)):
        decision = decisions.get(f"projections[{index}]")
        if decision is None or not decision.native:
            draw_projection(realized, index)  # a native one the backend cannot draw: drawn now
    pathways = [pathway for projection in realized.projections
                for pathway in _pathways(projection, locate[projection.target], realized.dt,
                                         decisions.get(f"projections[{projection.index}]"))]
    currents = [_current(trace, locate[trace.target], realized.dt, decisions.get(f"stimuli[{trace.index}]"))
                for trace in realized.currents]
    states = [selection for index, recording in enumerate(network.recordings)
              for selection in _selections(index, recording, realized, locate)]
    return LoweredNetwork(realized, groups, senders, pathways, sources, natives, currents, states,
                          network.spike_populations(), decisions)


def coincident_plastic_spike(lowered: LoweredNetwork) -> tuple[Pathway, int, int, int] | None:
    """The first realized source neuron that spikes more than once in one step into a plastic synapse:
    ``(pathway, neuron, spikes, stamp step)``, or ``None``."""
    for pathway in lowered.pathways:
        if pathway.synapse.model == "static" or pathway.source not in lowered.sources:
            continue
        spikes = lowered.sources[pathway.source].spikes
        coincident = (spikes.counts > 1) & np.isin(spikes.neurons, np.unique(pathway.pre))
        if coincident.any():
            event = int(np.flatnonzero(coincident)[0])
            step = int(np.searchsorted(spikes.pointer, event, side="right")) - 1
            return pathway, int(spikes.neurons[event]), int(spikes.counts[event]), step
    return None


def _realized_spikes(realized: RealizedNetwork, population: RealizedPopulation) -> SpikeEvents:
    """A source's realized spikes; a native one this backend cannot generate is drawn now (the spikes
    a realized run draws, from the item's own stream), and kept on the realized network."""
    if population.events is None:
        assert population.spec is not None
        _, population.events = realize_source(realized.network, population.spec)
        assert population.events is not None
    return population.events


def emission_steps(stamps: np.ndarray, dt: float) -> np.ndarray:
    """The step a source spike stamped ``t`` leaves in: ``t / dt - 1`` (stamps are a step's end)."""
    return np.round(np.asarray(stamps) / dt).astype(np.int64) - 1


def _groups(realized: RealizedNetwork) -> dict[str, PairGroup]:
    members: dict[tuple[str, str], list[RealizedPopulation]] = {}
    for population in realized.populations.values():
        if not population.is_source:
            members.setdefault((population.model, population.receptor or ""), []).append(population)
    groups = {}
    for (membrane, receptor), populations in members.items():
        placed, offset = {}, 0
        for p in populations:
            placed[p.name] = Member(p.name, offset, p.size)
            offset += p.size
        params = {k: np.concatenate([p.params[k] for p in populations]) for k in populations[0].params}
        initial = {k: np.concatenate([p.initial[k] for p in populations]) for k in populations[0].initial}
        t_ref = params.get("t_ref", np.zeros(offset))
        name = f"{membrane}_{receptor}"
        groups[name] = PairGroup(name, membrane, receptor, placed, params, initial,
                                 np.round(t_ref / realized.dt).astype(np.int64))
    return groups


def sign_rule(receptor: str, weights: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """NEST's sign rule: per channel, which synapses go there and what each adds."""
    if catalog.RECEPTOR_SPECS[receptor].kind == "delta":
        return {DELTA: (np.ones(weights.size, dtype=bool), weights)}
    inhibitory = weights < 0
    conductance = catalog.RECEPTOR_SPECS[receptor].kind == "conductance"
    added = np.abs(weights) if conductance and inhibitory.any() else weights
    return {"ex": (~inhibitory, added), "in": (inhibitory, added)}


def _pathways(projection: RealizedProjection, group: PairGroup, dt: float,
              decision: NativeDecision | None) -> list[Pathway]:
    synapse = _complete(projection.synapse)
    spec = projection.spec
    if decision is not None and decision.native:
        signed = np.array([_sign_of(spec.weight)])
        channel = next(c for c, (mask, _) in sign_rule(group.receptor, signed).items() if mask[0])
        empty = np.empty(0, dtype=np.int64)
        return [Pathway(projection.index, projection.source, projection.target, group.name, channel, empty, empty,
                        np.empty(0), np.empty(0), empty, synapse, spec, decision)]
    return [Pathway(projection.index, projection.source, projection.target, group.name, channel, *columns,
                    synapse, spec, decision)
            for channel, columns in _channel_columns(projection, group.receptor).items()]


Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _channel_columns(projection: RealizedProjection, receptor: str) -> dict[str, Columns]:
    """Per channel ``(pre, post, weights, values, delay_steps)`` under the sign rule, sharing the realized
    arrays where a channel takes every synapse (one sign: the usual case) and copying only a split."""
    weights = projection.weights
    columns = (projection.sources, projection.targets, weights)
    if is_shared(weights):  # one shared weight: one channel, every synapse
        (channel, (_, added)), = ((c, v) for c, v in sign_rule(receptor, weights[:1]).items() if v[0][0])
        return {channel: (*columns, shared(added[0], weights.size), projection.delay_steps)}
    out: dict[str, Columns] = {}
    for channel, (mask, added) in sign_rule(receptor, weights).items():
        if mask.all():
            out[channel] = (*columns, added, projection.delay_steps)
        elif mask.any():
            steps = projection.delay_steps
            out[channel] = (projection.sources[mask], projection.targets[mask], weights[mask], added[mask],
                            steps[:int(mask.sum())] if is_shared(steps) else steps[mask])
    return out


def _sign_of(spec: Any) -> float:
    """A representative weight of a native projection (validation keeps one sign where it matters)."""
    if isinstance(spec, dict):
        low, high = values.bounds(spec)
        return -1.0 if high <= 0 and low < 0 else 1.0
    return float(spec)


def _complete(synapse: Synapse) -> Synapse:
    """A synapse with every parameter given: ``u`` starts at ``U`` unless the description sets it."""
    if synapse.model != "tsodyks_markram":
        return synapse
    params = dict(synapse.params)
    params.setdefault("u", params["U"])
    return Synapse(synapse.model, params)


def _current(trace: CurrentTrace, group: PairGroup, dt: float, decision: NativeDecision | None) -> CurrentSchedule:
    member = group.members[trace.target]
    steps = np.round(trace.times / dt).astype(np.int64)
    return CurrentSchedule(trace.index, trace.target, group.name, trace.neurons, member.offset + trace.neurons, steps,
                           np.asarray(trace.amplitudes, dtype=float), trace.spec.kind, dict(trace.spec.params),
                           decision)


def _selections(index: int, recording: Recording, realized: RealizedNetwork,
                locate: Mapping[str, PairGroup]) -> list[StateSelection]:
    population = realized.populations[recording.population]
    variables = [v for v in recording.variables if v != "spikes"]
    if not variables:
        return []
    group = locate[recording.population]
    neurons = (np.arange(population.size) if recording.neurons is None
               else np.asarray(recording.neurons, dtype=np.int64))
    every = int(round((recording.interval or realized.dt) / realized.dt))
    n_samples = realized.network.n_steps // every
    offset = group.members[recording.population].offset
    return [StateSelection(index, recording.population, variable, group.name, neurons, offset + neurons, every,
                           n_samples) for variable in variables]


def _native_source(population: RealizedPopulation, dt: float, decision: NativeDecision) -> NativeSource:
    described = dict(population.spec.params) if population.spec else {}
    first, end = active_steps(described, dt)
    return NativeSource(population.name, population.size, population.model, dict(population.params), described,
                        first, end, decision)


def active_steps(params: Mapping[str, Any], dt: float) -> tuple[int, int]:
    """The steps ``[first, end)`` a Poisson source emits in: those whose stamps lie in ``(start, stop]``."""
    start, stop = float(params.get("start", 0.0)), float(params.get("stop", math.inf))
    limit = int(np.iinfo(np.int32).max)
    first = int(math.floor(start / dt + 1e-9))
    end = int(math.ceil(stop / dt - 1e-9)) if math.isfinite(stop) else limit
    return first, min(end, limit)


__all__ = ["lower", "LoweredNetwork", "PairGroup", "Member", "Pathway", "SourceSchedule", "CurrentSchedule",
           "StateSelection", "NativeSource", "NativeSupport", "NativeDecision", "native_decisions", "sign_rule",
           "active_steps", "emission_steps", "poisson_input_obstacle", "poisson_input_trains", "CHANNELS", "DELTA"]
