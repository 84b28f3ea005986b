"""Seed 003 exercises: PSP shapes, STP, coincidence, spike-time tuning and the detector population.

Truth comes from outside the code under test: closed forms for the PSPs, an event-by-event
re-implementation of the notebook's synapse for STP, and the notebook's own numbers for the rest.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from neurobridge.experiments import synapses

import neurobridge as nb
from neurobridge.app.job import prepare
from neurobridge.app.launch import compose_config


def run_job(experiment: str, backend: str = "numpy", overrides: tuple[str, ...] = ()) -> tuple[Any, dict]:
    """Compose the experiment's config as the app does, run every variant, return (setup, results)."""
    job = prepare(compose_config([f"experiment={experiment}", f"backend={backend}", *overrides]))
    results = {name: nb.simulate(network, backend=backend, **job.options) for name, network in job.networks.items()}
    return job.setup, results


@pytest.fixture(scope="module")
def psp_metrics() -> dict[str, float]:
    setup, results = run_job("psp_shapes")
    return synapses.measure(results, setup)


@pytest.mark.parametrize("kind", synapses.PSP_KINDS)
def test_psp_peak_matches_closed_form(psp_metrics: dict[str, float], kind: str) -> None:
    assert psp_metrics[f"{kind}.peak_time_error_ms"] <= 0.05 + 1e-9  # the grid is 0.1 ms
    assert psp_metrics[f"{kind}.peak_rel_error"] < 1e-3


def test_psp_closed_forms_peak_where_they_say() -> None:
    t = np.linspace(0, 50, 500001)
    for tau_syn in (None, 10.0, 2.0):
        time, amplitude = synapses.psp_peak(10.0, tau_syn)
        curve = synapses.psp(t, 10.0, tau_syn)
        assert t[np.argmax(curve)] == pytest.approx(time, abs=1e-3)
        assert curve.max() == pytest.approx(amplitude, rel=1e-9)
    assert synapses.psp_peak(10.0, 10.0) == pytest.approx((10.0, math.exp(-1)))


def notebook_synapse(times: list[float], U: float, tau_rec: float, tau_fac: float) -> list[float]:
    """The notebook's synapse event by event: u decays to 0, x recovers to 1; on a spike
    ``u += U (1 - u); psp = u x; x -= u x``."""
    u, x, last, out = 0.0, 1.0, None, []
    for t in times:
        if last is not None:
            u *= math.exp(-(t - last) / tau_fac)
            x = 1 - (1 - x) * math.exp(-(t - last) / tau_rec)
        u += U * (1 - u)
        out.append(u * x)
        x -= u * x
        last = t
    return out


@pytest.mark.parametrize("U, tau_rec, tau_fac", [(0.45, 750.0, 50.0), (0.15, 50.0, 750.0)])
def test_tsodyks_markram_recursion_is_the_notebooks_synapse(U: float, tau_rec: float, tau_fac: float) -> None:
    times = [50.0, 100.0, 150.0, 200.0, 250.0]
    u, x = synapses.tsodyks_markram(np.array(times), U, tau_rec, tau_fac)
    assert u * x == pytest.approx(notebook_synapse(times, U, tau_rec, tau_fac), rel=1e-12)


def test_stp_amplitudes_follow_the_recursion() -> None:
    setup, results = run_job("stp")
    metrics = synapses.measure(results, setup)
    assert metrics["depression.max_rel_error"] < 1e-6
    assert metrics["facilitation.max_rel_error"] < 1e-6
    depression = [metrics[f"depression.psp{k}_mV"] for k in range(1, 6)]
    facilitation = [metrics[f"facilitation.psp{k}_mV"] for k in range(1, 6)]
    assert np.all(np.diff(depression) < 0) and np.all(np.diff(facilitation) > 0)
    assert depression[0] == pytest.approx(0.45) and facilitation[0] == pytest.approx(0.15)


def test_coincidence_crosses_only_for_the_close_pair() -> None:
    setup, results = run_job("coincidence")
    metrics = synapses.measure(results, setup)
    assert metrics["inputs_10+11.peak_mV"] == pytest.approx(0.6 + 0.6 * math.exp(-1 / 5), rel=1e-6)
    assert metrics["inputs_10+11.crosses"] == 1.0
    assert metrics["inputs_50.crosses"] == 0.0 and metrics["inputs_60.crosses"] == 0.0
    assert metrics["detector.spike_count"] == 1.0
    assert 11.0 < metrics["detector.first_spike_ms"] <= 11.3


def test_noise_std_gives_the_notebooks_sigma() -> None:
    """Threshold-free neurons under the derived noise: stationary std of V_m is sigma."""
    tau, dt, sigma = 2.0, 0.1, 0.3
    network = nb.Network.from_dict({
        "dt": dt, "duration": 300.0, "seed": 1,
        "populations": {"n": {"size": 200, "model": "lif", "receptor": "current_delta",
                              "params": {"C_m": tau, "tau_m": tau, "E_L": 0.0, "V_th": 1e3, "V_reset": 0.0}}},
        "stimuli": [{"target": "n", "kind": "noise", "std": synapses.noise_std(sigma, tau, dt), "dt": dt}],
        "recordings": [{"population": "n", "variables": ["V_m"], "interval": 1.0}]})
    states = nb.simulate(network).states
    assert states[states.time_ms > 20].value.std() == pytest.approx(sigma, rel=0.03)


def test_spike_timing_tuning_peaks_at_zero_small() -> None:
    setup, results = run_job("spike_timing_tuning", overrides=("experiment.params.n_neurons=4100",))
    metrics = synapses.measure(results, setup)
    assert metrics["per_delta"] == 100
    assert abs(metrics["peak_delta_ms"]) <= 2.0
    assert metrics["evoked_at_zero"] > metrics["evoked_far"] + 0.15


@pytest.mark.slow
def test_spike_timing_tuning_full_size_is_symmetric() -> None:
    """The notebook's 10,000 neurons: peak near 0, symmetric within noise (RMS z below 1.5)."""
    setup, results = run_job("spike_timing_tuning")
    metrics = synapses.measure(results, setup)
    assert metrics["neurons"] >= 10000
    assert abs(metrics["peak_delta_ms"]) <= 1.0
    assert metrics["asymmetry_z"] < 1.5
    assert metrics["count_at_zero"] > metrics["count_far"] + 0.2


def test_decoder_channels_are_tuned_to_their_centres() -> None:
    setup, results = run_job("population_decoder", overrides=("experiment.params.per_point=60",))
    metrics = synapses.measure(results, setup)
    assert metrics["max_centre_error_ms"] < 0.75
    assert 1.0 < metrics["mean_width_ms"] < 4.0
    assert abs(metrics["decoded_probe_ms"] - 0.5) <= 1.0


@pytest.mark.parametrize("experiment, plot", [("psp_shapes", "psp_shapes"), ("stp", "stp"),
                                              ("coincidence", "coincidence")])
def test_figures_have_labelled_axes(experiment: str, plot: str) -> None:
    setup, results = run_job(experiment)
    figure = getattr(synapses, f"plot_{plot}")(results, setup)
    for ax in figure.axes:
        assert "(ms)" in ax.get_xlabel() or not ax.get_xlabel()
        assert ax.get_ylabel()


def test_unknown_exercise_is_named() -> None:
    from neurobridge.experiments import Setup

    with pytest.raises(nb.UnknownNameError, match='Unknown exercise "stpp"'):
        synapses.networks(Setup("stpp", {}, {}))


@pytest.mark.slow
@pytest.mark.requires_nest
@pytest.mark.parametrize("experiment", ["psp_shapes", "stp", "coincidence"])
def test_nest_matches_numpy(experiment: str) -> None:
    setup, reference = run_job(experiment)
    _, nest = run_job(experiment, "nest")
    a, b = synapses.measure(reference, setup), synapses.measure(nest, setup)
    for key, value in a.items():
        assert b[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


@pytest.mark.slow
@pytest.mark.requires_brian2
@pytest.mark.parametrize("experiment", ["psp_shapes", "stp", "coincidence"])
def test_brian2_matches_numpy(experiment: str) -> None:
    setup, reference = run_job(experiment)
    _, brian2 = run_job(experiment, "brian2")
    a, b = synapses.measure(reference, setup), synapses.measure(brian2, setup)
    for key in a:
        if key.endswith(("_error", "_mV", "crosses", "spike_count")):
            assert b[key] == pytest.approx(a[key], rel=1e-3, abs=1e-3), key
