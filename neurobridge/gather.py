"""Gathering: the runs under a folder, as their commit records say, and the jobs that are not there.

A folder to compare holds any of:

a sweep (``sweep.json``)
    Exactly the jobs it records are gathered: a job folder with a complete ``job.json`` of
    the recorded key gives its runs; a failed one is a failed job; anything else (never
    started, killed, another config) is a missing job. Folders the sweep did not ask for
    are left out, with a note.
job folders (a ``job.json``, or another marker of the :class:`Layout`: the app's Hydra layout adds
    ``.hydra/``; ``neurobridge run`` writes one per run)
    Complete, failed or incomplete, as their ``job.json`` says.
saved results (``meta.json`` outside any job folder; :meth:`Result.save`)
    Complete by construction (the folder is renamed into place whole).

Hidden names (staging folders, locks, ``.hydra``) are never read as results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InvalidValueError
from .folders import is_hidden
from .manifests import (
    COMPLETE,
    FAILED,
    INCOMPLETE,
    JOB_FILE,
    SWEEP_FILE,
    JobState,
    SweepJob,
    SweepManifest,
    job_state,
    plain_overrides,
)
from .results import Result, load_result, read_json

#: Left by an older neurobridge, or written by hand, in a folder without a job record.
ERROR_FILE = "error.json"


@dataclass
class Run:
    """One saved result: which job it belongs to, its backend, variant and the job's overrides."""

    directory: Path
    job: Path
    result: Result
    overrides: dict[str, Any]
    metrics: dict[str, Any]
    label: str = ""

    @property
    def backend(self) -> str:
        return str(self.result.meta["backend"])

    @property
    def variant(self) -> str:
        return str(self.result.meta.get("variant", self.result.meta.get("name", "network")))


@dataclass
class Gathered:
    """The runs found and, by name, the jobs that failed or are missing (with why)."""

    runs: list[Run] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    #: Jobs the sweep asked for (``None`` for a folder of separate runs).
    expected: int | None = None
    multirun: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.runs or self.failed or self.missing)

    def add(self, other: Gathered) -> None:
        self.runs += other.runs
        self.failed.update(other.failed)
        self.missing.update(other.missing)
        self.notes += other.notes


@dataclass(frozen=True)
class Layout:
    """What marks a job folder, and where a job's overrides are when its results do not record them.

    The core knows only its own records (``job.json``); :mod:`neurobridge.app` describes Hydra's folders.
    """

    markers: tuple[str, ...] = (JOB_FILE,)
    overrides: Callable[[Path], list[str] | None] = lambda job: None


#: Job folders as neurobridge's own records mark them.
RECORDS = Layout()


def gather(directory: str | Path, layout: Layout = RECORDS) -> Gathered:
    """Everything under ``directory`` that a comparison covers.

    Raises
    ------
    InvalidValueError
        ``directory`` is not a folder.
    CorruptFileError
        A record or result file is unreadable, invalid or changed after its job finished.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InvalidValueError(f"{directory} is not a folder of runs.")
    sweep = SweepManifest.read(directory)
    if sweep is not None:
        return gather_sweep(directory, sweep, layout)
    return _gather_folder(directory, layout)


def find_runs(directory: str | Path, layout: Layout = RECORDS) -> list[Run]:
    """The complete runs under ``directory`` (see :func:`gather`), in path order."""
    return gather(directory, layout).runs


# ------------------------------------------------------------------------------------------- sweep

def gather_sweep(directory: Path, sweep: SweepManifest, layout: Layout = RECORDS) -> Gathered:
    """The jobs ``sweep.json`` records, each complete, failed or missing."""
    gathered = Gathered(expected=len(sweep.jobs), multirun=True)
    numbered = _numbered_job_folders(directory) if any(job.subdir is None for job in sweep.jobs) else {}
    swept = _swept(sweep.jobs)
    for job in sweep.jobs:
        folder = directory / job.subdir if job.subdir else numbered.get(job.num)
        name = f"{job.name} ({swept(job)})" if swept(job) else job.name
        _add_job(gathered, _sweep_job_state(folder, job), folder, name, layout)
    listed = {job.subdir for job in sweep.jobs} | {p.name for p in numbered.values()}
    gathered.notes += _unlisted(directory, listed, layout)
    return gathered


def _sweep_job_state(folder: Path | None, job: SweepJob) -> JobState:
    """The job's state; a job recorded without a key must at least have the recorded overrides."""
    state = job_state(folder, job.key)
    if state.status == COMPLETE and job.key is None and state.manifest is not None \
            and plain_overrides(state.manifest.overrides) != job.overrides:
        return JobState(INCOMPLETE, f"{JOB_FILE} is for other overrides")
    return state


def _unlisted(directory: Path, listed: set[str | None], layout: Layout) -> list[str]:
    """A note naming the job folders in the sweep folder that its record does not list (left out)."""
    others = sorted(p.name for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")
                    and any((p / marker).exists() for marker in layout.markers) and p.name not in listed)
    if not others:
        return []
    return [f"Left out {len(others)} folder(s) that {SWEEP_FILE} does not list: "
            f"{', '.join(others[:5])}{', ...' if len(others) > 5 else ''}."]


def _numbered_job_folders(directory: Path) -> dict[int, Path]:
    """Job folders by the number their ``job.json`` records (for jobs recorded without a folder)."""
    folders = {}
    for record in sorted(directory.glob(f"*/{JOB_FILE}")):
        state = job_state(record.parent, strict=False)
        if state.manifest is not None and state.manifest.num is not None:
            folders[state.manifest.num] = record.parent
    return folders


def _swept(jobs: list[SweepJob]) -> Callable[[SweepJob], str]:
    """A function naming a job by the overrides that differ between the jobs (``backend=nest, model.seed=2``)."""
    values: dict[str, set[str]] = {}
    for job in jobs:
        for override in job.overrides:
            key, _, value = override.partition("=")
            values.setdefault(key, set()).add(value)
    counts = {key: sum(key in {o.partition("=")[0] for o in job.overrides} for job in jobs) for key in values}
    varying = {key for key, seen in values.items() if len(seen) > 1 or counts[key] < len(jobs)}
    return lambda job: ", ".join(o for o in job.overrides if o.partition("=")[0] in varying)


# ------------------------------------------------------------------------------------------- folder

def _gather_folder(directory: Path, layout: Layout) -> Gathered:
    gathered = Gathered()
    sweeps = [p.parent for p in sorted(directory.rglob(SWEEP_FILE)) if not is_hidden(p, directory)]
    for sweep in sweeps:
        part = gather_sweep(sweep, SweepManifest.read(sweep), layout)  # type: ignore[arg-type]
        gathered.add(_prefixed(part, sweep, directory))
    taken = [*sweeps]
    jobs = sorted({p.parent for name in layout.markers for p in directory.rglob(name)
                   if not is_hidden(p.parent, directory) and not _inside(p.parent, taken)})
    for job in jobs:
        _add_job(gathered, job_state(job), job, _name(job, directory), layout)
    taken += jobs
    for meta in sorted(directory.rglob("meta.json")):
        if not is_hidden(meta, directory) and not _inside(meta.parent, taken):
            gathered.runs.append(_run(meta.parent, meta.parent, load_result(meta.parent), layout))
    for error in sorted(directory.rglob(ERROR_FILE)):
        if not is_hidden(error, directory) and not _inside(error.parent, taken):
            gathered.failed[_name(error.parent, directory)] = str(read_json(error).get("error", "failed"))
    return gathered


def _inside(path: Path, folders: list[Path]) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


def _name(folder: Path, root: Path) -> str:
    return folder.relative_to(root).as_posix() if folder != root else root.name or str(root)


def _prefixed(part: Gathered, sweep: Path, root: Path) -> Gathered:
    prefix = _name(sweep, root)
    return Gathered(part.runs, {f"{prefix}/{k}": v for k, v in part.failed.items()},
                    {f"{prefix}/{k}": v for k, v in part.missing.items()}, notes=part.notes)


# --------------------------------------------------------------------------------------------- jobs

def _add_job(gathered: Gathered, state: JobState, folder: Path | None, name: str, layout: Layout) -> None:
    if state.status == FAILED:
        gathered.failed[name] = state.reason or "failed"
    elif state.status != COMPLETE or state.manifest is None or folder is None:
        gathered.missing[name] = state.reason
    else:
        metrics = read_json(folder / "metrics.json") if "metrics.json" in state.manifest.files else {}
        for relative in state.manifest.results:
            result = load_result(folder / relative)
            gathered.runs.append(_run(folder / relative, folder, result, layout, metrics, state.manifest.overrides))


def _run(directory: Path, job: Path, result: Result, layout: Layout, metrics: Any = None,
         overrides: list[str] | None = None) -> Run:
    lines = result.meta.get("overrides", overrides)
    if lines is None:
        lines = layout.overrides(job)
    return Run(directory, job, result, parse_overrides(lines or []), metrics if isinstance(metrics, dict) else {})


def parse_overrides(lines: list[str]) -> dict[str, Any]:
    """``["model.dt=0.05", "backend=nest"]`` as ``{"model.dt": 0.05, "backend": "nest"}`` (Hydra's own skipped).

    ``model.parameters.g`` reads ``parameters.g``, as the command line writes it.
    """
    parsed = {}
    for line in lines:
        key, _, value = str(line).partition("=")
        key = key.lstrip("+~")
        key = key.removeprefix("model.") if key.startswith("model.parameters.") else key
        if key.startswith("hydra") or not _:
            continue
        try:
            parsed[key] = yaml.safe_load(value)
        except yaml.YAMLError:
            parsed[key] = value
    return parsed


__all__ = ["Run", "Gathered", "gather", "gather_sweep", "find_runs", "parse_overrides"]
