"""neurobridge.compare: the metrics against closed forms, grouping and labelling, the verdict."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neurobridge as nb
from neurobridge import compare
from neurobridge.app.layout import compare_folder
from neurobridge.compare import CompareSettings, compare_runs, find_runs
from neurobridge.results import Result

from .networks import single_neuron

# ------------------------------------------------------------------------------ metric closed forms

def test_coincidence_factor_is_one_for_identical_trains_and_near_zero_for_unrelated() -> None:
    rng = np.random.default_rng(0)
    train = np.sort(rng.uniform(0, 10_000, 200))
    assert compare.kistler_gamma(train, train, 2.0, 10_000) == pytest.approx(1.0)
    assert compare.kistler_gamma(train, train + 1.5, 2.0, 10_000) == pytest.approx(1.0)
    other = np.sort(rng.uniform(0, 10_000, 200))
    assert abs(compare.kistler_gamma(train, other, 2.0, 10_000)) < 0.15


def test_coincidence_factor_counts_missing_spikes() -> None:
    # 10 data spikes, the model has 5 of them: N_coinc 5, nu = 5 / 1000 per ms, Delta 1 ms.
    data = np.arange(1, 11) * 90.0
    model = data[:5]
    expected = (5 - 2 * 0.005 * 1.0 * 10) / (0.5 * 15) / (1 - 2 * 0.005 * 1.0)
    assert compare.kistler_gamma(data, model, 1.0, 1000.0) == pytest.approx(expected)


def test_van_rossum_distance_closed_forms() -> None:
    train = np.array([10.0, 50.0, 90.0])
    assert compare.van_rossum_distance(train, train, 5.0) == pytest.approx(0.0, abs=1e-12)
    assert compare.van_rossum_distance(train, np.append(train, 300.0), 5.0) == pytest.approx(math.sqrt(0.5))
    shift, tau = 2.0, 5.0  # one spike moved: D² = 1 - exp(-shift / tau)
    assert compare.van_rossum_distance(np.array([10.0]), np.array([12.0]), tau) == pytest.approx(
        math.sqrt(1 - math.exp(-shift / tau)))


def test_parse_overrides_skips_hydra_and_types_values() -> None:
    parsed = compare.parse_overrides(["backend=nest", "model.dt=0.05", "+x.y=[1,2]", "hydra.run.dir=out"])
    assert parsed == {"backend": "nest", "model.dt": 0.05, "x.y": [1, 2]}


def test_unknown_metric_is_refused_with_a_suggestion() -> None:
    with pytest.raises(nb.UnknownNameError, match='Unknown metric "ks_rate" in compare.metrics. '
                                                  'Did you mean "ks_rates"?'):
        CompareSettings.from_mapping({"metrics": {"ks_rate": 0.1}})


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(nb.UnknownNameError, match='Unknown field "referense" in compare'):
        CompareSettings.from_mapping({"referense": "nest"})


# --------------------------------------------------------------------------- runs on disk, verdict

def _network(tau_m: float = 10.0) -> dict:
    network = single_neuron("current_exp", duration=400.0)
    network["populations"]["neuron"]["params"]["tau_m"] = tau_m
    return network


def _save(directory: Path, result: Result, overrides: list[str]) -> None:
    result.meta.update(variant="single", experiment="test", overrides=overrides,
                       compare={"metrics": {"rate_rel_diff": 0.05, "coincidence_factor": 0.9,
                                            "van_rossum": 1.0, "rmse_V_m": 0.5}})
    result.save(directory)


def _relabel(result: Result, backend: str) -> Result:
    return Result(result.spikes, result.states, {**result.meta, "backend": backend})


@pytest.fixture(scope="module")
def reference() -> Result:
    return nb.simulate(_network(), "numpy")


def test_identical_runs_pass_every_metric(tmp_path: Path, reference: Result) -> None:
    _save(tmp_path / "a", _relabel(reference, "numpy"), ["backend=numpy"])
    _save(tmp_path / "b", _relabel(reference, "copy"), ["backend=copy"])
    comparison = compare_folder(tmp_path, report=False)
    assert comparison.passed
    values = comparison.table.set_index("metric").value
    assert values["coincidence_factor"] == pytest.approx(1.0)
    assert values["van_rossum"] == pytest.approx(0.0, abs=1e-9)
    assert values["rmse_V_m"] == pytest.approx(0.0, abs=1e-9)
    assert (tmp_path / "summary.parquet").exists() and (tmp_path / "verdict.json").exists()


def test_perturbed_run_fails_and_is_labelled_by_its_override(tmp_path: Path, reference: Result) -> None:
    _save(tmp_path / "a", reference, ["backend=numpy"])
    _save(tmp_path / "b", nb.simulate(_network(tau_m=14.0), "numpy"),
          ["backend=numpy", "model.populations.neuron.params.tau_m=14"])
    comparison = compare_folder(tmp_path, report=False)
    assert not comparison.passed
    failed = comparison.failures
    assert set(failed.population) == {"neuron"}
    assert "rmse_V_m" in set(failed.metric)
    assert set(failed.backend_b) == {"numpy[populations.neuron.params.tau_m=14]"}
    assert "Runs differ in model.populations.neuron.params.tau_m" in comparison.notes[0]


def test_a_multirun_compares_backends_at_each_sweep_point(tmp_path: Path) -> None:
    (tmp_path / "multirun.yaml").write_text("{}")
    for index, tau_m in enumerate((10.0, 14.0)):
        result = nb.simulate(_network(tau_m), "numpy")
        for offset, backend in enumerate(("numpy", "copy")):
            _save(tmp_path / f"{2 * index + offset}", _relabel(result, backend),
                  [f"backend={backend}", f"model.populations.neuron.params.tau_m={tau_m:g}"])
    comparison = compare_folder(tmp_path, report=False)
    assert comparison.passed
    assert comparison.sweep_keys == ["model.populations.neuron.params.tau_m"]
    assert sorted(comparison.table["model.populations.neuron.params.tau_m"].unique()) == [10, 14]
    summary = pd.read_parquet(tmp_path / "summary.parquet")
    assert set(summary.backend) == {"numpy", "copy"} and len(summary) == 4


def test_a_failed_job_fails_the_verdict(tmp_path: Path, reference: Result) -> None:
    _save(tmp_path / "a", reference, ["backend=numpy"])
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "error.json").write_text('{"error": "RuntimeError: boom"}')
    comparison = compare_folder(tmp_path, report=False)
    assert not comparison.passed and "boom" in compare.format_verdict(comparison)


def test_network_distributions_agree_for_the_same_network(tmp_path: Path) -> None:
    cuba = nb.load(Path(nb.__file__).parent.parent / "conf" / "model" / "cuba.yaml").to_dict()
    cuba["populations"]["exc"]["size"], cuba["populations"]["inh"]["size"], cuba["duration"] = 160, 40, 200.0
    result = nb.simulate(cuba, "numpy")
    settings = CompareSettings.from_mapping(compare.network_settings())
    runs = []
    for backend in ("numpy", "copy"):
        _save(tmp_path / backend, _relabel(result, backend), [f"backend={backend}"])
    runs = find_runs(tmp_path)
    comparison = compare_runs(runs, settings)
    assert comparison.passed
    assert set(comparison.table.metric) == set(compare.network_settings()["metrics"])
    assert (comparison.table.query("metric == 'ks_rates'").value == 0).all()


def test_trace_rmse_interpolates_onto_the_reference_grid() -> None:
    times = np.arange(0.1, 10.0, 0.1)
    shifted = times - 0.1  # Brian2 samples at 0, dt, ...; NEST at dt, 2 dt, ...

    def result(ts: np.ndarray, backend: str) -> Result:
        states = pd.DataFrame({"population": "p", "neuron": 0, "time_ms": ts, "variable": "V_m",
                               "value": 2.0 * ts})
        return Result(pd.DataFrame(columns=["population", "neuron", "time_ms"]), states,
                      {"backend": backend, "population_sizes": {"p": 1}, "duration_ms": 10.0})

    settings = CompareSettings()
    a = compare.PopulationView(result(times, "numpy"), "p", settings)
    b = compare.PopulationView(result(shifted, "brian2"), "p", settings)
    assert compare.trace_rmse("V_m")(a, b) == pytest.approx(0.0, abs=1e-12)


def test_trace_rmse_of_a_nan_trace_fails_the_check() -> None:
    """A backend that returns NaN has not agreed: the metric is inf, and the tolerance fails it."""
    times = np.arange(0.1, 10.0, 0.1)

    def result(values: np.ndarray, backend: str) -> Result:
        states = pd.DataFrame({"population": "p", "neuron": 0, "time_ms": times, "variable": "V_m",
                               "value": values})
        return Result(pd.DataFrame(columns=["population", "neuron", "time_ms"]), states,
                      {"backend": backend, "population_sizes": {"p": 1}, "duration_ms": 10.0})

    settings = CompareSettings()
    broken = np.where(times > 5.0, np.nan, times)
    a = compare.PopulationView(result(times, "numpy"), "p", settings)
    b = compare.PopulationView(result(broken, "brian2"), "p", settings)
    value = compare.trace_rmse("V_m")(a, b)
    assert value == np.inf
    assert compare._judge("rmse_V_m", value, 1e-3) is False
