"""The NumPy reference held to theory: ODE solutions, recursions, NEST's timing conventions."""

from __future__ import annotations

import numpy as np
import pytest
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


def test_adex_first_spike_and_trace_before_it_match_solve_ivp() -> None:
    result = run(adex_network(amplitude=800.0))
    first = result.spikes.time_ms.min()
    ode = adex_ode(300.0, 800.0, onset=50.1)
    t_spike = ode.t_events[0][0]
    assert first - 0.1 - 1e-9 <= t_spike <= first + 1e-9  # stamped at the end of its step
    trace = result.trace("neuron", "V_m")
    before = trace[trace.index < t_spike - 1.0]
    assert np.max(np.abs(before.to_numpy() - ode.sol(before.index.to_numpy())[0])) < 1e-3


def test_adex_conductance_psp_matches_solve_ivp() -> None:
    """One spike at 100 ms (delay 1 ms) onto aeif_cond_exp: g jumps at 101 ms and decays exactly."""
    w, tau, E_ex = 5.0, 2.0, 0.0
    result = run(adex_network(amplitude=0.0, receptor="conductance_exp", input_times=[100.0], weight=w,
                              tau_syn_ex=tau))
    trace = result.trace("neuron", "V_m")

    def synapse(t, V):
        return w * np.exp(-(t - 101.0) / tau) * (E_ex - V) if t >= 101.0 else 0.0

    ode = adex_ode(300.0, 0.0, onset=1e9, synapse=synapse)
    assert trace.max() > ADEX["E_L"] + 0.5  # a visible PSP
    assert np.max(np.abs(trace.to_numpy() - ode.sol(trace.index.to_numpy())[0])) < 1e-3


def test_adex_adaptation_slows_firing() -> None:
    result = run(adex_network(amplitude=800.0, duration=1000.0))
    isis = np.diff(result.spikes.time_ms.to_numpy())
    assert len(isis) >= 3 and isis[-1] > 1.5 * isis[0]


def test_current_onset_and_input_spike_follow_nest_timing() -> None:
    """A step at 10 ms first moves V_m at 10.2 ms; a spike at 20 ms with delay 0.1 moves I_syn at 20.1 ms."""
    data = {"dt": 0.1, "duration": 30.0, "populations": {
        "n": {"size": 1, "model": "lif", "params": {"V_th": 1000.0}},
        "s": {"size": 1, "model": "spike_times", "params": {"times": [20.0]}}},
        "projections": [{"source": "s", "target": "n", "connector": "one_to_one", "weight": 100.0,
                         "delay": 0.1}],
        "stimuli": [{"target": "n", "kind": "step", "times": [10.0], "amplitudes": [1000.0]}],
        "recordings": [{"population": "n", "variables": ["V_m", "I_syn_ex"]}]}
    result = run(data)
    v, current = result.trace("n", "V_m"), result.trace("n", "I_syn_ex")
    assert v.index[np.argmax(v.to_numpy() > -70.0)] == pytest.approx(10.2)
    assert current.index[np.argmax(current.to_numpy() > 0)] == pytest.approx(20.1)
    assert current.loc[current.index > 20.05].iloc[0] == pytest.approx(100.0)


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


def tsodyks_network(rate: float, U: float, tau_rec: float, tau_fac: float) -> dict:
    return {"dt": 0.1, "duration": 5000.0, "populations": {
        "n": {"size": 1, "model": "lif", "params": {"V_th": 1e6, "tau_syn_ex": 2.0}},
        "s": {"size": 1, "model": "regular", "params": {"rate": rate, "start": 1.0}}},
        "projections": [{"source": "s", "target": "n", "connector": "one_to_one", "weight": 100.0,
                         "delay": 0.1, "synapse": {"tsodyks_markram": {"U": U, "tau_rec": tau_rec,
                                                                       "tau_fac": tau_fac}}}],
        "recordings": [{"population": "n", "variables": ["I_syn_ex"]}]}


def psc_jumps(result: nb.Result, tau_syn: float = 2.0) -> np.ndarray:
    current = result.trace("n", "I_syn_ex").to_numpy()
    jumps = current[1:] - current[:-1] * np.exp(-0.1 / tau_syn)
    return jumps[jumps > 1e-6]


@pytest.mark.parametrize(("U", "tau_rec", "tau_fac"), [(0.45, 750.0, 50.0), (0.15, 50.0, 750.0)])
def test_tsodyks_markram_steady_state_amplitude(U: float, tau_rec: float, tau_fac: float) -> None:
    """Regular 20 Hz input: the PSC amplitude converges to w u* x* of the Tsodyks-Markram recursion."""
    interval = 50.0
    u_star = U / (1 - (1 - U) * np.exp(-interval / tau_fac))
    x_star = (1 - np.exp(-interval / tau_rec)) / (1 - (1 - u_star) * np.exp(-interval / tau_rec))
    jumps = psc_jumps(run(tsodyks_network(20.0, U, tau_rec, tau_fac)))
    assert jumps[0] == pytest.approx(100.0 * U)  # the first spike uses x = 1 and u = U
    assert jumps[-1] == pytest.approx(100.0 * u_star * x_star, rel=1e-9)


def test_tsodyks_markram_matches_nest_measured_sequence() -> None:
    """Five spikes 50 ms apart (U 0.45, tau_rec 750, tau_fac 50): the PSC jumps NEST 3.10 gives."""
    jumps = psc_jumps(run(tsodyks_network(20.0, 0.45, 750.0, 50.0)))[:5]
    np.testing.assert_allclose(jumps, [45.0, 31.32799, 17.51689, 10.89934, 8.09687], atol=1e-4)


def test_izhikevich_is_nest_forward_euler() -> None:
    """One regular-spiking neuron under DC against NEST's update written out by hand."""
    a, b, c, d, I = 0.02, 0.2, -65.0, 8.0, 10.0
    data = {"dt": 0.1, "duration": 200.0, "populations": {"n": {
        "size": 1, "model": "izhikevich", "receptor": "current_delta",
        "params": {"a": a, "b": b, "c": c, "d": d, "I_e": I}, "initial": {"V_m": -70.0, "U_m": -14.0}}},
        "recordings": [{"population": "n", "variables": ["spikes", "V_m"]}]}
    result = run(data)
    v, u, h, spikes, trace = -70.0, -14.0, 0.1, [], []
    for step in range(2000):
        v, u = v + h * (0.04 * v * v + 5 * v + 140 - u + I), u + h * a * (b * v - u)
        if v >= 30.0:
            v, u = c, u + d
            spikes.append((step + 1) * h)
        trace.append(v)
    np.testing.assert_allclose(result.spikes.time_ms.to_numpy(), spikes)
    np.testing.assert_allclose(result.trace("n", "V_m").to_numpy(), trace, atol=1e-9)
    assert len(spikes) > 3


def test_conductance_lif_psp_matches_solve_ivp() -> None:
    p = {"C_m": 250.0, "g_L": 16.6667, "E_L": -70.0, "V_th": -55.0, "V_reset": -60.0, "t_ref": 2.0,
         "E_ex": 0.0, "E_in": -85.0, "tau_syn_ex": 2.0, "tau_syn_in": 5.0, "I_e": 0.0}
    data = {"dt": 0.1, "duration": 60.0, "populations": {
        "n": {"size": 1, "model": "lif", "receptor": "conductance_alpha", "params": p},
        "s": {"size": 1, "model": "spike_times", "params": {"times": [10.0]}}},
        "projections": [{"source": "s", "target": "n", "connector": "one_to_one", "weight": 3.0, "delay": 1.0}],
        "recordings": [{"population": "n", "variables": ["V_m", "g_ex"]}]}
    result = run(data)

    def g(t):  # alpha conductance peaking at the weight, tau after the arrival at 11 ms
        s = np.maximum(t - 11.0, 0.0)
        return 3.0 * np.e / 2.0 * s * np.exp(-s / 2.0)

    def rhs(t, y):
        return [(-p["g_L"] * (y[0] - p["E_L"]) + g(t) * (p["E_ex"] - y[0])) / p["C_m"]]

    ode = solve_ivp(rhs, (0.0, 60.0), [-70.0], rtol=1e-10, atol=1e-10, dense_output=True, max_step=0.5)
    trace = result.trace("n", "V_m")
    np.testing.assert_allclose(result.trace("n", "g_ex").to_numpy(), g(trace.index.to_numpy()), atol=1e-9)
    assert np.max(np.abs(trace.to_numpy() - ode.sol(trace.index.to_numpy())[0])) < 1e-4
    assert trace.max() > -69.0


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


def test_every_pair_runs_and_records_its_variables() -> None:
    from neurobridge import catalog

    for membrane in catalog.MEMBRANES:
        for receptor in catalog.RECEPTORS:
            variables = list(catalog.state_variables(membrane, receptor))
            data = {"dt": 0.1, "duration": 20.0, "populations": {
                "n": {"size": 2, "model": membrane, "receptor": receptor},
                "s": {"size": 2, "model": "poisson", "params": {"rate": 500.0}}},
                "projections": [{"source": "s", "target": "n", "connector": "one_to_one",
                                 "weight": 1.0, "delay": 0.5}],
                "stimuli": [{"target": "n", "kind": "dc", "amplitude": 10.0, "start": 5.0}],
                "recordings": [{"population": "n", "variables": ["spikes", *variables]}]}
            states = run(data).states
            assert sorted(states.variable.unique()) == sorted(variables), (membrane, receptor)
            assert np.all(np.isfinite(states.value)), (membrane, receptor)


# -- adex × current_delta: NEST's aeif_psc_delta order within a step ---------------------------------

def _adex_delta(times: list[float], weight: float) -> dict:
    """One AdEx neuron (NEST's defaults, t_ref 2 ms) kicked by delta inputs; dt 0.01 ms, delay 0.1 ms."""
    return {"dt": 0.01, "duration": 6.0, "populations": {
        "s": {"size": 1, "model": "spike_times", "params": {"times": times}},
        "n": {"size": 1, "model": "adex", "receptor": "current_delta", "params": {"t_ref": 2.0}}},
        "projections": [{"source": "s", "target": "n", "connector": "one_to_one", "weight": weight, "delay": 0.1}],
        "recordings": [{"population": "n", "variables": ["spikes", "V_m"]}]}


#: Measured with NEST 3.10's aeif_psc_delta (via neurobridge's NEST backend, which uses it directly):
#: a kick over V_peak spikes in the step it arrives (stamped 1.1 ms, not 1.11); the neuron is then
#: refractory through the step stamped 3.1 ms: a kick arriving there is dropped (no second spike, V_m
#: relaxing from V_reset), one arriving at 3.19 ms spikes at once; a small kick arriving at 3.2 ms is kept.
ADEX_DELTA_CASES = [
    ([1.0], 80.0, [1.1], {1.11: -60.0, 3.19: -60.127}),
    ([1.0, 3.0], 80.0, [1.1], {3.19: -60.127}),
    ([1.0, 3.09], 80.0, [1.1, 3.19], {3.19: -60.0, 3.2: -60.0}),
    ([1.0, 3.1], 10.0, [], {3.19: -62.6, 3.2: -52.609}),
]


@pytest.mark.parametrize("backend", [
    "numpy", pytest.param("nest", marks=pytest.mark.requires_nest),
    pytest.param("brian2", marks=pytest.mark.requires_brian2),
    pytest.param("neuron", marks=pytest.mark.requires_neuron)])
@pytest.mark.parametrize(("times", "weight", "spikes", "v_m"), ADEX_DELTA_CASES)
def test_adex_delta_input_is_added_and_tested_inside_the_step(backend, times, weight, spikes, v_m) -> None:
    result = nb.simulate(_adex_delta(times, weight), backend=backend)
    np.testing.assert_allclose(result.spikes.time_ms.to_numpy(), spikes, atol=1e-9)
    trace = result.trace("n", "V_m")
    for t, expected in v_m.items():
        assert trace.loc[t] == pytest.approx(expected, abs=1e-3), (t, trace.loc[t])
