"""Spike delivery: CSR rows per pathway keyed by sender, a ring buffer of ``max_delay + 1`` slots per group.

A spike emitted in step ``s`` through a pathway of ``d`` steps lands in the slot
the target group reads in step ``s + d``, its arrival step (:mod:`neurobridge.lowering`).
"""

from __future__ import annotations

import numpy as np

from neurobridge.realize import is_shared

from .neurons import Group


def rows(indptr: np.ndarray, senders: np.ndarray) -> np.ndarray:
    """Indices of every synapse of ``senders`` (CSR rows), concatenated, vectorised."""
    starts = indptr[senders]
    counts = indptr[senders + 1] - starts
    if senders.size == 1:
        return np.arange(starts[0], starts[0] + counts[0])
    ends = np.cumsum(counts)
    return np.arange(ends[-1]) + np.repeat(starts - ends + counts, counts)


def csr(senders: np.ndarray, n_senders: int) -> tuple[np.ndarray | None, np.ndarray]:
    """The order that sorts synapses by sender (``None`` when they already are), and the row pointer."""
    ordered = senders.size < 2 or bool(np.all(senders[1:] >= senders[:-1]))
    order = None if ordered else np.argsort(senders, kind="stable")
    indptr = np.zeros(n_senders + 1, dtype=np.int64)
    np.cumsum(np.bincount(senders, minlength=n_senders), out=indptr[1:])
    return order, indptr


def _reordered(column: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    """``column`` in CSR order: the same array when no reordering is needed or it is one shared value."""
    if order is None or is_shared(column):
        return column
    return column[order]


def _one(column: np.ndarray) -> float | int | None:
    """The value of a column every synapse shares (a broadcast of one value), else ``None``."""
    return column.flat[0].item() if is_shared(column) else None


class StaticInbox:
    """The static synapses of one pathway, in CSR rows keyed by the source population's neurons.

    The rows share the lowered pathway's arrays (the realized ones) when its synapses are already
    ordered by sender, as every connector but ``fixed_indegree`` draws them; otherwise they are
    reordered once. A value every synapse shares (the weight, the delay) stays one number.
    """

    def __init__(self, group: Group, base: int, n_source: int, pre: np.ndarray, post: np.ndarray,
                 channel_offset: int, delays: np.ndarray, values: np.ndarray):
        order, self.indptr = csr(pre, n_source)
        self.base, self.n_source = base, n_source
        self.post = _reordered(post, order)
        self.channel_offset = np.int64(channel_offset)
        self.values = _reordered(values, order)
        self.delays = _reordered(delays, order)
        self.shared_value = _one(values)
        self.uniform_delay = _one(delays)
        self.buffer = group.buffer.reshape(-1)  # a view: writes land in the group's ring buffer
        self.slot_size = group.buffer.shape[1] * group.buffer.shape[2]
        self.slots = group.slots

    def local(self, senders: np.ndarray) -> np.ndarray:
        """The senders (global indices) that belong to this pathway's source, as its local indices."""
        local = senders - self.base
        return local[(local >= 0) & (local < self.n_source)]

    def targets(self, index: np.ndarray, step: int) -> np.ndarray:
        """Where synapses ``index`` land in the ring buffer for a spike sent in ``step``."""
        if self.uniform_delay is not None:
            first = np.int64(((step + self.uniform_delay) % self.slots) * self.slot_size) + self.channel_offset
            return self.post[index] + first
        arrival = (self.delays[index].astype(np.int64) + step) % self.slots
        return arrival * self.slot_size + self.channel_offset + self.post[index]

    def deliver(self, senders: np.ndarray, step: int) -> None:
        local = self.local(senders)
        if not local.size:
            return
        index = rows(self.indptr, local)
        if not index.size:
            return
        value = self.shared_value if self.shared_value is not None else self.values[index]
        np.add.at(self.buffer, self.targets(index, step), value)


class TsodyksMarkramInbox(StaticInbox):
    """Synapses of one projection with NEST ``tsodyks2_synapse`` short-term plasticity.

    On each presynaptic spike at ``t`` (``h`` after the synapse's previous one)::

        x <- 1 + (x - x u - 1) exp(-h / tau_rec)
        u <- U + u (1 - U) exp(-h / tau_fac)
        weight sent = w x u

    and the first spike of a synapse uses ``x`` and ``u`` as initialised.
    Several spikes of one sender in one step are taken one after the other,
    ``h = 0`` after the first, as NEST sends them: a neuron's (a
    ``spike_train_injector``'s, a parrot's) multiplicity reaches the synapse
    as that many events.
    """

    def __init__(self, group, base, n_source, pre, post, channel_offset, delays, values, params, dt):
        super().__init__(group, base, n_source, pre, post, channel_offset, delays, values)
        n = self.post.size
        self.U, self.tau_rec, self.tau_fac = params["U"], params["tau_rec"], params["tau_fac"]
        self.x = np.full(n, params.get("x", 1.0))
        self.u = np.full(n, params.get("u", self.U))
        self.last = np.full(n, -np.inf)
        self.dt = dt

    def deliver(self, senders: np.ndarray, step: int) -> None:
        unique, multiplicity = np.unique(self.local(senders), return_counts=True)
        t = (step + 1) * self.dt
        for spike in range(int(multiplicity.max()) if multiplicity.size else 0):
            if spike:  # the senders with one more spike in this step, h = 0 after the last
                unique = unique[multiplicity > spike]
                multiplicity = multiplicity[multiplicity > spike]
            index = rows(self.indptr, unique)
            if not index.size:
                return
            h = t - self.last[index]
            x, u = self.x[index], self.u[index]
            fresh = np.isinf(h)
            x_decay = np.exp(-h / self.tau_rec)
            u_decay = np.exp(-h / self.tau_fac) if self.tau_fac > 1e-10 else 0.0
            x = np.where(fresh, x, 1.0 + (x - x * u - 1.0) * x_decay)
            u = np.where(fresh, u, self.U + u * (1.0 - self.U) * u_decay)
            self.x[index], self.u[index], self.last[index] = x, u, t
            np.add.at(self.buffer, self.targets(index, step), self.values[index] * x * u)
