"""The activation-function exercise (NEST's iaf_psc_exp): bias, weight and rate curves vs theory."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from neurobridge.experiments import activation

from neurobridge import analysis
from neurobridge.cli import main

from . import job, measure, run

CONFIGS = ("activation_membrane", "activation_bias", "activation_weight", "activation_rate")
PLOTS = {"activation_membrane": "membrane", "activation_bias": "activation",
         "activation_weight": "activation", "activation_rate": "activation"}


@pytest.fixture(scope="module")
def bias():
    prepared, results = run("experiment=activation_bias")
    return prepared, results, measure(prepared, results)


def test_bias_sweep_is_one_run_of_100_neurons():
    networks = job("experiment=activation_bias").networks
    assert list(networks) == ["no_input"]
    assert networks["no_input"].populations["neuron"].size == 100


def test_bias_curve_is_zero_below_rheobase(bias):
    prepared, results, metrics = bias
    rates = analysis.firing_rates(results["no_input"], "neuron")
    biases = activation.sweep_values(prepared.setup, "no_input")
    assert np.all(rates[biases <= 0.0] == 0.0)
    assert np.all(rates[biases > 0.0] > 0.0)
    assert metrics["no_input.lowest_firing_bias_mv"] == pytest.approx(biases[biases > 0].min())


def test_bias_curve_matches_noise_free_theory_within_2_percent(bias):
    _, _, metrics = bias
    assert metrics["no_input.max_rel_error_isi"] < 1e-6            # time-driven theory: exact
    assert metrics["no_input.max_rel_error_isi_continuous"] < 0.02  # continuous-time formula
    assert metrics["no_input.max_rel_error_count_above_50hz"] < 0.02  # the exercise's count / duration
    assert metrics["no_input.non_monotonicities"] == 0


def test_non_monotonicities_are_counted_as_the_exercise_does():
    assert activation.non_monotonicities(np.array([0.0, 1.0, 0.5, 2.0, 2.0, 1.0])) == 2


def test_membrane_u_eff_settles_at_the_mean_drive():
    prepared, results = run("experiment=activation_membrane")
    metrics = measure(prepared, results)
    assert metrics["regular.n_spikes"] > 0 and metrics["irregular.n_spikes"] > 0
    states = results["regular"].states
    current = states[(states.variable == "I_syn_ex") & (states.time_ms > 50.0)].value.mean()
    g_l = 100.0 / 20.0
    # 1000 Hz x 10 pA x 5 ms = 50 pA on average; u_eff = 50 / 5 - 5 = 5 mV
    assert current / g_l - 5.0 == pytest.approx(5.0, abs=0.3)


def test_regular_input_is_nearly_monotone_and_poisson_averages_to_a_smooth_curve():
    """On the exercise's settings, regular input gives (near-)monotone staircases; Poisson input
    smooths the staircase into the Siegert curve, which the pooled curve follows monotonically.
    The exercise's raw count is higher for Poisson input: single neurons carry count noise."""
    for config in ("experiment=activation_weight", "experiment=activation_rate"):
        prepared, results = run(config)
        metrics = measure(prepared, results)
        assert metrics["regular.non_monotonicities"] <= 2
        assert metrics["irregular.non_monotonicities"] > metrics["regular.non_monotonicities"]
        pooled = analysis.firing_rates(results["irregular"], "neuron").reshape(-1, 10).mean(axis=1)
        assert activation.non_monotonicities(pooled) <= 1


def test_poisson_rates_agree_with_siegert_within_10_percent():
    """Weight sweep at 1000 Hz Poisson input: jumps of 0.25-0.75 mV against 15 mV from reset to
    threshold (diffusion limit); 2 s per neuron, groups of 10 neighbours pooled."""
    prepared, results = run("experiment=activation_weight", "model.duration=2000",
                            "experiment.params.inputs={irregular: {rate: 1000.0, w_min: 5.0, w_max: 15.0, "
                            "bias: -5.0, winfactor: 0.0}}")
    metrics = measure(prepared, results)
    assert metrics["irregular.siegert_max_rel_error"] < 0.10


def test_inhibitory_copy_lowers_the_rate():
    prepared, results = run("experiment=activation_weight", "model.duration=500",
                            "experiment.params.inputs.irregular.winfactor=0.5")
    network = prepared.networks["irregular"]
    assert "inhibitory_input" in network.populations
    metrics = measure(prepared, results)
    assert metrics["irregular.mean_rate_hz"] < 0.5 * metrics["regular.mean_rate_hz"]


def test_regular_source_spikes_on_the_exercises_grid():
    prepared = job("experiment=activation_rate")
    from neurobridge import realize

    source = realize(prepared.networks["regular"]).populations["excitatory_input"]
    first = source.spike_times[source.spike_neurons == 0]
    expected = np.round(np.arange(0.1, 1000.0, 1000.0 / 500.0), 1)
    np.testing.assert_allclose(first, expected[expected <= 1000.0])


@pytest.mark.parametrize("config", CONFIGS)
def test_figures_have_units_and_legends(config):
    overrides = [f"experiment={config}"]
    if config != "activation_membrane":
        overrides.append("model.duration=100")
    prepared, results = run(*overrides)
    if config == "activation_rate":
        prepared, results = run(*overrides, "experiment.params.inputs.regular.duration=100",
                                "experiment.params.inputs.irregular.duration=100")
    figure = prepared.experiment.plot_function(PLOTS[config])(results, prepared.setup)
    for ax in figure.axes:
        assert "(" in ax.get_xlabel() and "(" in ax.get_ylabel()
        assert ax.get_legend() is not None
    plt.close(figure)


@pytest.mark.slow
@pytest.mark.requires_nest
@pytest.mark.requires_brian2
@pytest.mark.parametrize("config", CONFIGS)
def test_validate_across_backends(config, tmp_path):
    overrides = {"activation_bias": ["model.duration=300"],
                 "activation_weight": [],
                 "activation_rate": ["experiment.params.inputs.regular.duration=300",
                                     "experiment.params.inputs.irregular.duration=300"],
                 "activation_membrane": []}[config]
    assert main(["validate", f"experiment={config}", *overrides, f"hydra.sweep.dir={tmp_path}"]) == 0


def test_the_predicted_mean_rate_is_the_simulated_one(bias):
    """The theory line of a cross-sweep figure: the bias sweep's predicted mean rate (the noise-free LIF rate
    on the grid) against the simulated mean, within 1% (measured: 0.5%)."""
    prepared, results, _ = bias
    predicted = activation.prediction(prepared.setup)
    assert list(predicted) == ["no_input"] and list(predicted["no_input"]) == ["neuron"]
    simulated = analysis.firing_rates(results["no_input"], "neuron").mean()
    assert predicted["no_input"]["neuron"]["rate_hz"] == pytest.approx(simulated, rel=0.01)
    assert activation.prediction(job("experiment=activation_membrane").setup) == {}
