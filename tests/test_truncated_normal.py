"""NEST's truncated normal (``nest.math.redraw`` of a normal): drawn again outside [low, high], never clipped."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

import neurobridge as nb
from neurobridge import resources, values
from neurobridge.errors import InvalidValueError
from neurobridge.realize import stream

#: The microcircuit's delays (Potjans & Diesmann 2014): excitatory 1.5 +- 0.75 ms, at least the resolution.
DELAY = {"truncated_normal": {"mean": 1.5, "std": 0.75, "low": 0.1, "high": math.inf}}


def network(weight: Any = 10.0, delay: Any = 1.0) -> dict[str, Any]:
    return {"dt": 0.1, "duration": 10.0, "seed": 7, "populations": {
        "a": {"size": 200, "model": "lif"}, "b": {"size": 100, "model": "lif"}},
        "projections": [{"source": "a", "target": "b", "connector": {"fixed_indegree": 50},
                         "weight": weight, "delay": delay}]}


@pytest.mark.parametrize(("mean", "std", "low", "high"), [(1.5, 0.75, 0.1, math.inf), (87.8, 8.78, 50.0, 100.0),
                                                          (0.0, 1.0, -math.inf, -0.5), (-351.2, 35.1, -500.0, 0.0)])
def test_draws_follow_scipy_truncnorm(mean: float, std: float, low: float, high: float) -> None:
    spec = values.check({"truncated_normal": {"mean": mean, "std": std, "low": low, "high": high}}, "w")
    drawn = values.sample(spec, 20_000, np.random.default_rng(12345), "w")
    assert drawn.min() >= low and drawn.max() <= high
    truth = stats.truncnorm((low - mean) / std, (high - mean) / std, loc=mean, scale=std)
    assert stats.kstest(drawn, truth.cdf).pvalue > 0.01
    assert drawn.mean() == pytest.approx(truth.mean(), abs=4 * truth.std() / math.sqrt(drawn.size))
    assert resources._mean(spec) == pytest.approx(truth.mean(), rel=1e-9)


def test_redrawn_delays_do_not_pile_up_at_dt_as_clipped_ones_do() -> None:
    """Clipping 1.5 +- 0.75 at 0.1 puts P(x < 0.15) = 3.1% of the delays on one step; redrawing puts
    P(0.1 <= x < 0.15) / P(x >= 0.1) = 0.1% there (NEST's delay_ms_to_steps rounds to the nearest step)."""
    redrawn = nb.realize(nb.Network.from_dict(network(delay=DELAY))).projections[0]
    clipped = nb.realize(nb.Network.from_dict(network(delay={"normal": {"mean": 1.5, "std": 0.75},
                                                              "min": 0.1}))).projections[0]
    normal = stats.norm(1.5, 0.75)
    on_one_step = (normal.cdf(0.15) - normal.cdf(0.1)) / normal.sf(0.1)
    assert np.mean(redrawn.delay_steps == 1) == pytest.approx(on_one_step, abs=0.002)
    assert np.mean(clipped.delay_steps == 1) == pytest.approx(normal.cdf(0.15), abs=0.006)
    assert redrawn.delay_steps.min() >= 1


def test_weights_are_redrawn_inside_their_bounds_and_keep_their_sign() -> None:
    weight = {"truncated_normal": {"mean": -351.2, "std": 35.12, "low": -math.inf, "high": 0.0}}
    projection = nb.realize(nb.Network.from_dict(network(weight=weight))).projections[0]
    assert projection.weights.max() <= 0.0 and projection.weights.std() == pytest.approx(35.12, rel=0.05)


def test_the_same_seed_redraws_the_same_values() -> None:
    first = values.sample(values.check(DELAY, "d"), 1000, stream(3, "x"), "d")
    assert np.array_equal(first, values.sample(values.check(DELAY, "d"), 1000, stream(3, "x"), "d"))


DEFECTS = [
    ({"truncated_normal": {"mean": 1.0, "std": 1.0, "low": 2.0, "high": 1.0}},
     "projections[0].weight.truncated_normal needs low <= high, got {'mean': 1.0, 'std': 1.0, 'low': 2.0, "
     "'high': 1.0}."),
    ({"truncated_normal": {"mean": 0.0, "std": 1.0, "low": 3.0, "high": math.inf}},
     "projections[0].weight.truncated_normal: a normal of mean 0 and std 1 falls in [3, inf] with probability "
     "0.00135; NEST redraws a value at most 1000 times, so the bounds must hold at least 0.05 of it."),
    ({"truncated_normal": {"mean": 0.0, "std": -1.0, "low": 0.0, "high": 1.0}},
     "projections[0].weight.truncated_normal.std must be >= 0, got -1.0."),
    ({"truncated_normal": {"mean": 0.0, "std": 1.0, "low": "zero", "high": 1.0}},
     "projections[0].weight.truncated_normal.low must be a number, got 'zero'."),
    ({"truncated_normal": {"mean": 0.0, "std": 1.0, "low": 0.0, "high": -math.inf}},
     "projections[0].weight.truncated_normal.high must be a finite number or .inf, got -inf."),
    ({"truncated_normal": {"mean": 0.0, "std": 1.0, "low": 0.0}},
     "projections[0].weight.truncated_normal needs high, got {'mean': 0.0, 'std': 1.0, 'low': 0.0}."),
]


@pytest.mark.parametrize(("spec", "message"), DEFECTS, ids=[str(i) for i in range(len(DEFECTS))])
def test_defects_name_the_field_the_value_and_what_is_allowed(spec: dict, message: str) -> None:
    with pytest.raises(InvalidValueError) as raised:
        nb.Network.from_dict(network(weight=spec))
    assert str(raised.value) == message


def test_a_delay_that_can_be_below_dt_is_refused_before_drawing() -> None:
    delay = {"truncated_normal": {"mean": 1.5, "std": 0.75, "low": 0.0, "high": math.inf}}
    with pytest.raises(InvalidValueError) as raised:
        nb.Network.from_dict(network(delay=delay))
    assert str(raised.value) == ("projections[0].delay must be at least dt (0.1 ms), got {'truncated_normal': "
                                 "{'mean': 1.5, 'std': 0.75, 'low': 0.0, 'high': inf}}.")


def _driven(weight: Any, delay: Any) -> dict[str, Any]:
    data = network(weight, delay)
    data["duration"] = 200.0
    data["populations"]["a"]["params"] = {"I_e": 400.0}
    data["populations"]["a"]["initial"] = {"V_m": {"uniform": [-70.0, -55.0]}}
    data["populations"]["b"]["params"] = {"I_e": 300.0}
    data["recordings"] = [{"population": "a", "variables": ["spikes"]},
                          {"population": "b", "variables": ["spikes", "V_m"], "neurons": [0, 1]}]
    return data


@pytest.mark.requires_nest
def test_redrawn_weights_and_delays_give_nest_the_reference_spikes() -> None:
    """The realized draws go to every backend: NEST spikes as the reference does, V_m equal to 1e-9 mV
    (an unbounded delay distribution is also estimated for the memory check, not refused)."""
    weight = {"truncated_normal": {"mean": 60.0, "std": 30.0, "low": 0.0, "high": math.inf}}
    data = _driven(weight, DELAY)
    reference, nest = (nb.simulate(data, backend=b) for b in ("numpy", "nest"))
    assert (reference.spikes.population == "b").sum() > 30
    columns = ["population", "neuron", "time_ms"]
    assert reference.spikes[columns].reset_index(drop=True).equals(nest.spikes[columns].reset_index(drop=True))
    np.testing.assert_allclose(reference.states.value.to_numpy(), nest.states.value.to_numpy(), atol=1e-9)
