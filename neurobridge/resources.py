"""What a run will need, estimated from the description alone, before anything is allocated.

:func:`estimate` adds up, item by item, the memory realization and a backend will
need: neuron state, expected synapses (at the realized arrays' and the backend's
bytes per synapse), dense intermediates some connectors draw (a ring, a dense
in-degree), input spikes, current traces, each target's ring buffer of
``max delay`` steps, and recorded samples. :func:`check_memory` refuses a
network whose estimate exceeds the memory available (or an explicit limit),
naming the estimate and its largest item, so a description that would take
minutes and gigabytes to fail fails at once, the same way on every backend.

The figures are estimates (expected counts for random connectors and Poisson
trains); a ``memory_limit_gb`` raises or lowers the bound explicitly. Only what is
realized counts: a ``native: true`` item the backend draws itself (its
:class:`~.lowering.NativeSupport`) adds no spikes and no synapses.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from . import values
from .errors import NeurobridgeError
from .lowering import NativeSupport, native_decisions
from .model import Network, Population, Projection, Recording, Stimulus, synapse_count
from .realize import DENSE_MEAN, EVENT_BYTES, grid_is_smaller, poisson_steps

GIB = 1024.0**3
#: Realized arrays per synapse (int32 source and target; a drawn weight adds a float64, drawn delays a small
#: int; a scalar one costs nothing) and the drawing's temporaries: benchmarks/memory.py measures 9 bytes
#: kept and a 27-byte peak per synapse for CUBA's fixed_probability with scalar weights and delays.
REALIZED_BYTES_PER_SYNAPSE = 32.0
#: A source spike while it is realized (int64 neuron, float64 time, sort order and copies).
BYTES_PER_INPUT_SPIKE = 48.0
#: A realized Poisson spike: at most one event (int32 neuron, uint16 multiplicity), drawn by blocks.
BYTES_PER_POISSON_SPIKE = EVENT_BYTES
#: A recorded sample: the backend's buffer and the long-format table (five columns).
BYTES_PER_SAMPLE = 56.0
#: Of the available memory, the share a run may plan to use.
USABLE_FRACTION = 0.9


class ResourceError(NeurobridgeError, MemoryError):
    """A network needs more memory than the machine has (or than the explicit limit allows)."""


@dataclass
class Estimate:
    """Bytes by item (``projections[0]: synapses``), in the order they were counted."""

    items: dict[str, float] = field(default_factory=dict)

    def add(self, item: str, n_bytes: float) -> None:
        if n_bytes > 0:
            self.items[item] = self.items.get(item, 0.0) + float(n_bytes)

    @property
    def total(self) -> float:
        return float(sum(self.items.values()))

    def largest(self) -> tuple[str, float]:
        return max(self.items.items(), key=lambda item: item[1]) if self.items else ("nothing", 0.0)


def estimate(network: Network, bytes_per_synapse: float = 100.0, bytes_per_neuron: float = 1000.0,
             native: NativeSupport | None = None) -> Estimate:
    """The memory ``network`` needs on a backend that adds ``bytes_per_synapse`` and ``bytes_per_neuron``.

    ``native``: what the backend draws itself; ``None`` takes every ``native: true`` item as drawn
    by the simulator (nothing realized for it).
    """
    result = Estimate()
    max_delay = _max_delay_steps(network)
    drawn = _drawn_by_simulator(network, native)
    for population in network.populations.values():
        _population(result, network, population, bytes_per_neuron, max_delay.get(population.name, 1),
                    f"populations.{population.name}" in drawn)
    for index, projection in enumerate(network.projections):
        if f"projections[{index}]" not in drawn:
            _projection(result, network, index, projection, bytes_per_synapse)
    for index, stimulus in enumerate(network.stimuli):
        _stimulus(result, network, index, stimulus)
    for index, recording in enumerate(network.recordings):
        _recording(result, network, index, recording)
    return result


def _drawn_by_simulator(network: Network, native: NativeSupport | None) -> set[str]:
    """The field paths of the ``native: true`` items the core does not realize."""
    if native is None:
        return ({f"populations.{p.name}" for p in network.populations.values() if p.native and p.is_source}
                | {f"projections[{i}]" for i, p in enumerate(network.projections) if p.native})
    return {where for where, decision in native_decisions(network, native).items() if decision.native}


def check_memory(network: Network, bytes_per_synapse: float, bytes_per_neuron: float,
                 limit_gb: float | None = None, backend: str = "", native: NativeSupport | None = None) -> Estimate:
    """Refuse ``network`` when its estimate exceeds ``limit_gb`` (default: the memory available now)."""
    needed = estimate(network, bytes_per_synapse, bytes_per_neuron, native)
    if limit_gb is not None:
        limit, source = limit_gb * GIB, f"the limit memory_limit_gb={limit_gb:g}"
    else:
        limit, source = USABLE_FRACTION * available_memory(), "the memory available on this machine"
    if needed.total > limit:
        item, size = needed.largest()
        on = f" on {backend}" if backend else ""
        raise ResourceError(
            f"The network needs about {needed.total / GIB:.3g} GiB{on}, more than {source} "
            f"({limit / GIB:.3g} GiB); the largest item is {item} ({size / GIB:.3g} GiB). Make it smaller, "
            f"or set memory_limit_gb to run it anyway.")
    return needed


def available_memory() -> float:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``, else physical memory)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


# -- items ---------------------------------------------------------------------------------------

def _max_delay_steps(network: Network) -> dict[str, int]:
    steps: dict[str, int] = {}
    for projection in network.projections:
        _, high = values.bounds(projection.delay)
        if not math.isfinite(high):  # an unbounded distribution: its mean and 8 of its spreads
            high = _mean(projection.delay) + 8.0 * _spread(projection.delay)
        steps[projection.target] = max(steps.get(projection.target, 1), int(math.ceil(high / network.dt)))
    return steps


def _spread(spec: Any) -> float:
    """A distribution's scale: the std of a normal, else its mean's magnitude."""
    kind = values.kind_of(spec)
    if kind in ("normal", "truncated_normal"):
        return float(spec[kind]["std"]) * abs(spec.get("factor", 1.0))
    return abs(_mean(spec))


def _population(result: Estimate, network: Network, population: Population, per_neuron: float,
                delay_steps: int, native: bool = False) -> None:
    where = f"populations.{population.name}"
    n = population.size
    if population.is_source:
        if not native:
            per_spike = BYTES_PER_POISSON_SPIKE if population.model == "poisson" else BYTES_PER_INPUT_SPIKE
            spikes = _expected_spikes(network, population)
            result.add(f"{where}: input spikes", min(spikes * per_spike, _poisson_grid_bytes(network, population)))
        result.add(f"{where}: sources", n * 64.0)
        return
    variables = len(population.parameters()) + len(population.state_variables())
    result.add(f"{where}: neurons", n * (8.0 * 3 * variables + per_neuron))
    channels = 1 if population.receptor == "current_delta" else 2
    result.add(f"{where}: ring buffer of {delay_steps + 1} steps", (delay_steps + 1) * channels * n * 8.0)


def _poisson_grid_bytes(network: Network, population: Population) -> float:
    """What Poisson trains dense enough to be kept as a grid of counts take (a byte or two per step and
    neuron, :func:`~neurobridge.realize.poisson_events`); infinite where they are kept as events."""
    rate = population.params["rate"] if population.model == "poisson" else None
    if not (isinstance(rate, (int, float)) or (isinstance(rate, list) and len(set(rate)) <= 16)):
        return math.inf  # many distinct rates are drawn spike by spike and kept as events
    mean = _mean(population.params["rate"]) * network.dt / 1000.0
    cell_bytes = 1 if mean < 100.0 else 2  # the realized counts are bytes while they fit one
    if mean < DENSE_MEAN or not grid_is_smaller(-math.expm1(-mean), cell_bytes):
        return math.inf
    first, end = poisson_steps(population.params, network.dt, network.n_steps)
    return float(population.size * (end - first) * cell_bytes)


def _expected_spikes(network: Network, population: Population) -> float:
    params = population.params
    if population.model == "spike_times":
        times = params["times"]
        if times and isinstance(times[0], list):
            return float(sum(len(t) for t in times))
        return float(len(times) * population.size)
    start = float(params.get("start", 0.0) or 0.0)
    stop = min(float(params.get("stop", math.inf)), network.duration)
    window = max(stop - start, 0.0)
    if population.model == "regular":  # every spike is drawn, several in a step when the interval is shorter
        low, _ = values.bounds(params["interval"]) if "interval" in params else (0.0, 0.0)
        interval = low if "interval" in params else 1000.0 / max(values.bounds(params["rate"])[1], 1e-300)
        return population.size * window / max(interval, 1e-12)
    return population.size * _mean(params["rate"]) * window / 1000.0


def _mean(spec: Any) -> float:
    """The mean of a value spec (a distribution's mean, clipped to its bounds)."""
    if isinstance(spec, list):
        return float(sum(spec) / len(spec)) if spec else 0.0
    if not isinstance(spec, dict):
        return float(spec)
    kind = values.kind_of(spec)
    a = spec[kind]
    mean = {"normal": lambda: a["mean"], "uniform": lambda: (a["low"] + a["high"]) / 2,
            "linspace": lambda: (a["first"] + a["last"]) / 2, "gamma": lambda: a["shape"] * a["scale"],
            "lognormal": lambda: math.exp(min(a["mean"] + a["sigma"] ** 2 / 2, 700.0)),
            "truncated_normal": lambda: _truncated_normal_mean(**a)}[kind]()
    low, high = values.bounds(spec)
    return float(min(max(mean * spec.get("factor", 1.0), low), high))


def _truncated_normal_mean(mean: float, std: float, low: float, high: float) -> float:
    """The mean of a normal restricted to ``[low, high]``: ``mean + std (phi(a) - phi(b)) / (Phi(b) - Phi(a))``."""
    if std == 0:
        return mean
    a, b = (low - mean) / std, (high - mean) / std

    def density(x: float) -> float:
        return math.exp(-x * x / 2) / math.sqrt(2 * math.pi) if math.isfinite(x) else 0.0

    return mean + std * (density(a) - density(b)) / values.normal_mass(0.0, 1.0, a, b)


def expected_synapses(network: Network, projection: Projection) -> int:
    """The synapses ``projection`` makes: exact for the deterministic rules, the mean for the random ones."""
    source = network.populations[projection.source]
    target = network.populations[projection.target]
    connector = projection.connector
    count = synapse_count(connector, source.size, target.size, projection.source == projection.target)
    if count is None:  # fixed_probability, ring
        p = float(connector.params.get("p", 1.0))
        if connector.rule == "ring":
            p *= min(1.0, float(connector.params["radius"]) / math.pi)
        count = int(float(source.size) * target.size * p)
    return count


def check_synapses_per_thread(network: Network, limit: int | None, threads: int, backend: str) -> None:
    """Refuse a network whose synapses of one model exceed what ``threads`` threads hold (NEST: ``limit``
    connections per virtual process and synapse model, or its kernel stops the build midway)."""
    if limit is None:
        return
    counts: dict[str, int] = {}
    for projection in network.projections:
        model = projection.synapse.model
        counts[model] = counts.get(model, 0) + expected_synapses(network, projection)
    for model, count in counts.items():
        if count > limit * threads:
            needed = -(-count // limit)
            raise ResourceError(
                f"backend.options.threads: {threads}: {backend} holds at most {limit:,} synapses of one model "
                f"per thread, and the network has about {count:,} {model} synapses; use threads >= {needed}.")


def _projection(result: Estimate, network: Network, index: int, projection: Projection,
                per_synapse: float) -> None:
    where = f"projections[{index}]"
    source = network.populations[projection.source]
    target = network.populations[projection.target]
    connector = projection.connector
    dense = float(source.size) * target.size
    count = expected_synapses(network, projection)
    if connector.rule == "ring":
        result.add(f"{where}: ring distances", dense * 24.0)
    result.add(f"{where}: {count:.3g} synapses", count * (REALIZED_BYTES_PER_SYNAPSE + per_synapse))
    if connector.rule in ("fixed_indegree", "fixed_outdegree") and not connector.allow_multapses:
        n = connector.params["n"]
        pool = source.size if connector.rule == "fixed_indegree" else target.size
        if 2 * n > pool - 1:  # drawn as a random permutation per row
            result.add(f"{where}: permutations", dense * 16.0)


def _stimulus(result: Estimate, network: Network, index: int, stimulus: Stimulus) -> None:
    target = network.populations[stimulus.target]
    n = target.size if stimulus.neurons is None else len(stimulus.neurons)
    p = stimulus.params
    start, stop = float(p.get("start", 0.0)), min(float(p.get("stop", math.inf)), network.duration)
    span = max(stop - start, 0.0)
    changes = {"noise": span / float(p.get("dt", 1.0)), "ramp": span / network.dt,
               "sinusoidal": span / network.dt, "random_step": span / float(p.get("interval") or network.dt)
               if "times" not in p else len(p["times"])}.get(stimulus.kind, 2.0)
    per_neuron = stimulus.kind == "noise" or (stimulus.kind == "random_step" and p.get("independent"))
    result.add(f"stimuli[{index}]: current trace", changes * (n if per_neuron else 1) * 8.0 * 3)


def _recording(result: Estimate, network: Network, index: int, recording: Recording) -> None:
    population = network.populations[recording.population]
    n = population.size if recording.neurons is None else len(recording.neurons)
    states = [v for v in recording.variables if v != "spikes"]
    every = (recording.interval or network.dt) / network.dt
    samples = network.n_steps / every * n * len(states)
    result.add(f"recordings[{index}]: {samples:.3g} samples", samples * BYTES_PER_SAMPLE)


__all__ = ["estimate", "expected_synapses", "check_memory", "check_synapses_per_thread", "available_memory",
           "Estimate", "ResourceError", "GIB"]
