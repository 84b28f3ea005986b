"""Commit records: ``job.json`` says a job folder is complete, ``sweep.json`` says what a sweep asked for.

Hydra creates a job's folder (and writes ``.hydra/``) before the job runs, so the folder
cannot be renamed into place whole. Instead the job writes its results, ``metrics.json``
and figures, and then, last and by an atomic rename, ``job.json``: the job's content key,
every file it wrote with its size, the backend, the overrides and the status (``complete``
or ``failed``). A job folder without a valid ``job.json`` is incomplete, whatever else it
holds. A file whose size differs from the record was changed after the job finished.

A multirun writes ``sweep.json`` into its folder before any job runs: the command's
overrides and, per job, its number, sub-folder, overrides and content key. The comparison
covers exactly these jobs and names the ones that are missing or failed; a resumed sweep
runs only the jobs without a complete result of the same key.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import CorruptFileError
from .folders import write_file
from .results import FILES as RESULT_FILES
from .results import read_json

JOB_FILE = "job.json"
SWEEP_FILE = "sweep.json"
FORMAT = 1
COMPLETE, FAILED, INCOMPLETE = "complete", "failed", "incomplete"
#: Config keys that steer a run rather than say what it computes: not part of a job's content key.
CONTROL_KEYS = ("progress", "resume", "overwrite", "memory_limit_gb")


def plain_overrides(overrides: Iterable[str]) -> list[str]:
    """The overrides that say what a job computes: Hydra's own (``hydra.*``, ``hydra/...``) and
    the run controls (:data:`CONTROL_KEYS`) left out."""
    kept = []
    for override in overrides:
        key = override.partition("=")[0].lstrip("+~")
        if not (key == "hydra" or key.startswith(("hydra.", "hydra/")) or key in CONTROL_KEYS):
            kept.append(override)
    return kept


# ------------------------------------------------------------------------------------------ checks

@dataclass(frozen=True)
class Kind:
    """What a field of a record must hold: a description for messages and a test."""

    name: str
    test: Callable[[Any], bool]

    def or_null(self) -> Kind:
        return Kind(f"{self.name} or null", lambda value: value is None or self.test(value))


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


TEXT = Kind("a text", lambda value: isinstance(value, str))
WHOLE = Kind("a whole number >= 0", _is_whole)
TEXTS = Kind("a list of texts", lambda value: isinstance(value, list) and all(isinstance(v, str) for v in value))
LIST = Kind("a list", lambda value: isinstance(value, list))
SIZES = Kind("a mapping of file to size", lambda value: isinstance(value, dict) and all(
    _is_whole(v) for v in value.values()))


def _check(where: str, data: Any, fields: Mapping[str, Kind]) -> dict[str, Any]:
    """``data`` as a dict holding every field of ``fields`` with the right kind, else CorruptFileError."""
    if not isinstance(data, dict):
        raise CorruptFileError(f"{where}: expected a JSON object, got {type(data).__name__}.")
    missing = [name for name in fields if name not in data]
    if missing:
        raise CorruptFileError(f"{where}: missing {', '.join(missing)}.")
    for name, kind in fields.items():
        if not kind.test(data[name]):
            raise CorruptFileError(f'{where}: "{name}" must be {kind.name}, got {json.dumps(data[name])[:60]}.')
    if data.get("format", FORMAT) != FORMAT:
        raise CorruptFileError(f"{where}: format {data['format']}, this neurobridge reads format {FORMAT}.")
    return data


# --------------------------------------------------------------------------------------------- job

@dataclass
class JobManifest:
    """A job's commit record (``job.json``)."""

    key: str
    status: str
    experiment: str
    backend: str
    overrides: list[str]
    #: Folders holding a saved result, relative to the job folder (``.`` for a single variant).
    results: list[str]
    #: Every file the job wrote, relative to the job folder, with its size in bytes.
    files: dict[str, int]
    #: The job's number in its sweep (``None`` for a single run).
    num: int | None = None
    error: str | None = None
    pid: int = field(default_factory=os.getpid)
    finished: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    @classmethod
    def read(cls, folder: Path) -> JobManifest:
        """The record in ``folder``; :class:`CorruptFileError` naming the file when it is invalid."""
        path = folder / JOB_FILE
        data = _check(str(path), read_json(path), JOB_FIELDS)
        if data["status"] not in (COMPLETE, FAILED):
            raise CorruptFileError(f'{path}: "status" must be {COMPLETE} or {FAILED}, got "{data["status"]}".')
        _check_paths(path, data["results"], data["files"])
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def commit(self, folder: Path) -> Path:
        """Write ``job.json`` into ``folder``, atomically: the job is complete from this instant."""
        return write_file(folder / JOB_FILE, json.dumps({"format": FORMAT, **asdict(self)}, indent=2))


def _check_paths(path: Path, results: list[str], files: Mapping[str, int]) -> None:
    """Recorded paths stay inside the job folder, and every result's files are recorded (so sized)."""
    for name in (*results, *files):
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts:
            raise CorruptFileError(f'{path}: "{name}" is not a path inside the job folder.')
    for result in results:
        unrecorded = [name for name in RESULT_FILES if (Path(result) / name).as_posix() not in files]
        if unrecorded:
            raise CorruptFileError(f'{path}: result "{result}" has no recorded {", ".join(unrecorded)}.')


JOB_FIELDS = {"key": TEXT, "status": TEXT, "experiment": TEXT, "backend": TEXT, "overrides": TEXTS,
              "results": TEXTS, "files": SIZES, "num": WHOLE.or_null(), "error": TEXT.or_null()}


def written_files(folder: Path, exclude: Iterable[str] = ()) -> dict[str, int]:
    """Every file under ``folder`` with its size, hidden ones and the top-level names in ``exclude`` left out."""
    skipped = {*exclude, JOB_FILE}
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and relative.parts[0] not in skipped and not any(p.startswith(".") for p in relative.parts):
            files[relative.as_posix()] = path.stat().st_size
    return files


@dataclass
class JobState:
    """What a job folder holds: a ``complete`` or ``failed`` job, or an ``incomplete`` one and why."""

    status: str
    reason: str = ""
    manifest: JobManifest | None = None


def job_state(folder: Path | None, key: str | None = None, strict: bool = True) -> JobState:
    """Read the job folder's commit record and check it.

    Parameters
    ----------
    folder
        The job's folder (``None`` or missing: the job never started).
    key
        The content key the job must have; another key means another config (``incomplete``).
    strict
        A recorded file that is missing or has another size raises :class:`CorruptFileError`
        (the folder was changed after the job finished); otherwise the job is ``incomplete``.
    """
    if folder is None or not folder.is_dir():
        return JobState(INCOMPLETE, "not started")
    if not (folder / JOB_FILE).is_file():
        return JobState(INCOMPLETE, f"did not finish (no {JOB_FILE})")
    try:
        manifest = JobManifest.read(folder)
    except CorruptFileError as error:
        return JobState(INCOMPLETE, str(error))
    if key is not None and manifest.key != key:
        return JobState(INCOMPLETE, f"{JOB_FILE} is for another config (key {manifest.key}, expected {key})")
    problem = _changed_file(folder, manifest)
    if problem is not None:
        if strict:
            raise CorruptFileError(problem)
        return JobState(INCOMPLETE, problem)
    return JobState(manifest.status, manifest.error or "", manifest)


def _changed_file(folder: Path, manifest: JobManifest) -> str | None:
    for name, size in manifest.files.items():
        path = folder / name
        if not path.is_file():
            return f"{path}: listed in {folder / JOB_FILE} but missing."
        found = path.stat().st_size
        if found != size:
            return f"{path}: changed after the job finished ({JOB_FILE} records {size} bytes, found {found})."
    return None


# ------------------------------------------------------------------------------------------- sweep

@dataclass
class SweepJob:
    """One job a sweep was asked to run."""

    num: int
    #: Its overrides, Hydra's own (``hydra.*``) and the run controls left out.
    overrides: list[str]
    #: Its folder inside the sweep folder (``None`` when it was not composed ahead).
    subdir: str | None = None
    #: Its content key (``None`` when it was not composed ahead: the job records it itself).
    key: str | None = None

    @property
    def name(self) -> str:
        return self.subdir or f"job {self.num}"


SWEEP_JOB_FIELDS = {"num": WHOLE, "overrides": TEXTS, "subdir": TEXT.or_null(), "key": TEXT.or_null()}


@dataclass
class SweepManifest:
    """What a multirun was asked to run (``sweep.json``)."""

    #: The command's overrides, as given (sweep syntax included), to launch it again.
    command: list[str]
    jobs: list[SweepJob]
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    @classmethod
    def read(cls, directory: Path) -> SweepManifest | None:
        """The record in ``directory`` (``None`` when there is none); CorruptFileError when invalid."""
        path = directory / SWEEP_FILE
        if not path.is_file():
            return None
        data = _check(str(path), read_json(path), {"command": TEXTS, "jobs": LIST})
        jobs = []
        for index, entry in enumerate(data["jobs"]):
            job = _check(f"{path}: jobs[{index}]", entry, SWEEP_JOB_FIELDS)
            jobs.append(SweepJob(job["num"], job["overrides"], job["subdir"], job["key"]))
        return cls(data["command"], jobs, str(data.get("created", "")))

    def write(self, directory: Path) -> Path:
        """Write ``sweep.json`` into ``directory``, atomically."""
        return write_file(directory / SWEEP_FILE, json.dumps({"format": FORMAT, **asdict(self)}, indent=2))


__all__ = ["plain_overrides", "CONTROL_KEYS", "JobManifest", "JobState", "job_state", "written_files", "SweepJob",
           "SweepManifest", "JOB_FILE", "SWEEP_FILE", "COMPLETE", "FAILED", "INCOMPLETE"]
