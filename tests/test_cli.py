"""The ``neurobridge`` command, run as a subprocess in a fresh folder (Hydra's own test pattern)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

#: CUBA cut down to 100 neurons and 100 ms: seconds per job on any backend.
SMALL = ["experiment=cuba", "model.populations.exc.size=80", "model.populations.inh.size=20", "model.duration=100"]
TAU_M = "model.populations.exc.params.tau_m"


def neurobridge(cwd: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "neurobridge.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def test_backends_prints_versions_and_support_table(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "backends")
    assert done.returncode == 0, done.stderr
    assert "numpy: numpy" in done.stdout
    assert "lif×current_exp" in done.stdout and "tsodyks_markram" in done.stdout


@pytest.mark.parametrize("arguments, message", [
    (["experiment=nope"], "Could not find 'experiment/nope'"),
    (["backend=nset"], "Could not find 'backend/nset'"),
    (["model.dtt=0.1"], "Key 'dtt' not in 'ModelSchema'"),
    (["experiment=cuba", "model.populations.exc.sise=3"], "Key 'sise' not in 'PopulationSchema'"),
    (["model.dt=-0.1"], "dt must be > 0, got -0.1."),
    (["experiment=cuba", "+model.populations.exc.params.tau_mm=3"], 'Unknown parameter "tau_mm"'),
    (["backend.options.substep=3"], "Key 'substep' not in 'NumpyOptions'"),
    (["experiment=cuba", "experiment.plots=[rastr]"],
     'Unknown plot "rastr" in experiment.plots of cuba. Did you mean "raster"?'),
    (["-m", "backend=numpy,nset"], "Could not find 'backend/nset'"),
    (["-m", "model.dt=0.1,-0.1"], "dt must be > 0, got -0.1."),
])
def test_bad_input_exits_2_with_one_message_and_no_folder(tmp_path: Path, arguments: list[str],
                                                           message: str) -> None:
    done = neurobridge(tmp_path, "run", *arguments)
    assert done.returncode == 2
    assert done.stderr.startswith("neurobridge: error: ") and done.stderr.count("neurobridge: error") == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert list(tmp_path.iterdir()) == []


def test_run_writes_results_metrics_and_figures(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "run", *SMALL, "hydra.run.dir=out")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    for name in ("spikes.parquet", "states.parquet", "meta.json", "metrics.json", "raster.png",
                 "rate_histogram.png", ".hydra/config.yaml"):
        assert (out / name).exists(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["backend"] == "numpy" and metrics["metrics"]["exc.rate_hz"] > 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["experiment"] == "cuba" and meta["population_sizes"] == {"exc": 80, "inh": 20}


def test_default_output_goes_under_results(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "run", *SMALL)
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "results" / "cuba").glob("*/*_numpy/meta.json"))) == 1


def test_cfg_job_shows_the_config_without_running(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "run", "--cfg", "job", "model.dt=0.05")
    assert done.returncode == 0, done.stderr
    assert "dt: 0.05" in done.stdout and "experiment:" in done.stdout
    assert list(tmp_path.iterdir()) == []


def test_parameter_sweep_gathers_one_summary_with_swept_column(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "run", "-m", *SMALL, f"{TAU_M}=15,20", "hydra.sweep.dir=sweep")
    assert done.returncode == 0, done.stderr + done.stdout
    summary = pd.read_parquet(tmp_path / "sweep" / "summary.parquet")
    assert sorted(summary[TAU_M].unique()) == [15, 20]
    assert set(summary.backend) == {"numpy"} and len(summary) == 4  # 2 jobs x 2 populations
    assert "nothing compared" in done.stdout
    assert (tmp_path / "sweep" / "report.html").exists()


def test_compare_on_a_perturbed_run_exits_1_naming_population_and_metric(tmp_path: Path) -> None:
    for name, extra in (("reference", []), ("perturbed", [f"{TAU_M}=14"])):
        done = neurobridge(tmp_path, "run", *SMALL, *extra, f"hydra.run.dir=runs/{name}")
        assert done.returncode == 0, done.stderr
    done = neurobridge(tmp_path, "compare", "runs")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL" in done.stdout
    assert "cuba/exc: rate_rel_diff numpy vs numpy[populations.exc.params.tau_m=14]" in done.stdout
    verdict = json.loads((tmp_path / "runs" / "verdict.json").read_text())
    assert verdict["passed"] is False and any("exc" in f for f in verdict["failures"])
    assert (tmp_path / "runs" / "report.md").read_text().count("FAIL") >= 2


def test_compare_tolerance_override_turns_the_verdict(tmp_path: Path) -> None:
    for name, extra in (("a", []), ("b", [f"{TAU_M}=19"])):
        assert neurobridge(tmp_path, "run", *SMALL, *extra, f"hydra.run.dir=runs/{name}").returncode == 0
    loose = ["compare.metrics.rate_rel_diff=10", "compare.metrics.ks_rates=1", "compare.metrics.d_rates=100",
             "compare.metrics.ks_cv_isi=1", "compare.metrics.d_cv_isi=100", "compare.metrics.ks_correlations=1",
             "compare.metrics.d_correlations=100"]
    assert neurobridge(tmp_path, "compare", "runs", *loose, "--no-report").returncode == 0


@pytest.mark.parametrize("arguments, message", [
    (["missing"], "missing is not a folder of runs."),
    (["."], "No neurobridge results"),
])
def test_compare_bad_input_exits_2(tmp_path: Path, arguments: list[str], message: str) -> None:
    done = neurobridge(tmp_path, "compare", *arguments)
    assert done.returncode == 2 and message in done.stderr


def test_validate_on_the_reference_writes_the_report(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "validate", "--backends", "numpy", *SMALL, "hydra.sweep.dir=validation")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "validating on numpy" in done.stdout
    assert (tmp_path / "validation" / "report.md").exists()


def test_validate_refuses_a_backend_override(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "validate", "backend=nest")
    assert done.returncode == 2 and "--backends" in done.stderr


IZHIKEVICH_EXPERIMENT = """\
# @package _global_
defaults:
  - override /model: null
model:
  name: izhikevich_cond
  duration: 50.0
  populations:
    neurons: {size: 3, model: izhikevich, receptor: conductance_exp, params: {I_e: 10.0}}
  projections: []
  recordings: [{population: neurons, variables: [spikes, V_m]}]
experiment:
  name: izhikevich_cond
  module: base
  plots: [traces]
compare:
  metrics: {rate_rel_diff: 0.05}
"""


def test_validate_skips_a_backend_that_lacks_the_model(tmp_path: Path) -> None:
    (tmp_path / "conf" / "experiment").mkdir(parents=True)
    (tmp_path / "conf" / "experiment" / "izhikevich_cond.yaml").write_text(IZHIKEVICH_EXPERIMENT)
    done = neurobridge(tmp_path, "validate", "experiment=izhikevich_cond",
                       f"hydra.searchpath=[file://{tmp_path / 'conf'}]", "hydra.sweep.dir=validation")
    assert done.returncode == 0, done.stderr + done.stdout
    if importlib.util.find_spec("nest") is not None:
        assert ("nest skipped: populations.neurons: backend nest does not support the model "
                "izhikevich×conductance_exp (supported by:") in done.stdout


@pytest.mark.slow
def test_joblib_launcher_runs_jobs_in_parallel_processes(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "run", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *SMALL,
                       "model.seed=1,2", "hydra.sweep.dir=sweep")
    assert done.returncode == 0, done.stderr + done.stdout
    summary = pd.read_parquet(tmp_path / "sweep" / "summary.parquet")
    assert sorted(summary["model.seed"].unique()) == [1, 2]


@pytest.mark.slow
@pytest.mark.requires_nest
@pytest.mark.requires_brian2
def test_multirun_on_three_backends_passes(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "run", "-m", *SMALL, "backend=numpy,nest,brian2", "hydra.sweep.dir=sweep")
    assert done.returncode == 0, done.stderr + done.stdout
    summary = pd.read_parquet(tmp_path / "sweep" / "summary.parquet")
    assert set(summary.backend) == {"numpy", "nest", "brian2"}
    verdict = json.loads((tmp_path / "sweep" / "verdict.json").read_text())
    assert verdict["passed"] and verdict["n_checks"] >= 3 * 2 * 4  # 3 pairs, 2 populations, rates and KS
    comparison = pd.read_csv(tmp_path / "sweep" / "comparison.csv")
    assert {("numpy", "nest"), ("numpy", "brian2"), ("brian2", "nest")} <= set(
        zip(comparison.backend_a, comparison.backend_b))


@pytest.mark.slow
@pytest.mark.requires_nest
def test_compare_names_the_perturbed_backend(tmp_path: Path) -> None:
    assert neurobridge(tmp_path, "run", *SMALL, "hydra.run.dir=runs/numpy").returncode == 0
    assert neurobridge(tmp_path, "run", *SMALL, "backend=nest", f"{TAU_M}=14",
                       "hydra.run.dir=runs/nest").returncode == 0
    done = neurobridge(tmp_path, "compare", "runs")
    assert done.returncode == 1
    assert "cuba/exc: rate_rel_diff numpy vs nest" in done.stdout
    assert f"Runs differ in {TAU_M}" in done.stdout


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None
                    or importlib.util.find_spec("ray") is None,
                    reason="hydra-ray-launcher is not installed (pip install 'neurobridge[ray]')")
def test_ray_launcher_on_a_local_instance(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "run", "-m", "hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2",
                       *SMALL, "model.seed=1,2", "hydra.sweep.dir=sweep")
    assert done.returncode == 0, done.stderr + done.stdout
    assert len(pd.read_parquet(tmp_path / "sweep" / "summary.parquet")) == 4
