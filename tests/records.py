"""Job folders and sweep folders as ``neurobridge run`` writes them, made by hand (no Hydra)."""

from __future__ import annotations

import json
from pathlib import Path

from neurobridge.manifests import COMPLETE, FAILED, JobManifest, SweepJob, SweepManifest, written_files
from neurobridge.results import Result

COMPARE = {"metrics": {"rate_rel_diff": 0.05, "coincidence_factor": 0.9}}


def job_folder(folder: Path, result: Result | None, overrides: list[str], key: str = "key", num: int | None = None,
               error: str | None = None) -> Path:
    """A Hydra job folder with its results and ``job.json`` (``result=None``: a failed job)."""
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text(json.dumps(overrides))
    backend = next((o.split("=", 1)[1] for o in overrides if o.startswith("backend=")), "numpy")
    if result is not None:
        meta = {**result.meta, "backend": backend, "overrides": overrides, "variant": "single",
                "experiment": "test", "compare": COMPARE}
        Result(result.spikes, result.states, meta).write(folder)
        (folder / "metrics.json").write_text(json.dumps({"metrics": {"rate": 1.0}}))
    else:
        (folder / "error.json").write_text(json.dumps({"error": error}))
    JobManifest(key=key, status=COMPLETE if result is not None else FAILED, experiment="test", backend=backend,
                overrides=overrides, results=["."] if result is not None else [],
                files=written_files(folder, [".hydra"]), num=num, error=error).commit(folder)
    return folder


def sweep_folder(directory: Path, jobs: list[list[str]], command: list[str] | None = None) -> SweepManifest:
    """``sweep.json`` for jobs ``<num>_<backend>`` with keys ``key<num>``."""
    directory.mkdir(parents=True, exist_ok=True)
    records = [SweepJob(num, overrides, f"{num}_{_backend(overrides)}", f"key{num}")
               for num, overrides in enumerate(jobs)]
    manifest = SweepManifest(command or ["backend=numpy,copy"], records)
    manifest.write(directory)
    return manifest


def _backend(overrides: list[str]) -> str:
    return next((o.split("=", 1)[1] for o in overrides if o.startswith("backend=")), "numpy")
