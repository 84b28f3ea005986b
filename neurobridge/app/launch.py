"""Compose, check, then launch: ``neurobridge run`` and ``neurobridge validate``.

Every job of a run or sweep is composed and checked (:func:`~.job.prepare`)
before Hydra creates a folder, so bad input (an unknown experiment or backend,
a misspelled key, a negative ``dt``) fails once, clearly, and leaves nothing
behind. Then Hydra runs as usual, with its own command line (``-m``,
``--cfg job``, ``hydra/launcher=joblib``, ...).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from hydra import compose, initialize_config_module
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra._internal.utils import _run_hydra, get_args_parser
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from ..errors import BackendNotFoundError, UnsupportedModelError
from ..registry import available_backends, backend_names, get_backend
from .job import Job, prepare
from .runner import run_job
from .schema import register_configs

CONFIG_MODULE = "neurobridge.conf"
CONFIG_NAME = "config"
#: Sweeps larger than this are checked on their first jobs only.
MAX_CHECKED_JOBS = 256


def compose_config(overrides: list[str], hydra_node: bool = False) -> DictConfig:
    """The config of one job (no sweep values), as Hydra composes it, without running anything."""
    register_configs()
    with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3", job_name="neurobridge"):
        return compose(CONFIG_NAME, overrides=overrides, return_hydra_config=hydra_node)


def expand(overrides: list[str]) -> list[list[str]]:
    """The jobs of a sweep: one list of plain overrides per job (Hydra's basic-sweeper product)."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    return BasicSweeper.split_arguments(parsed, max_batch_size=None)[0]


def check_jobs(overrides: list[str], multirun: bool) -> list[Job]:
    """Compose and prepare every job of the command; raises on the first bad one."""
    jobs = expand(overrides) if multirun else [overrides]
    return [prepare(compose_config(job)) for job in jobs[:MAX_CHECKED_JOBS]]


def output_directory(overrides: list[str], multirun: bool) -> str:
    """Where Hydra will write (``hydra.run.dir`` or ``hydra.sweep.dir``), resolved now."""
    first = expand(overrides)[0] if multirun else overrides
    config = compose_config(first, hydra_node=True)
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    return str(OmegaConf.select(config, key))


@dataclass
class HydraCommand:
    """Hydra's own command line, parsed: overrides plus Hydra's flags."""

    args: argparse.Namespace
    parser: argparse.ArgumentParser

    @classmethod
    def parse(cls, argv: list[str]) -> HydraCommand:
        parser = get_args_parser()
        parser.prog = "neurobridge run"
        return cls(parser.parse_args(argv), parser)

    @property
    def runs_jobs(self) -> bool:
        a = self.args
        return not (a.help or a.hydra_help or a.cfg or a.info or a.shell_completion)

    def launch(self) -> None:
        register_configs()
        _run_hydra(args=self.args, args_parser=self.parser, task_function=run_job,
                   config_path=f"pkg://{CONFIG_MODULE}", config_name=CONFIG_NAME)


def run(argv: list[str]) -> int:
    """``neurobridge run [-m] [overrides]``: check every job, run, and for a multirun compare."""
    command = HydraCommand.parse(argv)
    if not command.runs_jobs:
        command.launch()
        return 0
    multirun, overrides = command.args.multirun, command.args.overrides
    check_jobs(overrides, multirun)
    if not multirun:
        command.launch()
        return 0
    directory = _pin_sweep_directory(command)
    command.launch()
    return verdict_status(directory)


def _pin_sweep_directory(command: HydraCommand) -> str:
    """Resolve ``hydra.sweep.dir`` once and pass it on, so the verdict can be found afterwards."""
    overrides = command.args.overrides
    directory = output_directory(overrides, multirun=True)
    command.args.overrides = [*[o for o in overrides if not o.startswith("hydra.sweep.dir=")],
                              f"hydra.sweep.dir={_quote(directory)}"]
    return directory


def _quote(path: str) -> str:
    return "'" + path.replace("\\", "\\\\").replace("'", "\\'") + "'"


def verdict_status(directory: str | Path) -> int:
    """0 when the comparison in ``directory`` passed (or there was none), 1 when it failed."""
    path = Path(directory) / "verdict.json"
    if not path.is_file():
        return 0
    return 0 if json.loads(path.read_text())["passed"] else 1


# ------------------------------------------------------------------------------------- validate

def supporting_backends(overrides: list[str], backends: list[str] | None = None) -> tuple[list[str], list[str]]:
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
            prepare(compose_config([*overrides, f"backend={name}"]))
        except UnsupportedModelError as error:
            skipped.append(f"{name} skipped: {error}")
            continue
        chosen.append(name)
    return chosen, skipped


def validate(overrides: list[str], backends: list[str] | None = None, launcher_args: list[str] | None = None) -> int:
    """``neurobridge validate``: run the experiment on every backend that supports it, then compare."""
    if any(o.split("=", 1)[0].lstrip("+~") == "backend" for o in overrides):
        raise BackendNotFoundError("validate picks the backends itself; restrict them with --backends "
                                   "numpy,nest instead of backend=...")
    chosen, skipped = supporting_backends(overrides, backends)
    for line in skipped:
        print(line)
    if not chosen:
        raise UnsupportedModelError("No installed backend can run this experiment:\n  " + "\n  ".join(skipped))
    print(f"validating on {', '.join(chosen)}")
    return run(["-m", f"backend={','.join(chosen)}", *(launcher_args or []), *overrides])


def parse_backends(text: str | None) -> list[str] | None:
    """``"numpy,nest"`` as a list of known backend names (``None`` for all)."""
    if not text:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in backend_names():
            get_backend(name)  # raises the standard "unknown backend" error
    return names


__all__ = ["run", "validate", "compose_config", "expand", "check_jobs", "verdict_status", "parse_backends"]
