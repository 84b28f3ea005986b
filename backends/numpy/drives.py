"""Input drives: per-target spike counts added straight into a group's ring buffer, each step.

A *drive* (:attr:`~neurobridge.lowering.Pathway.is_drive`) is a pathway in which every sender reaches
at most one target and every target hears at most one sender (``one_to_one`` from a spike source),
through static synapses of one delay.
Its step needs no CSR lookup and no ``np.add.at``: the counts of the step, times the values, are
added to the slot of the arrival step with one fancy-indexed ``+=`` (no index repeats).

* :class:`RealizedDrive` replays a realized source's events (:class:`~neurobridge.lowering.SourceSchedule`).
* :class:`PoissonDrive` is a native Poisson input (``native: true``): each step every target draws a
  Poisson(``n rate dt``) count from the backend's own stream, by blocks of steps.
"""

from __future__ import annotations

import numpy as np

from neurobridge.lowering import LoweredNetwork, Pathway, SourceSchedule, poisson_input_trains
from neurobridge.realize import stream

from .neurons import Group

#: Cells (steps × targets) a native drive draws at once.
BLOCK_CELLS = 1 << 18


class RealizedDrive:
    """A realized source's spikes through one drive pathway (multiplicity times the value).

    Events are replayed step by step; trains held as a grid of counts (:meth:`SpikeEvents.from_grid`)
    add a whole row per step, its zeros adding nothing, so every target gets the same sum either way.
    """

    def __init__(self, group: Group, schedule: SourceSchedule, pathway: Pathway, row: int, offset: int):
        spikes = schedule.spikes
        self.grid, self.first = spikes.grid, spikes.first
        self.target = np.full(schedule.size, -1, dtype=np.int64)  # slot position of each sender's target
        self.target[pathway.pre] = row * group.n + offset + pathway.post
        self.value = np.zeros(schedule.size)
        self.value[pathway.pre] = pathway.values
        self.every_sender = bool(np.all(self.target >= 0))
        self.senders = np.flatnonzero(self.target >= 0)
        if self.grid is None:
            self.pointer, self.neurons, self.counts = schedule.pointer, spikes.neurons, spikes.counts
        self.delay = int(pathway.delay_steps[0])
        self.buffer, self.slots = group.buffer, group.slots

    def deliver(self, step: int) -> None:
        slot = self.buffer[(step + self.delay) % self.slots].reshape(-1)  # a view of the ring buffer
        if self.grid is not None:
            row = step - self.first
            if 0 <= row < self.grid.shape[0]:
                if self.every_sender:
                    slot[self.target] += self.value * self.grid[row]
                else:
                    slot[self.target[self.senders]] += self.value[self.senders] * self.grid[row, self.senders]
            return
        first, last = self.pointer[step], self.pointer[step + 1]
        if last == first:
            return
        neurons = self.neurons[first:last]
        counts = self.counts[first:last]
        if not self.every_sender:
            keep = self.target[neurons] >= 0
            neurons, counts = neurons[keep], counts[keep]
        slot[self.target[neurons]] += self.value[neurons] * counts


class PoissonDrive:
    """A native Poisson input: every target neuron its own Poisson count per step, from numpy's own stream."""

    def __init__(self, group: Group, lowered: LoweredNetwork, pathway: Pathway, row: int, offset: int,
                 value: float):
        source = lowered.natives[pathway.source]
        size = lowered.size(pathway.target)
        self.positions = row * group.n + offset + np.arange(size)
        self.value = value
        self.mean = poisson_input_trains(pathway.spec) * float(source.params["rate"][0]) * lowered.dt / 1000.0
        self.first, self.end = source.first, min(source.end, lowered.n_steps)
        self.delay = lowered.native_delay_steps(pathway)
        self.rng = stream(lowered.network.seed, f"numpy-native:projections[{pathway.projection}]")
        self.block = max(1, BLOCK_CELLS // max(size, 1))
        self.counts: np.ndarray = np.empty((0, size))
        self.block_start = 0
        self.buffer, self.slots = group.buffer, group.slots

    def deliver(self, step: int) -> None:
        if not self.first <= step < self.end:
            return
        row = step - self.block_start
        if row >= self.counts.shape[0] or row < 0:
            self.block_start, row = step, 0
            self.counts = self.value * self.rng.poisson(self.mean, (min(self.block, self.end - step),
                                                                    self.positions.size))
        slot = self.buffer[(step + self.delay) % self.slots].reshape(-1)
        slot[self.positions] += self.counts[row]


Drive = RealizedDrive | PoissonDrive
