"""Results: tidy tables, metadata, atomic Parquet on disk; the backend registry."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

import neurobridge as nb
from neurobridge.errors import BackendNotFoundError, UnknownNameError, UnsupportedModelError
from neurobridge.registry import check_supported

NET = {"name": "tiny", "dt": 0.1, "duration": 100.0, "seed": 3, "populations": {
    "n": {"size": 5, "model": "lif", "params": {"I_e": {"linspace": [400.0, 600.0]}}}},
    "recordings": [{"population": "n", "variables": ["spikes", "V_m"], "neurons": [0, 4], "interval": 0.5}]}


@pytest.fixture(scope="module")
def result() -> nb.Result:
    return nb.simulate(NET)


def test_tables_and_meta(result: nb.Result) -> None:
    assert list(result.spikes.columns) == ["population", "neuron", "time_ms"]
    assert list(result.states.columns) == ["population", "neuron", "time_ms", "variable", "value"]
    assert result.spikes.time_ms.is_monotonic_increasing
    states = result.states
    assert sorted(states.neuron.unique()) == [0, 4]
    np.testing.assert_allclose(sorted(states.time_ms.unique()), np.arange(1, 201) * 0.5)
    meta = result.meta
    for key in ("backend", "simulator_version", "dt_ms", "duration_ms", "seed", "model_hash", "realize_seconds",
                "build_seconds", "run_seconds", "n_neurons", "n_synapses"):
        assert key in meta
    assert meta["model_hash"] == nb.Network.from_dict(NET).content_hash()
    # f-I: the neuron with the largest current fires most
    counts = result.spikes.groupby("neuron").size()
    assert counts[4] > counts[0] > 0


def test_rates_are_a_hand_count_over_every_neuron_and_the_run() -> None:
    """Known trains: 4 neurons with 3, 1, 0 and 2 spikes in 500 ms make 6 / 4 / 0.5 s = 3 Hz; a recorded
    population that never fires is 0 Hz; one whose spikes are not recorded has no rate."""
    data = {"dt": 0.1, "duration": 500.0, "populations": {
        "known": {"size": 4, "model": "spike_times", "params": {"times": [[10.0, 20.0, 499.9], [250.0], [],
                                                                          [0.1, 300.0]]}},
        "silent": {"size": 3, "model": "lif"}, "unrecorded": {"size": 2, "model": "lif", "params": {"I_e": 500.0}}},
        "recordings": [{"population": "known", "variables": ["spikes"]},
                       {"population": "silent", "variables": ["spikes"]}]}
    rates = nb.simulate(data).rates()
    assert rates.to_dict() == {"known": 3.0, "silent": 0.0}


def test_save_and_load_round_trip(result: nb.Result, tmp_path) -> None:
    directory = result.save(tmp_path / "run")
    assert sorted(os.listdir(directory)) == ["meta.json", "spikes.parquet", "states.parquet"]
    loaded = nb.load_result(directory)
    pd.testing.assert_frame_equal(loaded.spikes, result.spikes, check_dtype=False)
    pd.testing.assert_frame_equal(loaded.states, result.states, check_dtype=False)
    assert loaded.meta["model_hash"] == result.meta["model_hash"]
    assert json.loads((directory / "meta.json").read_text())["backend"] == "numpy"


def test_a_failed_save_leaves_no_folder(result: nb.Result, tmp_path, monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail)
    with pytest.raises(OSError, match="disk full"):
        result.save(tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_load_result_names_what_is_missing(tmp_path) -> None:
    with pytest.raises(nb.InvalidValueError, match="missing spikes.parquet, states.parquet, meta.json"):
        nb.load_result(tmp_path)


def test_unknown_backend_and_option_are_named() -> None:
    with pytest.raises(BackendNotFoundError, match='Unknown backend "numpyy" in backend. Did you mean "numpy"?'):
        nb.simulate(NET, backend="numpyy")
    with pytest.raises(UnknownNameError, match='Unknown option of backend numpy "substep".*Did you mean "substeps"'):
        nb.simulate(NET, backend="numpy", substep=2)


def test_unsupported_pair_names_the_backends_that_have_it(monkeypatch) -> None:
    from neurobridge import registry
    from neurobridge.backend import Backend, Capabilities

    class Small(Backend):
        name = "small"
        capabilities = Capabilities(pairs=frozenset({("lif", "current_exp")}))

        def run(self, realized, **options):
            raise AssertionError("never reached")

    numpy_backend = registry.get_backend("numpy")
    monkeypatch.setattr(registry, "_registered", lambda: {"numpy": numpy_backend, "small": Small})
    network = nb.Network.from_dict({"populations": {"n": {"size": 1, "model": "izhikevich",
                                                          "receptor": "conductance_exp"}}})
    with pytest.raises(UnsupportedModelError) as raised:
        check_supported(network, "small")
    assert str(raised.value) == ("populations.n: backend small does not support the model "
                                 "izhikevich×conductance_exp (supported by: numpy).")


def test_capabilities_are_data() -> None:
    table = nb.capabilities()
    assert ("izhikevich", "conductance_exp") in table["numpy"].pairs
    assert "tsodyks_markram" in table["numpy"].synapses
    assert "numpy" in nb.available_backends()


def test_rates_cover_only_populations_whose_spikes_were_recorded() -> None:
    data = {"dt": 0.1, "duration": 200.0, "populations": {
        "input": {"size": 10, "model": "poisson", "params": {"rate": 50.0}},
        "n": {"size": 3, "model": "lif", "params": {"I_e": 500.0}}},
        "recordings": [{"population": "n", "variables": ["spikes"]}]}
    rates = nb.simulate(data).rates()
    assert list(rates.index) == ["n"] and rates["n"] > 10.0
    data["recordings"].append({"population": "input", "variables": ["spikes"]})
    assert nb.simulate(data).rates()["input"] == pytest.approx(50.0, rel=0.35)
