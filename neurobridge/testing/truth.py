"""The truths the conformance suite holds every backend to, computed without any backend.

Closed forms (a LIF neuron's PSP and its current, the Tsodyks-Markram recursion),
``scipy.integrate.solve_ivp`` on a model's ODEs (conductance LIF, AdEx), NEST's
forward Euler written out by hand (Izhikevich), and numbers measured on NEST 3.10.
Every input is continuous-time: a spike sent at ``t`` with delay ``d`` starts its
postsynaptic response at ``t + d`` (NEST's stamps and delays, in ms).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from .. import catalog

#: PSC jumps (pA) of NEST 3.10's ``tsodyks2_synapse``, weight 100, U 0.45, tau_rec 750 ms, tau_fac 50 ms,
#: five spikes 50 ms apart (measured on NEST, the first one the weight times U).
NEST_TSODYKS_JUMPS = (45.0, 31.32799, 17.51689, 10.89934, 8.09687)

#: Measured with NEST 3.10's aeif_psc_delta (NEST's defaults, t_ref 2 ms, dt 0.01 ms, delay 0.1 ms):
#: ``(input times, weight, output spikes, {time: V_m})``. A kick over V_peak spikes in the step it arrives
#: (stamped 1.1 ms, not 1.11); the neuron is then refractory through the step stamped 3.1 ms: a kick
#: arriving there is dropped (no second spike, V_m relaxing from V_reset), one arriving at 3.19 ms spikes
#: at once; a small kick arriving at 3.2 ms is kept.
NEST_ADEX_DELTA_CASES = (
    ((1.0,), 80.0, (1.1,), {1.11: -60.0, 3.19: -60.127}),
    ((1.0, 3.0), 80.0, (1.1,), {3.19: -60.127}),
    ((1.0, 3.09), 80.0, (1.1, 3.19), {3.19: -60.0, 3.2: -60.0}),
    ((1.0, 3.1), 10.0, (), {3.19: -62.6, 3.2: -52.609}),
)


@dataclass(frozen=True)
class Arrival:
    """A spike reaching its receptor at ``time`` (ms) with ``weight`` (mV, pA or nS; negative: inhibitory)."""

    time: float
    weight: float

    @property
    def channel(self) -> str:
        return "ex" if self.weight >= 0 else "in"


def synaptic_state(receptor: str, params: Mapping[str, float], arrivals: Sequence[Arrival],
                   t: np.ndarray, channel: str) -> np.ndarray:
    """``I_syn_<channel>`` (pA) or ``g_<channel>`` (nS) at times ``t``: each arrival's kernel, summed.

    exp: ``w exp(-s / tau)``; alpha: ``w e s / tau exp(-s / tau)`` (peaks at ``w`` at ``s = tau``);
    conductances are positive whatever the sign of the weight, currents keep it.
    """
    spec = catalog.RECEPTOR_SPECS[receptor]
    t = np.asarray(t, dtype=float)
    total = np.zeros_like(t)
    tau = params[f"tau_syn_{channel}"]
    for arrival in arrivals:
        if arrival.channel != channel:
            continue
        s = np.clip(t - arrival.time, 0.0, None)
        w = abs(arrival.weight) if spec.kind == "conductance" else arrival.weight
        kernel = np.exp(-s / tau) if spec.shape == "exp" else math.e * s / tau * np.exp(-s / tau)
        total += np.where(t >= arrival.time - 1e-9, w * kernel, 0.0)
    return total


def synaptic_current(receptor: str, params: Mapping[str, float], arrivals: Sequence[Arrival], t: float,
                     v: float) -> float:
    """The current (pA) the receptor drives into a membrane at potential ``v`` (mV) at time ``t``."""
    spec = catalog.RECEPTOR_SPECS[receptor]
    if spec.kind == "delta":
        return 0.0
    times = np.array([t])
    ex = float(synaptic_state(receptor, params, arrivals, times, "ex")[0])
    inh = float(synaptic_state(receptor, params, arrivals, times, "in")[0])
    if spec.kind == "conductance":
        return ex * (params["E_ex"] - v) + inh * (params["E_in"] - v)
    return ex + inh


def lif_current_psp(receptor: str, params: Mapping[str, float], arrivals: Sequence[Arrival],
                    t: np.ndarray) -> np.ndarray:
    """Closed-form ``V_m`` of a LIF neuron at rest with current receptors: the sum of the arrivals' PSPs."""
    tau_m, C = params["tau_m"], params["C_m"]
    t = np.asarray(t, dtype=float)
    v = np.full_like(t, params["E_L"])
    for arrival in arrivals:
        s = np.clip(t - arrival.time, 0.0, None)
        w, on = arrival.weight, t >= arrival.time - 1e-9
        if receptor == "current_delta":
            psp = w * np.exp(-s / tau_m)
        else:
            tau_s = params[f"tau_syn_{arrival.channel}"]
            if receptor == "current_exp" and math.isclose(tau_s, tau_m):
                psp = w / C * s * np.exp(-s / tau_m)
            elif receptor == "current_exp":
                psp = w / C * tau_m * tau_s / (tau_m - tau_s) * (np.exp(-s / tau_m) - np.exp(-s / tau_s))
            else:
                a = 1.0 / tau_s - 1.0 / tau_m
                psp = w * math.e / tau_s / C * np.exp(-s / tau_m) * (1.0 - np.exp(-a * s) * (1.0 + a * s)) / a**2
        v += np.where(on, psp, 0.0)
    return v


def _rhs(membrane: str, receptor: str, params: Mapping[str, float], arrivals: Sequence[Arrival],
         current: float):
    p = params

    def lif(t: float, y: np.ndarray) -> list[float]:
        g_L = p["g_L"] if "g_L" in p else p["C_m"] / p["tau_m"]
        i = current + p["I_e"] + synaptic_current(receptor, p, arrivals, t, y[0])
        return [(-g_L * (y[0] - p["E_L"]) + i) / p["C_m"]]

    def adex(t: float, y: np.ndarray) -> list[float]:
        v, w = y
        spike = p["g_L"] * p["Delta_T"] * math.exp(min((v - p["V_th"]) / p["Delta_T"], 50.0))
        i = current + p["I_e"] + synaptic_current(receptor, p, arrivals, t, v)
        return [(-p["g_L"] * (v - p["E_L"]) + spike - w + i) / p["C_m"], (p["a"] * (v - p["E_L"]) - w) / p["tau_w"]]

    return {"lif": lif, "adex": adex}[membrane]


def membrane_ode(membrane: str, receptor: str, params: Mapping[str, float], initial: Sequence[float],
                 arrivals: Sequence[Arrival], t: np.ndarray, current: float = 0.0,
                 onset: float = 0.0) -> np.ndarray:
    """``solve_ivp`` (rtol 1e-10) of a LIF or AdEx membrane without threshold, sampled at ``t``.

    Returns the states (``V_m``, and ``w`` for AdEx) as rows. A delta receptor's arrival moves ``V_m``
    by its weight at the arrival; ``current`` (pA) is on from ``onset``. The integration restarts at
    every arrival and at the onset, so no step straddles a kink of the input.
    """
    t = np.asarray(t, dtype=float)
    delta = catalog.RECEPTOR_SPECS[receptor].kind == "delta"
    breaks = sorted({a.time for a in arrivals} | ({onset} if current else set()))
    edges = [0.0, *[b for b in breaks if 0.0 < b < t[-1]], float(t[-1]) + 1e-6]
    state = np.array(initial, dtype=float)
    out = np.empty((state.size, t.size))
    for start, stop in zip(edges[:-1], edges[1:]):
        if delta:
            state[0] += sum(a.weight for a in arrivals if abs(a.time - start) < 1e-9)
        drive = current if current and start >= onset - 1e-9 else 0.0
        inside = (t >= start - 1e-9) & (t < stop - 1e-9)  # a sample at an arrival shows its jump
        solution = solve_ivp(_rhs(membrane, receptor, params, arrivals, drive), (start, stop), state,
                             rtol=1e-10, atol=1e-10, dense_output=True, max_step=0.5)
        out[:, inside] = solution.sol(t[inside]) if inside.any() else out[:, inside]
        state = solution.y[:, -1]
    return out


def adex_first_spike(params: Mapping[str, float], current: float, onset: float, t_end: float):
    """``solve_ivp`` of AdEx under a current step up to the first crossing of ``V_peak`` (a dense solution
    with ``t_events``)."""
    p = dict(params)

    def peak(t: float, y: np.ndarray) -> float:
        return y[0] - p["V_peak"]

    peak.terminal = True  # type: ignore[attr-defined]

    def rhs(t: float, y: np.ndarray) -> list[float]:
        return _rhs("adex", "current_exp", {**p, "tau_syn_ex": 1.0, "tau_syn_in": 1.0}, (),
                    current if t >= onset else 0.0)(t, y)

    return solve_ivp(rhs, (0.0, t_end), [p["E_L"], 0.0], rtol=1e-10, atol=1e-10, events=peak,
                     dense_output=True, max_step=onset / 4)


def izhikevich_euler(receptor: str, params: Mapping[str, float], initial: tuple[float, float],
                     arrivals: Sequence[Arrival], dt: float, steps: int,
                     current: float = 0.0) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """NEST's ``izhikevich`` update written out: forward Euler from the state at the start of each step.

    ``v += h (0.04 v^2 + 5 v + 140 - u + I)``, ``u += h a (b v - u)`` with the synaptic current of the
    step's start; a delta arrival moves ``v`` within its step; at ``v >= V_th``: ``v = c``, ``u += d``, the
    spike stamped at the step's end. Returns ``V_m`` and ``U_m`` at the end of every step, and the spikes.
    """
    p = params
    v, u = initial
    vs, us, spikes = np.empty(steps), np.empty(steps), []
    delta = catalog.RECEPTOR_SPECS[receptor].kind == "delta"
    for step in range(steps):
        t0, t1 = step * dt, (step + 1) * dt
        i = current + p["I_e"] + synaptic_current(receptor, p, arrivals, t0, v)
        v_new = v + dt * (0.04 * v * v + 5.0 * v + 140.0 - u + i)
        if delta:
            v_new += sum(a.weight for a in arrivals if abs(a.time - t1) < dt / 2)
        u = u + dt * p["a"] * (p["b"] * v - u)
        if v_new >= p["V_th"]:
            v_new, u = p["c"], u + p["d"]
            spikes.append(t1)
        v = v_new
        vs[step], us[step] = v, u
    return vs, us, spikes


def tsodyks_markram_steady_jump(weight: float, U: float, tau_rec: float, tau_fac: float, interval: float) -> float:
    """The PSC jump a regular train converges to: ``w u* x*`` of the Tsodyks-Markram recursion."""
    u_star = U / (1 - (1 - U) * math.exp(-interval / tau_fac)) if tau_fac > 0 else U
    x_star = (1 - math.exp(-interval / tau_rec)) / (1 - (1 - u_star) * math.exp(-interval / tau_rec))
    return weight * u_star * x_star


def passive_lif_current(v: np.ndarray, params: Mapping[str, float], dt: float, v0: float) -> np.ndarray:
    """The current (pA) that acted in each step, recovered from ``V_m`` samples of a passive LIF neuron.

    Exact for a current constant within each step: ``V' = E_L + (V - E_L) q + I tau_m / C_m (1 - q)``,
    ``q = exp(-dt / tau_m)``. Entry ``k`` is the current over the step ending at the sample ``k``.
    """
    q = math.exp(-dt / params["tau_m"])
    before = np.concatenate([[v0], v[:-1]]) - params["E_L"]
    return (v - params["E_L"] - before * q) / (params["tau_m"] / params["C_m"] * (1 - q))
