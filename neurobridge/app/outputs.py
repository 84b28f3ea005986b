"""The output folder of a command: claimed before Hydra creates anything, gathered after Hydra returns.

A run or a multirun owns its folder for its whole life (:func:`~neurobridge.folders.folder_lock`)
and never writes into a non-empty folder it did not create: with ``overwrite=true`` it empties
the folder first; with ``resume=true`` (a multirun only) it keeps the jobs that are complete.
A multirun records what it was asked to run (``sweep.json``) before any job runs, and gathers,
compares and writes the verdict after Hydra returns, where every error reaches the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..compare import format_verdict
from ..errors import InvalidValueError, NeurobridgeError, OutputWriteError
from ..folders import clear_folder, reason, refuse_unless_empty, writing
from ..manifests import COMPLETE, JOB_FILE, SWEEP_FILE, SweepManifest, job_state
from ..progress import Progress
from .layout import compare_folder
from .plan import Controls, PlannedJob

PASSED, FAILED, BAD_INPUT = 0, 1, 2
#: The results could not be written (disk full, permissions): no verdict.
NOT_WRITTEN = 3
#: Interrupted (Ctrl-C), as a shell reports SIGINT.
INTERRUPTED = 130
VERDICT = "verdict.json"


def claim_run_folder(directory: Path, controls: Controls) -> None:
    """A single run's folder: missing or empty, or emptied with ``overwrite=true``."""
    if controls.overwrite and directory.is_dir():
        clear_folder(directory, first=[JOB_FILE])
        return
    refuse_unless_empty(directory, False, "pass overwrite=true to replace it")


def claim_sweep_folder(directory: Path, planned: list[PlannedJob], command: list[str], controls: Controls) -> None:
    """A multirun's folder, made ready and ``sweep.json`` written into it before any job runs.

    Parameters
    ----------
    directory
        The pinned ``hydra.sweep.dir``.
    planned
        Every job of the sweep, in Hydra's numbering.
    command
        The command's overrides to record (to launch it again with ``neurobridge resume``).
    controls
        ``resume`` keeps the folder of a sweep of the same jobs; ``overwrite`` empties the folder.
    """
    record = SweepManifest(command, [item.record() for item in planned])
    refuse_unless_empty(directory, True, "")  # with overwrite, refuses only a file in the way
    existing = SweepManifest.read(directory) if directory.is_dir() else None
    if controls.resume and existing is not None:
        _check_same_jobs(directory, existing, record)
        record.created = existing.created
        with writing(directory / VERDICT):
            (directory / VERDICT).unlink(missing_ok=True)
    elif controls.overwrite and directory.is_dir():
        _empty_sweep_folder(directory)
    else:
        refuse_unless_empty(directory, False, _hint(directory, existing, controls))
    with writing(directory):
        directory.mkdir(parents=True, exist_ok=True)
    record.write(directory)


def _hint(directory: Path, existing: SweepManifest | None, controls: Controls) -> str:
    if existing is not None:
        return f"resume it with `neurobridge resume {directory}`, or pass overwrite=true to start anew"
    if controls.resume:
        return f"it holds no {SWEEP_FILE}, so there is nothing to resume; pass overwrite=true to replace it"
    return "pass overwrite=true to replace it"


def _check_same_jobs(directory: Path, existing: SweepManifest, record: SweepManifest) -> None:
    if [job.overrides for job in existing.jobs] != [job.overrides for job in record.jobs]:
        raise InvalidValueError(
            f"resume=true: {directory / SWEEP_FILE} records another sweep ({len(existing.jobs)} jobs, "
            f"command {' '.join(existing.command) or '(none)'}); resume it with `neurobridge resume {directory}`, "
            f"or pass overwrite=true to start anew.")


def _empty_sweep_folder(directory: Path) -> None:
    """Remove everything; the records first, so a reader never sees one next to half-removed files."""
    records = [SWEEP_FILE, VERDICT, *[p.relative_to(directory).as_posix() for p in directory.glob(f"*/{JOB_FILE}")]]
    clear_folder(directory, first=records)


def gather_outputs(directory: Path, progress: Progress | None = None) -> int:
    """Compare the sweep's jobs, print the verdict and return the exit status ``verdict.json`` gives.

    Every failure reaches the caller: bad input as a :class:`NeurobridgeError`, anything else
    (a failed write, a comparison that crashed) as :class:`OutputWriteError`, one line each.
    """
    try:
        comparison = compare_folder(directory, stage=progress.stage if progress else None)
    except (NeurobridgeError, OutputWriteError):
        raise
    except Exception as error:
        raise OutputWriteError(f"could not write the verdict of {directory}: the comparison failed "
                               f"({type(error).__name__}: {reason(error)})") from error
    print(format_verdict(comparison))
    print(f"wrote {directory}/summary.parquet, comparison.csv, {VERDICT}, report.md, report.html")
    return verdict_status(directory)


def verdict_status(directory: str | Path) -> int:
    """0 when ``verdict.json`` in ``directory`` says passed, 1 when failed, 3 when there is none (or it is unreadable).

    A multirun that produced no verdict never exits 0.
    """
    path = Path(directory) / VERDICT
    try:
        passed = json.loads(path.read_text())["passed"]
    except (OSError, ValueError, KeyError, TypeError):
        return NOT_WRITTEN
    return PASSED if passed is True else FAILED


def progress_line(directory: Path, planned: list[PlannedJob]) -> str:
    """``2 of 6 jobs complete`` in the sweep folder (for the interrupted message)."""
    complete = sum(job_state(record.parent, strict=False).status == COMPLETE
                   for record in directory.glob(f"*/{JOB_FILE}"))
    return f"{complete} of {len(planned)} jobs complete"


__all__ = ["claim_run_folder", "claim_sweep_folder", "gather_outputs", "verdict_status", "progress_line",
           "PASSED", "FAILED", "BAD_INPUT", "NOT_WRITTEN", "INTERRUPTED"]
