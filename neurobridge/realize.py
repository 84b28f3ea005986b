"""Realization: the description becomes explicit arrays, identical for every backend.

Connectivity (sources, targets, weights, delays), per-neuron parameters and
initial values, input spike trains and current traces are drawn here, with
numpy generators derived from the network's seed, and nowhere else. Each
item (a population's parameters, a source's trains, a projection, a
stimulus) draws from its own stream, derived from the seed and the item's
name, so changing one part of a network leaves the others' draws as they
were. Sampling is vectorised: no Python loop over neurons or synapses.
Source spikes are stored as :class:`SpikeEvents` (per step, the neurons that
spike and how often); a ``native: true`` source or projection is not drawn
at all (the lowering draws it if the backend cannot).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import catalog, fields, values
from .errors import InvalidValueError
from .model import Network, Population, Projection, Recording, Stimulus, Synapse, check_constraints


class SpikeEvents:
    """A source population's spikes on the grid, compactly: per stamp step, who spikes and how often.

    Step ``k`` holds the spikes stamped ``k dt`` (the end of step ``k - 1``). Its events are
    ``neurons[pointer[k]:pointer[k + 1]]`` (ascending, each once) with ``counts`` spikes each, so a
    step costs 6 bytes per spiking neuron, whatever the rate, and no float64 time is stored.

    Trains that spike in most steps are held as a *grid* instead: one small count per step and neuron
    (:meth:`from_grid`), which is smaller than 6 bytes per event once more than one cell in six is
    non-zero (a byte per cell when the counts fit one). Either form answers every question; the event
    arrays of a grid are compressed from it the first time they are asked for, and kept.
    """

    def __init__(self, size: int, dt: float, pointer: np.ndarray, neurons: np.ndarray, counts: np.ndarray):
        self.size, self.dt = size, dt
        self._events: tuple[np.ndarray, np.ndarray, np.ndarray] | None = (pointer, neurons, counts)
        self.grid: np.ndarray | None = None
        self.first = 0
        self._n_steps = pointer.size - 2

    @classmethod
    def from_grid(cls, grid: np.ndarray, first: int, n_steps: int, dt: float) -> SpikeEvents:
        """``grid[r, i]`` spikes of neuron ``i`` stamped ``(first + 1 + r) dt`` (emitted in step ``first + r``)."""
        events = cls.__new__(cls)
        events.size, events.dt = int(grid.shape[1]), dt
        events._events, events.grid, events.first, events._n_steps = None, grid, first, n_steps
        return events

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._events is None:
            assert self.grid is not None
            self._events = _compress(self.grid, self.first, self._n_steps)
        return self._events

    @property
    def pointer(self) -> np.ndarray:
        """``(n_steps + 2,)`` int64: the events of stamp step ``k`` are ``pointer[k]:pointer[k + 1]``."""
        return self._arrays()[0]

    @property
    def neurons(self) -> np.ndarray:
        """int32, one per event."""
        return self._arrays()[1]

    @property
    def counts(self) -> np.ndarray:
        """uint8 or uint16 (uint32 beyond 65535), the multiplicity of each event."""
        return self._arrays()[2]

    @property
    def n_events(self) -> int:
        if self._events is None and self.grid is not None:
            return int(np.count_nonzero(self.grid))
        return int(self.neurons.size)

    @property
    def n_spikes(self) -> int:
        held = self.grid if self._events is None and self.grid is not None else self.counts
        return int(held.sum(dtype=np.int64))

    @property
    def nbytes(self) -> int:
        """What the spikes occupy: the grid, the event arrays, or both once the grid's are asked for."""
        events = 0 if self._events is None else sum(int(a.nbytes) for a in self._events)
        return events + (0 if self.grid is None else int(self.grid.nbytes))

    def steps(self) -> np.ndarray:
        """The stamp step of each event (int64)."""
        return np.repeat(np.arange(self.pointer.size - 1, dtype=np.int64), np.diff(self.pointer))

    def spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """``(neurons, times)`` one entry per spike, sorted by time then neuron (times in ms)."""
        counts = self.counts.astype(np.int64)
        neurons = np.repeat(self.neurons.astype(np.int64), counts)
        return neurons, np.repeat(self.steps(), counts) * self.dt

    def by_neuron(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(stamp steps, counts, bounds)`` of the events in neuron order, each neuron's in step order:
        ``np.split(steps, bounds)`` gives one train per neuron. A grid is read column by column; events
        are sorted on 16-bit keys up to 65536 neurons, which NumPy sorts by radix."""
        if self.grid is not None:
            return _by_column(self.grid, self.first)
        keys = self.neurons.astype(np.uint16) if self.size <= 1 << 16 else self.neurons
        order = np.argsort(keys, kind="stable")
        bounds = np.cumsum(np.bincount(self.neurons, minlength=self.size))[:-1]
        return self.steps()[order], self.counts[order], bounds

    @classmethod
    def empty(cls, size: int, dt: float, n_steps: int) -> SpikeEvents:
        return cls(size, dt, np.zeros(n_steps + 2, dtype=np.int64), np.empty(0, dtype=np.int32),
                   np.empty(0, dtype=np.uint16))

    @classmethod
    def from_spikes(cls, neurons: np.ndarray, stamp_steps: np.ndarray, size: int, dt: float,
                    n_steps: int) -> SpikeEvents:
        """From one entry per spike (any order): equal (step, neuron) pairs become one event."""
        key = np.asarray(stamp_steps, dtype=np.int64) * size + np.asarray(neurons, dtype=np.int64)
        unique, counts = np.unique(key, return_counts=True)
        steps = unique // size
        pointer = np.searchsorted(steps, np.arange(n_steps + 2), side="left").astype(np.int64)
        return cls(size, dt, pointer, (unique % size).astype(np.int32), _narrow(counts))


def _by_column(grid: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A count grid's events neuron by neuron: ``(stamp steps, counts, bounds)``, by blocks of neurons
    transposed to rows (a mask, no index arithmetic, no sort)."""
    rows, n = grid.shape
    block = max(1, POISSON_BLOCK_CELLS // max(rows, 1))
    stamp_of = np.tile(np.arange(first + 1, first + 1 + rows, dtype=np.int64), min(block, n))
    steps, counts, per_neuron = [], [], []
    for start in range(0, n, block):
        cells = np.ascontiguousarray(grid[:, start:start + block].T)
        per_neuron.append(np.count_nonzero(cells, axis=1))
        block_steps, block_counts = _fired(cells, stamp_of)
        steps.append(block_steps)
        counts.append(block_counts)
    if not steps:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=grid.dtype), np.zeros(max(n - 1, 0), dtype=np.int64)
    return np.concatenate(steps), np.concatenate(counts), np.cumsum(np.concatenate(per_neuron))[:-1]


def _compress(grid: np.ndarray, first: int, n_steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A count grid's events: the non-zero cells row by row, by blocks of rows (a mask, no index arithmetic)."""
    rows, n = grid.shape
    per_step = np.zeros(n_steps + 1, dtype=np.int64)
    per_step[first + 1:first + 1 + rows] = np.count_nonzero(grid, axis=1)
    block = max(1, POISSON_BLOCK_CELLS // max(n, 1))
    column_of = np.tile(np.arange(n, dtype=np.int32), min(block, rows))
    blocks = [_fired(grid[start:start + block], column_of) for start in range(0, rows, block)]
    return _joined(per_step, blocks, grid.dtype)


def _fired(cells: np.ndarray, column_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The non-zero cells of a block of rows: their column labels (``column_of``: a label per column,
    tiled over the rows) and their counts, by a mask (no index arithmetic)."""
    flat = cells.reshape(-1)
    fired = flat != 0
    return np.compress(fired, column_of[:flat.size]), np.compress(fired, flat)


def _joined(per_step: np.ndarray, blocks: list[tuple[np.ndarray, np.ndarray]],
            dtype: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(pointer, neurons, counts)`` from the events per stamp step and the blocks' events in step order."""
    pointer = np.zeros(per_step.size + 1, dtype=np.int64)
    np.cumsum(per_step, out=pointer[1:])
    if not blocks:
        return pointer, np.empty(0, dtype=np.int32), np.empty(0, dtype=dtype)
    return pointer, np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks])


#: Bytes of a realized Poisson event (int32 neuron, uint16 count): a grid of counts is kept instead once
#: ``EVENT_BYTES`` times the share of non-zero cells reaches a cell's size (:func:`grid_is_smaller`).
EVENT_BYTES = 6.0


def grid_is_smaller(fired: float, cell_bytes: int) -> bool:
    """Whether a grid of ``cell_bytes`` counts is no larger than the events, ``fired`` of its cells non-zero."""
    return EVENT_BYTES * fired >= cell_bytes


def delay_steps(delays: Any, dt: float) -> Any:
    """Delays (ms) in steps as NEST's ``Time::delay_ms_to_steps`` rounds them: ``ld_round(ms * steps_per_ms)``,
    midpoints up (Python's ``round`` sends them to the even step). For realized and native delays alike."""
    return np.floor(np.asarray(delays, dtype=float) * (1.0 / dt) + 0.5)


def _narrow(counts: np.ndarray) -> np.ndarray:
    """Multiplicities as uint16 (uint32 past 65535), without a copy when they already are."""
    return counts.astype(np.uint16 if counts.size == 0 or counts.max() < 2 ** 16 else np.uint32, copy=False)


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
    #: Spike sources: the realized spikes; ``None`` for a ``native: true`` source (nothing is drawn).
    events: SpikeEvents | None = None

    @property
    def is_source(self) -> bool:
        return self.model in catalog.SOURCES

    @property
    def spike_neurons(self) -> np.ndarray:
        """One entry per realized spike, sorted by time then neuron (empty for neurons and natives)."""
        return self._spikes()[0]

    @property
    def spike_times(self) -> np.ndarray:
        """The time (ms, on the grid) of each realized spike, in the order of :attr:`spike_neurons`."""
        return self._spikes()[1]

    def _spikes(self) -> tuple[np.ndarray, np.ndarray]:
        if self.events is None:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return self.events.spikes()


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
    #: False for a ``native: true`` projection: nothing drawn (the arrays are empty).
    drawn: bool = True

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
    return array.itemsize if is_shared(array) else int(array.nbytes)


def shared(value: float | int, n: int, dtype: Any = np.float64) -> np.ndarray:
    """``n`` copies of one value as a read-only broadcast: an array to read, no memory per item."""
    return np.broadcast_to(np.asarray(value, dtype=dtype), (n,))


def is_shared(array: np.ndarray) -> bool:
    """Whether ``array`` is one value for every entry as :func:`shared` makes it (a non-empty broadcast)."""
    return bool(array.size) and array.strides == (0,)


def take_columns(array: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``array[:, columns]``, and ``array`` itself (no copy) when ``columns`` is every column in order."""
    if columns.size == array.shape[1] and np.array_equal(columns, np.arange(array.shape[1])):
        return array
    return array[:, columns]


def index_dtype(high: int) -> type[np.signedinteger]:
    """``int32`` for indices below ``high`` when they fit, else ``int64``."""
    return np.int32 if high <= np.iinfo(np.int32).max else np.int64


def compact_indices(indices: np.ndarray, high: int) -> np.ndarray:
    """Indices in ``[0, high)`` as :func:`index_dtype` (a view when they already are)."""
    return np.asarray(indices).astype(index_dtype(high), copy=False)


def compact_steps(steps: np.ndarray) -> np.ndarray:
    """Non-negative step counts in the smallest unsigned integer type that holds them; one shared
    value as a broadcast."""
    if steps.size and not is_shared(steps) and np.all(steps == steps.flat[0]):
        steps = shared(steps.flat[0], steps.size, steps.dtype)
    high = 0 if not steps.size else int(steps.flat[0]) if is_shared(steps) else int(steps.max())
    dtype = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64) if high <= np.iinfo(t).max)
    if is_shared(steps):
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
    projections = [_projection(network, i, p, populations) if not p.native else _undrawn(network, i, p)
                   for i, p in enumerate(network.projections)]
    currents = [_current(network, i, s, populations[s.target]) for i, s in enumerate(network.stimuli)]
    return RealizedNetwork(network, populations, projections, currents)


# -- populations ---------------------------------------------------------------------------------

def _population(network: Network, population: Population) -> RealizedPopulation:
    rng = stream(network.seed, f"population:{population.name}")
    n = population.size
    where = f"populations.{population.name}.params"
    if population.is_source:
        params, events = source(network, population, draw_spikes=not population.native)
        return RealizedPopulation(population.name, n, population.model, None, params, {}, population.native,
                                  population, events)
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


def source(network: Network, population: Population, draw_spikes: bool = True
           ) -> tuple[dict[str, np.ndarray], SpikeEvents | None]:
    """A source population's per-neuron parameters and, if ``draw_spikes``, its spikes.

    A ``native: true`` source is realized without its spikes; a backend that cannot generate it
    calls this again with ``draw_spikes`` (the lowering does), which draws the very spikes a
    realized run would: the item's stream starts afresh.
    """
    rng = stream(network.seed, f"population:{population.name}")
    where = f"populations.{population.name}.params"
    params = {key: values.sample(spec, population.size, rng, f"{where}.{key}")
              for key, spec in sorted(population.params.items()) if key in ("rate", "interval")}
    return params, (_spike_trains(network, population, params, rng) if draw_spikes else None)


def _spike_trains(network: Network, population: Population, arrays: Mapping[str, np.ndarray],
                  rng: np.random.Generator) -> SpikeEvents:
    n, dt, duration = population.size, network.dt, network.duration
    if population.model == "poisson":
        return poisson_events(arrays["rate"], population.params, dt, network.n_steps, rng)
    draw = _TRAINS[population.model]  # every source model has its entry: a missing one is a KeyError
    neurons, stamped = draw(population.params, arrays, n, dt, duration, rng)
    steps = np.round(stamped / dt).astype(np.int64)
    keep = steps <= network.n_steps
    return SpikeEvents.from_spikes(neurons[keep], steps[keep], n, dt, network.n_steps)


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


#: Steps per block of the Poisson draw: the block's dense counts stay in cache.
POISSON_BLOCK_CELLS = 1 << 19


def poisson_steps(params: Mapping[str, Any], dt: float, n_steps: int) -> tuple[int, int]:
    """The emission steps ``[first, end)`` of a Poisson source, within the run: NEST's
    ``poisson_generator`` emits in the steps whose end lies in ``(start, stop]``."""
    start, stop = float(params.get("start", 0.0)), float(params.get("stop", math.inf))
    first = int(math.floor(start / dt + 1e-9))
    end = int(math.ceil(stop / dt - 1e-9)) if math.isfinite(stop) else n_steps
    return min(first, n_steps), max(min(end, n_steps), min(first, n_steps))


def poisson_events(rate: np.ndarray, params: Mapping[str, Any], dt: float, n_steps: int,
                   rng: np.random.Generator) -> SpikeEvents:
    """Independent Poisson trains as a count per step per neuron, as NEST's ``poisson_generator`` sends them.

    Each active step gives neuron ``i`` a Poisson(``rate_i dt``) count, drawn by blocks of steps and
    vectorised, with no per-spike Python work. A few distinct rates of at least
    :data:`DENSE_MEAN` spikes per step draw each count from 16 bits of a random word through a table
    of the Poisson distribution (:class:`_PoissonTable`), and the trains are kept as that grid of
    counts when it is the smaller form (:meth:`SpikeEvents.from_grid`); sparse or many-valued rates
    draw each neuron's count over the block and place its spikes on the block's steps uniformly, which
    is the same law, and keep the non-zero cells as events.
    """
    n = rate.size
    first, end = poisson_steps(params, dt, n_steps)
    lam = np.asarray(rate, dtype=float) * dt / 1000.0
    distinct, column = np.unique(lam, return_inverse=True)
    dense = distinct.size <= 16 and float(lam.mean()) >= DENSE_MEAN and float(lam.max()) <= 1000.0
    tables = [_PoissonTable(value) for value in distinct] if dense else []
    groups = [np.flatnonzero(column == k) for k in range(distinct.size)] if distinct.size > 1 else []
    block = max(1, POISSON_BLOCK_CELLS // max(n, 1))
    dtype = np.result_type(*(table.table.dtype for table in tables)) if dense else np.int64
    fired = float(np.mean(-np.expm1(-lam))) if n else 0.0  # the expected share of non-zero cells
    steps = max(end - first, 0)
    grid = np.empty((steps, n), dtype=dtype) if dense and grid_is_smaller(fired, np.dtype(dtype).itemsize) else None
    per_step = np.zeros(n_steps + 1, dtype=np.int64)  # events per stamp step (when not a grid)
    column_of = np.tile(np.arange(n, dtype=np.int32), min(block, steps) if grid is None else 0)
    blocks = []
    for start in range(first, end, block):
        length = min(block, end - start)
        if grid is not None:
            _dense_counts(tables, groups, grid[start - first:start - first + length], rng)
            continue
        if dense:
            cells = np.empty((length, n), dtype=dtype)
            _dense_counts(tables, groups, cells, rng)
        else:
            cells = _sparse_counts(lam, length, rng)
        per_step[start + 1:start + 1 + length] = np.count_nonzero(cells, axis=1)
        blocks.append(_fired(cells, column_of))
    if grid is not None:
        return SpikeEvents.from_grid(grid, first, n_steps, dt)
    pointer, neurons, counts = _joined(per_step, blocks, np.uint16)
    return SpikeEvents(n, dt, pointer, neurons, _narrow(counts))


#: Mean spikes per step and neuron from which counts are drawn cell by cell (below: spike by spike).
DENSE_MEAN = 0.05


class _PoissonTable:
    """Poisson(``mean``) counts from uniform 64-bit numbers ``r``: the count is the number of thresholds
    ``floor(2^64 P(X <= k))`` at or below ``r``.

    A 65536-entry table on the top 16 bits of ``r`` answers all but the few numbers whose bin holds a
    threshold, so one 64-bit word from the generator serves four cells. A cell whose bin is ambiguous
    draws the remaining 48 bits of its number and is looked up exactly: every count is that of a full
    64-bit uniform number, not of its first 16 bits. Counts are bytes while they fit one.
    """

    def __init__(self, mean: float):
        k = np.arange(int(mean + 40.0 * math.sqrt(mean) + 40.0))
        cdf = _poisson_cdf(k, mean) if mean > 0 else np.ones(k.size)
        below = cdf[cdf < 1.0]
        self.thresholds = np.array([min(int(c * 2.0 ** 64), 2 ** 64 - 1) for c in below], dtype=np.uint64)
        dtype = np.uint8 if self.thresholds.size < 255 else np.uint16
        self.ambiguous = np.iinfo(dtype).max
        edges = np.arange(1 << 16, dtype=np.uint64) << np.uint64(48)
        low = np.searchsorted(self.thresholds, edges, side="right")
        high = np.searchsorted(self.thresholds, edges + np.uint64((1 << 48) - 1), side="right")
        self.table = np.where(low == high, low, self.ambiguous).astype(dtype)

    def draw(self, out: np.ndarray, rng: np.random.Generator) -> None:
        """Fill ``out`` (C-contiguous, of the table's dtype or wider) with counts."""
        flat = out.reshape(-1)  # a view: the caller's array is written
        cells = flat.size
        tops = rng.bit_generator.random_raw(-(-cells // 4)).view(np.uint16)[:cells]
        self.table.take(tops, out=flat)
        ambiguous = np.flatnonzero(flat == self.ambiguous)
        if ambiguous.size:
            rest = rng.bit_generator.random_raw(ambiguous.size) >> np.uint64(16)
            numbers = (tops[ambiguous].astype(np.uint64) << np.uint64(48)) | rest
            flat[ambiguous] = np.searchsorted(self.thresholds, numbers, side="right")


def _poisson_cdf(k: np.ndarray, mean: float) -> np.ndarray:
    """P(X <= k) for X ~ Poisson(``mean``), summed from the log-pmf (no scipy.stats: importing it costs
    about a second of CPU, more than drawing a million cells)."""
    log_pmf = k * math.log(mean) - mean - np.array([math.lgamma(j + 1.0) for j in k])
    return np.minimum(np.cumsum(np.exp(log_pmf)), 1.0)


def _dense_counts(tables: list[_PoissonTable], groups: list[np.ndarray], rows: np.ndarray,
                  rng: np.random.Generator) -> None:
    """Counts into ``rows`` (steps × neurons), one table per distinct rate."""
    if len(tables) == 1:
        tables[0].draw(rows, rng)
        return
    for table, columns in zip(tables, groups):
        counts = np.empty((rows.shape[0], columns.size), dtype=rows.dtype)
        table.draw(counts, rng)
        rows[:, columns] = counts


def _sparse_counts(lam: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """``(length, n)`` counts from each neuron's count over the block, its spikes on uniform steps."""
    n = lam.size
    totals = rng.poisson(lam * length)
    spikes = int(totals.sum())
    cells = rng.integers(0, length, size=spikes, dtype=np.int32) * np.int64(n) + np.repeat(
        np.arange(n, dtype=np.int32), totals)
    return np.bincount(cells, minlength=length * n).reshape(length, n)


#: How each source model's spikes are realized (``poisson``: :func:`poisson_events`).
_TRAINS = {"spike_times": _given, "regular": _regular}


# -- projections ---------------------------------------------------------------------------------

def _undrawn(network: Network, index: int, projection: Projection) -> RealizedProjection:
    empty = np.empty(0, dtype=np.int32)
    return RealizedProjection(index, projection.source, projection.target, empty, empty, np.empty(0),
                              np.empty(0, dtype=np.uint8), projection.synapse, projection, network.dt, drawn=False)


def draw_projection(realized: RealizedNetwork, index: int) -> RealizedProjection:
    """Projection ``index`` drawn (a native one a backend cannot draw: the connections a realized run has)."""
    projection = realized.projections[index]
    if not projection.drawn:
        projection = _projection(realized.network, index, projection.spec, realized.populations)
        realized.projections[index] = projection
    return projection


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
    steps = delay_steps(delays, network.dt)
    if steps.size and steps.min() < 1:
        raise InvalidValueError(f"{where}.delay: a drawn delay of {delays.min():.4g} ms is below dt "
                                f"({network.dt} ms); give the distribution a min of at least dt.")
    steps = compact_steps(steps if steps.size == n else np.broadcast_to(steps, (n,)))
    return RealizedProjection(index, projection.source, projection.target, sources, targets, weights,
                              steps, projection.synapse, projection, network.dt)


def _distinct(array: np.ndarray) -> np.ndarray:
    """The array, or its one value when it is a broadcast of one (so arithmetic on it costs nothing)."""
    return array[:1] if is_shared(array) else array


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
            # numpy returns 2**63 - 1 for the gaps of a p below ~1e-19, whose sum wraps negative (a loop that
            # never ends, growing until the machine's memory is gone): a gap past the last pair ends the draw
            # as well, so gaps are capped there (a cap no kept position feels)
            gaps = np.minimum(rng.geometric(p, int(expected + 5 * math.sqrt(expected) + 16)), total + 1)
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
