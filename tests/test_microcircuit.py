"""conf/model/microcircuit.yaml: the Potjans & Diesmann (2014) microcircuit at scale 0.1 (NEST's example's numbers)."""

from __future__ import annotations

import math

import pytest

import neurobridge as nb
from neurobridge.cli import model_path

#: Potjans & Diesmann (2014), Table 5: neurons per population at full scale.
FULL = {"L23E": 20683, "L23I": 5834, "L4E": 21915, "L4I": 5479, "L5E": 4850, "L5I": 1065, "L6E": 14395,
        "L6I": 2948}
#: Published rates (Hz), Potjans & Diesmann 2014 Fig. 6 (approximate).
PUBLISHED = {"L23E": 0.9, "L23I": 2.8, "L4E": 4.4, "L4I": 5.8, "L5E": 7.6, "L5I": 8.7, "L6E": 1.1, "L6I": 7.8}


@pytest.fixture(scope="module")
def network() -> nb.Network:
    return nb.load(model_path("microcircuit"))


def test_sizes_in_degrees_and_weights_follow_the_tables(network: nb.Network) -> None:
    assert {name: p.size for name, p in network.populations.items()} == {k: int(v * 0.1) for k, v in FULL.items()}
    by_pair = {(p.source, p.target): p for p in network.projections}
    # L23E -> L23E: p = 0.1009 over 20683^2 pairs, in-degree scaled by 0.1 (fixed_total_number)
    expected = math.log(1 - 0.1009) / math.log(1 - 1 / 20683**2) * 2068 / 20683 * 0.1
    assert by_pair["L23E", "L23E"].connector.params["n"] == pytest.approx(expected, abs=1.0)
    w = by_pair["L23E", "L23E"].weight["truncated_normal"]
    # 0.15 mV PSP as a PSC (iaf_psc_exp, C_m 250 pF, tau_m 10 ms, tau_syn 0.5 ms): 87.81 pA, / sqrt(0.1)
    assert w["mean"] == pytest.approx(87.81 / math.sqrt(0.1), rel=1e-3) and w["low"] == 0.0
    assert by_pair["L4E", "L23E"].weight["truncated_normal"]["mean"] == pytest.approx(2 * w["mean"], rel=1e-6)
    assert by_pair["L23I", "L23E"].weight["truncated_normal"]["mean"] == pytest.approx(-4 * w["mean"], rel=1e-6)
    assert ("L5I", "L23E") not in by_pair  # p = 0
    assert 2.9e6 < sum(p.connector.params["n"] for p in network.projections) < 3.1e6


@pytest.mark.slow
def test_numpy_rates_are_near_the_published_ones(network: nb.Network) -> None:
    result = nb.simulate(network, backend="numpy")
    spikes = result.spikes[result.spikes.time_ms > 100.0]
    for name, published in PUBLISHED.items():
        rate = (spikes.population == name).sum() / network.populations[name].size / 0.9
        assert abs(rate - published) < max(0.5, 0.3 * published), (name, rate, published)
