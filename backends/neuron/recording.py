"""Recorders of the NEURON backend: spikes through NetCon.record, states through Vector.record.

A spike is sent (``net_event``) at the end of the step in which it happens,
``t = (k + 1) dt`` up to NEURON's accumulated roundoff; it is read back on
the grid. A state sample stamped ``t`` is the state at the end of the step
that ends at ``t``, the first at one interval, as the reference records it:
every step, ``Vector.record`` (continuous, after the mechanisms' update,
its first value the initial state, dropped); at a coarser interval,
``Vector.record`` at the times ``(k every - 1/4) dt``, events delivered at
the end of the step ending at ``k every dt``, after its update and before
the next one (away from the step boundaries, so roundoff cannot move them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from neurobridge.lowering import LoweredNetwork
from neurobridge.results import StateTrace

from .translate import Plan, RecordingPlan, native_stamps


@dataclass
class SpikeRecorder:
    population: str
    times: Any  # h.Vector
    ids: Any  # h.Vector
    netcons: list[Any]
    native: bool = False


@dataclass
class StateRecorder:
    plan: RecordingPlan
    vectors: list[list[Any]]  # [variable][neuron]


@dataclass
class Recorders:
    spikes: list[SpikeRecorder]
    states: list[StateRecorder]
    keep: list[Any]  # the sample-time vectors


def attach(h: Any, plan: Plan, cells: dict[str, list[Any]], dt: float) -> Recorders:
    """Spike recorders for the populations the core records, state recorders for the recordings."""
    spikes = []
    for name in plan.spikes:
        if name not in cells:
            continue  # a realized source: its realized train is reported
        times, ids = h.Vector(), h.Vector()
        netcons = []
        for index, cell in enumerate(cells[name]):
            netcon = h.NetCon(cell, None)
            netcon.record(times, ids, index)
            netcons.append(netcon)
        spikes.append(SpikeRecorder(name, times, ids, netcons, name not in plan.populations))
    states, keep = [], []
    for recording in plan.recordings:
        sample_times = None
        if recording.every > 1:
            sample_times = h.Vector((recording.sample_steps() - 0.25) * dt)
            keep.append(sample_times)
        vectors = []
        for variable in recording.range_variables:
            row = []
            for neuron in recording.neurons.tolist():
                vector = h.Vector()
                reference = getattr(cells[recording.population][neuron], f"_ref_{variable}")
                if sample_times is None:
                    vector.record(reference)
                else:
                    vector.record(reference, sample_times)
                row.append(vector)
            vectors.append(row)
        states.append(StateRecorder(recording, vectors))
    return Recorders(spikes, states, keep)


def on_grid(times: np.ndarray, dt: float) -> np.ndarray:
    """NEURON's send times as step numbers (``step * dt`` is then the reference's stamp, bit for bit)."""
    return np.round(np.asarray(times, dtype=float) / dt).astype(np.int64)


def read_spikes(recorders: Recorders, lowered: LoweredNetwork) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Spikes per recorded population (local index, stamp in ms), none after the duration."""
    dt, n_steps = lowered.dt, lowered.n_steps
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in lowered.spike_populations:
        if lowered.replayed(name):
            population = lowered.realized.populations[name]
            out[name] = (population.spike_neurons, population.spike_times)
    for spikes in recorders.spikes:
        times = np.asarray(spikes.times.as_numpy(), dtype=float)
        steps = native_stamps(times, dt) if spikes.native else on_grid(times, dt)
        neurons = np.asarray(spikes.ids.as_numpy()).astype(np.int64)
        keep = (steps >= 1) & (steps <= n_steps)
        out[spikes.population] = (neurons[keep], steps[keep] * dt)
    return out


def read_states(recorders: Recorders, dt: float) -> list[StateTrace]:
    """One trace per recorded variable: ``values[i, j]`` at ``times[i]`` for the j-th neuron asked for."""
    traces = []
    for recorder in recorders.states:
        plan = recorder.plan
        steps = plan.sample_steps()
        for variable, row in zip(plan.variables, recorder.vectors):
            columns = [np.asarray(vector.as_numpy(), dtype=float) for vector in row]
            if plan.every == 1:
                columns = [column[1:] for column in columns]  # the first is the initial state
            values = np.column_stack([column[:steps.size] for column in columns])
            traces.append(StateTrace(plan.population, variable, plan.neurons, steps * dt, values))
    return traces
