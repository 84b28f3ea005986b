"""Recorders of the reference backend: the lowered network's state selections, sampled in the loop.

A sample stamped ``t`` is the state at the end of the step that ends at ``t``
(the lowered network's ``sample_steps``), as NEST's multimeter reports it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurobridge.lowering import LoweredNetwork, StateSelection
from neurobridge.results import StateTrace

from .neurons import Group
from .translate import Engine


@dataclass
class StateRecorder:
    selection: StateSelection
    group: Group
    samples: np.ndarray
    count: int = 0

    def sample(self, step: int) -> None:
        if (step + 1) % self.selection.every == 0 and self.count < self.samples.shape[0]:
            self.samples[self.count] = self.group.read_at(self.selection.variable, self.selection.group_neurons)
            self.count += 1

    def trace(self, dt: float) -> StateTrace:
        s = self.selection
        times = (s.sample_steps[:self.count] + 1) * dt
        return StateTrace(s.population, s.variable, s.neurons, times, self.samples[:self.count])


def state_recorders(lowered: LoweredNetwork, engine: Engine) -> list[StateRecorder]:
    return [StateRecorder(s, engine.group(s.group), np.empty((s.n_samples, s.neurons.size)))
            for s in lowered.states]
