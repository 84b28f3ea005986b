"""Spike delivery: CSR rows keyed by sender, a ring buffer of ``max_delay + 1`` slots per group.

A spike emitted in step ``s`` through a pathway of ``d`` steps lands in the slot
the target group reads in step ``s + d``, its arrival step (:mod:`neurobridge.lowering`).
"""

from __future__ import annotations

import numpy as np

from .neurons import Group


def rows(indptr: np.ndarray, senders: np.ndarray) -> np.ndarray:
    """Indices of every synapse of ``senders`` (CSR rows), concatenated, vectorised."""
    starts = indptr[senders]
    counts = indptr[senders + 1] - starts
    if senders.size == 1:
        return np.arange(starts[0], starts[0] + counts[0])
    ends = np.cumsum(counts)
    return np.arange(ends[-1]) + np.repeat(starts - ends + counts, counts)


def csr(senders: np.ndarray, n_senders: int) -> tuple[np.ndarray, np.ndarray]:
    """The order that sorts synapses by sender, and the row pointer."""
    order = np.argsort(senders, kind="stable")
    indptr = np.zeros(n_senders + 1, dtype=np.int64)
    np.cumsum(np.bincount(senders, minlength=n_senders), out=indptr[1:])
    return order, indptr


class StaticInbox:
    """All static synapses onto one group, in one CSR keyed by the global sender index."""

    def __init__(self, group: Group, senders: np.ndarray, offsets: np.ndarray, delays: np.ndarray,
                 values: np.ndarray, n_senders: int):
        order, self.indptr = csr(senders, n_senders)
        self.offsets = offsets[order]
        self.values = values[order]
        self.delays = delays[order]
        self.uniform_delay = int(delays[0]) if delays.size and np.all(delays == delays[0]) else None
        self.buffer = group.buffer.reshape(-1)  # a view: writes land in the group's ring buffer
        self.slot_size = group.buffer.shape[1] * group.buffer.shape[2]
        self.slots = group.slots

    def deliver(self, senders: np.ndarray, step: int) -> None:
        index = rows(self.indptr, senders)
        if not index.size:
            return
        if self.uniform_delay is not None:
            where = ((step + self.uniform_delay) % self.slots) * self.slot_size + self.offsets[index]
        else:
            where = ((step + self.delays[index]) % self.slots) * self.slot_size + self.offsets[index]
        np.add.at(self.buffer, where, self.values[index])


class TsodyksMarkramInbox(StaticInbox):
    """Synapses of one projection with NEST ``tsodyks2_synapse`` short-term plasticity.

    On each presynaptic spike at ``t`` (``h`` after the synapse's previous one)::

        x <- 1 + (x - x u - 1) exp(-h / tau_rec)
        u <- U + u (1 - U) exp(-h / tau_fac)
        weight sent = w x u

    and the first spike of a synapse uses ``x`` and ``u`` as initialised.
    Several spikes of one sender in one step count once with their
    multiplicity, as NEST's multiplicity events do.
    """

    def __init__(self, group, senders, offsets, delays, values, n_senders, params, dt):
        super().__init__(group, senders, offsets, delays, values, n_senders)
        n = self.values.size
        self.U, self.tau_rec, self.tau_fac = params["U"], params["tau_rec"], params["tau_fac"]
        self.x = np.full(n, params.get("x", 1.0))
        self.u = np.full(n, params.get("u", self.U))
        self.last = np.full(n, -np.inf)
        self.dt = dt

    def deliver(self, senders: np.ndarray, step: int) -> None:
        unique, multiplicity = np.unique(senders, return_counts=True)
        index = rows(self.indptr, unique)
        if not index.size:
            return
        counts = np.diff(self.indptr)[unique]
        t = (step + 1) * self.dt
        h = t - self.last[index]
        x, u = self.x[index], self.u[index]
        fresh = np.isinf(h)
        x_decay = np.exp(-h / self.tau_rec)
        u_decay = np.exp(-h / self.tau_fac) if self.tau_fac > 1e-10 else 0.0
        x = np.where(fresh, x, 1.0 + (x - x * u - 1.0) * x_decay)
        u = np.where(fresh, u, self.U + u * (1.0 - self.U) * u_decay)
        self.x[index], self.u[index], self.last[index] = x, u, t
        weights = self.values[index] * x * u * np.repeat(multiplicity, counts)
        where = ((step + self.delays[index]) % self.slots) * self.slot_size + self.offsets[index]
        np.add.at(self.buffer, where, weights)
