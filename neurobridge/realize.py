"""Realization: the description becomes explicit arrays, identical for every backend.

Connectivity (sources, targets, weights, delays), per-neuron parameters and
initial values, input spike trains and current traces are drawn here, with
numpy generators derived from the network's seed, and nowhere else. Each
item (a population's parameters, a source's trains, a projection, a
stimulus) draws from its own stream, derived from the seed and the item's
name, so changing one part of a network leaves the others' draws as they
were. Sampling is vectorised: no Python loop over neurons or synapses.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import catalog, fields, values
from .errors import InvalidValueError
from .model import Network, Population, Projection, Recording, Stimulus, Synapse, check_constraints


@dataclass
class RealizedPopulation:
    """A population with every parameter and initial value as a per-neuron array."""

    name: str
    size: int
    model: str
    receptor: str | None
    params: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]
    native: bool = False
    spec: Population | None = None
    #: Spike sources: emitted spikes, sorted by time (ms, on the grid) then neuron.
    spike_neurons: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    spike_times: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def is_source(self) -> bool:
        return self.model in catalog.SOURCES


@dataclass
class RealizedProjection:
    """Explicit connections: one entry per synapse, delays on the time grid.

    Stored compactly (see :func:`compact_indices`): indices as ``int32`` where they fit, delays as
    steps in the smallest unsigned integer that holds them, and a value every synapse shares (a
    scalar weight or delay) as a read-only broadcast of one number, which costs no memory per
    synapse. Read them as arrays; never write into them.
    """

    index: int
    source: str
    target: str
    sources: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    #: Delays in steps of ``dt`` (NEST's ``delay_ms_to_steps``), at least 1.
    delay_steps: np.ndarray
    synapse: Synapse
    spec: Projection
    dt: float

    @property
    def n_synapses(self) -> int:
        return int(self.sources.size)

    @property
    def delays(self) -> np.ndarray:
        """Delays in ms (float64, computed on each access: prefer :attr:`delay_steps`)."""
        return self.delay_steps * self.dt

    @property
    def nbytes(self) -> int:
        """Bytes the synapse arrays hold (a shared value counts once)."""
        return sum(_held_bytes(a) for a in (self.sources, self.targets, self.weights, self.delay_steps))


def _held_bytes(array: np.ndarray) -> int:
    return array.itemsize if array.size and array.strides == (0,) else int(array.nbytes)


def shared(value: float | int, n: int, dtype: Any = np.float64) -> np.ndarray:
    """``n`` copies of one value as a read-only broadcast: an array to read, no memory per item."""
    return np.broadcast_to(np.asarray(value, dtype=dtype), (n,))


def index_dtype(high: int) -> type[np.signedinteger]:
    """``int32`` for indices below ``high`` when they fit, else ``int64``."""
    return np.int32 if high <= np.iinfo(np.int32).max else np.int64


def compact_indices(indices: np.ndarray, high: int) -> np.ndarray:
    """Indices in ``[0, high)`` as :func:`index_dtype` (a view when they already are)."""
    return np.asarray(indices).astype(index_dtype(high), copy=False)


def compact_steps(steps: np.ndarray) -> np.ndarray:
    """Non-negative step counts in the smallest unsigned integer type that holds them; one shared
    value as a broadcast."""
    if steps.size and steps.strides != (0,) and np.all(steps == steps.flat[0]):
        steps = shared(steps.flat[0], steps.size, steps.dtype)
    high = 0 if not steps.size else int(steps.flat[0]) if steps.strides == (0,) else int(steps.max())
    dtype = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64) if high <= np.iinfo(t).max)
    if steps.strides == (0,) and steps.size:
        return shared(steps.flat[0], steps.size, dtype)
    return steps.astype(dtype, copy=False)


@dataclass
class CurrentTrace:
    """A piecewise-constant current (pA) into some neurons of ``target``.

    ``amplitudes[i]`` holds from ``times[i]`` until the next change (NEST's
    ``step_current_generator``); zero before the first. A 1-d ``amplitudes``
    is shared by every neuron, a 2-d one is ``(n_changes, n_neurons)``.
    Change times lie on the grid and are at least one ``dt`` (NEST refuses a
    change at 0), so a current is on from the second step at the earliest,
    on every backend.
    """

    index: int
    target: str
    neurons: np.ndarray
    times: np.ndarray
    amplitudes: np.ndarray
    spec: Stimulus

    @property
    def shared(self) -> bool:
        return self.amplitudes.ndim == 1


@dataclass
class RealizedNetwork:
    """Everything a backend needs, as arrays."""

    network: Network
    populations: dict[str, RealizedPopulation]
    projections: list[RealizedProjection]
    currents: list[CurrentTrace]

    @property
    def dt(self) -> float:
        return self.network.dt

    @property
    def duration(self) -> float:
        return self.network.duration

    @property
    def recordings(self) -> tuple[Recording, ...]:
        return self.network.recordings

    @property
    def n_neurons(self) -> int:
        return sum(p.size for p in self.populations.values() if not p.is_source)

    @property
    def n_synapses(self) -> int:
        return sum(p.n_synapses for p in self.projections)


def stream(seed: int, label: str) -> np.random.Generator:
    """The generator for one item of a network: derived from the seed and a stable label."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(label.encode()),)))


def realize(network: Network) -> RealizedNetwork:
    """Draw every random quantity of ``network``; the same seed gives bit-identical arrays."""
    populations = {name: _population(network, p) for name, p in network.populations.items()}
    projections = [_projection(network, i, p, populations) for i, p in enumerate(network.projections)]
    currents = [_current(network, i, s, populations[s.target]) for i, s in enumerate(network.stimuli)]
    return RealizedNetwork(network, populations, projections, currents)


# -- populations ---------------------------------------------------------------------------------

def _population(network: Network, population: Population) -> RealizedPopulation:
    rng = stream(network.seed, f"population:{population.name}")
    n = population.size
    where = f"populations.{population.name}.params"
    if population.is_source:
        params = {key: values.sample(spec, n, rng, f"{where}.{key}") for key, spec in sorted(population.params.items())
                  if key in ("rate", "interval")}
        realized = RealizedPopulation(population.name, n, population.model, None, params, {},
                                      population.native, population)
        realized.spike_neurons, realized.spike_times = _spike_trains(network, population, params, rng)
        return realized
    params = {key: values.sample(spec, n, rng, f"{where}.{key}")
              for key, spec in sorted(population.parameters().items())}
    check_constraints(population, params, where)
    given = {**catalog.initial_defaults(population.model, population.parameters()), **population.initial}
    initial = {key: values.sample(spec, n, rng, f"populations.{population.name}.initial.{key}")
               for key, spec in sorted(given.items())}
    if population.model == "izhikevich" and "U_m" not in initial:
        initial["U_m"] = params["b"] * initial["V_m"]
    for variable in population.state_variables():
        initial.setdefault(variable, np.zeros(n))
    return RealizedPopulation(population.name, n, population.model, population.receptor, params,
                              initial, population.native, population)


def _on_grid(times: np.ndarray, dt: float) -> np.ndarray:
    """Round times to the nearest grid point, at least one step (ms)."""
    return np.maximum(np.round(times / dt), 1.0) * dt


def _offgrid_to_grid(times: np.ndarray, dt: float) -> np.ndarray:
    """NEST's ``allow_offgrid_times``: a time within half a tic of a grid point stays there, any
    other moves to the end of its step."""
    nearest = np.round(times / dt)
    steps = np.where(np.abs(times - nearest * dt) < fields.TIC_MS / 2, nearest, np.ceil(times / dt))
    return np.maximum(steps, 1.0) * dt


def _spike_trains(network: Network, population: Population, arrays: Mapping[str, np.ndarray],
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n, dt, duration = population.size, network.dt, network.duration
    draw = _TRAINS[population.model]  # every source model has its entry: a missing one is a KeyError
    neurons, stamped = draw(population.params, arrays, n, dt, duration, rng)
    keep = stamped <= duration + 1e-9
    neurons, stamped = neurons[keep], stamped[keep]
    order = np.lexsort((neurons, stamped))
    return neurons[order].astype(np.int64), stamped[order]


def _given(params: Mapping[str, Any], arrays: Mapping[str, np.ndarray], n: int, dt: float, duration: float,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The description's own times: one list for every neuron, or a list per neuron."""
    times = params["times"]
    if times and isinstance(times[0], list):
        counts = np.array([len(t) for t in times])
        flat = np.array([t for train in times for t in train], dtype=float)
    else:
        counts = np.full(n, len(times))
        flat = np.tile(np.asarray(times, dtype=float), n)
    stamped = _offgrid_to_grid(flat, dt) if params.get("allow_offgrid_times") else _on_grid(flat, dt)
    return np.repeat(np.arange(n), counts), stamped


def _regular(params: Mapping[str, Any], arrays: Mapping[str, np.ndarray], n: int, dt: float,
             duration: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Spikes at ``start + k * interval`` on the grid (the first at ``start``, default one dt)."""
    if "interval" in arrays:
        interval = arrays["interval"]
    else:
        rate = arrays["rate"]
        with np.errstate(divide="ignore"):
            interval = np.where(rate > 0, 1000.0 / np.where(rate > 0, rate, 1.0), np.inf)
    start = float(params.get("start", dt))
    stop = min(float(params.get("stop", math.inf)), duration + dt / 2)
    span = max(stop - start, 0.0)
    counts = np.where(np.isfinite(interval), np.ceil(span / np.where(np.isfinite(interval), interval, 1.0)),
                      0).astype(np.int64)
    neurons = np.repeat(np.arange(n), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    times = start + offsets * interval[neurons]
    keep = times < stop
    return neurons[keep], _on_grid(times[keep], dt)


def _poisson(params: Mapping[str, Any], arrays: Mapping[str, np.ndarray], n: int, dt: float, duration: float,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Independent Poisson trains, active in ``(start, stop]``, stamped at the end of their step."""
    rate = arrays["rate"]
    start = float(params.get("start", 0.0))
    stop = min(float(params.get("stop", math.inf)), duration)
    window = max(stop - start, 0.0)
    counts = rng.poisson(rate * window / 1000.0)
    neurons = np.repeat(np.arange(n), counts)
    times = rng.uniform(start, stop, counts.sum()) if window > 0 else np.empty(0)
    return neurons, np.maximum(np.ceil(times / dt - 1e-9), 1.0) * dt


#: How each source model's spikes are realized.
_TRAINS = {"spike_times": _given, "regular": _regular, "poisson": _poisson}


# -- projections ---------------------------------------------------------------------------------

def _projection(network: Network, index: int, projection: Projection,
                populations: Mapping[str, RealizedPopulation]) -> RealizedProjection:
    rng = stream(network.seed, f"projection:{index}:{projection.source}->{projection.target}")
    n_source = populations[projection.source].size
    n_target = populations[projection.target].size
    autapses_possible = projection.source == projection.target
    sources, targets = connect(projection, n_source, n_target, autapses_possible, rng)
    sources, targets = compact_indices(sources, n_source), compact_indices(targets, n_target)
    where = f"projections[{index}]"
    n = sources.size
    weights = _values(projection.weight, n, rng, f"{where}.weight")
    distinct = _distinct(weights)
    if distinct.size and np.abs(distinct).max() > catalog.MAX_WEIGHT:
        raise InvalidValueError(f"{where}.weight: a drawn weight of {distinct[np.abs(distinct).argmax()]:.4g} is "
                                f"beyond {catalog.MAX_WEIGHT:g} in magnitude; bound the distribution with min/max.")
    delays = _distinct(_values(projection.delay, n, rng, f"{where}.delay"))
    # NEST's Time::delay_ms_to_steps: ld_round(ms * steps_per_ms), midpoints rounded up.
    steps = np.floor(delays * (1.0 / network.dt) + 0.5)
    if steps.size and steps.min() < 1:
        raise InvalidValueError(f"{where}.delay: a drawn delay of {delays.min():.4g} ms is below dt "
                                f"({network.dt} ms); give the distribution a min of at least dt.")
    steps = compact_steps(steps if steps.size == n else np.broadcast_to(steps, (n,)))
    return RealizedProjection(index, projection.source, projection.target, sources, targets, weights,
                              steps, projection.synapse, projection, network.dt)


def _distinct(array: np.ndarray) -> np.ndarray:
    """The array, or its one value when it is a broadcast of one (so arithmetic on it costs nothing)."""
    return array[:1] if array.size and array.strides == (0,) else array


def _values(spec: Any, n: int, rng: np.random.Generator, where: str) -> np.ndarray:
    """Per-synapse values of ``spec``: drawn, or one scalar shared by every synapse (no memory)."""
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return shared(float(spec), n)
    return values.sample(spec, n, rng, where)


def connect(projection: Projection, n_source: int, n_target: int, same_population: bool,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sources and targets (local indices) under the projection's connector, vectorised."""
    connector = projection.connector
    rule, params = connector.rule, connector.params
    no_autapses = same_population and not connector.allow_autapses
    if rule == "one_to_one":
        sources = targets = np.arange(n_source)
    elif rule == "all_to_all":
        sources, targets = np.repeat(np.arange(n_source), n_target), np.tile(np.arange(n_target), n_source)
    elif rule == "fixed_probability":
        sources, targets = _bernoulli(n_source, n_target, params["p"], rng)
    elif rule == "fixed_indegree":
        targets = np.repeat(np.arange(n_target), params["n"])
        sources = _draw_partners(n_target, params["n"], n_source, no_autapses,
                                 connector.allow_multapses, rng).ravel()
        return sources, targets
    elif rule == "fixed_outdegree":
        sources = np.repeat(np.arange(n_source), params["n"])
        targets = _draw_partners(n_source, params["n"], n_target, no_autapses,
                                 connector.allow_multapses, rng).ravel()
        return sources, targets
    elif rule == "fixed_total_number":
        return _total_number(params["n"], n_source, n_target, no_autapses, connector.allow_multapses, rng)
    elif rule == "ring":
        sources, targets = _ring(n_source, n_target, params["radius"], params["p"], rng)
    else:  # from_list
        sources, targets = np.asarray(params["sources"]), np.asarray(params["targets"])
    if no_autapses:
        keep = sources != targets
        sources, targets = sources[keep], targets[keep]
    return sources, targets


def _total_number(n: int, n_source: int, n_target: int, no_autapses: bool, multapses: bool,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` pairs drawn uniformly from the allowed ones (without repeats unless ``multapses``).

    Pairs are numbered row by row, the diagonal left out without autapses, so one draw of ``n``
    numbers (with or without replacement) is the whole answer: no rejection loop.
    """
    columns = n_target - 1 if no_autapses else n_target
    pairs = n_source * columns
    flat = rng.integers(0, pairs, n) if multapses else rng.choice(pairs, n, replace=False)
    sources, column = flat // columns, flat % columns
    targets = column + (column >= sources) if no_autapses else column
    return sources.astype(np.int64), targets.astype(np.int64)


def _bernoulli(n_source: int, n_target: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each of the ``n_source * n_target`` pairs independently with probability ``p`` (geometric gaps)."""
    total = n_source * n_target
    if p <= 0 or total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if p >= 1:
        flat = np.arange(total)
    else:
        expected = total * p
        chunks, position = [], -1
        while position < total:
            gaps = rng.geometric(p, int(expected + 5 * math.sqrt(expected) + 16))
            positions = position + np.cumsum(gaps)
            chunks.append(positions)
            position = int(positions[-1])
        flat = np.concatenate(chunks)
        del chunks
        flat = flat[:np.searchsorted(flat, total)]  # positions increase: a view, not a copy
    return flat // n_target, flat % n_target


#: Rounds of redrawing repeated partners; each halves the repeats at least, so 64 is never reached.
_MAX_REDRAWS = 64


def _draw_partners(rows: int, n: int, high: int, exclude_self: bool, multapses: bool,
                   rng: np.random.Generator) -> np.ndarray:
    """``(rows, n)`` partner indices in ``[0, high)``; row ``i`` avoids ``i`` if ``exclude_self``."""
    available = high - 1 if exclude_self else high  # validation refused n > available
    own = np.arange(rows)[:, None]
    if not multapses and 2 * n > available:  # dense: a random permutation per row
        keys = rng.random((rows, high))
        if exclude_self:
            keys[np.arange(rows), np.arange(rows) % high] = np.inf
        return np.argsort(keys, axis=1)[:, :n]
    draws = rng.integers(0, available, (rows, n))
    if exclude_self:
        draws += draws >= own
    for _ in range(_MAX_REDRAWS if not multapses else 0):
        # Redraw only the repeats (redrawing whole rows would almost never end once n^2 >> high). The
        # procedure treats every partner label alike, so each row ends as a uniform n-subset. With
        # 2n <= available each redraw repeats with probability <= 1/2: the bound is never reached.
        order = np.argsort(draws, axis=1, kind="stable")
        ordered = np.take_along_axis(draws, order, axis=1)
        row, column = np.nonzero(ordered[:, 1:] == ordered[:, :-1])
        if not row.size:
            break
        fresh = rng.integers(0, available, row.size)
        if exclude_self:
            fresh += fresh >= row
        draws[row, order[row, column + 1]] = fresh
    else:
        if not multapses:
            raise AssertionError(f"partners still repeat after {_MAX_REDRAWS} redraws")
    return draws


def _ring(n_source: int, n_target: int, radius: float, p: float,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose angles on a ring (neuron ``i`` of ``N`` at ``2 pi i / N``) differ by at most ``radius``."""
    source_angle = 2 * np.pi * np.arange(n_source) / n_source
    target_angle = 2 * np.pi * np.arange(n_target) / n_target
    difference = np.abs(source_angle[:, None] - target_angle[None, :])
    distance = np.minimum(difference, 2 * np.pi - difference)
    within = distance <= radius + 1e-12
    if p < 1:
        within &= rng.random(within.shape) < p
    sources, targets = np.nonzero(within)
    return sources, targets


# -- current stimuli -----------------------------------------------------------------------------

def _current(network: Network, index: int, stimulus: Stimulus, target: RealizedPopulation) -> CurrentTrace:
    rng = stream(network.seed, f"stimulus:{index}:{stimulus.kind}->{stimulus.target}")
    neurons = np.arange(target.size) if stimulus.neurons is None else np.asarray(stimulus.neurons)
    times, amplitudes = _TRACES[stimulus.kind](stimulus.params, neurons.size, network, rng, f"stimuli[{index}]")
    times = np.maximum(np.round(np.asarray(times, dtype=float) / network.dt), 1.0)
    # Later entries win where rounding puts two changes on one step.
    last = np.r_[times[1:] != times[:-1], True] if times.size else np.empty(0, dtype=bool)
    times, amplitudes = times[last] * network.dt, np.asarray(amplitudes, dtype=float)[last]
    inside = times < network.duration - 1e-9
    return CurrentTrace(index, stimulus.target, neurons, times[inside], amplitudes[inside], stimulus)


def _switch_off(times: list[float] | np.ndarray, amplitudes: np.ndarray, stop: float,
                duration: float) -> tuple[np.ndarray, np.ndarray]:
    times = np.asarray(times, dtype=float)
    if stop < duration:
        zero = np.zeros((1, *amplitudes.shape[1:]))
        return np.r_[times, stop], np.concatenate([amplitudes, zero])
    return times, amplitudes


def _dc(p, n, network, rng, where):
    amplitude = values.sample(p["amplitude"], n, rng, f"{where}.amplitude")
    amplitudes = amplitude[None, :] if isinstance(p["amplitude"], (dict, list)) else amplitude[:1]
    return _switch_off([p["start"]], amplitudes, p["stop"], network.duration)


def _step(p, n, network, rng, where):
    return np.asarray(p["times"]), np.asarray(p["amplitudes"])


def _grid(start: float, stop: float, interval: float, duration: float) -> np.ndarray:
    stop = min(stop, duration)
    return start + interval * np.arange(max(int(math.ceil((stop - start) / interval - 1e-9)), 0))


def _noise(p, n, network, rng, where):
    times = _grid(p["start"], p["stop"], p["dt"], network.duration)
    mean = values.sample(p["mean"], n, rng, f"{where}.mean")
    amplitudes = mean + p["std"] * rng.standard_normal((times.size, n))
    return _switch_off(times, amplitudes, p["stop"], network.duration)


def _random_step(p, n, network, rng, where):
    times = (np.asarray(p["times"]) if "times" in p
             else _grid(p["start"], p["stop"], p["interval"], network.duration))
    if p["independent"]:
        amplitudes = values.sample(p["amplitude"], times.size * n, rng, f"{where}.amplitude").reshape(times.size, n)
    else:
        amplitudes = values.sample(p["amplitude"], times.size, rng, f"{where}.amplitude")
    return _switch_off(times, amplitudes, p["stop"], network.duration)


def _ramp(p, n, network, rng, where):
    times = _grid(p["start"], p["stop"], network.dt, network.duration)
    fraction = (times - p["start"]) / (p["stop"] - p["start"])
    amplitudes = p["amplitude_start"] + fraction * (p["amplitude_stop"] - p["amplitude_start"])
    return _switch_off(times, amplitudes, p["stop"], network.duration)


def _sinusoidal(p, n, network, rng, where):
    """NEST ``ac_generator``: ``offset + amplitude sin(2 pi f t + phase)``, sampled every dt."""
    times = _grid(p["start"], p["stop"], network.dt, network.duration)
    phase = np.deg2rad(p["phase"])
    amplitudes = p["offset"] + p["amplitude"] * np.sin(2 * np.pi * p["frequency"] * times / 1000.0 + phase)
    return _switch_off(times, amplitudes, p["stop"], network.duration)


_TRACES = {"dc": _dc, "step": _step, "noise": _noise, "random_step": _random_step, "ramp": _ramp,
           "sinusoidal": _sinusoidal}
