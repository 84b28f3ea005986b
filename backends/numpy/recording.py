"""Recorders of the reference backend: spikes of chosen populations, state samples at an interval.

A sample stamped ``t`` is the state at the end of the step that ends at
``t``, as NEST's multimeter reports it; the first sample is at one interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurobridge.realize import RealizedNetwork
from neurobridge.results import StateTrace

from .translate import Engine


@dataclass
class StateRecorder:
    population: str
    variable: str
    group: object
    where: np.ndarray  # indices within the group
    neurons: np.ndarray  # indices within the population
    every: int  # steps between samples
    samples: np.ndarray
    count: int = 0

    def sample(self, step: int) -> None:
        if (step + 1) % self.every == 0:
            self.samples[self.count] = self.group.read(self.variable)[self.where]
            self.count += 1

    def trace(self, dt: float) -> StateTrace:
        times = (np.arange(1, self.count + 1) * self.every) * dt
        return StateTrace(self.population, self.variable, self.neurons, times, self.samples[:self.count])


def spike_populations(realized: RealizedNetwork) -> list[str]:
    """Populations whose spikes are recorded (the core's rule)."""
    return realized.network.spike_populations()


def state_recorders(realized: RealizedNetwork, engine: Engine) -> list[StateRecorder]:
    recorders = []
    dt, n_steps = realized.dt, realized.network.n_steps
    for recording in realized.recordings:
        population = realized.populations[recording.population]
        placement = engine.placements[recording.population]
        neurons = (np.arange(population.size) if recording.neurons is None
                   else np.asarray(recording.neurons, dtype=np.int64))
        every = int(round((recording.interval or dt) / dt))
        for variable in recording.variables:
            if variable == "spikes":
                continue
            recorders.append(StateRecorder(
                recording.population, variable, engine.groups[placement.group], placement.offset + neurons,
                neurons, every, np.empty((n_steps // every, neurons.size))))
    return recorders
