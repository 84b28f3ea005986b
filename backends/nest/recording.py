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

from neurobridge.realize import RealizedNetwork
from neurobridge.results import StateTrace

from .translate import MODELS, Built, NestModel, Translation, is_native_source


@dataclass
class SpikeRecorder:
    population: str
    recorder: Any
    first: int


@dataclass
class Multimeter:
    population: str
    model: NestModel
    variables: tuple[str, ...]
    neurons: np.ndarray  # local indices, in the order asked for
    ids: np.ndarray  # their node ids
    recorded: np.ndarray  # the distinct node ids recorded, sorted
    multimeter: Any


@dataclass
class Recorders:
    spikes: list[SpikeRecorder]
    states: list[Multimeter]
    #: Spike sources whose spikes are the realized ones (not recorded in NEST).
    realized_sources: list[str]


def spike_populations(realized: RealizedNetwork) -> list[str]:
    """Populations whose spikes are recorded (the core's rule)."""
    return realized.network.spike_populations()


def attach(nest: ModuleType, realized: RealizedNetwork, built: Built) -> Recorders:
    """Create and connect the recorders the network's recordings ask for."""
    spikes, sources = [], []
    for name in spike_populations(realized):
        population = realized.populations[name]
        if population.is_source and not is_native_source(population):
            sources.append(name)
            continue
        recorder = nest.Create("spike_recorder")
        nest.Connect(built.nodes[name], recorder)
        spikes.append(SpikeRecorder(name, recorder, built.first[name]))
    states = [_multimeter(nest, realized, built, recording) for recording in realized.recordings
              if any(v != "spikes" for v in recording.variables)]
    return Recorders(spikes, states, sources)


def _multimeter(nest: ModuleType, realized: RealizedNetwork, built: Built, recording: Any) -> Multimeter:
    population = realized.populations[recording.population]
    model = MODELS[(population.model, population.receptor or "")]
    neurons = (np.arange(population.size) if recording.neurons is None
               else np.asarray(recording.neurons, dtype=np.int64))
    variables = tuple(v for v in recording.variables if v != "spikes")
    nest_names = [_state(model, v).nest for v in variables]
    ids = built.ids(recording.population, neurons)
    recorded = np.unique(ids)
    multimeter = nest.Create("multimeter", params={"record_from": nest_names,
                                                   "interval": recording.interval or realized.dt})
    nest.Connect(multimeter, nest.NodeCollection(recorded.tolist()))
    return Multimeter(recording.population, model, variables, neurons, ids, recorded, multimeter)


def _state(model: NestModel, variable: str) -> Translation:
    return next(t for t in model.states if t.neutral == variable)


def read_spikes(recorders: Recorders, realized: RealizedNetwork) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Spikes per population (local neuron index, time in ms), none after the duration."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in recorders.realized_sources:
        population = realized.populations[name]
        out[name] = (population.spike_neurons, population.spike_times)
    for spikes in recorders.spikes:
        events = spikes.recorder.get("events")
        steps = on_grid(events["times"], realized.dt)
        keep = steps <= realized.network.n_steps
        out[spikes.population] = (np.asarray(events["senders"], dtype=np.int64)[keep] - spikes.first,
                                  steps[keep] * realized.dt)
    return out


def on_grid(times: np.ndarray, dt: float) -> np.ndarray:
    """NEST's times as step numbers: ``step * dt`` is then bit-identical to the reference's stamps."""
    return np.round(np.asarray(times, dtype=float) / dt).astype(np.int64)


def read_states(recorders: Recorders, realized: RealizedNetwork) -> list[StateTrace]:
    """One trace per recorded variable: ``values[i, j]`` at ``times[i]`` for the j-th neuron asked for."""
    return [trace for meter in recorders.states for trace in _traces(meter, realized)]


def _traces(meter: Multimeter, realized: RealizedNetwork) -> list[StateTrace]:
    events = meter.multimeter.get("events")
    steps = on_grid(events["times"], realized.dt)
    senders = np.asarray(events["senders"], dtype=np.int64)
    keep = steps <= realized.network.n_steps
    order = np.lexsort((senders[keep], steps[keep]))
    n_recorded = meter.recorded.size
    sample_times = steps[keep][order][::n_recorded] * realized.dt
    columns = np.searchsorted(meter.recorded, meter.ids)
    traces = []
    for variable in meter.variables:
        translation = _state(meter.model, variable)
        values = np.asarray(events[translation.nest], dtype=float)[keep][order].reshape(-1, n_recorded)
        traces.append(StateTrace(meter.population, variable, meter.neurons, sample_times,
                                 translation.reverse(values[:, columns])))
    return traces
