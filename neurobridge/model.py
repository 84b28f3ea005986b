"""The network description: plain, validated, serialisable data.

A :class:`Network` holds populations (neurons or spike sources),
projections, current stimuli and recordings. It is built from a dict or a
YAML/JSON file and validated once, completely, before any simulator is
touched: every number finite (``inf`` only for a ``stop``), booleans YAML
booleans, every mapping closed to unknown keys, every index in range, every
request possible, and the constraints NEST 3.10 enforces for the models
neurobridge maps to (:mod:`.catalog`), so that every backend refuses the same
description with the same text. Every error names the field's path
(``projections[2].connector.n``), the value and what is allowed. A network
round-trips through :meth:`Network.to_dict` and has a stable content hash
that names its runs.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import catalog, expressions, fields, values
from .catalog import (
    CONNECTOR_OPTIONS,
    CONNECTOR_REGISTRY,
    MEMBRANE_SPECS,
    RECEPTOR_SPECS,
    SOURCES_REGISTRY,
    STIMULUS_REGISTRY,
    SYNAPSE_REGISTRY,
    Interval,
)
from .errors import InvalidValueError, UnknownNameError, UnknownParameterError, unknown

Spec = values.Spec


@dataclass(frozen=True)
class _Context:
    """What reading one part of a network needs to know about the rest."""

    dt: float
    duration: float
    populations: Mapping[str, Population] = field(default_factory=dict)

    def population(self, name: Any, where: str) -> Population:
        if not isinstance(name, str) or name not in self.populations:
            raise unknown("population", name, where, self.populations)
        return self.populations[name]


def _required(data: Mapping[str, Any], key: str, where: str, what: str) -> Any:
    if key not in data:
        raise InvalidValueError(f"{where} needs {what}, got {dict(data)!r}.")
    return data[key]


# -- populations -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Population:
    """A group of neurons of one model, or a group of spike sources.

    ``params`` and ``initial`` hold value specifications (scalar, per-neuron
    list or distribution) keyed by NEST's parameter names; parameters that the
    description omits take NEST's defaults for the model.
    """

    name: str
    size: int
    model: str
    receptor: str | None = None
    params: Mapping[str, Spec] = field(default_factory=dict)
    initial: Mapping[str, Spec] = field(default_factory=dict)
    native: bool = False

    @property
    def is_source(self) -> bool:
        return self.model in catalog.SOURCES

    @property
    def pair(self) -> tuple[str, str]:
        """``(membrane, receptor)``; only for neuron populations."""
        return (self.model, self.receptor or "")

    def parameters(self) -> dict[str, Spec]:
        """All parameters, NEST's defaults filled in where the description gives none."""
        if self.is_source:
            return dict(self.params)
        return {**catalog.parameter_defaults(*self.pair), **self.params}

    def state_variables(self) -> tuple[str, ...]:
        return () if self.is_source else catalog.state_variables(*self.pair)

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any], context: _Context) -> Population:
        where = f"populations.{name}"
        fields.name(name, where)
        data = fields.mapping(data, where)
        fields.known_keys(data, ("size", "model", "receptor", "params", "initial", "native"), where)
        model = data.get("model", "lif")
        if model not in catalog.MODELS:
            raise unknown("model", model, f"{where}.model", catalog.MODELS)
        size = data.get("size")
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size <= 0:
            raise InvalidValueError(f"{where}.size must be a positive integer, got {size!r}.")
        size = int(size)
        native = fields.flag(data.get("native", False), f"{where}.native")
        if model in catalog.SOURCES:
            if data.get("receptor") is not None or data.get("initial"):
                raise InvalidValueError(f"{where}: a {model} source has no receptor or initial values.")
            params = _source_parameters(model, data.get("params") or {}, size, f"{where}.params", context)
            return cls(name, size, model, None, params, {}, native)
        receptor = data.get("receptor", "current_exp")
        if receptor not in catalog.RECEPTORS:
            raise unknown("receptor", receptor, f"{where}.receptor", catalog.RECEPTORS)
        pair = f"{model}×{receptor}"
        quantities = {q.name: q for q in catalog.pair_quantities(model, receptor)}
        params = _quantities(data.get("params") or {}, quantities, size, f"{where}.params", "parameter", pair)
        states = {q.name: q for q in catalog.state_quantities(model, receptor)}
        initial = _quantities(data.get("initial") or {}, states, size, f"{where}.initial", "state variable", pair)
        population = cls(name, size, model, receptor, params, initial, native)
        check_constraints(population, _deterministic(population.parameters(), size), f"{where}.params")
        return population

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"size": self.size, "model": self.model}
        if self.receptor is not None:
            out["receptor"] = self.receptor
        out["params"] = dict(self.params)
        if self.initial:
            out["initial"] = dict(self.initial)
        if self.native:
            out["native"] = True
        return out


def _quantities(data: Any, allowed: Mapping[str, catalog.Quantity], size: int, where: str, kind: str,
                pair: str) -> dict[str, Spec]:
    data = fields.mapping(data, where)
    checked = {}
    for key, spec in data.items():
        if key not in allowed:
            raise unknown(kind, key, f"{where} (model {pair})", allowed, UnknownParameterError)
        checked[key] = values.check(spec, f"{where}.{key}", allowed[key].allowed, size)
    return checked


def _deterministic(params: Mapping[str, Spec], size: int) -> dict[str, np.ndarray]:
    """The parameters known before any draw (scalars, lists, linspace), as arrays to check relations on.

    Without lists, two values per parameter suffice whatever the size: a scalar is constant and a
    linspace linear in the neuron's index, so a linear relation between them holds for every neuron
    when it holds at both ends.
    """
    rng = np.random.default_rng(0)  # consumed by nothing: random specs are left out
    known = {key: spec for key, spec in params.items() if not values.is_random(spec)}
    n = size if any(isinstance(spec, list) for spec in known.values()) else min(size, 2)
    return {key: values.sample(spec, n, rng) for key, spec in known.items()}


def check_constraints(population: Population, params: Mapping[str, np.ndarray], where: str) -> None:
    """The relations NEST checks between a neuron's parameters (``V_reset < V_th``, ...), for every neuron.

    Called with the parameters known at description time, and again by :func:`~.realize.realize`
    with every parameter drawn, so a drawn parameter cannot break them either.
    """
    membrane = MEMBRANE_SPECS[population.model]
    pair = f"{population.model}×{population.receptor}"
    for relation in membrane.relations:
        if relation.left not in params or relation.right not in params:
            continue
        left, right = params[relation.left], params[relation.right]
        holds = left < right if relation.operator == "<" else left <= right
        if not np.all(holds):
            i = int(np.flatnonzero(~np.broadcast_to(holds, np.broadcast(left, right).shape))[0])
            l_value, r_value = np.broadcast_to(left, holds.shape)[i], np.broadcast_to(right, holds.shape)[i]
            neuron = f" (neuron {i})" if population.size > 1 else ""
            raise InvalidValueError(
                f"{where}: {pair} needs {relation.describe()}, got {relation.left} {l_value:g} and "
                f"{relation.right} {r_value:g}{neuron}. NEST: \"{relation.nest}\"")
    if population.model == "adex" and {"V_peak", "V_th", "Delta_T"} <= set(params):
        delta_t = params["Delta_T"]
        with np.errstate(divide="ignore", invalid="ignore"):
            argument = np.where(delta_t > 0, (params["V_peak"] - params["V_th"]) / delta_t, 0.0)
        if np.any(argument >= catalog.ADEX_MAX_EXP_ARGUMENT):
            raise InvalidValueError(
                f"{where}: (V_peak - V_th) / Delta_T reaches {float(np.max(argument)):.4g}, which overflows the "
                f"exponential at spike time (NEST allows less than {catalog.ADEX_MAX_EXP_ARGUMENT:.4g}); increase "
                f"Delta_T or lower V_peak.")


def _source_parameters(model: str, data: Any, size: int, where: str, context: _Context) -> dict[str, Any]:
    data = fields.mapping(data, where)
    spec = SOURCES_REGISTRY[model]
    params = fields.element(spec, data, where, context.dt, size)
    if model == "spike_times" and not params.get("allow_offgrid_times"):
        _spike_times_on_grid(params["times"], f"{where}.times", context.dt)
    return params


def _spike_times_on_grid(times: list[Any], where: str, dt: float) -> None:
    trains = times if times and isinstance(times[0], list) else [times]
    for index, train in enumerate(trains):
        for k, t in enumerate(train):
            if not fields.on_grid(t, dt):
                at = f"{where}[{index}][{k}]" if trains is times else f"{where}[{k}]"
                raise InvalidValueError(
                    f"{at} ({t:g} ms) is not a multiple of dt ({dt:g} ms). NEST refuses off-grid spike times; "
                    f"set allow_offgrid_times: true to move them to the end of their step, as NEST does.")


# -- connectors and synapses ------------------------------------------------------------------------

@dataclass(frozen=True)
class Connector:
    """A connection rule with its parameters (``fixed_probability``: ``p``, ...)."""

    rule: str
    params: Mapping[str, Any] = field(default_factory=dict)
    allow_autapses: bool = True
    allow_multapses: bool = True

    @classmethod
    def from_spec(cls, data: Any, where: str, dt: float = 0.1) -> Connector:
        rule, args, options = _rule(data, where)
        spec = CONNECTOR_REGISTRY[rule]
        if args is None or args == {}:
            args = {}
        elif not isinstance(args, Mapping):
            if spec.shorthand is None:
                raise InvalidValueError(f"{where}.{rule} takes no parameters, got {args!r}.")
            args = {spec.shorthand: args}
        params = fields.element(spec, args, f"{where}.{rule}", dt)
        flags = {option.name: fields.flag(options.get(option.name, option.default), f"{where}.{option.name}")
                 for option in CONNECTOR_OPTIONS}
        return cls(rule, params, flags["allow_autapses"], flags["allow_multapses"])

    def to_dict(self) -> Any:
        if not self.params and self.allow_autapses and self.allow_multapses:
            return self.rule
        out: dict[str, Any] = {self.rule: dict(self.params)}
        if not self.allow_autapses:
            out["allow_autapses"] = False
        if not self.allow_multapses:
            out["allow_multapses"] = False
        return out


def _rule(data: Any, where: str) -> tuple[str, Any, Mapping[str, Any]]:
    """``rule`` or ``{rule: parameters, allow_autapses: ..., allow_multapses: ...}``."""
    if isinstance(data, str):
        CONNECTOR_REGISTRY.lookup(data, where)
        return data, {}, {}
    if not isinstance(data, Mapping):
        raise InvalidValueError(f"{where} must be a connector name or {{name: parameters}}, got {data!r}.")
    option_names = tuple(o.name for o in CONNECTOR_OPTIONS)
    rules = [k for k in data if k in CONNECTOR_REGISTRY]
    others = [k for k in data if k not in CONNECTOR_REGISTRY and k not in option_names]
    if len(rules) > 1:
        raise InvalidValueError(f"{where} must name one connector, got {', '.join(rules)}.")
    if not rules:
        if len(others) == 1:
            CONNECTOR_REGISTRY.lookup(others[0], where)
        raise InvalidValueError(f"{where} must name one connector ({', '.join(catalog.CONNECTORS)}), "
                                f"got {dict(data)!r}.")
    if others:
        raise unknown("connector option", others[0], where, option_names)
    return rules[0], data[rules[0]], data


@dataclass(frozen=True)
class Synapse:
    """``static`` or ``tsodyks_markram`` (NEST ``tsodyks2_synapse``: ``U``, ``tau_rec``, ``tau_fac``)."""

    model: str = "static"
    params: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, data: Any, where: str, dt: float = 0.1) -> Synapse:
        args: Any
        if isinstance(data, str):
            model, args = data, {}
        elif isinstance(data, Mapping) and len(data) == 1:
            model, args = next(iter(data.items()))
        else:
            raise InvalidValueError(f"{where} must be a synapse name or {{name: parameters}}, got {data!r}.")
        spec = SYNAPSE_REGISTRY.lookup(model, where)
        params = fields.element(spec, fields.mapping(args or {}, f"{where}.{model}"), f"{where}.{model}", dt)
        return cls(model, params)

    def to_dict(self) -> Any:
        return self.model if self.model == "static" else {self.model: dict(self.params)}


# -- projections ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Projection:
    """Connections from ``source`` to ``target`` under one rule, weight and delay."""

    source: str
    target: str
    connector: Connector
    weight: Spec = 1.0
    delay: Spec = 1.0
    synapse: Synapse = field(default_factory=Synapse)
    native: bool = False

    @classmethod
    def from_dict(cls, index: int, data: Mapping[str, Any], context: _Context) -> Projection:
        where = f"projections[{index}]"
        data = fields.mapping(data, where)
        fields.known_keys(data, ("source", "target", "connector", "weight", "delay", "synapse", "native"), where)
        source = context.population(_required(data, "source", where, "a source"), f"{where}.source")
        target = context.population(_required(data, "target", where, "a target"), f"{where}.target")
        if target.is_source:
            raise InvalidValueError(f"{where}.target: {target.name} is a {target.model} source; "
                                    f"connections must end on neurons.")
        connector = Connector.from_spec(_required(data, "connector", where, "a connector"), f"{where}.connector",
                                        context.dt)
        same = source.name == target.name
        _check_connector(connector, source, target, same, f"{where}.connector")
        n = synapse_count(connector, source.size, target.size, same)
        weight = values.check(data.get("weight", 1.0), f"{where}.weight", size=n, what="synapse",
                              limit=catalog.MAX_WEIGHT)
        delay = _delay(data.get("delay", 1.0), f"{where}.delay", context.dt, n)
        synapse = Synapse.from_spec(data.get("synapse", "static"), f"{where}.synapse", context.dt)
        if RECEPTOR_SPECS[target.receptor or ""].kind == "conductance" or synapse.model != "static":
            low, high = values.bounds(weight)
            if low < 0 < high:
                raise InvalidValueError(
                    f"{where}.weight: weights onto {target.receptor} with synapse {synapse.model} must all "
                    f"have one sign (the sign picks the receptor), got {weight!r}.")
        return cls(source.name, target.name, connector, weight, delay, synapse,
                   fields.flag(data.get("native", False), f"{where}.native"))

    def to_dict(self) -> dict[str, Any]:
        out = {"source": self.source, "target": self.target, "connector": self.connector.to_dict(),
               "weight": self.weight, "delay": self.delay, "synapse": self.synapse.to_dict()}
        if self.native:
            out["native"] = True
        return out


def synapse_count(connector: Connector, n_source: int, n_target: int, same: bool) -> int | None:
    """The number of synapses a connector makes when it is not random (``None`` when it is)."""
    no_autapses = same and not connector.allow_autapses
    if connector.rule == "one_to_one":
        return 0 if no_autapses else n_source
    if connector.rule == "all_to_all":
        return n_source * n_target - (n_source if no_autapses else 0)
    if connector.rule == "from_list":
        return len(connector.params["sources"])
    if connector.rule == "fixed_indegree":
        return connector.params["n"] * n_target
    if connector.rule == "fixed_outdegree":
        return connector.params["n"] * n_source
    if connector.rule == "fixed_total_number":
        return connector.params["n"]
    return None


def _delay(spec: Any, where: str, dt: float, n: int | None) -> Spec:
    delay = values.check(spec, where, size=n, what="synapse")
    low, _ = values.bounds(delay)
    if low < dt - 1e-12:
        raise InvalidValueError(f"{where} must be at least dt ({dt} ms), got {spec!r}.")
    return delay


def _check_connector(connector: Connector, source: Population, target: Population, same: bool,
                     where: str) -> None:
    """Refuse what no draw can give: too many distinct partners, an index out of range, sizes that differ."""
    rule, params = connector.rule, connector.params
    no_autapses = same and not connector.allow_autapses
    if rule == "one_to_one" and source.size != target.size:
        raise InvalidValueError(f"{where}: one_to_one needs equal sizes, got {source.name} ({source.size}) "
                                f"and {target.name} ({target.size}).")
    if rule == "from_list":
        _check_list(connector, source, target, no_autapses, f"{where}.from_list")
    if rule in ("fixed_indegree", "fixed_outdegree"):
        pool, rows = (source, target) if rule == "fixed_indegree" else (target, source)
        available = pool.size - (1 if no_autapses else 0)
        n = params["n"]
        if n > 0 and (available < n if not connector.allow_multapses else available < 1):
            side = "sources" if rule == "fixed_indegree" else "targets"
            why = "without autapses" if no_autapses else ""
            limit = f"{available} distinct {side}" if not connector.allow_multapses else f"{available} {side}"
            raise InvalidValueError(
                f"{where}.{rule}.n ({n}) needs more partners than exist: each of the {rows.size} {rows.name} "
                f"neurons can draw from {limit} in {pool.name}{(' ' + why) if why else ''}.")
    if rule == "fixed_total_number":
        pairs = source.size * target.size - (source.size if no_autapses else 0)
        n = params["n"]
        if n > 0 and (pairs < 1 or (not connector.allow_multapses and n > pairs)):
            raise InvalidValueError(
                f"{where}.fixed_total_number.n ({n}) needs more pairs than exist: {source.name} × "
                f"{target.name} has {pairs} distinct pairs{' without autapses' if no_autapses else ''}.")


def _check_list(connector: Connector, source: Population, target: Population, no_autapses: bool,
                where: str) -> None:
    sources, targets = connector.params["sources"], connector.params["targets"]
    if len(sources) != len(targets):
        raise InvalidValueError(f"{where}: sources and targets differ in length ({len(sources)} and "
                                f"{len(targets)}).")
    for key, indices, population in (("sources", sources, source), ("targets", targets, target)):
        if indices and max(indices) >= population.size:
            raise InvalidValueError(f"{where}.{key}: index {max(indices)} is out of range for {population.name} "
                                    f"(size {population.size}).")
    pairs = list(zip(sources, targets))
    if no_autapses and any(i == j for i, j in pairs):
        k = next(k for k, (i, j) in enumerate(pairs) if i == j)
        raise InvalidValueError(f"{where}: pair {k} ({pairs[k][0]} -> {pairs[k][1]}) is an autapse, which "
                                f"allow_autapses: false forbids.")
    if not connector.allow_multapses and len(set(pairs)) < len(pairs):
        seen: set[tuple[int, int]] = set()
        k = next(k for k, pair in enumerate(pairs) if pair in seen or seen.add(pair))  # type: ignore[func-returns-value]
        raise InvalidValueError(f"{where}: pair {k} ({pairs[k][0]} -> {pairs[k][1]}) repeats an earlier one, which "
                                f"allow_multapses: false forbids.")


# -- stimuli --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stimulus:
    """A current (pA) added to the input of some or all neurons of ``target``."""

    target: str
    kind: str
    params: Mapping[str, Any]
    neurons: tuple[int, ...] | None = None
    native: bool = False

    @classmethod
    def from_dict(cls, index: int, data: Mapping[str, Any], context: _Context) -> Stimulus:
        where = f"stimuli[{index}]"
        data = fields.mapping(data, where)
        spec = STIMULUS_REGISTRY.lookup(data.get("kind"), f"{where}.kind")
        fields.known_keys(data, ("target", "kind", "neurons", "native", *spec.names), where)
        target = context.population(_required(data, "target", where, "a target population"), f"{where}.target")
        if target.is_source:
            raise InvalidValueError(f"{where}.target: {target.name} is a spike source, currents go to neurons.")
        neurons = data.get("neurons")
        if neurons is not None:
            neurons = fields.indices(neurons, f"{where}.neurons", target.size)
        n = target.size if neurons is None else len(neurons)
        given = {k: data[k] for k in spec.names if k in data}
        params = fields.element(spec, given, where, context.dt, None if spec.name == "random_step" else n)
        if spec.name == "step" and len(params["times"]) != len(params["amplitudes"]):
            raise InvalidValueError(f"{where}: times and amplitudes differ in length "
                                    f"({len(params['times'])} and {len(params['amplitudes'])}).")
        return cls(target.name, spec.name, params, neurons, fields.flag(data.get("native", False),
                                                                         f"{where}.native"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target, "kind": self.kind, **self.params}
        if self.neurons is not None:
            out["neurons"] = list(self.neurons)
        if self.native:
            out["native"] = True
        return out


# -- recordings -----------------------------------------------------------------------------------

RECORDABLE_EVENTS = ("spikes",)


@dataclass(frozen=True)
class Recording:
    """What to record from a population: ``spikes`` and/or state variables, at ``interval`` ms."""

    population: str
    variables: tuple[str, ...] = ("spikes",)
    neurons: tuple[int, ...] | None = None
    interval: float | None = None

    @classmethod
    def from_dict(cls, index: int, data: Mapping[str, Any], context: _Context) -> Recording:
        where = f"recordings[{index}]"
        data = fields.mapping(data, where)
        fields.known_keys(data, ("population", "variables", "neurons", "interval"), where)
        population = context.population(_required(data, "population", where, "a population"),
                                         f"{where}.population")
        variables = _variables(data.get("variables", ["spikes"]), population, f"{where}.variables")
        neurons = data.get("neurons")
        if neurons is not None:
            neurons = fields.indices(neurons, f"{where}.neurons", population.size)
        interval = data.get("interval")
        if interval is not None:
            interval = fields.time(interval, f"{where}.interval", context.dt, catalog.POSITIVE)
        return cls(population.name, variables, neurons, interval)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"population": self.population, "variables": list(self.variables)}
        if self.neurons is not None:
            out["neurons"] = list(self.neurons)
        if self.interval is not None:
            out["interval"] = self.interval
        return out


def _variables(data: Any, population: Population, where: str) -> tuple[str, ...]:
    variables = [data] if isinstance(data, str) else data
    if not isinstance(variables, (list, tuple)) or not variables or not all(isinstance(v, str) for v in variables):
        raise InvalidValueError(f"{where} must be a variable name or a non-empty list of them, got {data!r}.")
    allowed = ("spikes", *population.state_variables())
    for variable in variables:
        if variable not in allowed:
            model = population.model if population.is_source else "×".join(population.pair)
            raise unknown("variable", variable, f"{where} (model {model})", allowed)
    if len(set(variables)) < len(variables):
        repeated = next(v for v in variables if variables.count(v) > 1)
        raise InvalidValueError(f"{where} lists {repeated} more than once.")
    return tuple(variables)


def _check_overlaps(recordings: tuple[Recording, ...]) -> None:
    """Two recordings may not record the same variable of the same neuron (``None``: every neuron,
    kept symbolic so a huge population costs nothing)."""
    seen: dict[tuple[str, str], list[tuple[int, frozenset[int] | None]]] = {}
    for index, recording in enumerate(recordings):
        neurons = None if recording.neurons is None else frozenset(recording.neurons)
        for variable in recording.variables:
            for first, earlier in seen.get((recording.population, variable), []):
                shared = (earlier or neurons or frozenset({0})) if earlier is None or neurons is None \
                    else earlier & neurons
                if shared:
                    raise InvalidValueError(f"recordings[{index}] records {variable} of {recording.population} neuron "
                                            f"{min(shared)}, which recordings[{first}] already records.")
            seen.setdefault((recording.population, variable), []).append((index, neurons))


# -- the network ------------------------------------------------------------------------------------

_NETWORK_KEYS = ("name", "parameters", "dt", "duration", "seed", "populations", "projections", "stimuli", "recordings")


@dataclass(frozen=True)
class Network:
    """A whole simulation: time grid, seed, populations, projections, stimuli, recordings."""

    populations: Mapping[str, Population]
    projections: tuple[Projection, ...] = ()
    stimuli: tuple[Stimulus, ...] = ()
    recordings: tuple[Recording, ...] = ()
    dt: float = 0.1
    duration: float = 1000.0
    seed: int = 0
    name: str = "network"
    #: The named parameters the description's expressions use (``{g: 5, J: 0.1}``), evaluated.
    parameters: Mapping[str, float] = field(default_factory=dict)

    @property
    def n_steps(self) -> int:
        return int(round(self.duration / self.dt))

    def spike_populations(self) -> list[str]:
        """Populations whose spikes are recorded: those a recording asks for, or, with no
        recordings at all, every neuron population."""
        if not self.recordings:
            return [name for name, p in self.populations.items() if not p.is_source]
        return list(dict.fromkeys(r.population for r in self.recordings if "spikes" in r.variables))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Network:
        """Build and validate a network from plain data (as loaded from YAML or JSON).

        Expressions over ``parameters`` (``weight: -g * J``) are evaluated first
        (:func:`~.expressions.resolve`), then every value is validated like a number written out.
        """
        data = fields.mapping(_plain(data), "network")
        fields.known_keys(data, _NETWORK_KEYS, "network")
        data = expressions.resolve(data)
        dt = _dt(data.get("dt", 0.1))
        duration = values.number(data.get("duration", 1000.0), "duration", catalog.POSITIVE)
        steps = duration / dt
        if abs(steps - round(steps)) > 1e-9 * max(1.0, steps):
            raise InvalidValueError(f"duration ({duration} ms) must be a multiple of dt ({dt} ms).")
        seed = fields.count(data.get("seed", 0), "seed", 0, fields.MAX_SEED)
        name = data.get("name", "network")
        if not isinstance(name, str) or not name.strip() or len(name) > 200 or any(c in name for c in "/\\\0\n"):
            raise InvalidValueError(f"name must be a line of text without / or \\ (200 characters at most), "
                                    f"got {name!r}.")
        context = _Context(dt, duration)
        raw = fields.mapping(data.get("populations", {}), "populations")
        if not raw:
            raise InvalidValueError("populations: a network needs at least one population.")
        populations = {str(k): Population.from_dict(str(k), v, context) for k, v in raw.items()}
        context = _Context(dt, duration, populations)
        network = cls(
            populations=populations,
            projections=tuple(Projection.from_dict(i, p, context) for i, p in enumerate(_list(data, "projections"))),
            stimuli=tuple(Stimulus.from_dict(i, s, context) for i, s in enumerate(_list(data, "stimuli"))),
            recordings=tuple(Recording.from_dict(i, r, context) for i, r in enumerate(_list(data, "recordings"))),
            dt=dt, duration=duration, seed=seed, name=name, parameters=data.get("parameters", {}),
        )
        _check_overlaps(network.recordings)
        return network

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` turns back into an equal network (expressions evaluated)."""
        return {
            "name": self.name, **({"parameters": dict(self.parameters)} if self.parameters else {}),
            "dt": self.dt, "duration": self.duration, "seed": self.seed,
            "populations": {name: p.to_dict() for name, p in self.populations.items()},
            "projections": [p.to_dict() for p in self.projections],
            "stimuli": [s.to_dict() for s in self.stimuli],
            "recordings": [r.to_dict() for r in self.recordings],
        }

    def content_hash(self) -> str:
        """Stable hash of the description (16 hex digits); equal networks hash equal."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), default=_json_default)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def replace(self, **changes: Any) -> Network:
        """A validated copy with top-level fields changed (``dt``, ``duration``, ``seed``, ...)."""
        return Network.from_dict({**self.to_dict(), **changes})


def _dt(value: Any) -> float:
    """The step: > 0 and a whole number of NEST's tics (0.001 ms)."""
    dt = values.number(value, "dt", catalog.POSITIVE)
    tics = dt / fields.TIC_MS
    if tics < 1 - 1e-9 or abs(tics - round(tics)) > 1e-6:
        raise InvalidValueError(f"dt ({dt:g} ms) must be a multiple of {fields.TIC_MS:g} ms (NEST's tic), got "
                                f"{value!r}.")
    return dt


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    items = data.get(key)
    if items is None:
        return []
    if not isinstance(items, (list, tuple)):
        raise InvalidValueError(f"{key} must be a list, got {items!r}.")
    return list(items)


def _plain(data: Any) -> Any:
    """Convert OmegaConf containers and numpy scalars to plain Python data."""
    if hasattr(data, "_metadata") and hasattr(data, "_content"):  # OmegaConf node, without importing it
        from omegaconf import OmegaConf
        return OmegaConf.to_container(data, resolve=True)
    return data


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return str(value)


def load(path: str | Path) -> Network:
    """Read a network description from a YAML or JSON file."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise InvalidValueError(f"{path}: cannot read the description ({error.strerror or error}).") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        first = str(error).strip().splitlines()[0]
        kind = "JSON" if path.suffix == ".json" else "YAML"
        raise InvalidValueError(f"{path}: not valid {kind} ({first}).") from None
    return Network.from_dict(data)


__all__ = ["Network", "Population", "Projection", "Connector", "Synapse", "Stimulus", "Recording",
           "load", "check_constraints", "synapse_count", "Interval", "UnknownNameError"]
