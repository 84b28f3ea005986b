"""Neuron dynamics of the reference backend, one class per integration scheme.

Each group holds the state of every neuron of one lowered pair group in flat
arrays and advances it by one step of NEST's update, in the order the
lowered network's contract states (:mod:`neurobridge.lowering`): the membrane
moves over the step with the synaptic state of its start (exact propagators
for the linear LIF models, RK4 for conductance LIF and AdEx, NEST's forward
Euler for Izhikevich), then the synaptic state decays and the step's
arrivals are added (``delta``: onto ``V_m``, before the threshold), then the
threshold is checked; refractory neurons are held at ``V_reset``.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from neurobridge.catalog import RECEPTOR_SPECS
from neurobridge.propagators import lif_propagators

E = math.e


class Unstable(Exception):
    """A group's state left the range its simulator keeps it in (NEST's own stability checks)."""

    def __init__(self, index: int, variable: str, value: float, detail: str) -> None:
        super().__init__(detail)
        self.index, self.variable, self.value, self.detail = index, variable, value, detail


#: NEST's aeif_* give up when V_m < -1000 mV or |w| > 1e6 pA (``NumericalInstability``); so does the reference.
ADEX_V_MIN, ADEX_W_MAX = -1e3, 1e6


def compact(values: np.ndarray) -> np.ndarray | float:
    """A scalar when every neuron has the same value (faster arithmetic), else the array."""
    values = np.asarray(values, dtype=float)
    return float(values[0]) if values.size and np.all(values == values[0]) else values


class Group:
    """Neurons of one model × receptor pair; a contiguous block of the sender index space."""

    #: Number of synaptic input channels (excitatory, inhibitory).
    channels = 2
    #: The step in which the group's stability check failed (``None``: it has not).
    unstable_step: int | None = None

    def __init__(self, n: int, params: dict[str, np.ndarray], initial: dict[str, np.ndarray],
                 receptor: str, dt: float, max_delay_steps: int, options: dict[str, Any]):
        self.n = n
        self.dt = dt
        self.receptor = receptor
        self.slots = max_delay_steps + 1
        self.buffer = np.zeros((self.slots, self.channels, n))
        self.i_stim = np.zeros(n)
        self.params = params

    def read_input(self, step: int) -> np.ndarray:
        """The spikes arriving in ``step`` (weights per channel), clearing their slot."""
        slot = self.buffer[step % self.slots]
        arrived = slot.copy()
        slot.fill(0.0)
        return arrived

    def currents_changed(self) -> None:
        """Called after ``i_stim`` changed (groups that cache a drive recompute it)."""

    def update(self, step: int) -> np.ndarray:
        raise NotImplementedError

    def read(self, variable: str) -> np.ndarray:
        raise NotImplementedError

    def read_at(self, variable: str, index: np.ndarray) -> np.ndarray:
        """``read(variable)[index]``; groups that compute a variable on reading compute only ``index``."""
        return self.read(variable)[index]


class LinearLIF(Group):
    """``lif`` × ``current_delta`` / ``current_exp`` / ``current_alpha``: NEST's ``iaf_psc_*``.

    The state is one block ``X`` of rows: ``y = V_m - E_L`` (NEST keeps the
    membrane relative to ``E_L``), then the synaptic rows (``I_ex, I_in`` for
    exp; ``I_ex, I_in, dI_ex, dI_in`` for alpha; none for delta). One step is
    ``X <- P X`` with ``P = expm(A dt)`` the exact propagator of the joint
    linear system, which is NEST's update written as a matrix: ``y`` moves
    with the synaptic state at the start of the step, then the synapses decay.
    Arriving spikes are then added to the input rows (alpha: scaled by
    ``e / tau_syn`` so the PSC peaks at the weight; delta: straight onto ``y``,
    dropped while refractory, ``refractory_input = False``).
    """

    def __init__(self, n, params, initial, receptor, dt, max_delay_steps, options):
        self.channels = 1 if receptor == "current_delta" else 2
        super().__init__(n, params, initial, receptor, dt, max_delay_steps, options)
        p = params
        self.delta = receptor == "current_delta"
        self.E_L = compact(p["E_L"])
        self.theta = compact(p["V_th"] - p["E_L"])
        self.v_reset = compact(p["V_reset"] - p["E_L"])
        self.refractory = compact(p["refractory_steps"])
        self.free_at = np.zeros(n, dtype=np.int64)  # first step at which a neuron is not refractory
        self.P20 = -p["tau_m"] / p["C_m"] * np.expm1(-dt / p["tau_m"])
        self.I_e = p["I_e"]
        rows = [initial["V_m"] - p["E_L"]]
        if receptor == "current_exp":
            rows += [initial["I_syn_ex"], initial["I_syn_in"]]
        elif receptor == "current_alpha":
            rows += [initial["I_syn_ex"], initial["I_syn_in"], np.zeros(n), np.zeros(n)]
        self.X = np.array(rows, dtype=float)
        self.P = _linear_propagators(receptor, p, dt)  # (k, k) shared or (n, k, k)
        self.shared = self.P.ndim == 2
        self.terms = _upper_terms(self.P) if self.shared else None
        self.scratch = np.empty(n)
        # With one refractory count R, the refractory neurons are those that spiked in the last R steps:
        # kept as the last R spike arrays, so the clamp touches only them, never every neuron.
        self.recent: deque[np.ndarray] | None = (
            deque(maxlen=int(self.refractory)) if np.isscalar(self.refractory) and self.refractory >= 1 else None)
        self.inputs = {"current_delta": slice(0, 1), "current_exp": slice(1, 3),
                       "current_alpha": slice(3, 5)}[receptor]
        taus = np.stack([p["tau_syn_ex"], p["tau_syn_in"]]) if not self.delta else None
        self.spike_factor = _compact_rows(E / taus) if receptor == "current_alpha" else None
        self._drive()

    def _drive(self) -> None:
        """The constant input's contribution to ``y`` over one step, recomputed when currents change."""
        drive = compact((self.I_e + self.i_stim) * self.P20)
        self.drive = None if np.isscalar(drive) and drive == 0.0 else drive

    def currents_changed(self) -> None:
        self._drive()

    def _propagate(self) -> None:
        """``X <- P X``: row by row in place for a shared ``P`` (upper triangular: row ``i`` reads rows
        ``j >= i``, not yet updated), elementwise, so no BLAS call splits a 3-by-N product over threads."""
        if self.terms is None:
            self.X = np.einsum("nij,jn->in", self.P, self.X)
            return
        X, scratch = self.X, self.scratch
        for i, diagonal, others in self.terms:
            row = X[i]
            row *= diagonal
            for j, factor in others:
                np.multiply(X[j], factor, out=scratch)
                row += scratch

    def _refractory(self, step: int) -> np.ndarray:
        """The refractory neurons: indices (one count for all) or a mask."""
        if self.recent is None:
            return self.free_at > step
        if not self.recent:
            return np.empty(0, dtype=np.int64)
        return self.recent[0] if len(self.recent) == 1 else np.concatenate(self.recent)

    def update(self, step: int) -> np.ndarray:
        self._propagate()
        X = self.X
        y = X[0]
        if self.drive is not None:
            y += self.drive
        slot = self.buffer[step % self.slots]
        refractory = self._refractory(step)
        if self.delta:
            arrived = slot[0]
            arrived[refractory] = 0.0  # a refractory neuron drops delta inputs (the slot is cleared below)
            y += arrived
        else:
            X[self.inputs] += slot if self.spike_factor is None else self.spike_factor * slot
        slot.fill(0.0)
        if self.recent is None:
            np.copyto(y, self.v_reset, where=refractory)
        else:
            y[refractory] = _pick(self.v_reset, refractory)
        spiking = np.flatnonzero(y >= self.theta)
        if spiking.size:
            y[spiking] = _pick(self.v_reset, spiking)
            self.free_at[spiking] = step + 1 + _pick(self.refractory, spiking)
        if self.recent is not None:
            self.recent.append(spiking)
        return spiking

    def read(self, variable: str) -> np.ndarray:
        if variable == "V_m":
            return self.X[0] + self.E_L
        return self.X[1] if variable == "I_syn_ex" else self.X[2]

    def read_at(self, variable: str, index: np.ndarray) -> np.ndarray:
        if variable == "V_m":
            return self.X[0, index] + _pick(self.E_L, index)
        return self.read(variable)[index]


def _upper_terms(P: np.ndarray) -> list[tuple[int, float, list[tuple[int, float]]]]:
    """Per row ``i`` of an upper-triangular propagator: its diagonal and the nonzero ``(j, P[i, j])``, j > i."""
    if np.any(np.tril(P, -1) != 0):
        raise AssertionError("the propagator is not upper triangular")
    return [(i, float(P[i, i]), [(j, float(P[i, j])) for j in range(i + 1, P.shape[0]) if P[i, j] != 0])
            for i in range(P.shape[0])]


def _compact_rows(values: np.ndarray) -> np.ndarray:
    """``(2, n)`` per-channel values, reduced to ``(2, 1)`` when uniform within each channel."""
    values = np.asarray(values, dtype=float)
    if np.all(values == values[:, :1]):
        return values[:, :1].copy()
    return values


def _linear_propagators(receptor: str, p: dict[str, np.ndarray], dt: float) -> np.ndarray:
    """The core's exact propagators, shared ``(k, k)`` when every neuron has the same."""
    P = lif_propagators(receptor, p, dt)
    return P[0] if np.all(P == P[:1]) else P


class Receptors:
    """Synaptic state with its exact evolution inside a step, for the ODE-integrated models.

    Inside a step the synaptic currents (pA) or conductances (nS) follow
    their closed form (exponential or alpha decay from the step's start), so
    the integrator only approximates the membrane. :meth:`view` tabulates,
    for every half substep ``j``, the synaptic current as ``a[j] - b[j] V``.
    """

    def __init__(self, receptor: str, params: dict[str, np.ndarray], initial: dict[str, np.ndarray],
                 n: int, dt: float):
        self.conductance = receptor.startswith("conductance")
        self.alpha = receptor.endswith("alpha")
        self.names = ("g_ex", "g_in") if self.conductance else ("I_syn_ex", "I_syn_in")
        self.s = np.stack([initial[self.names[0]], initial[self.names[1]]]).astype(float)
        self.ds = np.zeros((2, n))
        self.taus = _compact_rows(np.stack([params["tau_syn_ex"], params["tau_syn_in"]]))
        self.dt = dt
        self.end = np.exp(-dt / self.taus)
        self.spike_factor = E / self.taus if self.alpha else 1.0
        self.E_rev = (_compact_rows(np.stack([params["E_ex"], params["E_in"]])) if self.conductance
                      else None)

    def view(self, substeps: int, index: np.ndarray | None = None) -> tuple[list, list]:
        """``(a, b)`` per half substep: the synaptic current is ``a[j] - b[j] * V`` (of neurons ``index``)."""
        s, ds, taus, E_rev = self.s, self.ds, self.taus, self.E_rev
        if index is not None:
            s, ds = s[:, index], ds[:, index]
            taus = taus if taus.shape[1] == 1 else taus[:, index]
            if E_rev is not None and E_rev.shape[1] > 1:
                E_rev = E_rev[:, index]
        a, b = [], []
        for j in range(2 * substeps + 1):
            t = j * self.dt / (2 * substeps) if substeps else 0.0
            values = (s + ds * t) * np.exp(-t / taus) if self.alpha else s * np.exp(-t / taus)
            if E_rev is None:
                a.append(values.sum(axis=0))
                b.append(0.0)
            else:
                a.append((values * E_rev).sum(axis=0))
                b.append(values.sum(axis=0))
        return a, b

    def advance(self, arrived: np.ndarray) -> None:
        """Move to the end of the step and add the spikes that arrived in it."""
        if self.alpha:
            self.s = (self.s + self.ds * self.dt) * self.end
            self.ds = self.ds * self.end + self.spike_factor * arrived
        else:
            self.s = self.s * self.end + arrived

    def read(self, variable: str) -> np.ndarray:
        return self.s[self.names.index(variable)]


class DeltaReceptor:
    """``current_delta`` for the ODE models: no synaptic state; a spike moves ``V_m`` by its weight."""

    names: tuple[str, ...] = ()

    def view(self, substeps: int, index: np.ndarray | None = None) -> tuple[list, list]:
        zeros = [0.0] * (2 * substeps + 1)
        return zeros, zeros

    def advance(self, arrived: np.ndarray) -> np.ndarray:
        return arrived[0]


class OdeGroup(Group):
    """Models whose membrane is integrated numerically; subclasses give the right-hand side."""

    def __init__(self, n, params, initial, receptor, dt, max_delay_steps, options):
        self.channels = 1 if receptor == "current_delta" else 2
        super().__init__(n, params, initial, receptor, dt, max_delay_steps, options)
        self.syn = (DeltaReceptor() if receptor == "current_delta"
                    else Receptors(receptor, params, initial, n, dt))
        self.V = np.asarray(initial["V_m"], dtype=float).copy()
        self.I_e = compact(params["I_e"])
        self.substeps = int(options["substeps"])

    def read(self, variable: str) -> np.ndarray:
        if variable == "V_m":
            return self.V
        return self.syn.read(variable)


class ConductanceLIF(OdeGroup):
    """``lif`` × ``conductance_exp`` / ``conductance_alpha``: NEST's ``iaf_cond_exp`` / ``iaf_cond_alpha``.

    RK4 over the step (``substeps`` per dt); the threshold is checked at the
    end of the step, a refractory neuron is held at ``V_reset``.
    """

    def __init__(self, n, params, initial, receptor, dt, max_delay_steps, options):
        super().__init__(n, params, initial, receptor, dt, max_delay_steps, options)
        p = params
        self.C_m, self.g_L, self.E_L = compact(p["C_m"]), compact(p["g_L"]), compact(p["E_L"])
        self.V_th, self.V_reset = compact(p["V_th"]), compact(p["V_reset"])
        self.refractory = compact(p["refractory_steps"])
        self.r = np.zeros(n, dtype=np.int64)

    def update(self, step: int) -> np.ndarray:
        free = self.r == 0
        k = self.substeps
        h = self.dt / k
        a, b = self.syn.view(k)
        drive = self.g_L * self.E_L + self.I_e + self.i_stim

        def dV(V, j):
            return free * (drive + a[j] - (self.g_L + b[j]) * V) / self.C_m

        V = self.V
        for i in range(k):
            j = 2 * i
            k1 = dV(V, j)
            k2 = dV(V + h / 2 * k1, j + 1)
            k3 = dV(V + h / 2 * k2, j + 1)
            k4 = dV(V + h * k3, j + 2)
            V = V + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        self.syn.advance(self.read_input(step))
        refractory = ~free
        V[refractory] = _pick(self.V_reset, refractory)
        self.r[refractory] -= 1
        spiking = np.flatnonzero(free & (V >= self.V_th))
        if spiking.size:
            V[spiking] = _pick(self.V_reset, spiking)
            self.r[spiking] = _pick(self.refractory, spiking)
        self.V = V
        return spiking


def _pick(value, index):
    return value if np.isscalar(value) else value[index]


class AdEx(OdeGroup):
    """``adex`` × any receptor: NEST's ``aeif_psc_*`` / ``aeif_cond_*``.

    As in NEST, ``V`` enters the right-hand side bounded by ``V_peak``, a
    spike is detected (``V`` reset, ``w += b``) as soon as an integration
    substep ends at or above ``V_peak`` (``V_th`` when ``Delta_T`` is 0), and
    a refractory neuron is clamped at ``V_reset``. Integration is adaptive
    where it matters: every neuron takes ``substeps`` RK4 substeps per dt;
    a neuron whose exponential term grows fast over the step (local rate
    ``lambda = g_L / C_m exp((V - V_th) / Delta_T)``, so in the upswing of a
    spike) redoes the step with enough substeps that ``lambda h <= 0.05``
    (a power of two, at most ``spike_substeps``), which also resolves when
    in the step it spiked.
    """

    PARAMETERS = ("C_m", "g_L", "E_L", "V_th", "V_reset", "Delta_T", "a", "b", "tau_w", "V_peak", "I_e")

    def __init__(self, n, params, initial, receptor, dt, max_delay_steps, options):
        super().__init__(n, params, initial, receptor, dt, max_delay_steps, options)
        self.spike_substeps = int(options["spike_substeps"])
        p = {name: np.asarray(params[name], dtype=float) for name in self.PARAMETERS}
        p["detect"] = np.where(p["Delta_T"] > 0, p["V_peak"], p["V_th"])
        p["slope"] = np.where(p["Delta_T"] > 0, p["Delta_T"], 1.0)
        p["exp_on"] = (p["Delta_T"] > 0).astype(float)
        p["refractory"] = np.asarray(params["refractory_steps"])
        p["rate"] = p["g_L"] / p["C_m"] * p["exp_on"]
        self.p = p
        self.shared = {name: compact(value) for name, value in p.items()}
        self.w = np.asarray(initial["w"], dtype=float).copy()
        self.r = np.zeros(n, dtype=np.int64)

    def _subset(self, index: np.ndarray) -> dict:
        return {name: self.shared[name] if np.isscalar(self.shared[name]) else value[index]
                for name, value in self.p.items()} | {"i_stim": self.i_stim[index]}

    def _integrate(self, V, w, r, substeps, a, b, q):
        """RK4 with spike detection after every substep; returns V, w, r and who spiked."""
        h = self.dt / substeps
        drive = q["g_L"] * q["E_L"] + q["I_e"] + q["i_stim"]
        spiked = np.zeros(V.shape, dtype=bool)

        def rhs(V, w, j, free):
            V_eff = np.where(free, np.minimum(V, q["V_peak"]), q["V_reset"])
            spike = q["exp_on"] * q["g_L"] * q["Delta_T"] * np.exp((V_eff - q["V_th"]) / q["slope"])
            dV = free * (drive + a[j] - (q["g_L"] + b[j]) * V_eff + spike - w) / q["C_m"]
            return dV, (q["a"] * (V_eff - q["E_L"]) - w) / q["tau_w"]

        for i in range(substeps):
            free = r == 0
            j = 2 * i
            a1, b1 = rhs(V, w, j, free)
            a2, b2 = rhs(V + h / 2 * a1, w + h / 2 * b1, j + 1, free)
            a3, b3 = rhs(V + h / 2 * a2, w + h / 2 * b2, j + 1, free)
            a4, b4 = rhs(V + h * a3, w + h * b3, j + 2, free)
            V = np.where(free, V + h / 6 * (a1 + 2 * a2 + 2 * a3 + a4), q["V_reset"])
            w = w + h / 6 * (b1 + 2 * b2 + 2 * b3 + b4)
            crossed = free & (V >= q["detect"])
            if crossed.any():
                V = np.where(crossed, q["V_reset"], V)
                w = w + crossed * q["b"]
                r = np.where(crossed, np.where(q["refractory"] > 0, q["refractory"] + 1, 0), r)
                spiked |= crossed
        return V, w, r, spiked

    def update(self, step: int) -> np.ndarray:
        q = {**self.shared, "i_stim": self.i_stim}
        a, b = self.syn.view(self.substeps)
        V, w, r, spiked = self._integrate(self.V, self.w, self.r, self.substeps, a, b, q)
        for substeps, fast in self._refine(V, spiked):
            a, b = self.syn.view(substeps, fast)
            V[fast], w[fast], r[fast], spiked[fast] = self._integrate(
                self.V[fast], self.w[fast], self.r[fast], substeps, a, b, self._subset(fast))
        jump = self.syn.advance(self.read_input(step))
        if jump is not None:  # current_delta: NEST's aeif_psc_delta adds the jump inside the step
            V, w, r = self._jump(V, w, r, jump, spiked)
        r = np.where(r > 0, r - 1, r)  # counted down after the jump, as NEST does
        self.V, self.w, self.r = V, w, r
        self._check_stability()
        return np.flatnonzero(spiked)

    def _jump(self, V: np.ndarray, w: np.ndarray, r: np.ndarray, jump: np.ndarray,
              spiked: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``current_delta``: a free neuron's ``V_m`` jumps by the arriving weights and is tested against
        the peak at once (a refractory neuron drops them), NEST's ``aeif_psc_delta``."""
        q = self.shared
        free = r == 0
        V = V + jump * free
        crossed = free & (V >= q["detect"])
        if crossed.any():
            V = np.where(crossed, q["V_reset"], V)
            w = w + crossed * q["b"]
            r = np.where(crossed, np.where(q["refractory"] > 0, q["refractory"] + 1, 0), r)
            spiked |= crossed
        return V, w, r

    def _check_stability(self) -> None:
        """NEST's check after each step of an aeif_* neuron."""
        if self.V.min() < ADEX_V_MIN or np.abs(self.w).max() > ADEX_W_MAX:
            bad_v = self.V < ADEX_V_MIN
            variable, values = ("V_m", self.V) if bad_v.any() else ("w", self.w)
            index = int(np.flatnonzero(bad_v if bad_v.any() else np.abs(self.w) > ADEX_W_MAX)[0])
            raise Unstable(index, variable, float(values[index]),
                           "NEST's aeif stability check: V_m < -1000 mV or |w| > 1e6 pA")

    def _refine(self, V: np.ndarray, spiked: np.ndarray):
        """Neurons whose step needs more substeps, grouped by that number (a power of two)."""
        q = self.shared
        highest = np.minimum(np.fmax(self.V, V), q["V_peak"])
        rate = q["rate"] * np.exp((highest - q["V_th"]) / q["slope"])
        needed = np.ceil(self.dt * rate / 0.05)
        needed[spiked] = np.maximum(needed[spiked], 8)  # resolve where in the step the spike fell
        needed = np.minimum(needed, self.spike_substeps)
        coarse = self.substeps
        if not np.any(needed > coarse):
            return []
        levels = np.minimum(2 ** np.ceil(np.log2(np.maximum(needed, 1))), self.spike_substeps).astype(int)
        return [(int(level), np.flatnonzero(levels == level)) for level in np.unique(levels[needed > coarse])]

    def read(self, variable: str) -> np.ndarray:
        return self.w if variable == "w" else super().read(variable)


class Izhikevich(OdeGroup):
    """``izhikevich`` × any receptor, integrated as NEST's ``izhikevich`` (forward Euler, one step).

    ``dv/dt = 0.04 v^2 + 5 v + 140 - u + I``, ``du/dt = a (b v - u)``; at
    ``v >= V_th`` (the peak): ``v = c``, ``u += d``. With ``current_delta``
    a spike moves ``v`` by its weight within the step it arrives; other
    receptors act through their current at the start of the step.
    """

    def __init__(self, n, params, initial, receptor, dt, max_delay_steps, options):
        super().__init__(n, params, initial, receptor, dt, max_delay_steps, options)
        self.a, self.b, self.c, self.d = (compact(params[name]) for name in ("a", "b", "c", "d"))
        self.V_th = compact(params["V_th"])
        self.U = np.asarray(initial["U_m"], dtype=float).copy()

    def update(self, step: int) -> np.ndarray:
        h, v, u = self.dt, self.V, self.U
        a, b = self.syn.view(0)  # the synaptic current at the start of the step
        I = self.i_stim + self.I_e + a[0] - b[0] * v
        v_new = v + h * (0.04 * v * v + 5.0 * v + 140.0 - u + I)
        jump = self.syn.advance(self.read_input(step))
        if jump is not None:
            v_new += jump
        u = u + h * self.a * (self.b * v - u)
        spiking = np.flatnonzero(v_new >= self.V_th)
        if spiking.size:
            v_new[spiking] = _pick(self.c, spiking)
            u[spiking] += _pick(self.d, spiking)
        self.V, self.U = v_new, u
        return spiking

    def read(self, variable: str) -> np.ndarray:
        if variable == "U_m":
            return self.U
        return super().read(variable)


#: The dynamics of each membrane, by the receptor's kind (``delta``, ``current``, ``conductance``).
DYNAMICS: dict[tuple[str, str], type[Group]] = {
    ("lif", "delta"): LinearLIF, ("lif", "current"): LinearLIF, ("lif", "conductance"): ConductanceLIF,
    **{("adex", kind): AdEx for kind in ("delta", "current", "conductance")},
    **{("izhikevich", kind): Izhikevich for kind in ("delta", "current", "conductance")},
}


def group_class(membrane: str, receptor: str) -> type[Group]:
    """The dynamics class for a model × receptor pair (a pair without one is a ``KeyError``, never a guess)."""
    return DYNAMICS[(membrane, RECEPTOR_SPECS[receptor].kind)]
