"""Compose, check, claim the folder, then launch: ``neurobridge run``, ``resume`` and ``validate``.

Every job of a run or sweep is composed and checked (:func:`~.plan.plan`) before Hydra
creates a folder, so bad input (an unknown experiment or backend, a misspelled key, a
negative ``dt``, an override the experiment overwrites) fails once, clearly, and leaves
nothing behind. The output folder is then resolved once and pinned (``hydra.run.dir`` /
``hydra.sweep.dir``), locked for this process and claimed (:mod:`.outputs`); a multirun
records its jobs in ``sweep.json``. Then Hydra runs as usual, with its own command line
(``-m``, ``--cfg job``, ``hydra/launcher=joblib``, ...), and a multirun is gathered and
compared after Hydra returns.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from hydra._internal.utils import _run_hydra, get_args_parser
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from ..errors import BackendNotFoundError, CommandLineError, InvalidValueError, UnsupportedModelError
from ..folders import folder_lock
from ..manifests import SWEEP_FILE, SweepManifest
from ..progress import Progress, wanted
from ..registry import available_backends, backend_names, get_backend
from .job import prepare
from .outputs import claim_run_folder, claim_sweep_folder, gather_outputs, progress_line, verdict_status
from .plan import (
    MAX_CHECKED_JOBS,
    PlannedJob,
    check_jobs,
    compose_config,
    controls,
    expand,
    plan,
)
from .runner import check_interrupt, interrupt_guard, remove_empty_parents, run_job
from .schema import register_configs
from .sources import ConfigSource, model_files

#: Overrides that ``neurobridge run`` sets itself or reads before Hydra: not part of the recorded command.
NOT_RECORDED = ("hydra.sweep.dir", "resume", "overwrite")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run; the message says what is complete and how to resume."""


@dataclass
class HydraCommand:
    """Hydra's own command line, parsed: overrides plus Hydra's flags."""

    args: argparse.Namespace
    parser: argparse.ArgumentParser
    #: Where the configs come from (``--config-path``, ``--config-name``, ``--config-dir``).
    source: ConfigSource

    @classmethod
    def parse(cls, argv: list[str]) -> HydraCommand:
        parser = get_args_parser()
        parser.prog = "neurobridge run"
        parser.error = _refuse  # type: ignore[method-assign]  # one line, not argparse's usage block
        args = parser.parse_args(argv)
        source = ConfigSource.from_args(args)
        args.overrides = model_files(args.overrides)
        return cls(args, parser, source)

    @property
    def runs_jobs(self) -> bool:
        a = self.args
        return not (a.help or a.hydra_help or a.cfg or a.info or a.shell_completion)

    def launch(self, args: argparse.Namespace | None = None) -> None:
        register_configs()
        with _hydra_errors_raised():
            _run_hydra(args=args or self.args, args_parser=self.parser, task_function=run_job,
                       config_path=self.source.path, config_name=self.source.name)

    def show(self) -> int:
        """``--cfg``, ``--info``, ``--help``, ``-sc``: Hydra prints; ``-m --cfg`` shows every job's config."""
        try:
            if self.args.multirun and self.args.cfg and not (self.args.help or self.args.hydra_help):
                for num, overrides in enumerate(expand(self.args.overrides)):
                    print(f"# job {num}: {' '.join(overrides)}", flush=True)
                    self.launch(argparse.Namespace(**{**vars(self.args), "multirun": False, "overrides": overrides}))
                return 0
            self.launch()
        except (HydraException, OmegaConfBaseException):
            raise
        except (ValueError, TypeError, KeyError, AssertionError) as error:  # Hydra's own checks of its flags
            raise CommandLineError(f"{error}") from error
        return 0

    def check_flags(self) -> None:
        """Hydra's own checks of the flags of a run, made before anything runs (Hydra makes them late)."""
        if self.args.resolve:
            raise CommandLineError("--resolve only works with --cfg or --help (see neurobridge run --help)")
        if self.args.run and self.args.multirun:
            raise CommandLineError("--run and --multirun (-m) exclude each other (see neurobridge run --help)")

    def pin(self, key: str, planned: PlannedJob) -> Path:
        """Resolve ``key`` (``hydra.run.dir``) once from the first job and pass it on as an override."""
        value = planned.select(key)
        assert value is not None
        self.args.overrides = [*[o for o in self.args.overrides if o.partition("=")[0] != key],
                               f"{key}={_quote(value)}"]
        return Path(value)


def _refuse(message: str) -> NoReturn:
    raise CommandLineError(f"{message} (see neurobridge run --help)")


@contextlib.contextmanager
def _hydra_errors_raised() -> Iterator[None]:
    """Hydra raises instead of printing a traceback and exiting 1 (``HYDRA_FULL_ERROR=1``)."""
    previous = os.environ.get("HYDRA_FULL_ERROR")
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = previous


def run(argv: list[str]) -> int:
    """``neurobridge run [-m] [overrides]``: check every job, claim the folder, run; a multirun is compared."""
    command = HydraCommand.parse(list(argv))
    if command.args.shell_completion:
        raise CommandLineError("Hydra's shell completion (-sc) does not know neurobridge's subcommands; "
                               "use neurobridge's own: eval \"$(neurobridge completion bash)\"")
    if not command.runs_jobs:
        return command.show()
    command.check_flags()
    multirun = bool(command.args.multirun)
    planned = plan(command.args.overrides, multirun, command.source)
    if multirun:
        return run_sweep(command, planned)
    return run_single(command, planned[0])


def run_single(command: HydraCommand, planned: PlannedJob) -> int:
    """One run into its own folder (missing or empty, or emptied with ``overwrite=true``)."""
    steering = controls([planned], multirun=False)
    directory = command.pin("hydra.run.dir", planned)
    try:
        with folder_lock(directory), interrupt_guard():
            claim_run_folder(directory, steering)
            command.launch()
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted: {directory} is incomplete (no job.json); run it again with "
                          f"overwrite=true") from None
    finally:
        if not directory.exists():
            remove_empty_parents(directory)
    return 0


def run_sweep(command: HydraCommand, planned: list[PlannedJob]) -> int:
    """A multirun: record its jobs, run them (only the incomplete ones with ``resume=true``), gather."""
    steering = controls(planned, multirun=True)
    recorded = [o for o in command.args.overrides if o.partition("=")[0].lstrip("+~") not in NOT_RECORDED]
    directory = command.pin("hydra.sweep.dir", planned[0])
    with folder_lock(directory), interrupt_guard():
        claim_sweep_folder(directory, planned, recorded, steering)
        try:
            command.launch()
            check_interrupt()
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted: {progress_line(directory, planned)} in {directory}; resume with: "
                              f"neurobridge resume {directory}") from None
        requested = bool(planned[0].config.get("progress", True)) if planned[0].config is not None else True
        return gather_outputs(directory, Progress(len(planned), wanted(requested)))


def resume(directory: str, overrides: list[str] | None = None) -> int:
    """``neurobridge resume DIR``: the sweep recorded in ``DIR/sweep.json`` again, with ``resume=true``.

    Only jobs without a complete result of their content key run; then every job is
    gathered and compared. ``overrides`` may only choose how to launch (``hydra/launcher=joblib``).
    """
    path = Path(directory)
    if not path.is_dir():
        raise InvalidValueError(f"{directory} is not a folder: nothing to resume.")
    record = SweepManifest.read(path)
    if record is None:
        raise InvalidValueError(f"{directory} holds no {SWEEP_FILE}: it is not a neurobridge sweep, nothing to "
                                f"resume.")
    for override in overrides or []:
        if not override.lstrip("+~").startswith(("hydra/", "hydra.")):
            raise CommandLineError(f"neurobridge resume runs the jobs {SWEEP_FILE} records; it takes only Hydra's "
                                   f"launcher overrides (hydra/launcher=joblib), not {override}.")
    return run(["-m", *record.command, *(overrides or []), f"hydra.sweep.dir={_quote(str(path))}", "resume=true"])


def _quote(path: str) -> str:
    return "'" + path.replace("\\", "\\\\").replace("'", "\\'") + "'"


# ------------------------------------------------------------------------------------- validate

def supporting_backends(overrides: list[str], backends: list[str] | None = None,
                        source: ConfigSource | None = None) -> tuple[list[str], list[str]]:
    """Backends that are installed and can run every network of the experiment, and why others cannot.

    Bad input (unknown experiment, misspelled key, ...) raises; an unsupported model or a
    missing simulator only skips that backend.
    """
    chosen, skipped = [], []
    for name in backends or backend_names():
        if name not in available_backends():
            skipped.append(f"{name} skipped: not installed (pip install 'neurobridge[{name}]')")
            continue
        try:
            prepare(compose_config([*overrides, f"backend={name}"], source=source))
        except UnsupportedModelError as error:
            skipped.append(f"{name} skipped: {error}")
            continue
        chosen.append(name)
    return chosen, skipped


def validate(overrides: list[str], backends: list[str] | None = None, launcher_args: list[str] | None = None,
             source: ConfigSource | None = None) -> int:
    """``neurobridge validate``: run the experiment on every backend that supports it, then compare.

    ``source`` names the user's config folders (``--config-dir``, ``--config-path``), as for ``run``.
    """
    source = source or ConfigSource()
    if any(o.split("=", 1)[0].lstrip("+~") == "backend" for o in overrides):
        raise BackendNotFoundError("validate picks the backends itself; restrict them with --backends "
                                   "numpy,nest instead of backend=...")
    chosen, skipped = supporting_backends(overrides, backends, source)
    for line in skipped:
        print(line)
    if not chosen:
        raise UnsupportedModelError("No installed backend can run this experiment:\n  " + "\n  ".join(skipped))
    print(f"validating on {', '.join(chosen)}")
    return run([*source.flags(), "-m", f"backend={','.join(chosen)}", *(launcher_args or []), *overrides])


def parse_backends(text: str | None) -> list[str] | None:
    """``"numpy,nest"`` as a list of known backend names (``None`` for all)."""
    if not text:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in backend_names():
            get_backend(name)  # raises the standard "unknown backend" error
    return names


__all__ = ["run", "resume", "validate", "compose_config", "expand", "check_jobs", "verdict_status", "parse_backends",
           "MAX_CHECKED_JOBS"]
