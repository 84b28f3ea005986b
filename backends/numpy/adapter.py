"""The NumPy reference backend: NEST's time semantics in flat arrays, no simulator needed."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from neurobridge.backend import (
    ALL_CONNECTORS,
    ALL_PAIRS,
    ALL_SOURCES,
    ALL_STIMULI,
    ALL_SYNAPSES,
    Backend,
    Capabilities,
    Option,
)
from neurobridge.catalog import Interval, state_variables
from neurobridge.errors import SimulationDivergedError, diverged
from neurobridge.realize import RealizedNetwork
from neurobridge.results import RunOutput

from .neurons import Unstable
from .recording import spike_populations, state_recorders
from .translate import Engine, build


class NumpyBackend(Backend):
    """Ground truth for the other backends; every model × receptor pair, synapse, stimulus, connector."""

    name = "numpy"
    capabilities = Capabilities(
        pairs=ALL_PAIRS, sources=ALL_SOURCES, synapses=ALL_SYNAPSES, stimuli=ALL_STIMULI,
        connectors=ALL_CONNECTORS,
        options={
            "substeps": Option(1, int, "RK4 substeps per dt for AdEx and conductance LIF", Interval(1, 1000)),
            "spike_substeps": Option(64, int, "the most substeps an AdEx neuron takes in a spike's upswing "
                                     "(rounded down to a power of two)", Interval(1, 4096)),
        },
        # Measured (benchmarks/memory.py): realized arrays aside, the engine peaks at ~94 bytes per
        # synapse while it sorts and copies them into its CSR rows.
        bytes_per_synapse=96.0, bytes_per_neuron=400.0,
        notes=(
            "NEST's update order and time stamps; exact propagators for lif × current receptors.",
            "AdEx and conductance LIF: RK4 with `substeps` per dt, synaptic state in closed form; AdEx "
            "near threshold redoes the step with `spike_substeps`. Izhikevich: NEST's forward Euler.",
        ),
    )

    @classmethod
    def simulator_version(cls) -> str:
        return f"numpy {np.__version__}"

    def run(self, realized: RealizedNetwork, **options: Any) -> RunOutput:
        started = time.perf_counter()
        engine = build(realized, options)
        recorders = state_recorders(realized, engine)
        built = time.perf_counter()
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # a diverging state is reported below
                spikes = _loop(engine, recorders, realized.network.n_steps)
        except Unstable as unstable:
            raise _diverged(realized, engine, unstable) from None
        finished = time.perf_counter()
        _check_final_state(realized, engine)
        return RunOutput(_spikes_by_population(realized, engine, spikes),
                         [r.trace(realized.dt) for r in recorders], built - started, finished - built)


def _population_of(realized: RealizedNetwork, engine: Engine, group: int, local: int) -> tuple[str, int]:
    """The population and neuron that are neuron ``local`` of group ``group``."""
    for name, placement in engine.placements.items():
        size = realized.populations[name].size
        if placement.group == group and placement.offset <= local < placement.offset + size:
            return name, local - placement.offset
    raise AssertionError(f"no population holds neuron {local} of group {group}")


def _diverged(realized: RealizedNetwork, engine: Engine, unstable: Unstable) -> SimulationDivergedError:
    group = next(i for i, g in enumerate(engine.groups) if g.unstable_step is not None)
    name, neuron = _population_of(realized, engine, group, unstable.index)
    when = f"at {(engine.groups[group].unstable_step + 1) * realized.dt:g} ms"
    return diverged(name, unstable.variable, neuron, unstable.value, when, "numpy", unstable.detail)


def _check_final_state(realized: RealizedNetwork, engine: Engine) -> None:
    """Every state variable finite at the end of the run (a NaN stays NaN: checking once is enough)."""
    for name, placement in engine.placements.items():
        population = realized.populations[name]
        if population.is_source or placement.group is None:
            continue
        group = engine.groups[placement.group]
        for variable in state_variables(population.model, population.receptor or ""):
            values = group.read(variable)[placement.offset:placement.offset + population.size]
            bad = ~np.isfinite(values)
            if bad.any():
                neuron = int(np.flatnonzero(bad)[0])
                raise diverged(name, variable, neuron, float(values[neuron]), "at the end of the run", "numpy")


def _loop(engine: Engine, recorders: list, n_steps: int) -> list[tuple[int, int, np.ndarray]]:
    """The step loop: update every group, deliver the spikes, apply current changes, record."""
    groups, inboxes = engine.groups, engine.inboxes
    bases = engine.sender_base
    pointer, source_senders = engine.source_steps, engine.source_senders
    changes = engine.current_changes
    log: list[tuple[int, int, np.ndarray]] = []
    for step in range(n_steps):
        emitted = []
        for index, group in enumerate(groups):
            try:
                spiking = group.update(step)
            except Unstable:
                group.unstable_step = step
                raise
            if spiking.size:
                log.append((step, index, spiking))
                emitted.append(spiking + bases[index])
        first, last = pointer[step], pointer[step + 1]
        if last > first:
            emitted.append(source_senders[first:last])
        if emitted and inboxes:
            senders = emitted[0] if len(emitted) == 1 else np.concatenate(emitted)
            for inbox in inboxes:
                inbox.deliver(senders, step)
        if step in changes:
            for group, neurons, running, new in changes[step]:
                group.i_stim[neurons] += new - running
                running[:] = new
                group.currents_changed()
        for recorder in recorders:
            recorder.sample(step)
    return log


def _spikes_by_population(realized: RealizedNetwork, engine: Engine,
                          log: list[tuple[int, int, np.ndarray]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Split the spike log into populations; times are stamped at the end of the step."""
    dt = realized.dt
    if log:
        steps = np.concatenate([np.full(s.size, step) for step, _, s in log])
        groups = np.concatenate([np.full(s.size, g) for _, g, s in log])
        local = np.concatenate([s for _, _, s in log])
    else:
        steps = groups = local = np.empty(0, dtype=np.int64)
    out = {}
    for name in spike_populations(realized):
        population = realized.populations[name]
        placement = engine.placements[name]
        if population.is_source:
            out[name] = (population.spike_neurons, population.spike_times)
            continue
        mine = (groups == placement.group) & (local >= placement.offset) & (
            local < placement.offset + population.size)
        out[name] = (local[mine] - placement.offset, (steps[mine] + 1) * dt)
    return out
