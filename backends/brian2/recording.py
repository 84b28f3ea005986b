"""Recorders of the Brian2 backend and reading them back in NEST's conventions.

Spikes: a ``SpikeMonitor`` per neuron group; Brian2 stamps a spike at the
start of its step, so ``dt`` is added (NEST stamps the end). Spike sources
that are not native report their realized trains, as the reference does.

States: a ``StateMonitor`` in the ``start`` slot records, at ``t = k dt``,
the state at the end of step ``k - 1``: exactly the sample NEST's
multimeter stamps ``k dt``. Its first sample (``t = 0``, the initial state)
is dropped, and the state after the last step, which no step start sees,
is read from the group after the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from neurobridge.realize import RealizedNetwork
from neurobridge.results import StateTrace

from .translate import SCALE, STATE_VARIABLES, Plan


def spike_populations(realized: RealizedNetwork) -> list[str]:
    """Populations whose spikes are recorded (the core's rule)."""
    return realized.network.spike_populations()


@dataclass
class StateRecorder:
    """One recording's monitor: some neurons of one population, some variables, every ``every`` steps."""

    population: str
    variables: tuple[str, ...]
    neurons: np.ndarray  # within the population
    where: np.ndarray  # within the group
    every: int
    monitor: Any
    group: Any


def monitors(realized: RealizedNetwork, plan: Plan, groups: dict[str, Any], natives: dict[str, Any],
             clock: Any, b2: Any) -> tuple[dict[str, Any], list[StateRecorder]]:
    """Spike monitors (by group or native source name) and state recorders."""
    wanted = spike_populations(realized)
    spikes = {}
    for name, group in plan.groups.items():
        if any(p in wanted for p in group.offsets):
            spikes[name] = b2.SpikeMonitor(groups[name], name=f"{name}_spikes")
    for name in natives:
        if name in wanted:
            spikes[name] = b2.SpikeMonitor(natives[name], name=f"{name}_spikes")
    return spikes, _state_recorders(realized, plan, groups, clock, b2)


def _state_recorders(realized: RealizedNetwork, plan: Plan, groups: dict[str, Any], clock: Any,
                     b2: Any) -> list[StateRecorder]:
    recorders = []
    locate = {p: (g, offset) for g in plan.groups.values() for p, offset in g.offsets.items()}
    for index, recording in enumerate(realized.recordings):
        variables = tuple(v for v in recording.variables if v != "spikes")
        if not variables:
            continue
        group, offset = locate[recording.population]
        size = realized.populations[recording.population].size
        neurons = np.arange(size) if recording.neurons is None else np.asarray(recording.neurons)
        every = int(round((recording.interval or realized.dt) / realized.dt))
        monitor_clock = clock if every == 1 else b2.Clock(dt=every * realized.dt * b2.ms,
                                                          name=f"recording{index}_clock")
        names = [STATE_VARIABLES[v][0] for v in variables]
        monitor = b2.StateMonitor(groups[group.name], names, record=offset + neurons, when="start",
                                  clock=monitor_clock, name=f"recording{index}")
        recorders.append(StateRecorder(recording.population, variables, neurons, offset + neurons,
                                       every, monitor, groups[group.name]))
    return recorders


def read_spikes(realized: RealizedNetwork, plan: Plan,
                spikes: dict[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Spikes per recorded population, local indices and NEST stamps (ms)."""
    dt = realized.dt
    out = {}
    located = {p: (g.name, offset) for g in plan.groups.values() for p, offset in g.offsets.items()}
    for population in spike_populations(realized):
        realized_population = realized.populations[population]
        if population in spikes:  # a native source
            monitor = spikes[population]
            out[population] = (np.asarray(monitor.i[:]), _stamp(monitor, dt))
        elif realized_population.is_source:
            out[population] = (realized_population.spike_neurons, realized_population.spike_times)
        else:
            group, offset = located[population]
            monitor = spikes[group]
            index, times = np.asarray(monitor.i[:]), _stamp(monitor, dt)
            mine = (index >= offset) & (index < offset + realized_population.size)
            out[population] = (index[mine] - offset, times[mine])
    return out


def _stamp(monitor: Any, dt: float) -> np.ndarray:
    """Brian2's step-start time (s) as NEST's end-of-step stamp (ms), on the grid."""
    return (np.round(np.asarray(monitor.t_[:]) * 1000.0 / dt) + 1.0) * dt


def read_states(recorders: list[StateRecorder], n_steps: int, dt: float) -> list[StateTrace]:
    traces = []
    for recorder in recorders:
        steps = np.round(np.asarray(recorder.monitor.t_[:]) * 1000.0 / dt).astype(np.int64)
        keep = steps > 0
        final = n_steps % recorder.every == 0
        times = np.r_[steps[keep], [n_steps] if final else []] * dt
        for variable in recorder.variables:
            name, unit = STATE_VARIABLES[variable]
            values = np.asarray(getattr(recorder.monitor, name + "_")).T[keep]
            if final:
                last = np.asarray(getattr(recorder.group, name + "_")[:])[recorder.where]
                values = np.vstack([values, last[None, :]])
            traces.append(StateTrace(recorder.population, variable, recorder.neurons, times,
                                     values / SCALE[unit]))
    return traces
