"""The NumPy reference held to theory beyond the conformance suite (``test_numpy.py`` asks the suite):
an AdEx step response by solve_ivp, adaptation, the refractory clamp, seeding."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

import neurobridge as nb

ADEX = {"C_m": 281.0, "g_L": 30.0, "E_L": -70.6, "V_th": -50.4, "Delta_T": 2.0, "V_peak": 0.0,
        "V_reset": -60.0, "a": 4.0, "b": 80.5, "tau_w": 144.0, "t_ref": 0.0, "I_e": 0.0}


def run(data: dict, **options) -> nb.Result:
    return nb.simulate(nb.Network.from_dict(data), backend="numpy", **options)


def adex_network(amplitude: float, receptor: str = "current_exp", input_times=(), weight=0.0,
                 duration: float = 300.0, **params: float) -> dict:
    populations = {"neuron": {"size": 1, "model": "adex", "receptor": receptor,
                              "params": {**ADEX, **params}}}
    projections = []
    if input_times:
        populations["input"] = {"size": 1, "model": "spike_times", "params": {"times": list(input_times)}}
        projections = [{"source": "input", "target": "neuron", "connector": "one_to_one",
                        "weight": weight, "delay": 1.0}]
    return {"dt": 0.1, "duration": duration, "populations": populations, "projections": projections,
            "stimuli": [{"target": "neuron", "kind": "step", "times": [50.0], "amplitudes": [amplitude]}],
            "recordings": [{"population": "neuron", "variables": ["spikes", "V_m", "w"]}]}


def adex_ode(t_end: float, amplitude: float, onset: float, synapse=None):
    """AdEx by solve_ivp (rtol 1e-10) up to the first spike; ``synapse(t, V)`` gives a synaptic current."""
    p = ADEX

    def rhs(t, y):
        V, w = y
        I = amplitude if t >= onset else 0.0
        if synapse is not None:
            I += synapse(t, V)
        spike = p["g_L"] * p["Delta_T"] * np.exp(min((V - p["V_th"]) / p["Delta_T"], 50.0))
        return [(-p["g_L"] * (V - p["E_L"]) + spike - w + I) / p["C_m"], (p["a"] * (V - p["E_L"]) - w) / p["tau_w"]]

    def peak(t, y):
        return y[0] - p["V_peak"]

    peak.terminal = True
    return solve_ivp(rhs, (0.0, t_end), [p["E_L"], 0.0], rtol=1e-10, atol=1e-10, events=peak,
                     dense_output=True, max_step=onset / 4)


def test_adex_subthreshold_matches_solve_ivp_to_1e_3_mV() -> None:
    result = run(adex_network(amplitude=400.0))
    trace = result.trace("neuron", "V_m")
    assert len(result.spikes) == 0
    # A change at 50 ms reaches the membrane from the step that starts at 50.1 ms (NEST's generators).
    ode = adex_ode(300.0, 400.0, onset=50.1)
    expected = ode.sol(trace.index.to_numpy())[0]
    assert np.max(np.abs(trace.to_numpy() - expected)) < 1e-3


def test_adex_adaptation_slows_firing() -> None:
    result = run(adex_network(amplitude=800.0, duration=1000.0))
    isis = np.diff(result.spikes.time_ms.to_numpy())
    assert len(isis) >= 3 and isis[-1] > 1.5 * isis[0]


def test_refractory_clamp_lasts_t_ref() -> None:
    data = {"dt": 0.1, "duration": 50.0, "populations": {
        "n": {"size": 1, "model": "lif", "params": {"I_e": 2000.0, "t_ref": 2.0}}},
        "recordings": [{"population": "n", "variables": ["spikes", "V_m"]}]}
    result = run(data)
    first = result.spikes.time_ms.iloc[0]
    v = result.trace("n", "V_m")
    clamped = v[(v.index > first - 1e-9) & (v.index < first + 2.0 + 1e-9)]
    assert np.all(clamped.to_numpy() == -70.0) and len(clamped) == 21
    assert v[v.index > first + 2.05].iloc[0] > -70.0


def test_same_seed_same_spikes_other_seed_other_spikes() -> None:
    data = {"dt": 0.1, "duration": 300.0, "seed": 4, "populations": {
        "p": {"size": 20, "model": "poisson", "params": {"rate": 50.0}},
        "n": {"size": 50, "model": "lif", "params": {"I_e": 300.0},
              "initial": {"V_m": {"uniform": [-70.0, -55.0]}}}},
        "projections": [{"source": "p", "target": "n", "connector": {"fixed_probability": 0.3},
                         "weight": {"normal": {"mean": 60.0, "std": 30.0}}, "delay": 1.0}]}
    first, second = run(data), run(data)
    assert len(first.spikes) > 30
    assert first.spikes.equals(second.spikes)
    other = run({**data, "seed": 5})
    assert not first.spikes.equals(other.spikes)
