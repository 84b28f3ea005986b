"""Gathering by commit record: a verdict covers exactly the jobs that were asked for and names the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import neurobridge as nb
from neurobridge.app.layout import HYDRA, compare_folder
from neurobridge.compare import format_verdict
from neurobridge.errors import CorruptFileError, OutputWriteError
from neurobridge.gather import gather
from neurobridge.manifests import JOB_FILE, SweepJob, SweepManifest

from .networks import single_neuron
from .records import job_folder, sweep_folder

JOBS = [["backend=numpy", "model.seed=1"], ["backend=copy", "model.seed=1"],
        ["backend=numpy", "model.seed=2"], ["backend=copy", "model.seed=2"]]


@pytest.fixture(scope="module")
def result() -> nb.Result:
    return nb.simulate(single_neuron("current_exp", duration=200.0), "numpy")


def test_missing_and_failed_jobs_are_named_and_fail_the_verdict(result: nb.Result, tmp_path: Path) -> None:
    sweep_folder(tmp_path, JOBS)
    job_folder(tmp_path / "0_numpy", result, JOBS[0], "key0", 0)
    job_folder(tmp_path / "1_copy", result, JOBS[1], "key1", 1)
    job_folder(tmp_path / "2_numpy", None, JOBS[2], "key2", 2, error="RuntimeError: boom")
    comparison = compare_folder(tmp_path)
    assert not comparison.passed and comparison.failures.empty  # the checks pass, the sweep does not
    assert comparison.failed_jobs == {"2_numpy (backend=numpy, model.seed=2)": "RuntimeError: boom"}
    assert comparison.missing_jobs == {"3_copy (backend=copy, model.seed=2)": "not started"}
    lines = format_verdict(comparison).splitlines()
    judged = int(comparison.table.passed.notna().sum())
    assert lines[0] == (f"FAIL: {judged}/{judged} checks within tolerance (numpy, copy); 2 of 4 jobs complete; "
                        f"1 failed, 1 missing")
    assert "  job failed: 2_numpy (backend=numpy, model.seed=2): RuntimeError: boom" in lines
    assert "  job missing: 3_copy (backend=copy, model.seed=2): not started" in lines
    verdict = json.loads((tmp_path / "verdict.json").read_text())
    assert verdict["passed"] is False and verdict["n_jobs"] == 4 and verdict["n_complete_jobs"] == 2
    assert list(verdict["missing_jobs"]) == ["3_copy (backend=copy, model.seed=2)"]
    report = (tmp_path / "report.md").read_text()
    assert "**Verdict: FAIL**" in report and "**Jobs:** 2 of 4 jobs complete; 1 failed, 1 missing." in report
    assert "**Job missing** `3_copy (backend=copy, model.seed=2)`: not started" in report


def test_a_sweep_without_any_complete_job_fails_rather_than_passing_nothing(tmp_path: Path) -> None:
    sweep_folder(tmp_path, JOBS[:2])
    comparison = compare_folder(tmp_path, report=False)
    assert not comparison.passed
    assert format_verdict(comparison).splitlines()[0] == ("FAIL: 0/0 checks within tolerance (no complete runs); "
                                                          "0 of 2 jobs complete; 2 missing")


def test_only_the_jobs_the_sweep_records_are_gathered(result: nb.Result, tmp_path: Path) -> None:
    """An older attempt's folders (another job, an error.json) stay out of the summary and the verdict."""
    sweep_folder(tmp_path, JOBS[:2])
    job_folder(tmp_path / "0_numpy", result, JOBS[0], "key0", 0)
    job_folder(tmp_path / "1_copy", result, JOBS[1], "key1", 1)
    job_folder(tmp_path / "5_numpy", result, ["backend=numpy", "model.seed=9"], "old", 5)
    job_folder(tmp_path / "6_numpy", None, ["backend=numpy"], "old", 6, error="RuntimeError: old failure")
    comparison = compare_folder(tmp_path, report=False)
    assert comparison.passed and not comparison.failed_jobs
    assert len(pd.read_parquet(tmp_path / "summary.parquet")) == 2  # 2 jobs x 1 population
    assert "Left out 2 folder(s) that sweep.json does not list: 5_numpy, 6_numpy." in comparison.notes


def test_a_job_of_another_config_counts_as_missing(result: nb.Result, tmp_path: Path) -> None:
    sweep_folder(tmp_path, JOBS[:2])
    job_folder(tmp_path / "0_numpy", result, JOBS[0], "key0", 0)
    job_folder(tmp_path / "1_copy", result, JOBS[1], "stale", 1)
    missing = gather(tmp_path, HYDRA).missing
    assert missing == {"1_copy (backend=copy)": "job.json is for another config (key stale, expected key1)"}


def test_jobs_recorded_without_a_key_are_found_by_number_and_matched_by_overrides(result: nb.Result,
                                                                                  tmp_path: Path) -> None:
    """Beyond MAX_CHECKED_JOBS a sweep records overrides only; the job's own job.json carries its key."""
    SweepManifest(["backend=numpy,copy"], [SweepJob(0, JOBS[0]), SweepJob(1, JOBS[1])]).write(tmp_path)
    job_folder(tmp_path / "a", result, JOBS[0], "computed-by-the-job", 0)
    job_folder(tmp_path / "b", result, ["backend=copy", "model.seed=7"], "other", 1)
    gathered = gather(tmp_path, HYDRA)
    assert [run.job.name for run in gathered.runs] == ["a"]
    assert gathered.missing == {"job 1 (backend=copy)": "job.json is for other overrides"}


def test_a_job_folder_without_its_record_is_missing(result: nb.Result, tmp_path: Path) -> None:
    job_folder(tmp_path / "a", result, ["backend=numpy"])
    job_folder(tmp_path / "b", result, ["backend=copy"])
    (tmp_path / "b" / JOB_FILE).unlink()  # killed after writing its files, before committing them
    comparison = compare_folder(tmp_path, report=False)
    assert not comparison.passed
    assert comparison.missing_jobs == {"b": "did not finish (no job.json)"}
    assert [run.backend for run in comparison.runs] == ["numpy"]


@pytest.mark.parametrize("record, reason", [
    ('{"status": "done"}', 'missing key, experiment, backend, overrides, results, files, num, error.'),
    (None, '"status" must be complete or failed, got "done".'),
    ("[]", "expected a JSON object, got list."),
    ("{", "not valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)."),
])
def test_an_invalid_job_record_makes_the_job_missing(result: nb.Result, tmp_path: Path, record: str | None,
                                                     reason: str) -> None:
    job_folder(tmp_path / "a", result, ["backend=numpy"])
    path = tmp_path / "a" / JOB_FILE
    if record is None:
        record = json.dumps({**json.loads(path.read_text()), "status": "done"})
    path.write_text(record)
    assert gather(tmp_path, HYDRA).missing == {"a": f"{path}: {reason}"}


@pytest.mark.parametrize("change, reason", [
    ({"results": ["../elsewhere"]}, '"../elsewhere" is not a path inside the job folder.'),
    ({"results": ["variant"]}, 'result "variant" has no recorded spikes.parquet, states.parquet, meta.json.'),
    ({"format": 2}, "format 2, this neurobridge reads format 1."),
])
def test_a_record_that_does_not_hold_together_makes_the_job_missing(result: nb.Result, tmp_path: Path,
                                                                    change: dict, reason: str) -> None:
    job_folder(tmp_path / "a", result, ["backend=numpy"])
    path = tmp_path / "a" / JOB_FILE
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    assert gather(tmp_path, HYDRA).missing == {"a": f"{path}: {reason}"}


def test_a_recorded_file_that_is_gone_is_corrupt_input(result: nb.Result, tmp_path: Path) -> None:
    job_folder(tmp_path / "a", result, ["backend=numpy"])
    (tmp_path / "a" / "metrics.json").unlink()
    with pytest.raises(CorruptFileError) as raised:
        gather(tmp_path, HYDRA)
    assert str(raised.value) == f"{tmp_path / 'a' / 'metrics.json'}: listed in {tmp_path / 'a' / JOB_FILE} but missing."


def test_a_file_changed_after_its_job_finished_is_corrupt_input(result: nb.Result, tmp_path: Path) -> None:
    job_folder(tmp_path / "a", result, ["backend=numpy"])
    spikes = tmp_path / "a" / "spikes.parquet"
    size = spikes.stat().st_size
    spikes.write_bytes(spikes.read_bytes() + b"appended")
    with pytest.raises(CorruptFileError) as raised:
        compare_folder(tmp_path, report=False)
    assert str(raised.value) == (f"{spikes}: changed after the job finished (job.json records {size} bytes, "
                                 f"found {size + 8}).")


@pytest.mark.parametrize("record, message", [
    ("not json", "not valid JSON (Expecting value at line 1 column 1)."),
    ('{"command": [], "jobs": {}}', '"jobs" must be a list, got {}.'),
    ('{"command": "x", "jobs": []}', '"command" must be a list of texts, got "x".'),
    ('{"command": [], "jobs": [{"num": -1, "overrides": [], "subdir": null, "key": null}]}',
     'jobs[0]: "num" must be a whole number >= 0, got -1.'),
    ('{"command": [], "jobs": [{"num": 0, "overrides": []}]}', "jobs[0]: missing subdir, key."),
])
def test_an_invalid_sweep_record_is_corrupt_input(tmp_path: Path, record: str, message: str) -> None:
    (tmp_path / "sweep.json").write_text(record)
    with pytest.raises(CorruptFileError) as raised:
        compare_folder(tmp_path, report=False)
    assert str(raised.value) == f"{tmp_path / 'sweep.json'}: {message}"


def test_a_failed_write_leaves_no_verdict(result: nb.Result, tmp_path: Path, monkeypatch) -> None:
    """Disk full while writing summary.parquet: the error names the file and the old PASS is gone."""
    job_folder(tmp_path / "a", result, ["backend=numpy"])
    job_folder(tmp_path / "b", result, ["backend=copy"])
    assert compare_folder(tmp_path, report=False).passed and (tmp_path / "verdict.json").is_file()
    to_parquet = pd.DataFrame.to_parquet

    def full(self, path, *args, **kwargs):
        if "summary.parquet" in str(path):
            raise OSError(28, "No space left on device")
        return to_parquet(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    with pytest.raises(OutputWriteError) as raised:
        compare_folder(tmp_path, report=False)
    assert str(raised.value) == f"could not write {tmp_path / 'summary.parquet'}: No space left on device"
    assert not (tmp_path / "verdict.json").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left
