"""Translate a lowered network into the reference backend's arrays.

Each pair group of the lowered network is one group of flat state arrays
(:mod:`.neurons`), so a network of two LIF populations costs one update per
step. Senders keep the core's global indices; each pathway's synapses become CSR
rows keyed by its source's neurons (sharing the lowered arrays), and a spike
lands in the target group's ring buffer at ``arrival step * slot + channel * n + neuron``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurobridge.lowering import DELTA, LoweredNetwork, sign_rule

from .drives import Drive, PoissonDrive, RealizedDrive
from .neurons import Group, group_class
from .synapses import StaticInbox, TsodyksMarkramInbox

#: Row of each input channel in a group's ring buffer.
CHANNEL_ROW = {"ex": 0, "in": 1, DELTA: 0}


@dataclass
class Engine:
    """Everything the step loop touches."""

    groups: list[Group]
    #: The lowered group of each engine group (same order).
    names: list[str]
    sender_base: list[int]
    inboxes: list[StaticInbox]
    source_steps: np.ndarray  # per step: pointer into source_senders
    source_senders: np.ndarray
    current_changes: dict[int, list[tuple[Group, np.ndarray, np.ndarray, np.ndarray]]] = field(default_factory=dict)
    #: Per-target inputs added to the ring buffers each step (:mod:`.drives`).
    drives: list[Drive] = field(default_factory=list)

    def group(self, name: str) -> Group:
        return self.groups[self.names.index(name)]


def build(lowered: LoweredNetwork, options: dict[str, Any]) -> Engine:
    """The engine of ``lowered``: one group per pair, inboxes, the source and current schedules."""
    groups, names, bases = [], [], []
    for name, pair in lowered.groups.items():
        dynamics = group_class(pair.membrane, pair.receptor)
        params = {**pair.params, "refractory_steps": pair.refractory_steps}  # the lowered group's counts
        groups.append(dynamics(pair.n, params, pair.initial, pair.receptor, lowered.dt,
                               lowered.max_delay_steps(name), options))
        names.append(name)
        bases.append(lowered.senders[next(iter(pair.members))])
    by_name = dict(zip(names, groups))
    drives, driven = _drives(lowered, by_name)
    engine = Engine(groups, names, bases, _inboxes(lowered, by_name, driven), *_source_schedule(lowered, driven))
    engine.drives = drives
    engine.current_changes = _current_schedule(lowered, by_name)
    return engine


def _drives(lowered: LoweredNetwork, groups: dict[str, Group]) -> tuple[list[Drive], set[str]]:
    """Native Poisson inputs, and the realized sources whose every pathway is a drive (``driven``)."""
    drives: list[Drive] = []
    for pathway in lowered.pathways:
        if pathway.native is not None and pathway.native.how == "poisson_input":
            group = groups[pathway.group]
            receptor = lowered.groups[pathway.group].receptor
            _, added = sign_rule(receptor, np.array([float(pathway.spec.weight)]))[pathway.channel]
            member = lowered.groups[pathway.group].members[pathway.target]
            drives.append(PoissonDrive(group, lowered, pathway, CHANNEL_ROW[pathway.channel], member.offset,
                                       float(added[0])))
    driven = {name for name in lowered.sources
              if all(p.is_drive for p in lowered.pathways if p.source == name)}
    for pathway in lowered.pathways:
        if pathway.source in driven:
            group = groups[pathway.group]
            member = lowered.groups[pathway.group].members[pathway.target]
            drives.append(RealizedDrive(group, lowered.sources[pathway.source], pathway,
                                        CHANNEL_ROW[pathway.channel], member.offset))
    return drives, driven


def _inboxes(lowered: LoweredNetwork, groups: dict[str, Group], driven: set[str]) -> list[StaticInbox]:
    """One inbox per pathway that is not a drive, sharing the pathway's arrays.

    Pathways are delivered in the order of their source's sender index, so the spikes of one step reach
    a target's slot in the order one sender-sorted table would add them (when two pathways from one
    source population meet in one channel, their additions no longer interleave by sender).
    """
    inboxes: list[StaticInbox] = []
    for pathway in sorted(lowered.pathways, key=lambda p: lowered.senders[p.source]):
        if pathway.source in driven or (pathway.native is not None and pathway.native.how == "poisson_input"):
            continue
        group = groups[pathway.group]
        member = lowered.groups[pathway.group].members[pathway.target]
        arguments = (group, lowered.senders[pathway.source], lowered.size(pathway.source), pathway.pre,
                     pathway.post, CHANNEL_ROW[pathway.channel] * group.n + member.offset, pathway.delay_steps,
                     pathway.values)
        if pathway.synapse.model == "tsodyks_markram":
            inboxes.append(TsodyksMarkramInbox(*arguments, pathway.synapse.params, lowered.dt))
        else:
            inboxes.append(StaticInbox(*arguments))
    return inboxes


def _source_schedule(lowered: LoweredNetwork, driven: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Source spikes (but the ``driven`` sources') as a pointer per step into the senders emitting in it."""
    n_steps = lowered.n_steps
    schedules = {name: s for name, s in lowered.sources.items() if name not in driven}
    steps = [s.steps for s in schedules.values()]
    senders = [lowered.senders[name] + s.neurons for name, s in schedules.items()]
    if not any(step.size for step in steps):
        return np.zeros(n_steps + 1, dtype=np.int64), np.empty(0, dtype=np.int64)
    step, sender = np.concatenate(steps), np.concatenate(senders)
    order = np.argsort(step, kind="stable")
    pointer = np.searchsorted(step[order], np.arange(n_steps + 1), side="left")
    return pointer, sender[order]


def _current_schedule(lowered: LoweredNetwork, groups: dict[str, Group]
                      ) -> dict[int, list[tuple[Group, np.ndarray, np.ndarray, np.ndarray]]]:
    """Per step: (group, neurons, this trace's running values, new values) to apply at its end."""
    schedule: dict[int, list[tuple[Group, np.ndarray, np.ndarray, np.ndarray]]] = {}
    for current in lowered.currents:
        group, neurons = groups[current.group], current.group_neurons
        running = np.zeros(neurons.size)  # this trace's present contribution, shared by its changes
        for step, amplitude in zip(current.change_steps.tolist(), current.amplitudes):
            new = np.broadcast_to(np.asarray(amplitude, dtype=float), neurons.shape)
            schedule.setdefault(step, []).append((group, neurons, running, new))
    return schedule
