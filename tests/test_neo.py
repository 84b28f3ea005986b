"""Result.to_neo(): a neo.Block that Elephant reads, and neurobridge's metrics held to Elephant's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurobridge as nb
from neurobridge import analysis
from neurobridge.compare import van_rossum_distance

neo = pytest.importorskip("neo")
elephant = pytest.importorskip("elephant")
pq = pytest.importorskip("quantities")
from elephant.spike_train_dissimilarity import van_rossum_distance as elephant_van_rossum  # noqa: E402
from elephant.statistics import cv, isi, mean_firing_rate  # noqa: E402

#: 40 LIF neurons driven by their own Poisson inputs, 300 ms, V_m and I_syn_ex of three neurons recorded.
NETWORK = {
    "name": "driven", "dt": 0.1, "duration": 300.0, "seed": 3,
    "populations": {"cells": {"size": 40, "model": "lif", "receptor": "current_exp",
                              "params": {"I_e": {"linspace": [300.0, 500.0]}}},
                    "drive": {"size": 40, "model": "poisson", "params": {"rate": 800.0}}},
    "projections": [{"source": "drive", "target": "cells", "connector": "one_to_one", "weight": 60.0,
                     "delay": 0.1}],
    "recordings": [{"population": "cells", "variables": ["spikes"]},
                   {"population": "cells", "variables": ["V_m", "I_syn_ex"], "neurons": [0, 1, 2]}],
}


@pytest.fixture(scope="module")
def result() -> nb.Result:
    return nb.simulate(NETWORK, "numpy")


def test_the_block_holds_every_neurons_train_past_its_last_stamp(result: nb.Result) -> None:
    block = result.to_neo()
    trains = block.segments[0].spiketrains
    assert len(trains) == 40 and [t.annotations["neuron"] for t in trains] == list(range(40))
    assert sum(len(t) for t in trains) == len(result.spikes) > 0
    for train in trains:
        assert train.t_start == 0 * pq.ms and float(train.t_stop.rescale("ms")) > 300.0
        assert np.array_equal(train.times.rescale("ms").magnitude,
                              result.spike_times("cells", train.annotations["neuron"]))


def test_the_signals_carry_nests_units_and_the_recorded_values(result: nb.Result) -> None:
    signals = {s.name: s for s in result.to_neo().segments[0].analogsignals}
    assert set(signals) == {"cells.V_m", "cells.I_syn_ex"}
    v_m, current = signals["cells.V_m"], signals["cells.I_syn_ex"]
    assert v_m.units == pq.mV and current.units == pq.pA
    assert list(v_m.array_annotations["neuron"]) == [0, 1, 2]
    assert float(v_m.sampling_period.rescale("ms")) == pytest.approx(0.1)
    trace = result.trace("cells", "V_m", 1)
    assert np.allclose(v_m.magnitude[:, 1], trace.to_numpy())
    assert float(v_m.t_start.rescale("ms")) == pytest.approx(float(trace.index[0]))


def test_rates_cvs_and_van_rossum_agree_with_elephants(result: nb.Result) -> None:
    trains = result.to_neo().segments[0].spiketrains
    rates = analysis.firing_rates(result, "cells")
    elephant_rates = [float(mean_firing_rate(t).rescale("Hz")) for t in trains]
    assert rates == pytest.approx(elephant_rates, rel=1e-12)
    ours = analysis.isi_cvs(analysis.spike_trains(result, "cells"), min_spikes=3)
    theirs = [cv(isi(t).magnitude) for t in trains if len(t) >= 3]
    assert ours.size == len(theirs) > 30 and ours == pytest.approx(theirs, rel=1e-12)
    # van Rossum: Elephant's D² is (2/τ)∫(f-g)², ours (1/τ)∫(f-g)²: Elephant's distance is ours times √2
    own = analysis.spike_trains(result, "cells")
    for i, j in ((0, 1), (5, 30), (10, 11)):
        distance = elephant_van_rossum([trains[i], trains[j]], time_constant=10.0 * pq.ms)[0, 1]
        assert distance == pytest.approx(math.sqrt(2) * van_rossum_distance(own[i], own[j], 10.0), rel=1e-9)
