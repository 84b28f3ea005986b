"""The conformance suite: the same questions for every backend, written once.

Subclass :class:`BackendSuite` in ``tests/backends/test_<name>.py`` and set
``backend`` (and ``options``); the tolerances say how close the backend is
held to the reference, and every check has its truth from outside the
backend under test: a formula, or the NumPy reference.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest

import neurobridge as nb
from neurobridge.registry import REFERENCE

from .. import networks

LINEAR_RECEPTORS = ("current_delta", "current_exp", "current_alpha")


class BackendSuite:
    backend: ClassVar[str]
    options: ClassVar[dict[str, Any]] = {}
    #: Largest difference of a spike time from the reference's (ms); 0 means identical.
    spike_tolerance_ms: ClassVar[float] = 0.0
    #: Largest |V_m - V_m(reference)| on the linear models (mV).
    vm_tolerance_mv: ClassVar[float] = 1e-6

    def simulate(self, data: dict[str, Any]) -> nb.Result:
        return nb.simulate(nb.Network.from_dict(data), backend=self.backend, **self.options)

    def reference(self, data: dict[str, Any]) -> nb.Result:
        return nb.simulate(nb.Network.from_dict(data), backend=REFERENCE)

    def skip_if_reference(self) -> None:
        if self.backend == REFERENCE:
            pytest.skip("the reference is compared with itself elsewhere (theory tests)")

    # -- against theory ---------------------------------------------------------------------

    def test_lif_fi_curve_matches_analytic_rate(self) -> None:
        """100 LIF neurons under DC (I_e sweep): rate = 1 / (t_ref + tau_m ln((mu - V_r) / (mu - V_th)))."""
        n, duration = 100, 2000.0
        params = {**networks.LIF, "I_e": {"linspace": [0.0, 1000.0]}, "tau_syn_ex": 2.0, "tau_syn_in": 2.0}
        data = {"dt": 0.1, "duration": duration, "populations": {
            "sweep": {"size": n, "model": "lif", "receptor": "current_exp", "params": params}}}
        rates = self._spike_counts(self.simulate(data), "sweep", n) / (duration / 1000.0)
        current = np.linspace(0.0, 1000.0, n)
        expected = _lif_rate(current, **{k: networks.LIF[k] for k in ("C_m", "tau_m", "E_L", "V_th",
                                                                      "V_reset", "t_ref")})
        # Spikes are stamped on the grid: each interval is the analytic one rounded up to a step,
        # so the count over 2 s can be below the analytic rate by at most one step per interval.
        isi = 1000.0 / np.where(expected > 0, expected, np.nan)
        lower = np.where(expected > 0, duration / (isi + 0.1) - 1, 0)
        assert np.all(rates * duration / 1000.0 >= np.floor(lower) - 1e-9)
        assert np.all(rates <= expected + 1000.0 / duration + 1e-9)
        assert np.all(rates[expected == 0] == 0)
        assert rates[-1] > 50.0

    @staticmethod
    def _spike_counts(result: nb.Result, population: str, n: int) -> np.ndarray:
        spikes = result.spikes[result.spikes.population == population]
        return np.bincount(spikes.neuron.to_numpy(), minlength=n).astype(float)

    @pytest.mark.parametrize("receptor", ["current_delta", "current_exp", "current_alpha"])
    def test_psp_matches_closed_form(self, receptor: str) -> None:
        """One input spike at 10 ms (delay 1 ms): the sampled PSP equals the closed form at every step."""
        w = {"current_delta": 1.0, "current_exp": 100.0, "current_alpha": 100.0}[receptor]
        params = {**networks.LIF, "V_th": 100.0, **networks.SYNAPTIC[receptor]}
        data = {"dt": 0.1, "duration": 80.0, "populations": {
            "input": {"size": 1, "model": "spike_times", "params": {"times": [10.0]}},
            "neuron": {"size": 1, "model": "lif", "receptor": receptor, "params": params}},
            "projections": [{"source": "input", "target": "neuron", "connector": "one_to_one",
                             "weight": w, "delay": 1.0}],
            "recordings": [{"population": "neuron", "variables": ["V_m"]}]}
        trace = self.simulate(data).trace("neuron", "V_m")
        arrival = 11.0  # the input enters the synapse (or, for delta, jumps V) at spike time + delay
        t = trace.index.to_numpy() - arrival
        expected = networks.LIF["E_L"] + _psp(receptor, np.clip(t, 0, None), w, params) * (t >= -1e-9)
        np.testing.assert_allclose(trace.to_numpy(), expected, atol=self.vm_tolerance_mv + 1e-9)

    def test_psp_with_equal_time_constants_matches_its_limit(self) -> None:
        """``tau_syn == tau_m`` (the singular case of the exp PSP): ``V = w t exp(-t / tau) / C``."""
        tau, w, C = 10.0, 100.0, 250.0
        params = {**networks.LIF, "tau_m": tau, "tau_syn_ex": tau, "V_th": 100.0}
        data = {"dt": 0.1, "duration": 60.0, "populations": {
            "input": {"size": 1, "model": "spike_times", "params": {"times": [5.0]}},
            "neuron": {"size": 1, "model": "lif", "receptor": "current_exp", "params": params}},
            "projections": [{"source": "input", "target": "neuron", "connector": "one_to_one",
                             "weight": w, "delay": 1.0}],
            "recordings": [{"population": "neuron", "variables": ["V_m"]}]}
        trace = self.simulate(data).trace("neuron", "V_m")
        t = np.clip(trace.index.to_numpy() - 6.0, 0.0, None)
        expected = networks.LIF["E_L"] + w / C * t * np.exp(-t / tau)
        np.testing.assert_allclose(trace.to_numpy(), expected, atol=self.vm_tolerance_mv + 1e-9)

    def test_poisson_source_rate_and_cv(self) -> None:
        """200 Poisson trains at 20 Hz for 5 s: rate within 3 standard errors, ISI CV near 1."""
        data = {"dt": 0.1, "duration": 5000.0, "seed": 11, "populations": {
            "noise": {"size": 200, "model": "poisson", "params": {"rate": 20.0}}},
            "recordings": [{"population": "noise", "variables": ["spikes"]}]}
        spikes = self.simulate(data).spikes
        count = len(spikes)
        expected = 200 * 20.0 * 5.0
        assert abs(count - expected) < 3 * np.sqrt(expected)
        isis = np.concatenate([np.diff(g.time_ms.to_numpy()) for _, g in spikes.groupby("neuron")])
        assert 0.95 < isis.std() / isis.mean() < 1.05

    # -- against the reference --------------------------------------------------------------

    @pytest.mark.parametrize("receptor", LINEAR_RECEPTORS)
    def test_single_neuron_agrees_with_reference(self, receptor: str) -> None:
        self.skip_if_reference()
        data = networks.single_neuron(receptor)
        self._assert_agree(self.simulate(data), self.reference(data), "neuron")

    @pytest.mark.parametrize("receptor", LINEAR_RECEPTORS)
    def test_feedforward_layer_agrees_with_reference(self, receptor: str) -> None:
        self.skip_if_reference()
        data = networks.feedforward(receptor)
        self._assert_agree(self.simulate(data), self.reference(data), "layer")

    def _assert_agree(self, result: nb.Result, reference: nb.Result, population: str) -> None:
        mine = result.spikes[result.spikes.population == population]
        ref = reference.spikes[reference.spikes.population == population]
        assert len(ref) > 5, "the test drive should make the neurons fire"
        assert len(mine) == len(ref)
        for neuron, group in ref.groupby("neuron"):
            np.testing.assert_allclose(result.spike_times(population, neuron), group.time_ms.to_numpy(),
                                       atol=self.spike_tolerance_ms + 1e-9)
        joined = _joined_traces(result, reference, population, "V_m")
        assert len(joined) > 0
        assert np.max(np.abs(joined.value - joined.value_ref)) <= self.vm_tolerance_mv

    @pytest.mark.slow
    def test_cuba_rates_agree_with_reference(self) -> None:
        self.skip_if_reference()
        data = networks.cuba()
        rates, ref = self.simulate(data).rates(), self.reference(data).rates()
        assert np.all(ref > 1.0)
        np.testing.assert_allclose(rates, ref, rtol=0.05)


def _joined_traces(result: nb.Result, reference: nb.Result, population: str, variable: str):
    def pick(r: nb.Result):
        s = r.states
        return s[(s.population == population) & (s.variable == variable)][["neuron", "time_ms", "value"]]

    mine, ref = pick(result), pick(reference)
    mine = mine.assign(step=np.round(mine.time_ms * 1e4).astype(np.int64))
    ref = ref.assign(step=np.round(ref.time_ms * 1e4).astype(np.int64))
    return mine.merge(ref, on=["neuron", "step"], suffixes=("", "_ref"))


def _lif_rate(current, C_m, tau_m, E_L, V_th, V_reset, t_ref):
    mu = E_L + current * tau_m / C_m
    with np.errstate(divide="ignore", invalid="ignore"):
        isi = t_ref + tau_m * np.log((mu - V_reset) / (mu - V_th))
    return np.where(mu > V_th, 1000.0 / isi, 0.0)


def _psp(receptor: str, t: np.ndarray, w: float, p: dict[str, float]) -> np.ndarray:
    """Closed-form PSP (mV) of a LIF neuron ``t`` ms after the input reaches the synapse."""
    tau_m, C = p["tau_m"], p["C_m"]
    if receptor == "current_delta":
        return w * np.exp(-t / tau_m)
    tau_s = p["tau_syn_ex"]
    if receptor == "current_exp":
        return w / C * tau_m * tau_s / (tau_m - tau_s) * (np.exp(-t / tau_m) - np.exp(-t / tau_s))
    a = 1.0 / tau_s - 1.0 / tau_m
    amplitude = w * np.e / tau_s
    return amplitude / C * np.exp(-t / tau_m) * (1.0 - np.exp(-a * t) * (1.0 + a * t)) / a**2
