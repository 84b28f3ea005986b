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

from neurobridge.lowering import LoweredNetwork, StateSelection
from neurobridge.results import StateTrace

from .translate import SCALE, STATE_VARIABLES, Plan


@dataclass
class StateRecorder:
    """One recording's monitor: the lowered selections of one recording (same neurons and interval)."""

    selections: list[StateSelection]
    monitor: Any
    group: Any

    @property
    def first(self) -> StateSelection:
        return self.selections[0]


def monitors(lowered: LoweredNetwork, plan: Plan, groups: dict[str, Any], natives: dict[str, Any],
             clock: Any, b2: Any, relays: dict[str, Any]) -> tuple[dict[str, Any], list[StateRecorder]]:
    """Spike monitors (by group or native source name) and state recorders. A fine group's spikes are its
    relay's, already stamped at the end of their step."""
    wanted = lowered.spike_populations
    spikes = {}
    for name, group in plan.groups.items():
        if any(p in wanted for p in group.offsets):
            relayed = "_relay" if name in relays else ""
            spikes[name] = b2.SpikeMonitor(relays.get(name, groups[name]), name=f"{name}{relayed}_spikes")
    for name in natives:
        if name in wanted:
            spikes[name] = b2.SpikeMonitor(natives[name], name=f"{name}_spikes")
    return spikes, _state_recorders(lowered, groups, clock, b2)


def _state_recorders(lowered: LoweredNetwork, groups: dict[str, Any], clock: Any, b2: Any) -> list[StateRecorder]:
    by_recording: dict[int, list[StateSelection]] = {}
    for selection in lowered.states:
        by_recording.setdefault(selection.recording, []).append(selection)
    recorders = []
    for index, selections in by_recording.items():
        first = selections[0]
        monitor_clock = clock if first.every == 1 else b2.Clock(dt=first.every * lowered.dt * b2.ms,
                                                                 name=f"recording{index}_clock")
        names = [STATE_VARIABLES[s.variable][0] for s in selections]
        monitor = b2.StateMonitor(groups[first.group], names, record=first.group_neurons, when="start",
                                  clock=monitor_clock, name=f"recording{index}")
        recorders.append(StateRecorder(selections, monitor, groups[first.group]))
    return recorders


def read_spikes(lowered: LoweredNetwork, plan: Plan,
                spikes: dict[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Spikes per recorded population, local indices and NEST stamps (ms)."""
    dt = lowered.dt
    out = {}
    for population in lowered.spike_populations:
        if population in spikes:  # a native source
            monitor = spikes[population]
            out[population] = (np.asarray(monitor.i[:]), _stamp(monitor, dt))
        elif lowered.replayed(population):
            realized = lowered.realized.populations[population]
            out[population] = (realized.spike_neurons, realized.spike_times)
        else:
            group, member = lowered.locate(population)
            monitor = spikes[group.name]
            index, times = np.asarray(monitor.i[:]), _stamp(monitor, dt, monitor.name.endswith("_relay_spikes"))
            mine = (index >= member.offset) & (index < member.offset + member.size)
            out[population] = (index[mine] - member.offset, times[mine])
    return out


def _stamp(monitor: Any, dt: float, stamped: bool = False) -> np.ndarray:
    """Brian2's step-start time (s) as NEST's end-of-step stamp (ms), on the grid (a relay's time is one)."""
    return (np.round(np.asarray(monitor.t_[:]) * 1000.0 / dt) + (0.0 if stamped else 1.0)) * dt


def read_states(recorders: list[StateRecorder], n_steps: int, dt: float) -> list[StateTrace]:
    traces = []
    for recorder in recorders:
        first = recorder.first
        steps = np.round(np.asarray(recorder.monitor.t_[:]) * 1000.0 / dt).astype(np.int64)
        keep = steps > 0
        final = n_steps % first.every == 0
        times = np.r_[steps[keep], [n_steps] if final else []] * dt
        for selection in recorder.selections:
            name, unit = STATE_VARIABLES[selection.variable]
            values = np.asarray(getattr(recorder.monitor, name + "_")).T[keep]
            if final:
                last = np.asarray(getattr(recorder.group, name + "_")[:])[first.group_neurons]
                values = np.vstack([values, last[None, :]])
            traces.append(StateTrace(selection.population, selection.variable, selection.neurons, times,
                                     values / SCALE[unit]))
    return traces
