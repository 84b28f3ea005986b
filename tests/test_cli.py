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


def neurobridge(cwd: Path, *args: str, timeout: float = 600,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "neurobridge.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


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


def test_validate_skips_a_backend_that_lacks_the_model(tmp_path: Path, without_cmake: dict[str, str]) -> None:
    """NEST has izhikevich×conductance_exp only through a NESTML build: without cmake it is skipped."""
    (tmp_path / "conf" / "experiment").mkdir(parents=True)
    (tmp_path / "conf" / "experiment" / "izhikevich_cond.yaml").write_text(IZHIKEVICH_EXPERIMENT)
    done = neurobridge(tmp_path, "validate", "experiment=izhikevich_cond",
                       f"hydra.searchpath=[file://{tmp_path / 'conf'}]", "hydra.sweep.dir=validation",
                       env=without_cmake)
    assert done.returncode == 0, done.stderr + done.stdout
    if importlib.util.find_spec("nest") is not None:
        assert ("nest skipped: populations.neurons: izhikevich×conductance_exp on NEST needs a NESTML-built "
                "module: cmake is not installed (apt-get install cmake). Supported by:") in done.stdout


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


# ----------------------------------------------------------------------- the command line, hostile

def _main(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
          *args: str) -> tuple[int, str, str]:
    """``neurobridge ARGS`` in this process (fast), in ``tmp_path``: status, stdout, stderr."""
    from neurobridge.cli import main

    monkeypatch.chdir(tmp_path)
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("arguments, message", [
    ([], "the following arguments are required: command (see neurobridge --help)"),
    (["--bogus"], "the following arguments are required: command (see neurobridge --help)"),
    (["frobnicate"], "argument command: invalid choice: 'frobnicate'"),
    (["run", "--bogus"], "unrecognized arguments: --bogus (see neurobridge run --help)"),
    (["run", "--cfg", "nope"], "argument --cfg/-c: invalid choice: 'nope' (choose from 'job', 'hydra', 'all')"),
    (["run", "--info", "bogus"], "argument --info/-i: invalid choice: 'bogus'"),
    (["run", "-sc"], "Hydra's shell completion (-sc) does not know neurobridge's subcommands; use neurobridge's "
                     "own: eval \"$(neurobridge completion bash)\""),
    (["run", "--resolve"], "--resolve only works with --cfg or --help (see neurobridge run --help)"),
    (["run", "--run", "-m"], "--run and --multirun (-m) exclude each other (see neurobridge run --help)"),
    (["run", "-m", "--info"], "Only one of --run, --multirun, --cfg, --info and --shell_completion can be specified"),
    (["run", "=3"], "Config group override must be a string or a list. Got int"),
    (["run", "model.seed=abc"], "Error merging override model.seed=abc; Value 'abc' of type 'str' could not be "
                                "converted to Integer; full_key: model.seed"),
    (["run", "--cfg", "job", "model.dtt=1"], "Key 'dtt' not in 'ModelSchema'; full_key: model.dtt"),
    (["run", "overwrite=maybe"], "Value 'maybe' is not a valid bool (type str); full_key: overwrite"),
    (["run", "resume=true"], "resume=true applies to a multirun (-m): a single run is not resumed, run it again "
                             "with overwrite=true."),
    (["run", "-m", "resume=true", "overwrite=true"],
     "resume=true and overwrite=true contradict each other: resume keeps the complete jobs of a sweep, overwrite "
     "empties its folder first."),
    (["run", "-m", "resume=true,false"], "resume and overwrite steer the whole command and cannot be swept (got "
                                         "resume=false overwrite=false and resume=true overwrite=false)."),
    (["run", "experiment=cuba", "model.seed=1,2"], "Ambiguous value for argument 'model.seed=1,2'"),
    (["validate", "--bogus"], "unrecognized arguments: --bogus (see neurobridge --help)"),
    (["validate", "--backends", "nope"], 'Unknown backend "nope" in backend. Allowed: brian2, nest, neuron, numpy.'),
    (["compare"], "the following arguments are required: directory (see neurobridge compare --help)"),
    (["compare", "afile"], "afile is not a folder of runs."),
    (["compare", ".", "--bogus"], "unrecognized arguments: --bogus"),
    (["resume"], "the following arguments are required: directory (see neurobridge resume --help)"),
    (["resume", "missing"], "missing is not a folder: nothing to resume."),
    (["resume", "afile"], "afile is not a folder: nothing to resume."),
    (["resume", "."], ". holds no sweep.json: it is not a neurobridge sweep, nothing to resume."),
    (["demo", "--output", "afile", "--backend", "numpy"], "afile is a file, not a folder."),
    (["demo", "--backend", "nope"], 'Unknown backend "nope" in backend.'),
    (["backends", "extra"], "unrecognized arguments: extra (see neurobridge --help)"),
])
def test_hostile_command_lines_exit_2_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str], arguments: list[str],
                                                    message: str) -> None:
    (tmp_path / "afile").write_text("not a folder")
    status, out, err = _main(tmp_path, monkeypatch, capsys, *arguments)
    assert status == 2, out + err
    assert err.startswith("neurobridge: error: ") and err.count("\n") == 1, err
    assert message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # nothing written


def test_resume_takes_only_launcher_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from neurobridge.manifests import SweepManifest

    SweepManifest(["model.seed=1,2"], []).write(tmp_path)
    status, _, err = _main(tmp_path, monkeypatch, capsys, "resume", ".", "model.seed=3")
    assert status == 2
    assert err == ("neurobridge: error: neurobridge resume runs the jobs sweep.json records; it takes only "
                   "Hydra's launcher overrides (hydra/launcher=joblib), not model.seed=3.\n")


def test_multirun_with_cfg_job_shows_every_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _main(tmp_path, monkeypatch, capsys, "run", "-m", "--cfg", "job", "model.seed=1,2")
    assert status == 0, err
    assert "# job 0: model.seed=1" in out and "# job 1: model.seed=2" in out
    assert out.count("seed: 1") == 1 and out.count("seed: 2") == 1
    assert list(tmp_path.iterdir()) == []


def test_an_override_the_experiment_overwrites_is_refused(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "run", "model.populations.neuron.size=-3")
    assert done.returncode == 2
    assert done.stderr == ("neurobridge: error: model.populations.neuron.size=-3 has no effect: experiment "
                           "activation_bias sets this field itself (see experiment.params).\n")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- output folders, CLI

def test_a_second_run_into_the_same_folder_exits_2_unless_overwrite(tmp_path: Path) -> None:
    assert neurobridge(tmp_path, "run", *SMALL, "hydra.run.dir=out").returncode == 0
    record = (tmp_path / "out" / "job.json").read_bytes()
    done = neurobridge(tmp_path, "run", *SMALL, f"{TAU_M}=14", "hydra.run.dir=out")
    assert done.returncode == 2
    assert done.stderr == ("neurobridge: error: out is not empty (it holds .hydra, job.json, meta.json, "
                           "metrics.json, ...): pass overwrite=true to replace it.\n")
    assert (tmp_path / "out" / "job.json").read_bytes() == record  # refused before Hydra wrote anything
    done = neurobridge(tmp_path, "run", *SMALL, f"{TAU_M}=14", "hydra.run.dir=out", "overwrite=true")
    assert done.returncode == 0, done.stderr
    assert f"{TAU_M}=14" in json.loads((tmp_path / "out" / "job.json").read_text())["overrides"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_run_into_a_folder_another_process_owns_exits_2(tmp_path: Path) -> None:
    import os

    from neurobridge.folders import folder_lock

    with folder_lock(tmp_path / "out"):
        done = neurobridge(tmp_path, "run", *SMALL, "hydra.run.dir=out")
    assert done.returncode == 2
    assert done.stderr == (f"neurobridge: error: out is in use by another writer (pid {os.getpid()}): wait for it "
                           f"to finish, or write elsewhere.\n")
    assert list(tmp_path.iterdir()) == []


def test_a_multirun_refuses_a_used_sweep_folder_and_overwrite_starts_it_anew(tmp_path: Path) -> None:
    """An older sweep's error.json and jobs must not survive into the new summary and verdict."""
    old = tmp_path / "sweep" / "7_numpy"
    old.mkdir(parents=True)
    (old / "error.json").write_text('{"error": "RuntimeError: an old failure"}')
    done = neurobridge(tmp_path, "run", "-m", *SMALL, "model.seed=1,2", "hydra.sweep.dir=sweep")
    assert done.returncode == 2
    assert done.stderr == ("neurobridge: error: sweep is not empty (it holds 7_numpy): pass overwrite=true to "
                           "replace it.\n")
    done = neurobridge(tmp_path, "run", "-m", *SMALL, "model.seed=1,2", "hydra.sweep.dir=sweep", "overwrite=true")
    assert done.returncode == 0, done.stderr + done.stdout
    assert not old.exists()
    assert len(pd.read_parquet(tmp_path / "sweep" / "summary.parquet")) == 4  # 2 jobs x 2 populations
    verdict = json.loads((tmp_path / "sweep" / "verdict.json").read_text())
    assert verdict["failed_jobs"] == {} and verdict["n_jobs"] == 2 and verdict["n_complete_jobs"] == 2
    done = neurobridge(tmp_path, "run", "-m", *SMALL, "model.seed=1,2", "hydra.sweep.dir=sweep")
    assert done.returncode == 2
    assert done.stderr.startswith("neurobridge: error: sweep is not empty (it holds 0_numpy, 1_numpy, ")
    assert done.stderr.endswith("resume it with `neurobridge resume sweep`, or pass overwrite=true to start "
                                "anew.\n")


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `neurobridge run` folder (job.json and all)."""
    root = tmp_path_factory.mktemp("saved")
    assert neurobridge(root, "run", *SMALL, "hydra.run.dir=runs/a").returncode == 0
    return root / "runs" / "a"


def _same_size(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data and len(old) == len(new)
    path.write_bytes(data.replace(old, new, 1))


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "spikes.parquet").write_bytes(b"x" * (d / "spikes.parquet").stat().st_size),
     "runs/a/spikes.parquet: not a readable Parquet file ("),
    (lambda d: _same_size(d / "meta.json", b'"backend"', b'"bakkend"'),
     "runs/a/meta.json: missing backend (a result's meta.json has backend, dt_ms, duration_ms, population_sizes)."),
    (lambda d: _same_size(d / "meta.json", b'"duration_ms": 100.0', b'"duration_ms": "100"'),
     'runs/a/meta.json: "duration_ms" must be a positive number, got "100".'),
    (lambda d: (d / "meta.json").write_text("{}"),
     "runs/a/meta.json: changed after the job finished (job.json records"),
])
def test_compare_on_corrupt_input_exits_2_naming_the_file(saved_run: Path, tmp_path: Path, damage,
                                                          message: str) -> None:
    import shutil

    shutil.copytree(saved_run, tmp_path / "runs" / "a")
    damage(tmp_path / "runs" / "a")
    done = neurobridge(tmp_path, "compare", "runs")
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith(f"neurobridge: error: {message}") and done.stderr.count("\n") == 1
    assert not (tmp_path / "runs" / "verdict.json").exists()


def test_compare_names_the_jobs_a_killed_sweep_lacks_and_fails(saved_run: Path, tmp_path: Path) -> None:
    import shutil

    from neurobridge.manifests import SweepJob, SweepManifest

    key = json.loads((saved_run / "job.json").read_text())["key"]
    jobs = [SweepJob(num, [f"model.seed={num}"], f"{num}_numpy", key) for num in range(3)]
    (tmp_path / "sweep").mkdir()
    SweepManifest(["model.seed=0,1,2"], jobs).write(tmp_path / "sweep")
    shutil.copytree(saved_run, tmp_path / "sweep" / "0_numpy")
    done = neurobridge(tmp_path, "compare", "sweep", "--no-report")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "FAIL: 0/0 checks within tolerance (numpy); 1 of 3 jobs complete; 2 missing"
    assert "  job missing: 1_numpy (model.seed=1): not started" in lines
    assert "  job missing: 2_numpy (model.seed=2): not started" in lines


def test_validate_takes_overrides_after_its_options_and_one_backend_compares_nothing(tmp_path: Path) -> None:
    done = neurobridge(tmp_path, "validate", *SMALL, "--backends", "numpy", "hydra.sweep.dir=out")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-3].startswith("NOTHING COMPARED: 0/0 checks within tolerance (numpy)")
    assert (tmp_path / "out" / "verdict.json").is_file()
