"""The NumPy reference backend: NEST's time semantics in flat arrays, no simulator needed."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from neurobridge import progress
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
from neurobridge.lowering import LoweredNetwork, NativeSupport
from neurobridge.results import RunOutput

from .neurons import Unstable
from .recording import state_recorders
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
        # Measured (benchmarks/memory.py): realized arrays aside, the engine shares the pathways' arrays
        # (peak ~7 bytes per synapse, CUBA); a fixed_indegree pathway is reordered once by sender (a sort
        # order and reordered copies, ~21 bytes per synapse with drawn weights).
        bytes_per_synapse=24.0, bytes_per_neuron=400.0,
        # Poisson sources native only as per-target inputs (one_to_one or fixed_indegree, unrecorded).
        native=NativeSupport(sources=frozenset({"poisson"}), poisson_input=True, simulated_sources=False),
        notes=(
            "NEST's update order and time stamps; exact propagators for lif × current receptors.",
            "AdEx and conductance LIF: RK4 with `substeps` per dt, synaptic state in closed form; AdEx "
            "near threshold redoes the step with `spike_substeps`. Izhikevich: NEST's forward Euler.",
        ),
    )

    @classmethod
    def simulator_version(cls) -> str:
        return f"numpy {np.__version__}"

    def run(self, lowered: LoweredNetwork, **options: Any) -> RunOutput:
        started, started_cpu = time.perf_counter(), time.process_time()
        engine = build(lowered, options)
        recorders = state_recorders(lowered, engine)
        built, built_cpu = time.perf_counter(), time.process_time()
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # a diverging state is reported below
                spikes = _loop(engine, recorders, lowered.n_steps, lowered.dt)
        except Unstable as unstable:
            raise _diverged(lowered, engine, unstable) from None
        finished, finished_cpu = time.perf_counter(), time.process_time()
        _check_final_state(lowered, engine)
        by_population = _spikes_by_population(lowered, engine, spikes)
        traces = [r.trace(lowered.dt) for r in recorders]
        meta = {"build_cpu_seconds": built_cpu - started_cpu, "run_cpu_seconds": finished_cpu - built_cpu,
                "readback_seconds": time.perf_counter() - finished}
        return RunOutput(by_population, traces, built - started, finished - built, meta)


def _population_of(lowered: LoweredNetwork, group: str, local: int) -> tuple[str, int]:
    """The population and neuron that are neuron ``local`` of ``group``."""
    member = next(m for m in lowered.groups[group].members.values() if m.offset <= local < m.offset + m.size)
    return member.population, local - member.offset


def _diverged(lowered: LoweredNetwork, engine: Engine, unstable: Unstable) -> SimulationDivergedError:
    index, step = next((i, g.unstable_step) for i, g in enumerate(engine.groups) if g.unstable_step is not None)
    name, neuron = _population_of(lowered, engine.names[index], unstable.index)
    when = f"at {(step + 1) * lowered.dt:g} ms"
    return diverged(name, unstable.variable, neuron, unstable.value, when, "numpy", unstable.detail)


def _check_final_state(lowered: LoweredNetwork, engine: Engine) -> None:
    """Every state variable finite at the end of the run (a NaN stays NaN: checking once is enough)."""
    for name, pair in lowered.groups.items():
        group = engine.group(name)
        for variable in state_variables(pair.membrane, pair.receptor):
            bad = ~np.isfinite(group.read(variable))
            if bad.any():
                population, neuron = _population_of(lowered, name, int(np.flatnonzero(bad)[0]))
                value = float(group.read(variable)[int(np.flatnonzero(bad)[0])])
                raise diverged(population, variable, neuron, value, "at the end of the run", "numpy")


def _loop(engine: Engine, recorders: list, n_steps: int, dt: float) -> list[tuple[int, int, np.ndarray]]:
    """The step loop: update every group, deliver the spikes, apply current changes, record (and report the
    simulated time every 1000 steps when a reporter is active)."""
    groups, inboxes = engine.groups, engine.inboxes
    bases = engine.sender_base
    pointer, source_senders = engine.source_steps, engine.source_senders
    changes, drives = engine.current_changes, engine.drives
    log: list[tuple[int, int, np.ndarray]] = []
    report = progress.reporter()
    for step in range(n_steps):
        if report is not None and not step % 1000:
            report.at(step * dt)
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
        for drive in drives:
            drive.deliver(step)
        if step in changes:
            for group, neurons, running, new in changes[step]:
                group.i_stim[neurons] += new - running
                running[:] = new
                group.currents_changed()
        for recorder in recorders:
            recorder.sample(step)
    return log


def _spikes_by_population(lowered: LoweredNetwork, engine: Engine,
                          log: list[tuple[int, int, np.ndarray]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Split the spike log into populations; times are stamped at the end of the step."""
    if log:
        steps = np.concatenate([np.full(s.size, step) for step, _, s in log])
        groups = np.concatenate([np.full(s.size, g) for _, g, s in log])
        local = np.concatenate([s for _, _, s in log])
    else:
        steps = groups = local = np.empty(0, dtype=np.int64)
    out = {}
    for name in lowered.spike_populations:
        population = lowered.realized.populations[name]
        if lowered.replayed(name):
            out[name] = (population.spike_neurons, population.spike_times)
            continue
        pair, member = lowered.locate(name)
        mine = (groups == engine.names.index(pair.name)) & (local >= member.offset) & (
            local < member.offset + member.size)
        out[name] = (local[mine] - member.offset, (steps[mine] + 1) * lowered.dt)
    return out
