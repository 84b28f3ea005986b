"""The Hydra task: run one job and write its results, ``metrics.json``, figures and, last, ``job.json``.

Hydra creates the job's folder (and ``.hydra/``) before the task runs, so the folder is
not renamed into place: the job writes its files and then commits them with ``job.json``
(:class:`~neurobridge.manifests.JobManifest`), written last by an atomic rename. A folder
without it is incomplete. Before running, the task clears what an earlier attempt left in
its folder (all but ``.hydra/`` and Hydra's log); with ``resume=true`` a job whose folder
already holds a complete result of its content key returns at once.

In a multirun a failing job records ``error.json`` and a ``failed`` job.json instead of
stopping the sweep, so the comparison still gathers the others and names the failure. In
a single run, a :class:`~neurobridge.NeurobridgeError` removes the run's folder and exits
with status 2; a failed write (disk full) exits with status 3.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from hydra.types import RunMode  # noqa: E402
from omegaconf import DictConfig  # noqa: E402
from tqdm import tqdm  # noqa: E402

from ..errors import NeurobridgeError, OutputWriteError  # noqa: E402
from ..folders import clear_folder, write_file, writing  # noqa: E402
from ..manifests import COMPLETE, FAILED, JOB_FILE, JobManifest, job_state, written_files  # noqa: E402
from ..progress import wanted  # noqa: E402
from ..registry import simulate  # noqa: E402
from ..results import Result, read_json  # noqa: E402
from .job import Job, prepare  # noqa: E402

log = logging.getLogger("neurobridge")
#: Exit status of a run whose results could not be written.
NOT_WRITTEN = 3


class JobFolder:
    """The job's folder as Hydra made it: where to write, what to keep, the job's number and overrides."""

    def __init__(self) -> None:
        hydra = HydraConfig.get()
        self.path = Path(hydra.runtime.output_dir)
        self.overrides = list(hydra.overrides.task)
        self.multirun = hydra.mode == RunMode.MULTIRUN
        self.num: int | None = int(hydra.job.num) if self.multirun else None
        #: Hydra's own files, written before the task runs.
        self.keep = (".hydra", f"{hydra.job.name}.log")

    def clear(self) -> None:
        """Remove what an earlier attempt left (its ``job.json`` first)."""
        clear_folder(self.path, keep=self.keep, first=[JOB_FILE])

    def commit(self, job: Job | None, status: str, results: list[str], error: str | None = None) -> None:
        """Write ``job.json`` over every file now in the folder."""
        JobManifest(key=job.key if job else "", status=status, experiment=job.setup.name if job else "",
                    backend=job.backend if job else "", overrides=self.overrides, results=results,
                    files=written_files(self.path, self.keep), num=self.num, error=error).commit(self.path)


class InterruptGuard:
    """A SIGINT handler that raises ``KeyboardInterrupt`` and remembers it.

    Python drops a ``KeyboardInterrupt`` raised inside a garbage-collector callback (and prints
    "Exception ignored in ..."); remembered, the next job re-raises it before it starts
    (:func:`check_interrupt`), and the dropped one is not printed.
    """

    def __init__(self) -> None:
        self.interrupted = False
        self.unraisable = sys.unraisablehook

    def __call__(self, signum: int, frame: object) -> None:
        self.interrupted = True
        raise KeyboardInterrupt

    def hook(self, unraisable: Any) -> None:
        """``sys.unraisablehook``: a dropped Ctrl-C is silent (it is remembered), the rest as before."""
        if not (self.interrupted and isinstance(unraisable.exc_value, KeyboardInterrupt)):
            self.unraisable(unraisable)


@contextlib.contextmanager
def interrupt_guard() -> Iterator[InterruptGuard]:
    """Install an :class:`InterruptGuard` for SIGINT for the block (in the main thread only)."""
    guard = InterruptGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = signal.signal(signal.SIGINT, guard)
    sys.unraisablehook = guard.hook
    try:
        yield guard
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = guard.unraisable


def check_interrupt() -> None:
    """Raise ``KeyboardInterrupt`` when Ctrl-C came during an earlier job and was lost on the way."""
    handler = signal.getsignal(signal.SIGINT)
    if isinstance(handler, InterruptGuard) and handler.interrupted:
        raise KeyboardInterrupt


def run_job(config: DictConfig) -> dict[str, Any]:
    """Hydra's task function: prepare, simulate every variant, measure, plot, commit."""
    check_interrupt()
    folder = JobFolder()
    job: Job | None = None
    try:
        job = prepare(config)
        if folder.multirun and config.get("resume", False):
            done = completed(folder.path, job.key)
            if done is not None:
                return done
        folder.clear()
        return execute(job, folder)
    except NeurobridgeError as error:
        if folder.multirun:
            return _record_failure(folder, job, error)
        _remove_run_directory(folder.path)
        print(f"neurobridge: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except OutputWriteError as error:
        if folder.multirun:
            return _record_failure(folder, job, error)
        print(f"neurobridge: error: {error}", file=sys.stderr)
        raise SystemExit(NOT_WRITTEN) from None
    except Exception as error:
        _record_failure(folder, job, error)
        if folder.multirun:
            return {"error": f"{type(error).__name__}: {error}"}
        raise


def completed(output: Path, key: str) -> dict[str, Any] | None:
    """The metrics of a complete result of ``key`` already in ``output`` (``None``: run the job)."""
    state = job_state(output, key, strict=False)
    if state.status != COMPLETE:
        return None
    try:
        metrics = read_json(output / "metrics.json").get("metrics", {})
    except (NeurobridgeError, AttributeError):
        return None
    log.info(f"complete result of key {key} already in {output}: not run again (resume)")
    return metrics


def execute(job: Job, folder: JobFolder) -> dict[str, Any]:
    """Run ``job``, write everything into its folder and commit it; returns the metrics."""
    output = folder.path
    results = simulate_variants(job, folder.overrides)
    written = []
    for variant, result in results.items():
        relative = "." if len(results) == 1 else variant
        result.write(output / relative)
        written.append(relative)
    metrics = {key: _number(value) for key, value in job.experiment.function("measure")(results, job.setup).items()}
    write_file(output / "metrics.json", json.dumps(
        {"experiment": job.setup.name, "backend": job.backend, "overrides": folder.overrides, "metrics": metrics},
        indent=2))
    figures = write_figures(job, results, output)
    folder.commit(job, COMPLETE, written)
    _print_summary(job, results, output, figures)
    return metrics


def simulate_variants(job: Job, overrides: list[str]) -> dict[str, Result]:
    """Every variant of the job on its backend, with the job's context added to each result's meta."""
    results = {}
    variants = tqdm(job.networks.items(), desc=f"{job.setup.name} on {job.backend}", unit="variant",
                    disable=None if job.progress and len(job.networks) > 1 else True, file=sys.stderr)
    watched = wanted(job.progress, sys.stderr)  # simulated time from the backend's loop, on a terminal
    predicted = job.experiment.function("prediction")(job.setup)
    for variant, network in variants:
        result = simulate(network, job.backend, memory_limit_gb=job.memory_limit_gb, report_progress=watched,
                          **job.options)
        result.meta.update(experiment=job.setup.name, variant=variant, overrides=overrides,
                           compare=_settings(job))
        if variant in predicted:
            result.meta["theory"] = predicted[variant]
        results[variant] = result
    return results


def write_figures(job: Job, results: Mapping[str, Result], output: Path) -> list[Path]:
    """The experiment's figures as ``<name>.png``."""
    paths = []
    for name in job.plots:
        figure = job.experiment.plot_function(name)(results, job.setup)
        path = output / f"{name}.png"
        try:
            with writing(path):
                figure.savefig(path, dpi=110)
        finally:
            plt.close(figure)
        paths.append(path)
    return paths


def _settings(job: Job) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(job.compare)


def _number(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _print_summary(job: Job, results: Mapping[str, Result], output: Path, figures: list[Path]) -> None:
    for variant, result in results.items():
        meta = result.meta
        rates = ", ".join(f"{p} {r:.2f} Hz" for p, r in result.rates().items())
        log.info(f"{variant} on {job.backend} ({meta['simulator_version']}): {meta['n_neurons']} neurons, "
                 f"{meta['duration_ms']:g} ms, run {meta['run_seconds']:.2f} s; {rates}")
    log.info(f"wrote {output}: results, metrics.json, {', '.join(p.name for p in figures) or 'no figures'}, "
             f"{JOB_FILE}")


def _record_failure(folder: JobFolder, job: Job | None, error: BaseException) -> dict[str, Any]:
    """``error.json`` and a ``failed`` job.json, in place of whatever the attempt left."""
    message = f"{type(error).__name__}: {error}"
    log.error(f"job failed: {message}")
    folder.clear()
    write_file(folder.path / "error.json", json.dumps({"error": message, "traceback": traceback.format_exc()},
                                                      indent=2))
    folder.commit(job, FAILED, [], message)
    return {"error": message}


def _remove_run_directory(output: Path) -> None:
    """Remove the run's folder and the parents left empty (up to the working directory)."""
    shutil.rmtree(output, ignore_errors=True)
    remove_empty_parents(output)


def remove_empty_parents(path: Path) -> None:
    """Remove the empty folders above ``path``, up to the working directory."""
    parent, stop = path.parent, Path.cwd().resolve()
    while parent.resolve() != stop and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent
