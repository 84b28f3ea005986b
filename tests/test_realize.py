"""Realization: seeded, vectorised, identical arrays for every backend."""

from __future__ import annotations

import numpy as np
import pytest

import neurobridge as nb

from . import networks


def realize(data: dict) -> nb.RealizedNetwork:
    return nb.realize(nb.Network.from_dict(data))


def two_populations(connector, n_source=400, n_target=300, **projection) -> dict:
    return {"dt": 0.1, "duration": 10.0, "seed": 5, "populations": {
        "a": {"size": n_source, "model": "lif"}, "b": {"size": n_target, "model": "lif"}},
        "projections": [{"source": "a", "target": "b", "connector": connector, "weight": 1.0,
                         "delay": 1.0, **projection}]}


def test_same_seed_bit_identical_other_seed_different() -> None:
    data = networks.cuba(2000)
    first, second = realize(data), realize(data)
    for a, b in zip(first.projections, second.projections):
        assert np.array_equal(a.sources, b.sources) and np.array_equal(a.targets, b.targets)
    assert np.array_equal(first.populations["exc"].initial["V_m"], second.populations["exc"].initial["V_m"])
    other = realize({**data, "seed": data["seed"] + 1})
    assert not np.array_equal(first.projections[0].targets[:100], other.projections[0].targets[:100])
    assert not np.array_equal(first.populations["exc"].initial["V_m"], other.populations["exc"].initial["V_m"])


def test_changing_one_projection_leaves_the_others_draws() -> None:
    data = networks.cuba(2000)
    changed = {**data, "projections": [dict(p) for p in data["projections"]]}
    changed["projections"][3]["weight"] = -100.0
    a, b = realize(data), realize(changed)
    assert np.array_equal(a.projections[0].targets, b.projections[0].targets)
    assert np.array_equal(a.populations["inh"].initial["V_m"], b.populations["inh"].initial["V_m"])


def test_16000_neurons_at_2_percent_draw_a_binomial_number_of_synapses() -> None:
    """The count of a fixed_probability draw (its speed is benchmarks/memory.py's and brunel.py's to measure)."""
    realized = nb.realize(nb.Network.from_dict(networks.cuba(16000)))
    expected = 16000 * 16000 * 0.005  # p is 0.02 * 4000 / 16000: the in-degree of CUBA at 4000
    assert abs(realized.n_synapses - expected) < 5 * np.sqrt(expected)


@pytest.mark.parametrize("p", [1e-19, 1e-30, 5e-324])
def test_a_vanishing_fixed_probability_draws_no_synapse_and_ends(p: float) -> None:
    """numpy's geometric gap for a p this small is 2**63 - 1: summed, it once wrapped negative and the draw
    never ended (the property search found it when its run took the machine's 24 GB)."""
    projection = realize(two_populations({"fixed_probability": p})).projections[0]
    assert projection.sources.size == projection.targets.size == 0


def test_fixed_probability_degrees_are_binomial() -> None:
    p = 0.1
    projection = realize(two_populations({"fixed_probability": p})).projections[0]
    indegree = np.bincount(projection.targets, minlength=300)
    assert abs(indegree.mean() - 400 * p) < 3 * np.sqrt(400 * p * (1 - p) / 300)
    assert abs(indegree.var() / (400 * p * (1 - p)) - 1) < 0.25
    pairs = projection.sources * 300 + projection.targets
    assert np.unique(pairs).size == pairs.size  # Bernoulli trials never repeat a pair


def test_fixed_indegree_and_outdegree_are_exact() -> None:
    incoming = realize(two_populations({"fixed_indegree": 25})).projections[0]
    assert np.all(np.bincount(incoming.targets, minlength=300) == 25)
    outgoing = realize(two_populations({"fixed_outdegree": 7})).projections[0]
    assert np.all(np.bincount(outgoing.sources, minlength=400) == 7)


def test_no_autapses_no_multapses() -> None:
    data = {"dt": 0.1, "duration": 10.0, "populations": {"a": {"size": 50, "model": "lif"}},
            "projections": [{"source": "a", "target": "a", "delay": 1.0, "connector": {
                "fixed_indegree": 40, "allow_autapses": False, "allow_multapses": False}}]}
    projection = realize(data).projections[0]
    assert not np.any(projection.sources == projection.targets)
    pairs = projection.sources * 50 + projection.targets
    assert np.unique(pairs).size == pairs.size == 50 * 40


def test_no_multapses_when_the_in_degree_is_a_fifth_of_the_sources() -> None:
    """1000 of 5000 per row: whole-row rejection would need ~e^100 tries; every row is a uniform subset."""
    data = two_populations({"fixed_indegree": 1000, "allow_multapses": False}, n_source=5000, n_target=200)
    projection = realize(data).projections[0]
    pairs = projection.sources.astype(np.int64) * 200 + projection.targets
    assert np.unique(pairs).size == pairs.size == 200 * 1000
    counts = np.bincount(projection.sources, minlength=5000)  # each source: Binomial(200, 0.2)
    assert counts.mean() == 40.0
    assert counts.var() == pytest.approx(200 * 0.2 * 0.8, rel=0.1)


def test_all_to_all_one_to_one_total_number_and_list() -> None:
    assert realize(two_populations("all_to_all")).projections[0].n_synapses == 400 * 300
    data = two_populations("one_to_one", n_source=300)
    projection = realize(data).projections[0]
    assert np.array_equal(projection.sources, projection.targets)
    assert realize(two_populations({"fixed_total_number": 1234})).projections[0].n_synapses == 1234
    listed = realize(two_populations({"from_list": {"sources": [0, 5], "targets": [2, 3]}})).projections[0]
    assert listed.sources.tolist() == [0, 5] and listed.targets.tolist() == [2, 3]


def test_ring_connects_only_within_the_radius() -> None:
    data = two_populations({"ring": {"radius": np.pi / 4, "p": 0.4}}, n_source=200, n_target=200)
    projection = realize(data).projections[0]
    angle = 2 * np.pi / 200
    difference = np.abs(projection.sources - projection.targets) * angle
    distance = np.minimum(difference, 2 * np.pi - difference)
    assert distance.max() <= np.pi / 4 + 1e-9
    candidates = 200 * (2 * 25 + 1)  # within pi/4 on either side, the neuron itself included
    assert abs(projection.n_synapses - 0.4 * candidates) < 4 * np.sqrt(candidates * 0.24)


def test_weight_and_delay_distributions() -> None:
    data = two_populations({"fixed_indegree": 50}, weight={"gamma": {"shape": 2.0, "scale": 0.5}, "factor": -2},
                           delay={"uniform": [0.1, 3.0]})
    projection = realize(data).projections[0]
    assert np.all(projection.weights < 0)
    assert abs(projection.weights.mean() - (-2.0)) < 0.05
    steps = projection.delays / 0.1
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)  # on the grid
    assert projection.delays.min() >= 0.1 and projection.delays.max() <= 3.0


def test_poisson_trains_rate_cv_and_window() -> None:
    data = {"dt": 0.1, "duration": 2000.0, "seed": 9, "populations": {
        "p": {"size": 500, "model": "poisson", "params": {"rate": 10.0, "start": 500.0, "stop": 1500.0}}}}
    source = realize(data).populations["p"]
    times = source.spike_times
    assert times.min() > 500.0 and times.max() <= 1500.0
    expected = 500 * 10.0 * 1.0
    assert abs(times.size - expected) < 3 * np.sqrt(expected)
    np.testing.assert_allclose(times / 0.1, np.round(times / 0.1), atol=1e-6)


def test_regular_source_rounds_to_the_grid_like_the_exercise() -> None:
    rate = 300.0
    data = {"dt": 0.1, "duration": 100.0, "populations": {
        "r": {"size": 1, "model": "regular", "params": {"rate": rate}}}}
    source = realize(data).populations["r"]
    exercise = np.round(np.arange(0.1, 100.0, 1000.0 / rate), 1)  # the activation-function exercise
    np.testing.assert_allclose(source.spike_times, exercise)


def test_regular_sweep_of_rates_in_one_population() -> None:
    data = {"dt": 0.1, "duration": 1000.0, "populations": {
        "r": {"size": 5, "model": "regular", "params": {"rate": {"linspace": [10.0, 50.0]}}}}}
    source = realize(data).populations["r"]
    counts = np.bincount(source.spike_neurons, minlength=5)
    assert counts.tolist() == [10, 20, 30, 40, 50]


def test_current_traces() -> None:
    data = {"dt": 0.1, "duration": 100.0, "seed": 2, "populations": {"n": {"size": 3, "model": "lif"}},
            "stimuli": [
                {"target": "n", "kind": "dc", "amplitude": 50.0, "start": 10.0, "stop": 20.0},
                {"target": "n", "kind": "noise", "mean": 5.0, "std": 2.0, "dt": 1.0, "neurons": [0, 2]},
                {"target": "n", "kind": "sinusoidal", "amplitude": 10.0, "frequency": 50.0, "start": 0.0},
                {"target": "n", "kind": "random_step", "amplitude": {"uniform": [0.0, 100.0]},
                 "interval": 25.0},
                {"target": "n", "kind": "ramp", "start": 0.0, "stop": 50.0, "amplitude_stop": 100.0}]}
    dc, noise, sine, steps, ramp = realize(data).currents
    assert dc.times.tolist() == [10.0, 20.0] and dc.amplitudes.tolist() == [50.0, 0.0]
    assert noise.amplitudes.shape == (100, 2) and noise.times[0] == 0.1  # a change at 0 moves to dt
    assert abs(noise.amplitudes.mean() - 5.0) < 0.5 and abs(noise.amplitudes.std() - 2.0) < 0.3
    np.testing.assert_allclose(sine.amplitudes[5], 10.0 * np.sin(2 * np.pi * 50.0 * sine.times[5] / 1000.0))
    assert steps.times.tolist() == [0.1, 25.0, 50.0, 75.0] and steps.shared
    assert ramp.amplitudes[-1] == 0.0 and abs(ramp.amplitudes[-2] - 99.8) < 1e-9


# -- compact arrays ----------------------------------------------------------------------------------

def test_cuba_synapses_take_eight_bytes_each_a_scalar_weight_and_delay_none() -> None:
    realized = realize(networks.cuba(2000))
    for projection in realized.projections:
        n = projection.n_synapses
        assert projection.sources.dtype == np.int32 and projection.targets.dtype == np.int32
        assert projection.weights.strides == (0,) and projection.delay_steps.strides == (0,)
        assert projection.weights.tolist()[:2] == [projection.spec.weight] * 2
        assert projection.delay_steps.dtype == np.uint8 and set(projection.delay_steps[:5].tolist()) == {1}
        assert projection.nbytes == 8 * n + 8 + 1  # int32 pairs, one weight, one delay step
    with pytest.raises(ValueError, match="read-only"):
        realized.projections[0].weights[0] = 1.0


def test_drawn_weights_stay_float64_and_drawn_delays_are_small_ints_in_nest_steps() -> None:
    data = two_populations({"fixed_indegree": 20}, weight={"normal": {"mean": 2.0, "std": 0.5}},
                           delay={"uniform": [0.1, 20.0]})
    projection = realize(data).projections[0]
    assert projection.weights.dtype == np.float64 and projection.weights.strides == (8,)
    assert projection.weights.std() == pytest.approx(0.5, rel=0.05)
    assert projection.delay_steps.dtype == np.uint8  # at most 200 steps
    assert projection.delay_steps.min() >= 1 and projection.delay_steps.max() <= 200
    np.testing.assert_allclose(projection.delays, projection.delay_steps * 0.1)
    assert projection.nbytes == projection.n_synapses * (4 + 4 + 8 + 1)


def test_delays_beyond_255_steps_take_two_bytes() -> None:
    projection = realize(two_populations("one_to_one", 10, 10, delay={"uniform": [30.0, 40.0]})).projections[0]
    assert projection.delay_steps.dtype == np.uint16 and projection.delay_steps.min() >= 300
