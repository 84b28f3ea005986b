"""Every second of a run is accounted for in ``meta["seconds"]``, on every backend."""

from __future__ import annotations

import math

import pytest

import neurobridge as nb
from neurobridge.registry import STAGES

from . import networks

BACKENDS = [
    "numpy",
    pytest.param("nest", marks=pytest.mark.requires_nest),
    pytest.param("brian2", marks=pytest.mark.requires_brian2),
    pytest.param("neuron", marks=pytest.mark.requires_neuron),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_stages_add_up_to_the_total_and_match_the_flat_fields(backend: str) -> None:
    result = nb.simulate(nb.Network.from_dict(networks.cuba(400, duration=50.0)), backend=backend)
    seconds = result.meta["seconds"]
    assert list(seconds) == [*STAGES, "total"]
    assert all(math.isfinite(v) for v in seconds.values())
    assert all(seconds[stage] >= 0.0 for stage in STAGES if stage != "other")
    assert seconds["other"] >= -1e-6  # the adapter's call covers every interval it reports
    assert sum(seconds[stage] for stage in STAGES) == pytest.approx(seconds["total"], rel=1e-9)
    assert seconds["build"] == result.meta["build_seconds"] and seconds["run"] == result.meta["run_seconds"]
    assert seconds["realize"] + seconds["lower"] == pytest.approx(result.meta["realize_seconds"], rel=1e-9)
    assert result.meta["readback_seconds"] == seconds["read_back"] > 0.0
