"""Multiruns that know what was asked: sweep.json, gathering after Hydra, resume, overrides that act,
full disks and concurrent writers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from neurobridge.app import plan as planning
from neurobridge.app.launch import check_jobs
from neurobridge.app.outputs import verdict_status
from neurobridge.errors import OverrideHasNoEffectError
from neurobridge.manifests import JOB_FILE, SweepJob, SweepManifest

from .test_cli import SMALL, TAU_M, neurobridge


def _main(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
          *args: str) -> tuple[int, str, str]:
    from neurobridge.cli import main

    monkeypatch.chdir(tmp_path)
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ------------------------------------------------------------------------------- gathering, verdict

def test_a_gather_that_cannot_write_exits_3_with_one_line_and_no_verdict(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    to_parquet = pd.DataFrame.to_parquet

    def full(self, path, *args, **kwargs):
        if "summary.parquet" in str(path):
            raise OSError(28, "No space left on device")
        return to_parquet(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    status, _, err = _main(tmp_path, monkeypatch, capsys, "run", "-m", *SMALL, "model.seed=1,2",
                           "hydra.sweep.dir=sweep", "progress=false")
    assert status == 3
    assert err.splitlines()[-1] == "neurobridge: error: could not write sweep/summary.parquet: No space left on device"
    assert err.count("neurobridge: error") == 1
    assert not (tmp_path / "sweep" / "verdict.json").exists()
    assert len(list((tmp_path / "sweep").glob(f"*/{JOB_FILE}"))) == 2  # the jobs themselves are complete


def test_verdict_status_is_never_0_without_a_verdict(tmp_path: Path) -> None:
    assert verdict_status(tmp_path) == 3
    (tmp_path / "verdict.json").write_text("{")
    assert verdict_status(tmp_path) == 3
    (tmp_path / "verdict.json").write_text('{"passed": false}')
    assert verdict_status(tmp_path) == 1
    (tmp_path / "verdict.json").write_text('{"passed": true}')
    assert verdict_status(tmp_path) == 0


def test_a_sweep_records_every_job_with_keys_the_jobs_agree_with(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Beyond MAX_CHECKED_JOBS (here 1) jobs are recorded by overrides and key themselves."""
    monkeypatch.setattr(planning, "MAX_CHECKED_JOBS", 1)
    status, out, err = _main(tmp_path, monkeypatch, capsys, "run", "-m", *SMALL, "model.seed=1,2,3",
                             "hydra.sweep.dir=sweep", "progress=false")
    assert status == 0, out + err
    sweep = SweepManifest.read(tmp_path / "sweep")
    assert sweep is not None and sweep.command == [*SMALL, "model.seed=1,2,3", "progress=false"]
    assert [(job.num, job.overrides[-1], job.subdir) for job in sweep.jobs] == [
        (0, "model.seed=1", "0_numpy"), (1, "model.seed=2", None), (2, "model.seed=3", None)]
    recorded = json.loads((tmp_path / "sweep" / "0_numpy" / JOB_FILE).read_text())
    assert sweep.jobs[0].key == recorded["key"] and sweep.jobs[1].key is None
    verdict = json.loads((tmp_path / "sweep" / "verdict.json").read_text())
    assert verdict["n_jobs"] == 3 and verdict["n_complete_jobs"] == 3 and verdict["missing_jobs"] == {}


# --------------------------------------------------------------------------------- overrides that act

def test_an_override_the_experiment_overwrites_names_the_field() -> None:
    with pytest.raises(OverrideHasNoEffectError) as raised:
        check_jobs(["model.populations.neuron.size=-3"], multirun=False)
    assert str(raised.value) == ("model.populations.neuron.size=-3 has no effect: experiment activation_bias sets "
                                 "this field itself (see experiment.params).")
    with pytest.raises(OverrideHasNoEffectError, match=r"^model.populations.neuron.size=5 has no effect"):
        check_jobs(["experiment=activation_bias", "model.populations.neuron.size=5,100"], multirun=True)
    # activation_rate takes each input's duration from experiment.params.inputs
    with pytest.raises(OverrideHasNoEffectError, match=r"^model.duration=100 has no effect: experiment "
                                                       r"activation_rate sets this field itself"):
        check_jobs(["experiment=activation_rate", "model.duration=100"], multirun=False)


@pytest.mark.parametrize("overrides", [
    SMALL, [*SMALL, f"{TAU_M}=14"], [*SMALL, "model.seed=2", "model.dt=0.05"],
    ["model.duration=100"], ["model.dt=0.1"],  # restates the composed value: harmless
    ["experiment=activation_weight", "model.duration=2000"], ["experiment=three_populations", "model.duration=100"],
    ["experiment=izhikevich_single", "model.duration=300"], ["experiment=psp_shapes", "model.dt=0.05"],
])
def test_overrides_that_act_are_not_refused(overrides: list[str]) -> None:
    assert check_jobs(overrides, multirun=False)


def test_each_distinct_override_is_checked_once_per_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    base = planning._base

    def counted(overrides: tuple[str, ...], num: int, source=None):
        calls.append(overrides)
        return base(overrides, num, source)

    monkeypatch.setattr(planning, "_base", counted)
    jobs = check_jobs([*SMALL, "model.seed=1,2,3", "backend=numpy"], multirun=True)
    assert len(jobs) == 3
    assert len(calls) == len(set(calls))  # no base composed twice
    assert len(calls) == 4  # the 3 size/duration overrides (first job) and one base for the 3 seeds


# ------------------------------------------------------------------------------ interrupted sweeps

SWEEP = [*SMALL, "model.duration=300", "model.seed=1,2,3,4,5,6", "hydra.sweep.dir=sweep"]


def _start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "neurobridge.cli", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _stop_midway(cwd: Path, process: subprocess.Popen[str], sig: int, n_jobs: int) -> tuple[list[Path], str]:
    """Send ``sig`` once at least one job is committed and before all are; the committed records, stderr."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        records = sorted((cwd / "sweep").glob(f"*/{JOB_FILE}"))
        if records:
            process.send_signal(sig)
            break
        time.sleep(0.02)
    _, stderr = process.communicate(timeout=120)
    records = sorted((cwd / "sweep").glob(f"*/{JOB_FILE}"))
    assert 1 <= len(records) < n_jobs, f"{len(records)} of {n_jobs} jobs were complete when the sweep stopped"
    return records, stderr


def _assert_resumed(cwd: Path, records: dict[Path, bytes], n_jobs: int) -> None:
    """Only the missing jobs ran; every job ran to completion exactly once; the verdict covers them all."""
    done = neurobridge(cwd, "resume", "sweep")
    assert done.returncode == 0, done.stderr + done.stdout
    for path, content in records.items():
        assert path.read_bytes() == content, f"{path} was run again"
    logs = sorted((cwd / "sweep").glob("*/neurobridge.log"))
    assert len(logs) == n_jobs
    for log in logs:
        committed = log.parent / JOB_FILE in records
        # the "wrote ... job.json" line follows the commit: a kill in between leaves a complete job without it
        written = log.read_text().count(f"{JOB_FILE}\n")
        assert written == 1 or (committed and written == 0), f"{log.parent.name} did not run exactly once"
        skipped = "not run again (resume)" in log.read_text()
        assert skipped == committed
    verdict = json.loads((cwd / "sweep" / "verdict.json").read_text())
    assert verdict["n_jobs"] == n_jobs and verdict["n_complete_jobs"] == n_jobs and verdict["missing_jobs"] == {}
    assert len(pd.read_parquet(cwd / "sweep" / "summary.parquet")) == 2 * n_jobs


@pytest.mark.slow
def test_a_killed_sweep_resumes_running_only_the_missing_jobs(tmp_path: Path) -> None:
    process = _start(tmp_path, "run", "-m", *SWEEP)
    records, _ = _stop_midway(tmp_path, process, signal.SIGKILL, 6)
    assert process.returncode == -signal.SIGKILL
    done = neurobridge(tmp_path, "compare", "sweep", "--no-report")
    assert done.returncode == 1 and f"of 6 jobs complete; {6 - len(records)} missing" in done.stdout
    _assert_resumed(tmp_path, {path: path.read_bytes() for path in records}, 6)


@pytest.mark.slow
def test_a_sweep_stopped_by_ctrl_c_says_how_to_resume(tmp_path: Path) -> None:
    process = _start(tmp_path, "run", "-m", *SWEEP)
    records, stderr = _stop_midway(tmp_path, process, signal.SIGINT, 6)
    assert process.returncode == 130
    assert stderr.splitlines()[-1] == (f"neurobridge: interrupted: {len(records)} of 6 jobs complete in sweep; "
                                       f"resume with: neurobridge resume sweep")
    assert "Traceback" not in stderr
    _assert_resumed(tmp_path, {path: path.read_bytes() for path in records}, 6)


def test_resume_refuses_the_folder_of_another_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sweep").mkdir()
    SweepManifest([*SMALL, "model.seed=1,2"], [SweepJob(0, [*SMALL, "model.seed=1"]),
                                              SweepJob(1, [*SMALL, "model.seed=2"])]).write(tmp_path / "sweep")
    status, _, err = _main(tmp_path, monkeypatch, capsys, "run", "-m", *SMALL, "model.seed=1,2,3",
                           "hydra.sweep.dir=sweep", "resume=true")
    assert status == 2
    assert err == ("neurobridge: error: resume=true: sweep/sweep.json records another sweep (2 jobs, command "
                   f"{' '.join(SMALL)} model.seed=1,2); resume it with `neurobridge resume sweep`, or pass "
                   "overwrite=true to start anew.\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    status, _, err = _main(tmp_path, monkeypatch, capsys, "run", "-m", *SMALL, "model.seed=1,2",
                           "hydra.sweep.dir=other", "resume=true")
    assert status == 2
    assert err == ("neurobridge: error: other is not empty (it holds notes.txt): it holds no sweep.json, so there "
                   "is nothing to resume; pass overwrite=true to replace it.\n")


def test_ctrl_c_in_a_job_stops_the_sweep_and_resume_completes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """KeyboardInterrupt inside the second job (as Ctrl-C raises it), in this process."""
    from neurobridge.app import runner

    simulate, calls = runner.simulate, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return simulate(*args, **kwargs)

    monkeypatch.setattr(runner, "simulate", interrupted)
    sweep = ["run", "-m", *SMALL, "model.seed=1,2,3", "hydra.sweep.dir=sweep", "progress=false"]
    status, _, err = _main(tmp_path, monkeypatch, capsys, *sweep)
    assert status == 130
    assert err.splitlines()[-1] == ("neurobridge: interrupted: 1 of 3 jobs complete in sweep; resume with: "
                                    "neurobridge resume sweep")
    record = (tmp_path / "sweep" / "0_numpy" / JOB_FILE).read_bytes()
    assert not (tmp_path / "sweep" / "1_numpy" / JOB_FILE).exists()
    monkeypatch.setattr(runner, "simulate", simulate)
    status, out, err = _main(tmp_path, monkeypatch, capsys, "resume", "sweep")
    assert status == 0, out + err
    assert (tmp_path / "sweep" / "0_numpy" / JOB_FILE).read_bytes() == record
    assert json.loads((tmp_path / "sweep" / "verdict.json").read_text())["n_complete_jobs"] == 3


def test_ctrl_c_in_a_single_run_says_the_folder_is_incomplete(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from neurobridge.app import runner

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "simulate", interrupted)
    status, _, err = _main(tmp_path, monkeypatch, capsys, "run", *SMALL, "hydra.run.dir=out")
    assert status == 130
    assert err.splitlines()[-1] == ("neurobridge: interrupted: out is incomplete (no job.json); run it again with "
                                    "overwrite=true")
    assert not (tmp_path / "out" / JOB_FILE).exists()


def test_a_comparison_that_crashes_leaves_no_verdict_and_says_so_on_one_line(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from neurobridge.app import outputs
    from neurobridge.errors import OutputWriteError

    def crash(directory, stage=None):
        raise RuntimeError("a metric broke\nwith a second line")

    monkeypatch.setattr(outputs, "compare_folder", crash)
    with pytest.raises(OutputWriteError) as raised:
        outputs.gather_outputs(tmp_path)
    assert str(raised.value) == (f"could not write the verdict of {tmp_path}: the comparison failed "
                                 f"(RuntimeError: a metric broke)")


# ------------------------------------------------------------------------------------- full disks

def _mount_tmpfs(path: Path, size_kib: int) -> None:
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(path)], check=True)


def _unmount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=False)


needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("mount") is None,
                                reason="mounting a small tmpfs to fill needs root (and mount); not root here")


def _kib(path: Path) -> int:
    """Space ``path`` takes on a tmpfs: every file rounded up to 4 KiB pages."""
    return sum(-(-p.stat().st_size // 4096) * 4 for p in path.rglob("*") if p.is_file())


@needs_root
def test_compare_on_a_full_disk_exits_3_with_one_line_and_no_verdict(tmp_path: Path) -> None:
    import neurobridge as nb

    from .records import job_folder
    from .test_gather import single_neuron

    runs = tmp_path / "runs"
    result = nb.simulate(single_neuron("current_exp", duration=400.0))
    job_folder(runs / "a", result, ["backend=numpy"])
    job_folder(runs / "b", result, ["backend=copy"])
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, _kib(runs) + 16)  # the runs fit; the report's figures do not
    try:
        shutil.copytree(runs, disk / "runs")
        done = neurobridge(disk, "compare", "runs")
        assert done.returncode == 3, done.stdout + done.stderr
        assert done.stderr.count("\n") == 1
        assert done.stderr.startswith("neurobridge: error: could not write runs/")
        assert done.stderr.endswith(": No space left on device\n")
        assert not (disk / "runs" / "verdict.json").exists() and "PASS" not in done.stdout
    finally:
        _unmount(disk)


@pytest.mark.slow
@needs_root
def test_a_multirun_on_a_full_disk_exits_non_zero_with_one_line_and_no_verdict(tmp_path: Path) -> None:
    """Sized so that the jobs fit but the gathering does not."""
    sweep = [*SMALL, "model.seed=1,2", "progress=false"]
    assert neurobridge(tmp_path, "run", "-m", *sweep, "hydra.sweep.dir=measure").returncode == 0
    jobs = sum(_kib(p) for p in (tmp_path / "measure").iterdir() if p.is_dir() and p.name != "figures")
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, jobs + 12 + 8)  # jobs, sweep.json and multirun.yaml, a little room
    try:
        done = neurobridge(disk, "run", "-m", *sweep, "hydra.sweep.dir=sweep")
        assert done.returncode != 0
        lines = [line for line in done.stderr.splitlines() if "neurobridge: error" in line]
        assert len(lines) == 1 and "No space left on device" in lines[0], done.stderr
        assert "Traceback" not in done.stderr
        verdict = disk / "sweep" / "verdict.json"
        assert not verdict.exists() or json.loads(verdict.read_text())["passed"] is False
        assert "PASS" not in done.stdout
    finally:
        _unmount(disk)


# ------------------------------------------------------------------------------ concurrent writers

@pytest.mark.slow
def test_two_runs_into_one_folder_at_once_the_second_exits_2(tmp_path: Path) -> None:
    first = _start(tmp_path, "run", "experiment=cuba", "model.duration=20000", "hydra.run.dir=out")
    lock = tmp_path / ".out.lock"
    deadline = time.monotonic() + 120
    while not (lock.is_file() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = neurobridge(tmp_path, "run", *SMALL, "hydra.run.dir=out")
    assert first.poll() is None, "the first run finished before the second started"
    first.communicate(timeout=600)
    assert first.returncode == 0
    assert second.returncode == 2
    assert second.stderr == (f"neurobridge: error: out is in use by another writer (pid {first.pid}): wait for it "
                             f"to finish, or write elsewhere.\n")
    assert json.loads((tmp_path / "out" / JOB_FILE).read_text())["overrides"] == ["experiment=cuba",
                                                                                  "model.duration=20000"]


def test_a_ctrl_c_that_python_drops_stops_the_next_job(capsys: pytest.CaptureFixture[str]) -> None:
    """Python drops a KeyboardInterrupt raised in a garbage-collector callback; the guard remembers it."""
    from types import SimpleNamespace

    from neurobridge.app.runner import check_interrupt, interrupt_guard

    with interrupt_guard() as guard:
        assert signal.getsignal(signal.SIGINT) is guard
        with pytest.raises(KeyboardInterrupt):
            guard(signal.SIGINT, None)  # raised where Python drops it ...
        guard.hook(SimpleNamespace(exc_value=KeyboardInterrupt(), exc_type=KeyboardInterrupt))  # ... silently
        with pytest.raises(KeyboardInterrupt):
            check_interrupt()  # ... and the next job does not start
    assert signal.getsignal(signal.SIGINT) is not guard
    check_interrupt()
    assert capsys.readouterr().err == ""
