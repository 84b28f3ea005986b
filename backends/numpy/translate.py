"""Translate a realized network into the reference backend's arrays.

Populations of the same model × receptor pair share one group (one set of
flat state arrays), so a network of two LIF populations costs one update per
step. Every neuron and spike source gets a global sender index; synapses
become CSR rows keyed by it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurobridge import catalog
from neurobridge.realize import CurrentTrace, RealizedNetwork

from .neurons import Group, group_class
from .synapses import StaticInbox, TsodyksMarkramInbox


@dataclass
class Placement:
    """Where a population lives: its group (``None`` for spike sources) and offsets."""

    group: int | None
    offset: int  # first neuron within the group
    sender: int  # first global sender index


@dataclass
class Engine:
    """Everything the step loop touches."""

    groups: list[Group]
    sender_base: list[int]
    inboxes: list[StaticInbox]
    placements: dict[str, Placement]
    source_steps: np.ndarray  # per step: pointer into source_senders
    source_senders: np.ndarray
    current_changes: dict[int, list[tuple[Group, np.ndarray, np.ndarray, np.ndarray]]] = field(default_factory=dict)


def _channels(receptor: str, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Input channel (0 excitatory, 1 inhibitory) and the value added to it, NEST's sign rule."""
    if receptor == "current_delta":
        return np.zeros(weights.size, dtype=np.int64), weights
    inhibitory = (weights < 0).astype(np.int64)
    if receptor in catalog.CONDUCTANCE_RECEPTORS:
        return inhibitory, np.abs(weights)
    return inhibitory, weights


def build(realized: RealizedNetwork, options: dict[str, Any]) -> Engine:
    dt = realized.dt
    pairs: dict[tuple[str, str], list[str]] = {}
    for name, population in realized.populations.items():
        if not population.is_source:
            pairs.setdefault((population.model, population.receptor), []).append(name)
    max_delay = {pair: 1 for pair in pairs}
    for projection in realized.projections:
        target = realized.populations[projection.target]
        pair = (target.model, target.receptor)
        if projection.n_synapses:
            steps = int(np.round(projection.delays.max() / dt))
            max_delay[pair] = max(max_delay[pair], steps)

    placements: dict[str, Placement] = {}
    groups: list[Group] = []
    sender_base: list[int] = []
    sender = 0
    for index, (pair, names) in enumerate(pairs.items()):
        members = [realized.populations[name] for name in names]
        offset = 0
        for population in members:
            placements[population.name] = Placement(index, offset, sender + offset)
            offset += population.size
        params = {key: np.concatenate([p.params[key] for p in members]) for key in members[0].params}
        initial = {key: np.concatenate([p.initial[key] for p in members]) for key in members[0].initial}
        group = group_class(*pair)(offset, params, initial, pair[1], dt, max_delay[pair], options)
        groups.append(group)
        sender_base.append(sender)
        sender += offset
    for name, population in realized.populations.items():
        if population.is_source:
            placements[name] = Placement(None, 0, sender)
            sender += population.size
    n_senders = sender

    inboxes = _inboxes(realized, groups, placements, n_senders)
    source_steps, source_senders = _source_schedule(realized, placements)
    engine = Engine(groups, sender_base, inboxes, placements, source_steps, source_senders)
    engine.current_changes = _current_schedule(realized.currents, groups, placements, dt)
    return engine


def _inboxes(realized: RealizedNetwork, groups: list[Group], placements: dict[str, Placement],
             n_senders: int) -> list[StaticInbox]:
    dt = realized.dt
    static: dict[int, list[tuple[np.ndarray, ...]]] = {}
    inboxes: list[StaticInbox] = []
    for projection in realized.projections:
        source, target = placements[projection.source], placements[projection.target]
        group = groups[target.group]
        channel, value = _channels(group.receptor, projection.weights)
        columns = (source.sender + projection.sources,
                   channel * group.n + target.offset + projection.targets,
                   np.round(projection.delays / dt).astype(np.int64),
                   value)
        if projection.synapse.model == "tsodyks_markram":
            inboxes.append(TsodyksMarkramInbox(group, *columns, n_senders, projection.synapse.params, dt))
        else:
            static.setdefault(target.group, []).append(columns)
    for index, parts in static.items():
        columns = [np.concatenate(column) for column in zip(*parts)]
        inboxes.append(StaticInbox(groups[index], *columns, n_senders))
    return inboxes


def _source_schedule(realized: RealizedNetwork, placements: dict[str, Placement]) -> tuple[np.ndarray, np.ndarray]:
    """Source spikes as (step emitted, sender)."""
    steps, senders = [], []
    for name, population in realized.populations.items():
        if population.is_source and population.spike_times.size:
            steps.append(population.emission_steps(realized.dt))
            senders.append(placements[name].sender + population.spike_neurons)
    n_steps = realized.network.n_steps
    if not steps:
        return np.zeros(n_steps + 1, dtype=np.int64), np.empty(0, dtype=np.int64)
    step = np.concatenate(steps)
    sender = np.concatenate(senders)
    order = np.argsort(step, kind="stable")
    step, sender = step[order], sender[order]
    pointer = np.searchsorted(step, np.arange(n_steps + 1), side="left")
    return pointer, sender


def _current_schedule(currents: list[CurrentTrace], groups: list[Group], placements: dict[str, Placement],
                      dt: float) -> dict[int, list[tuple[Group, np.ndarray, np.ndarray, np.ndarray]]]:
    """Per step: (group, neurons, this trace's running values, new values) to apply after the step.

    A change at ``T`` is read at the end of step ``T/dt`` and moves the
    membrane from step ``T/dt + 1`` on (NEST's generators with delay ``dt``).
    """
    schedule: dict[int, list[tuple[Group, np.ndarray, np.ndarray, np.ndarray]]] = {}
    for trace in currents:
        placement = placements[trace.target]
        group = groups[placement.group]
        neurons = placement.offset + trace.neurons
        running = np.zeros(neurons.size)  # this trace's present contribution, shared by its changes
        for time, amplitude in zip(trace.times, trace.amplitudes):
            step = int(round(time / dt))
            new = np.broadcast_to(np.asarray(amplitude, dtype=float), neurons.shape)
            schedule.setdefault(step, []).append((group, neurons, running, new))
    return schedule
