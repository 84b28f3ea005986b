"""neurobridge.theory against independent numbers and against the reference backend."""

from __future__ import annotations

import numpy as np
import pytest

import neurobridge as nb
from neurobridge import theory


def test_alpha_constant() -> None:
    assert theory.ALPHA == pytest.approx(2.0652, abs=1e-4)  # sqrt(2) * 1.4603545


def test_siegert_tends_to_the_noise_free_rate_for_small_noise() -> None:
    mu = 25.0
    free = float(theory.lif_rate(mu, V_th=20.0, V_reset=10.0, tau_m=20.0, t_ref=2.0))
    assert theory.siegert_rate(mu, 0.05, V_th=20.0, V_reset=10.0, tau_m=20.0, t_ref=2.0) == pytest.approx(
        free, rel=2e-3)


def test_siegert_matches_brunel_2000_number() -> None:
    """Brunel (2000) network parameters: mu = 24 mV, sigma = 5 mV, theta 20, V_r 10, tau 20, t_ref 2."""
    rate = theory.siegert_rate(24.0, 5.0, V_th=20.0, V_reset=10.0, tau_m=20.0, t_ref=2.0)
    # independent evaluation of the same integral with a plain trapezoid on erfc-based integrand
    from scipy import special

    u = np.linspace((10.0 - 24.0) / 5.0, (20.0 - 24.0) / 5.0, 200001)
    integral = np.trapezoid(np.exp(u**2) * (1 + special.erf(u)), u)
    assert rate == pytest.approx(1000.0 / (2.0 + 20.0 * np.sqrt(np.pi) * integral), rel=1e-6)


@pytest.mark.slow
def test_siegert_predicts_the_reference_under_poisson_input() -> None:
    """iaf_psc_exp (the activation-function exercise's neuron) under strong Poisson drive: within 10%."""
    params = {"C_m": 100.0, "V_th": 0.0, "V_reset": -15.0, "tau_m": 20.0, "tau_syn_ex": 5.0, "tau_syn_in": 5.0,
              "t_ref": 0.5, "E_L": -20.0}
    rate_in, weight, n = 4000.0, 5.0, 200  # mean drive at threshold, sigma 2.2 mV: fluctuation-driven
    data = {"dt": 0.1, "duration": 5000.0, "seed": 1, "populations": {
        "input": {"size": n, "model": "poisson", "params": {"rate": rate_in}},
        "neuron": {"size": n, "model": "lif", "receptor": "current_exp", "params": params}},
        "projections": [{"source": "input", "target": "neuron", "connector": "one_to_one",
                         "weight": weight, "delay": 0.1}],
        "recordings": [{"population": "neuron", "variables": ["spikes"]}]}
    rate = nb.simulate(data).rates()["neuron"]
    mu, sigma = theory.poisson_drive([rate_in], [weight], 5.0, 100.0, 20.0, E_L=-20.0)
    expected = theory.siegert_rate(mu, sigma, 0.0, -15.0, 20.0, 0.5, tau_syn=5.0)
    assert 5.0 < expected < 100.0, expected
    assert rate == pytest.approx(expected, rel=0.10), (rate, expected, mu, sigma)


def test_grid_rate_matches_reference_bias_sweep() -> None:
    """The reference's rate under a bias sweep equals the grid-stamped noise-free rate exactly."""
    params = {"C_m": 100.0, "V_th": 0.0, "V_reset": -15.0, "tau_m": 20.0, "t_ref": 0.5,
              "E_L": {"linspace": [-15.0, 50.0]}}
    data = {"dt": 0.1, "duration": 2000.0, "populations": {
        "neuron": {"size": 100, "model": "lif", "params": params, "initial": {"V_m": -15.0}}}}
    result = nb.simulate(data)
    counts = np.bincount(result.spikes.neuron, minlength=100)
    bias = np.linspace(-15.0, 50.0, 100)
    grid = theory.lif_rate_on_grid(bias, 0.0, -15.0, 20.0, 0.5, 0.1)
    expected_counts = np.floor(2000.0 * grid / 1000.0 + 1e-9)
    assert np.all(np.abs(counts - expected_counts) <= 1)
    fires = bias > 0.5
    np.testing.assert_allclose(counts[fires] / 2.0, theory.lif_rate(bias, 0.0, -15.0, 20.0, 0.5)[fires], rtol=0.03)
