"""Recorders of the NEST backend: ``spike_recorder``s and ``multimeter``s, read back on the reference grid.

A multimeter sample stamped ``t`` is the state at the end of the step that
ends at ``t``, the first at one interval, as the reference records it. NEST
hands a slice's samples over in the next slice, so the adapter simulates one
extra minimum delay and :func:`read_spikes` / :func:`read_states` drop
everything after the duration.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from neurobridge.lowering import LoweredNetwork, StateSelection
from neurobridge.results import StateTrace

from .translate import MODELS, Built, NestModel, Translation


@dataclass
class SpikeRecorder:
    population: str
    recorder: Any
    first: int


@dataclass
class Multimeter:
    """One recording's multimeter: the lowered selections of one recording (same neurons, interval)."""

    selections: list[StateSelection]
    model: NestModel
    ids: np.ndarray  # node ids of the neurons asked for, in their order
    recorded: np.ndarray  # the distinct node ids recorded, sorted
    multimeter: Any


@dataclass
class Recorders:
    spikes: list[SpikeRecorder]
    states: list[Multimeter]


def attach(nest: ModuleType, lowered: LoweredNetwork, built: Built) -> Recorders:
    """Create and connect the recorders the lowered network asks for (replayed sources need none)."""
    spikes = []
    for name in lowered.spike_populations:
        if lowered.replayed(name):
            continue
        recorder = nest.Create("spike_recorder")
        nest.Connect(built.nodes[name], recorder)
        spikes.append(SpikeRecorder(name, recorder, built.first[name]))
    by_recording: dict[int, list[StateSelection]] = {}
    for selection in lowered.states:
        by_recording.setdefault(selection.recording, []).append(selection)
    states = [_multimeter(nest, lowered, built, selections) for selections in by_recording.values()]
    return Recorders(spikes, states)


def _multimeter(nest: ModuleType, lowered: LoweredNetwork, built: Built,
                selections: list[StateSelection]) -> Multimeter:
    first = selections[0]
    group = lowered.groups[first.group]
    model = MODELS[(group.membrane, group.receptor)]
    ids = built.ids(first.population, first.neurons)
    recorded = np.unique(ids)
    multimeter = nest.Create("multimeter", params={"record_from": [_state(model, s.variable).nest for s in selections],
                                                   "interval": first.every * lowered.dt})
    nest.Connect(multimeter, nest.NodeCollection(recorded.tolist()))
    return Multimeter(selections, model, ids, recorded, multimeter)


def _state(model: NestModel, variable: str) -> Translation:
    return next(t for t in model.states if t.neutral == variable)


def read_spikes(recorders: Recorders, lowered: LoweredNetwork) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Spikes per population (local neuron index, time in ms), none after the duration."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in lowered.spike_populations:
        if lowered.replayed(name):
            population = lowered.realized.populations[name]
            out[name] = (population.spike_neurons, population.spike_times)
    for spikes in recorders.spikes:
        events = spikes.recorder.get("events")
        steps = on_grid(events["times"], lowered.dt)
        keep = steps <= lowered.n_steps
        out[spikes.population] = (np.asarray(events["senders"], dtype=np.int64)[keep] - spikes.first,
                                  steps[keep] * lowered.dt)
    return out


def on_grid(times: np.ndarray, dt: float) -> np.ndarray:
    """NEST's times as step numbers: ``step * dt`` is then bit-identical to the reference's stamps."""
    return np.round(np.asarray(times, dtype=float) / dt).astype(np.int64)


def read_states(recorders: Recorders, lowered: LoweredNetwork) -> list[StateTrace]:
    """One trace per recorded variable: ``values[i, j]`` at ``times[i]`` for the j-th neuron asked for."""
    return [trace for meter in recorders.states for trace in _traces(meter, lowered)]


def _traces(meter: Multimeter, lowered: LoweredNetwork) -> list[StateTrace]:
    events = meter.multimeter.get("events")
    steps = on_grid(events["times"], lowered.dt)
    senders = np.asarray(events["senders"], dtype=np.int64)
    keep = steps <= lowered.n_steps
    order = np.lexsort((senders[keep], steps[keep]))
    n_recorded = meter.recorded.size
    sample_times = steps[keep][order][::n_recorded] * lowered.dt
    columns = np.searchsorted(meter.recorded, meter.ids)
    traces = []
    for selection in meter.selections:
        translation = _state(meter.model, selection.variable)
        values = np.asarray(events[translation.nest], dtype=float)[keep][order].reshape(-1, n_recorded)
        traces.append(StateTrace(selection.population, selection.variable, selection.neurons, sample_times,
                                 translation.reverse(values[:, columns])))
    return traces
