"""Three LIF populations (two excitatory, one inhibitory) under the report's scenarios."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from neurobridge.experiments import three_populations

from neurobridge import realize
from neurobridge.cli import main

from . import job, measure, run

SCENARIOS = ("default", "zero_inhibitory_current", "noise_input", "uniform_weights", "full_connectivity",
             "same_current", "one_strong_current")


@pytest.fixture(scope="module")
def metrics():
    out = {}
    for scenario in ("zero_inhibitory_current", "same_current", "one_strong_current"):
        prepared, results = run("experiment=three_populations", f"experiment.params.scenario={scenario}")
        out.update(measure(prepared, results))
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_builds_three_populations_of_100(scenario):
    networks = job("experiment=three_populations", f"experiment.params.scenario={scenario}").networks
    (network,) = networks.values()
    assert list(networks) == [scenario]
    assert {name: p.size for name, p in network.populations.items()} == {"ep1": 100, "ep2": 100, "ip1": 100}
    assert len(network.projections) == 6


def test_connectivity_rules():
    full = job("experiment=three_populations", "experiment.params.scenario=full_connectivity").networks
    uniform = job("experiment=three_populations", "experiment.params.scenario=uniform_weights").networks
    realized_full = realize(full["full_connectivity"])
    assert all(p.n_synapses == 100 * 100 for p in realized_full.projections)
    weights = realize(uniform["uniform_weights"]).projections[0].weights  # ep1 -> ip1, 10 pA / 20 inputs
    assert weights.min() >= 5 * 0.5 and weights.max() <= 20 * 0.5
    inhibitory = realize(uniform["uniform_weights"]).projections[2].weights
    assert np.all(inhibitory < 0)


def test_step_levels_follow_the_incremental_function():
    times, levels = three_populations.step_levels({"level": 20, "gap": 300}, 1000.0)
    assert times == [0.1, 300.0, 600.0, 900.0] and levels == [20.0, 40.0, 60.0, 80.0]
    times, levels = three_populations.step_levels({"level": 20, "gap": 600, "extra": 20, "extra_from": 500}, 1000.0)
    assert times == [0.1, 500.0, 600.0] and levels == [20.0, 40.0, 60.0]


def test_inhibitory_population_fires_without_external_current(metrics):
    network = job("experiment=three_populations", "experiment.params.scenario=zero_inhibitory_current").networks
    assert not [s for s in network["zero_inhibitory_current"].stimuli if s.target == "ip1"]
    assert metrics["zero_inhibitory_current.ip1.rate_hz"] > 2.0


def test_strongly_driven_population_suppresses_the_other(metrics):
    same = metrics["same_current.ep1.rate_second_half_hz"]
    strong = metrics["one_strong_current.ep1.rate_second_half_hz"]
    assert same > 5.0
    assert strong < 0.5 * same
    assert metrics["one_strong_current.ep2.rate_second_half_hz"] > 3 * strong
    assert metrics["one_strong_current.ip1.rate_second_half_hz"] > metrics["same_current.ip1.rate_second_half_hz"]


def test_figure_has_activity_raster_and_current_per_population():
    prepared, results = run("experiment=three_populations", "model.duration=200")
    figure = prepared.experiment.plot_function("activity")(results, prepared.setup)
    assert len(figure.axes) == 9
    assert all("(" in ax.get_xlabel() for ax in figure.axes[6:])
    assert [ax.get_ylabel() for ax in figure.axes[:3]] == ["spikes per 10 ms"] * 3
    plt.close(figure)


@pytest.mark.slow
@pytest.mark.requires_nest
@pytest.mark.requires_brian2
@pytest.mark.parametrize("scenario", ["zero_inhibitory_current", "one_strong_current"])
def test_validate_across_backends(scenario, tmp_path):
    assert main(["validate", "experiment=three_populations", f"experiment.params.scenario={scenario}",
                 f"hydra.sweep.dir={tmp_path}"]) == 0
