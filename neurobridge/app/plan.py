"""The jobs of a command, composed and checked before Hydra creates anything.

:func:`plan` expands a sweep into its jobs (Hydra's basic-sweeper product, in Hydra's
numbering), composes each with its Hydra node (for the job's folder) and prepares it
(:func:`~.job.prepare`: experiment, networks, backend, options, plots, comparison, the
content key). Sweeps larger than :data:`MAX_CHECKED_JOBS` are composed on their first jobs
only; the others are recorded by their overrides and key themselves when they run.

:func:`check_overrides_act` refuses a ``model.*`` override that the experiment overwrites.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from hydra import compose
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ..errors import CommandLineError, InvalidValueError, NeurobridgeError, OverrideHasNoEffectError
from ..manifests import SweepJob, plain_overrides
from .job import Job, prepare
from .schema import register_configs
from .sources import ConfigSource, model_files

#: Sweeps larger than this are composed and checked on their first jobs only.
MAX_CHECKED_JOBS = 256


def compose_config(overrides: list[str], hydra_node: bool = False, source: ConfigSource | None = None) -> DictConfig:
    """The config of one job (no sweep values), as Hydra composes it from ``source``, without running anything."""
    register_configs()
    source = source or ConfigSource()
    with _hydra_value_errors():
        overrides = model_files(overrides)
        with source.initialized():
            return compose(source.name, overrides=overrides, return_hydra_config=hydra_node)


def expand(overrides: list[str]) -> list[list[str]]:
    """The jobs of a sweep: one list of plain overrides per job (Hydra's basic-sweeper product)."""
    with _hydra_value_errors():
        parsed = OverridesParser.create().parse_overrides(overrides)
        return BasicSweeper.split_arguments(parsed, max_batch_size=None)[0]


@contextlib.contextmanager
def _hydra_value_errors() -> Iterator[None]:
    """Hydra refuses some overrides (``=3``) with a bare ``ValueError``: bad input, said on one line."""
    try:
        yield
    except (HydraException, OmegaConfBaseException, NeurobridgeError):
        raise
    except ValueError as error:
        raise CommandLineError(str(error)) from error


@dataclass
class PlannedJob:
    """One job of the command: its number and overrides and, when composed ahead, its config and work."""

    num: int
    overrides: list[str]
    #: The composed config, Hydra node included (``None`` beyond :data:`MAX_CHECKED_JOBS`).
    config: DictConfig | None = None
    job: Job | None = None

    def select(self, key: str) -> str | None:
        """A resolved value of the composed config (``hydra.sweep.subdir``, ...)."""
        return None if self.config is None else str(OmegaConf.select(self.config, key))

    def record(self) -> SweepJob:
        """What ``sweep.json`` says about the job."""
        return SweepJob(self.num, plain_overrides(self.overrides), self.select("hydra.sweep.subdir"),
                        self.job.key if self.job else None)


@dataclass(frozen=True)
class Controls:
    """How the command treats its output folder (``resume=true``, ``overwrite=true``)."""

    resume: bool = False
    overwrite: bool = False


def plan(overrides: list[str], multirun: bool, source: ConfigSource | None = None) -> list[PlannedJob]:
    """Every job of the command, the first :data:`MAX_CHECKED_JOBS` composed and prepared; raises on bad input."""
    jobs = expand(overrides) if multirun else [overrides]
    planned = [PlannedJob(num, job) for num, job in enumerate(jobs)]
    for item in planned[:MAX_CHECKED_JOBS]:
        item.config = compose_config([*item.overrides, f"hydra.job.num={item.num}"], hydra_node=True, source=source)
        item.job = prepare(item.config)
    check_overrides_act(planned, source)
    return planned


def check_jobs(overrides: list[str], multirun: bool, source: ConfigSource | None = None) -> list[Job]:
    """Compose and prepare the jobs of the command (the first :data:`MAX_CHECKED_JOBS`); raises on a bad one."""
    return [item.job for item in plan(overrides, multirun, source) if item.job is not None]


def controls(planned: list[PlannedJob], multirun: bool) -> Controls:
    """``resume`` and ``overwrite`` as the jobs' configs set them: one value for the whole command."""
    seen = {(bool(p.config.resume), bool(p.config.overwrite)) for p in planned if p.config is not None}
    if len(seen) > 1:
        values = " and ".join(f"resume={r} overwrite={o}".lower() for r, o in sorted(seen))
        raise InvalidValueError(f"resume and overwrite steer the whole command and cannot be swept (got {values}).")
    resume, overwrite = seen.pop()
    if resume and overwrite:
        raise InvalidValueError("resume=true and overwrite=true contradict each other: resume keeps the complete "
                                "jobs of a sweep, overwrite empties its folder first.")
    if resume and not multirun:
        raise InvalidValueError("resume=true applies to a multirun (-m): a single run is not resumed, "
                                "run it again with overwrite=true.")
    return Controls(resume, overwrite)


# ------------------------------------------------------------------------------ overrides that act

def check_overrides_act(planned: list[PlannedJob], source: ConfigSource | None = None) -> None:
    """Refuse a ``model.*`` override that leaves every network of its job as it was without it.

    Each distinct override is checked once: the job is composed without it (bases shared
    between jobs) and its networks compared with the job's. An override that restates the
    composed value, or without which the job does not validate, is not refused.
    """
    bases: dict[tuple[str, ...], tuple[DictConfig, dict[str, str]] | None] = {}
    seen: set[str] = set()
    for item in planned:
        if item.job is None or item.config is None:
            continue
        for override in item.overrides:
            key = _model_key(override)
            if key is None or override in seen:
                continue
            seen.add(override)
            rest = tuple(o for o in item.overrides if o != override)
            if rest not in bases:
                bases[rest] = _base(rest, item.num, source)
            base = bases[rest]
            if base is not None and _has_no_effect(item, key, *base):
                raise OverrideHasNoEffectError(
                    f"{override} has no effect: experiment {item.job.setup.name} sets this field itself "
                    f"(see experiment.params).")


def _model_key(override: str) -> str | None:
    """``model.populations.n.size`` of ``model.populations.n.size=3`` (``+``/``++`` too); else ``None``."""
    key, equals, _ = override.partition("=")
    key = key.lstrip("+")
    return key if equals and key.startswith("model.") and not override.startswith("~") else None


def _base(overrides: tuple[str, ...], num: int,
          source: ConfigSource | None) -> tuple[DictConfig, dict[str, str]] | None:
    """The config without one override and its networks' hashes (``None`` when it does not validate)."""
    try:
        config = compose_config([*overrides, f"hydra.job.num={num}"], hydra_node=True, source=source)
        return config, _hashes(prepare(config))
    except (NeurobridgeError, HydraException, OmegaConfBaseException):  # needed for the job to validate: it acts
        return None


def _hashes(job: Job) -> dict[str, str]:
    return {name: network.content_hash() for name, network in job.networks.items()}


def _has_no_effect(item: PlannedJob, key: str, base: DictConfig, hashes: dict[str, str]) -> bool:
    assert item.config is not None and item.job is not None
    if OmegaConf.select(item.config, key) == OmegaConf.select(base, key):
        return False  # restates the composed value
    return _hashes(item.job) == hashes


__all__ = ["compose_config", "expand", "plan", "check_jobs", "controls", "check_overrides_act", "PlannedJob",
           "Controls", "MAX_CHECKED_JOBS"]
