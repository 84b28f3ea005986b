"""The network description: plain, validated, serialisable data.

A :class:`Network` holds populations (neurons or spike sources),
projections, current stimuli and recordings. It is built from a dict or a
YAML/JSON file, validated once (every error names the field, the value and
what is allowed), round-trips through :meth:`Network.to_dict`, and has a
stable content hash that names its runs.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import catalog, values
from .errors import InvalidValueError, UnknownNameError, UnknownParameterError, unknown

Spec = values.Spec


def _require_mapping(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidValueError(f"{where} must be a mapping, got {data!r}.")
    return data


def _reject_unknown_keys(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise unknown("field", key, where, allowed)


def _positive(value: Any, where: str, allow_zero: bool = False) -> float:
    number = values.check(value, where)
    if not isinstance(number, float) or math.isnan(number):
        raise InvalidValueError(f"{where} must be a number, got {value!r}.")
    if number < 0 or (number == 0 and not allow_zero):
        allowed = ">= 0" if allow_zero else "> 0"
        raise InvalidValueError(f"{where} must be {allowed}, got {value!r}.")
    return number


def _one_key(data: Any, where: str, allowed: Mapping[str, Any], kind: str) -> tuple[str, Any]:
    """Read ``name`` or ``{name: args}`` (a rule with its arguments)."""
    if isinstance(data, str):
        name, args = data, {}
    elif isinstance(data, Mapping):
        names = [k for k in data if k in allowed] or [k for k in data if k not in _CONNECTOR_OPTIONS]
        if len(names) != 1:
            raise InvalidValueError(
                f"{where} must name one {kind} ({', '.join(allowed)}), got {dict(data)!r}.")
        name, args = names[0], data[names[0]]
    else:
        raise InvalidValueError(f"{where} must be a {kind} name or {{name: parameters}}, got {data!r}.")
    if name not in allowed:
        raise unknown(kind, name, where, allowed)
    return name, args


def _fill_parameters(args: Any, table: Mapping[str, Any], shorthand: str | None,
                     where: str, name: str) -> dict[str, Any]:
    if args is None or args == {}:
        args = {}
    elif not isinstance(args, Mapping):
        if shorthand is None:
            raise InvalidValueError(f"{where}.{name} takes parameters {dict(table)!r}, got {args!r}.")
        args = {shorthand: args}
    for key in args:
        if key not in table:
            raise unknown(f"{name} parameter", key, where, table)
    filled = {k: args.get(k, default) for k, default in table.items()}
    missing = [k for k, v in filled.items() if v is None and _is_required(name, k)]
    if missing:
        raise InvalidValueError(f"{where}.{name} needs {', '.join(missing)}, got {dict(args)!r}.")
    return {k: v for k, v in filled.items() if v is not None}


def _is_required(name: str, key: str) -> bool:
    optional = {("regular", "rate"), ("regular", "interval"), ("regular", "start"),
                ("random_step", "interval"), ("random_step", "times"), ("tsodyks_markram", "u")}
    return (name, key) not in optional


_CONNECTOR_OPTIONS = ("allow_autapses", "allow_multapses")


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
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Population:
        where = f"populations.{name}"
        data = _require_mapping(data, where)
        _reject_unknown_keys(data, ("size", "model", "receptor", "params", "initial", "native"), where)
        model = data.get("model", "lif")
        if model not in catalog.MODELS:
            raise unknown("model", model, f"{where}.model", catalog.MODELS)
        size = data.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise InvalidValueError(f"{where}.size must be a positive integer, got {size!r}.")
        if model in catalog.SOURCES:
            if data.get("receptor") is not None or data.get("initial"):
                raise InvalidValueError(
                    f"{where}: a {model} source has no receptor or initial values.")
            params = _source_parameters(model, data.get("params") or {}, size, f"{where}.params")
            return cls(name, size, model, None, params, {}, bool(data.get("native", False)))
        receptor = data.get("receptor", "current_exp")
        if receptor not in catalog.RECEPTORS:
            raise unknown("receptor", receptor, f"{where}.receptor", catalog.RECEPTORS)
        allowed = catalog.parameter_defaults(model, receptor)
        params = _checked_specs(data.get("params") or {}, allowed, f"{where}.params",
                                "parameter", f"{model}×{receptor}")
        _check_neuron_parameters(params, f"{where}.params")
        states = catalog.state_variables(model, receptor)
        initial = _checked_specs(data.get("initial") or {}, states, f"{where}.initial",
                                 "state variable", f"{model}×{receptor}")
        return cls(name, size, model, receptor, params, initial, bool(data.get("native", False)))

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


def _checked_specs(data: Any, allowed: Any, where: str, kind: str, model: str) -> dict[str, Spec]:
    data = _require_mapping(data, where)
    checked = {}
    for key, spec in data.items():
        if key not in allowed:
            raise unknown(kind, key, f"{where} (model {model})", allowed, UnknownParameterError)
        checked[key] = values.check(spec, f"{where}.{key}")
    return checked


def _check_neuron_parameters(params: Mapping[str, Spec], where: str) -> None:
    for key, spec in params.items():
        if key in catalog.POSITIVE or key in catalog.NON_NEGATIVE:
            low, _ = values.bounds(spec)
            if low < 0 or (low == 0 and key in catalog.POSITIVE):
                allowed = "> 0" if key in catalog.POSITIVE else ">= 0"
                raise InvalidValueError(f"{where}.{key} must be {allowed}, got {spec!r}.")


def _source_parameters(model: str, data: Any, size: int, where: str) -> dict[str, Any]:
    data = _require_mapping(data, where)
    table = catalog.SOURCE_PARAMETERS[model]
    params = _fill_parameters(data, table, None, where.rsplit(".", 1)[0], model)
    if model == "spike_times":
        params["times"] = _spike_times(params["times"], size, f"{where}.times")
        return params
    if model == "regular" and ("rate" in params) == ("interval" in params):
        raise InvalidValueError(f"{where}: a regular source takes exactly one of rate or interval, "
                                f"got {dict(data)!r}.")
    for key in ("rate", "interval"):
        if key in params:
            spec = values.check(params[key], f"{where}.{key}")
            low, _ = values.bounds(spec)
            if low < 0 or (key == "interval" and low == 0):
                raise InvalidValueError(f"{where}.{key} must be {'> 0' if key == 'interval' else '>= 0'}, "
                                        f"got {params[key]!r}.")
            params[key] = spec
    for key in ("start", "stop"):
        if key in params:
            params[key] = _positive(params[key], f"{where}.{key}", allow_zero=True)
    return params


def _spike_times(times: Any, size: int, where: str) -> list[float] | list[list[float]]:
    if not isinstance(times, (list, tuple)):
        raise InvalidValueError(f"{where} must be a list of times (ms) or a list per neuron, got {times!r}.")
    if times and all(isinstance(t, (list, tuple)) for t in times):
        if len(times) != size:
            raise InvalidValueError(f"{where} gives {len(times)} lists for {size} neurons.")
        return [_sorted_times(t, f"{where}[{i}]") for i, t in enumerate(times)]
    return _sorted_times(times, where)


def _sorted_times(times: Any, where: str) -> list[float]:
    checked = values.check(list(times), where)
    if any(t <= 0 for t in checked):
        raise InvalidValueError(f"{where}: spike times must be > 0 ms (NEST refuses a spike at 0), "
                                f"got {min(checked)}.")
    if any(b < a for a, b in zip(checked, checked[1:])):
        raise InvalidValueError(f"{where}: spike times must be sorted, got {checked!r}.")
    return checked


@dataclass(frozen=True)
class Connector:
    """A connection rule with its parameters (``fixed_probability``: ``p``, ...)."""

    rule: str
    params: Mapping[str, Any] = field(default_factory=dict)
    allow_autapses: bool = True
    allow_multapses: bool = True

    @classmethod
    def from_spec(cls, data: Any, where: str) -> Connector:
        rule, args = _one_key(data, where, catalog.CONNECTORS, "connector")
        params = _fill_parameters(args, catalog.CONNECTORS[rule], catalog.CONNECTOR_SHORTHAND.get(rule),
                                  where, rule)
        _check_connector(rule, params, f"{where}.{rule}")
        options = data if isinstance(data, Mapping) else {}
        return cls(rule, params, bool(options.get("allow_autapses", True)),
                   bool(options.get("allow_multapses", True)))

    def to_dict(self) -> Any:
        if not self.params and self.allow_autapses and self.allow_multapses:
            return self.rule
        out: dict[str, Any] = {self.rule: dict(self.params)}
        if not self.allow_autapses:
            out["allow_autapses"] = False
        if not self.allow_multapses:
            out["allow_multapses"] = False
        return out


def _check_connector(rule: str, params: dict[str, Any], where: str) -> None:
    if "p" in params:
        p = values.check(params["p"], f"{where}.p")
        if not isinstance(p, float) or not 0.0 <= p <= 1.0:
            raise InvalidValueError(f"{where}.p must be a probability in [0, 1], got {params['p']!r}.")
        params["p"] = p
    if "n" in params:
        n = params["n"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidValueError(f"{where}.n must be a non-negative integer, got {n!r}.")
    if "radius" in params:
        params["radius"] = _positive(params["radius"], f"{where}.radius", allow_zero=True)
    if rule == "from_list":
        for key in ("sources", "targets"):
            if not isinstance(params[key], (list, tuple)) or any(
                    isinstance(i, bool) or not isinstance(i, int) or i < 0 for i in params[key]):
                raise InvalidValueError(f"{where}.{key} must be a list of neuron indices, got {params[key]!r}.")
            params[key] = list(params[key])
        if len(params["sources"]) != len(params["targets"]):
            raise InvalidValueError(f"{where}: sources and targets differ in length "
                                    f"({len(params['sources'])} and {len(params['targets'])}).")


@dataclass(frozen=True)
class Synapse:
    """``static`` or ``tsodyks_markram`` (NEST ``tsodyks2_synapse``: ``U``, ``tau_rec``, ``tau_fac``)."""

    model: str = "static"
    params: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, data: Any, where: str) -> Synapse:
        model, args = _one_key(data, where, catalog.SYNAPSES, "synapse")
        params = _fill_parameters(args, catalog.SYNAPSES[model], None, where, model)
        for key, value in params.items():
            params[key] = _positive(value, f"{where}.{model}.{key}", allow_zero=key not in catalog.POSITIVE)
        if "U" in params and not 0 < params["U"] <= 1:
            raise InvalidValueError(f"{where}.{model}.U must be in (0, 1], got {params['U']!r}.")
        return cls(model, params)

    def to_dict(self) -> Any:
        return self.model if self.model == "static" else {self.model: dict(self.params)}


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
    def from_dict(cls, index: int, data: Mapping[str, Any]) -> Projection:
        where = f"projections[{index}]"
        data = _require_mapping(data, where)
        _reject_unknown_keys(data, ("source", "target", "connector", "weight", "delay", "synapse", "native"),
                             where)
        for key in ("source", "target", "connector"):
            if key not in data:
                raise InvalidValueError(f"{where} needs a {key}, got {dict(data)!r}.")
        return cls(
            source=str(data["source"]), target=str(data["target"]),
            connector=Connector.from_spec(data["connector"], f"{where}.connector"),
            weight=values.check(data.get("weight", 1.0), f"{where}.weight"),
            delay=values.check(data.get("delay", 1.0), f"{where}.delay"),
            synapse=Synapse.from_spec(data.get("synapse", "static"), f"{where}.synapse"),
            native=bool(data.get("native", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        out = {"source": self.source, "target": self.target, "connector": self.connector.to_dict(),
               "weight": self.weight, "delay": self.delay, "synapse": self.synapse.to_dict()}
        if self.native:
            out["native"] = True
        return out


@dataclass(frozen=True)
class Stimulus:
    """A current (pA) added to the input of some or all neurons of ``target``."""

    target: str
    kind: str
    params: Mapping[str, Any]
    neurons: tuple[int, ...] | None = None
    native: bool = False

    @classmethod
    def from_dict(cls, index: int, data: Mapping[str, Any]) -> Stimulus:
        where = f"stimuli[{index}]"
        data = _require_mapping(data, where)
        kind = str(data.get("kind"))
        if kind not in catalog.STIMULI:
            raise unknown("stimulus kind", data.get("kind"), f"{where}.kind", catalog.STIMULI)
        table = catalog.STIMULI[kind]
        _reject_unknown_keys(data, ("target", "kind", "neurons", "native", *table), where)
        if "target" not in data:
            raise InvalidValueError(f"{where} needs a target population.")
        params = _fill_parameters({k: data[k] for k in table if k in data}, table, None, where, kind)
        _check_stimulus(kind, params, where)
        neurons = data.get("neurons")
        if neurons is not None:
            neurons = tuple(_indices(neurons, f"{where}.neurons"))
        return cls(str(data["target"]), kind, params, neurons, bool(data.get("native", False)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target, "kind": self.kind, **self.params}
        if self.neurons is not None:
            out["neurons"] = list(self.neurons)
        if self.native:
            out["native"] = True
        return out


def _indices(data: Any, where: str) -> list[int]:
    if not isinstance(data, (list, tuple)) or any(
            isinstance(i, bool) or not isinstance(i, int) or i < 0 for i in data):
        raise InvalidValueError(f"{where} must be a list of neuron indices, got {data!r}.")
    return list(data)


def _check_stimulus(kind: str, params: dict[str, Any], where: str) -> None:
    for key in ("start", "stop", "dt", "interval", "frequency"):
        if key in params:
            params[key] = _positive(params[key], f"{where}.{key}", allow_zero=key in ("start", "frequency"))
    if "std" in params:
        params["std"] = _positive(params["std"], f"{where}.std", allow_zero=True)
    for key in ("amplitude", "mean", "offset", "phase", "amplitude_start", "amplitude_stop"):
        if key in params:
            params[key] = values.check(params[key], f"{where}.{key}")
    if kind == "step":
        times = values.check(list(params["times"]), f"{where}.times")
        amplitudes = values.check(list(params["amplitudes"]), f"{where}.amplitudes")
        if len(times) != len(amplitudes):
            raise InvalidValueError(f"{where}: times and amplitudes differ in length "
                                    f"({len(times)} and {len(amplitudes)}).")
        if any(b <= a for a, b in zip(times, times[1:])) or any(t < 0 for t in times):
            raise InvalidValueError(f"{where}.times must be increasing and >= 0 ms, got {times!r}.")
        params["times"], params["amplitudes"] = times, amplitudes
    if kind == "random_step":
        if ("interval" in params) == ("times" in params):
            raise InvalidValueError(f"{where}: random_step takes exactly one of interval or times.")
        if "times" in params:
            params["times"] = values.check(list(params["times"]), f"{where}.times")
        params["independent"] = bool(params["independent"])
    if "start" in params and "stop" in params and params["stop"] <= params["start"]:
        raise InvalidValueError(f"{where}: stop ({params['stop']}) must be after start ({params['start']}).")


RECORDABLE_EVENTS = ("spikes",)


@dataclass(frozen=True)
class Recording:
    """What to record from a population: ``spikes`` and/or state variables, at ``interval`` ms."""

    population: str
    variables: tuple[str, ...] = ("spikes",)
    neurons: tuple[int, ...] | None = None
    interval: float | None = None

    @classmethod
    def from_dict(cls, index: int, data: Mapping[str, Any]) -> Recording:
        where = f"recordings[{index}]"
        data = _require_mapping(data, where)
        _reject_unknown_keys(data, ("population", "variables", "neurons", "interval"), where)
        if "population" not in data:
            raise InvalidValueError(f"{where} needs a population.")
        variables = data.get("variables", ["spikes"])
        if isinstance(variables, str):
            variables = [variables]
        neurons = data.get("neurons")
        interval = data.get("interval")
        return cls(str(data["population"]), tuple(variables),
                   None if neurons is None else tuple(_indices(neurons, f"{where}.neurons")),
                   None if interval is None else _positive(interval, f"{where}.interval"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"population": self.population, "variables": list(self.variables)}
        if self.neurons is not None:
            out["neurons"] = list(self.neurons)
        if self.interval is not None:
            out["interval"] = self.interval
        return out


_NETWORK_KEYS = ("name", "dt", "duration", "seed", "populations", "projections", "stimuli", "recordings")


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
        """Build and validate a network from plain data (as loaded from YAML or JSON)."""
        data = _require_mapping(_plain(data), "network")
        _reject_unknown_keys(data, _NETWORK_KEYS, "network")
        dt = _positive(data.get("dt", 0.1), "dt")
        duration = _positive(data.get("duration", 1000.0), "duration")
        steps = duration / dt
        if abs(steps - round(steps)) > 1e-9 * max(1.0, steps):
            raise InvalidValueError(f"duration ({duration} ms) must be a multiple of dt ({dt} ms).")
        seed = data.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InvalidValueError(f"seed must be a non-negative integer, got {seed!r}.")
        raw_populations = _require_mapping(data.get("populations") or {}, "populations")
        if not raw_populations:
            raise InvalidValueError("populations: a network needs at least one population.")
        populations = {str(k): Population.from_dict(str(k), v) for k, v in raw_populations.items()}
        network = cls(
            populations=populations,
            projections=tuple(Projection.from_dict(i, p) for i, p in enumerate(_list(data, "projections"))),
            stimuli=tuple(Stimulus.from_dict(i, s) for i, s in enumerate(_list(data, "stimuli"))),
            recordings=tuple(Recording.from_dict(i, r) for i, r in enumerate(_list(data, "recordings"))),
            dt=dt, duration=duration, seed=seed, name=str(data.get("name", "network")),
        )
        network._check_references()
        return network

    def _population(self, name: str, where: str) -> Population:
        if name not in self.populations:
            raise unknown("population", name, where, self.populations)
        return self.populations[name]

    def _check_references(self) -> None:
        for i, projection in enumerate(self.projections):
            where = f"projections[{i}]"
            self._population(projection.source, f"{where}.source")
            target = self._population(projection.target, f"{where}.target")
            if target.is_source:
                raise InvalidValueError(f"{where}.target: {target.name} is a {target.model} source; "
                                        f"connections must end on neurons.")
            low, _ = values.bounds(projection.delay)
            if low < self.dt - 1e-12:
                raise InvalidValueError(f"{where}.delay must be at least dt ({self.dt} ms), got "
                                        f"{projection.delay!r}.")
            if target.receptor in catalog.CONDUCTANCE_RECEPTORS or projection.synapse.model != "static":
                low_w, high_w = values.bounds(projection.weight)
                if low_w < 0 < high_w:
                    raise InvalidValueError(
                        f"{where}.weight: weights onto {target.receptor} with synapse "
                        f"{projection.synapse.model} must all have one sign (the sign picks the "
                        f"receptor), got {projection.weight!r}.")
            _check_connector_sizes(projection, self.populations, where)
        for i, stimulus in enumerate(self.stimuli):
            target = self._population(stimulus.target, f"stimuli[{i}].target")
            if target.is_source:
                raise InvalidValueError(f"stimuli[{i}].target: {target.name} is a spike source, "
                                        f"currents go to neurons.")
            _check_neuron_indices(stimulus.neurons, target, f"stimuli[{i}].neurons")
        for i, recording in enumerate(self.recordings):
            where = f"recordings[{i}]"
            population = self._population(recording.population, f"{where}.population")
            allowed = ("spikes", *population.state_variables())
            for variable in recording.variables:
                if variable not in allowed:
                    model = population.model if population.is_source else "×".join(population.pair)
                    raise unknown("variable", variable, f"{where}.variables (model {model})", allowed)
            _check_neuron_indices(recording.neurons, population, f"{where}.neurons")
            if recording.interval is not None:
                ratio = recording.interval / self.dt
                if ratio < 1 - 1e-9 or abs(ratio - round(ratio)) > 1e-9:
                    raise InvalidValueError(f"{where}.interval must be a multiple of dt ({self.dt} ms), "
                                            f"got {recording.interval}.")

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` turns back into an equal network."""
        return {
            "name": self.name, "dt": self.dt, "duration": self.duration, "seed": self.seed,
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


def _check_neuron_indices(neurons: tuple[int, ...] | None, population: Population, where: str) -> None:
    if neurons is not None and any(i >= population.size for i in neurons):
        raise InvalidValueError(f"{where}: index {max(neurons)} is out of range for {population.name} "
                                f"(size {population.size}).")


def _check_connector_sizes(projection: Projection, populations: Mapping[str, Population], where: str) -> None:
    source, target = populations[projection.source], populations[projection.target]
    rule, params = projection.connector.rule, projection.connector.params
    if rule == "one_to_one" and source.size != target.size:
        raise InvalidValueError(f"{where}.connector: one_to_one needs equal sizes, got {source.name} "
                                f"({source.size}) and {target.name} ({target.size}).")
    if rule == "from_list":
        if max(params["sources"], default=-1) >= source.size or max(params["targets"], default=-1) >= target.size:
            raise InvalidValueError(f"{where}.connector.from_list: an index is out of range for "
                                    f"{source.name} ({source.size}) or {target.name} ({target.size}).")
    if not projection.connector.allow_multapses:
        limit = {"fixed_indegree": source.size, "fixed_outdegree": target.size}.get(rule)
        if limit is not None and params["n"] > limit:
            raise InvalidValueError(f"{where}.connector.{rule}.n ({params['n']}) exceeds the "
                                    f"{limit} distinct partners available without multapses.")


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    items = data.get(key) or []
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
    with path.open() as stream:
        data = json.load(stream) if path.suffix == ".json" else yaml.safe_load(stream)
    return Network.from_dict(data)


__all__ = ["Network", "Population", "Projection", "Connector", "Synapse", "Stimulus", "Recording",
           "load", "UnknownNameError"]
