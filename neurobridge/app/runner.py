"""The Hydra task: run one job and write its results, ``metrics.json`` and figures.

In a multirun a failing job writes ``error.json`` instead of stopping the sweep,
so the comparison still gathers the others and names the failure. In a single
run, a :class:`~neurobridge.NeurobridgeError` removes the run's folder and
exits with status 2.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from hydra.types import RunMode  # noqa: E402
from omegaconf import DictConfig  # noqa: E402
from tqdm import tqdm  # noqa: E402

from ..errors import NeurobridgeError  # noqa: E402
from ..registry import simulate  # noqa: E402
from ..results import Result  # noqa: E402
from .job import Job, prepare  # noqa: E402

log = logging.getLogger("neurobridge")


def run_job(config: DictConfig) -> dict[str, Any]:
    """Hydra's task function: prepare, simulate every variant, measure, plot."""
    hydra = HydraConfig.get()
    output = Path(hydra.runtime.output_dir)
    overrides = list(hydra.overrides.task)
    try:
        return execute(prepare(config), output, overrides)
    except NeurobridgeError as error:
        if hydra.mode == RunMode.MULTIRUN:
            return _record_failure(output, error)
        _remove_run_directory(output)
        print(f"neurobridge: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except Exception as error:
        if hydra.mode == RunMode.MULTIRUN:
            return _record_failure(output, error)
        raise


def execute(job: Job, output: Path, overrides: list[str]) -> dict[str, Any]:
    """Run ``job`` and write everything into ``output``; returns the metrics."""
    results = simulate_variants(job, overrides)
    for variant, result in results.items():
        result.save(output if len(results) == 1 else output / variant)
    metrics = {key: _number(value) for key, value in job.experiment.function("measure")(results, job.setup).items()}
    (output / "metrics.json").write_text(json.dumps(
        {"experiment": job.setup.name, "backend": job.backend, "overrides": overrides, "metrics": metrics},
        indent=2))
    figures = write_figures(job, results, output)
    _print_summary(job, results, output, figures)
    return metrics


def simulate_variants(job: Job, overrides: list[str]) -> dict[str, Result]:
    """Every variant of the job on its backend, with the job's context added to each result's meta."""
    results = {}
    variants = tqdm(job.networks.items(), desc=f"{job.setup.name} on {job.backend}", unit="variant",
                    disable=None if job.progress and len(job.networks) > 1 else True, file=sys.stderr)
    for variant, network in variants:
        result = simulate(network, job.backend, memory_limit_gb=job.memory_limit_gb, **job.options)
        result.meta.update(experiment=job.setup.name, variant=variant, overrides=overrides,
                           compare=_settings(job))
        results[variant] = result
    return results


def write_figures(job: Job, results: Mapping[str, Result], output: Path) -> list[Path]:
    """The experiment's figures as ``<name>.png``."""
    paths = []
    for name in job.plots:
        figure = job.experiment.plot_function(name)(results, job.setup)
        path = output / f"{name}.png"
        figure.savefig(path, dpi=110)
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
    log.info(f"wrote {output}: results, metrics.json, {', '.join(p.name for p in figures) or 'no figures'}")


def _record_failure(output: Path, error: BaseException) -> dict[str, Any]:
    message = f"{type(error).__name__}: {error}"
    log.error(f"job failed: {message}")
    (output / "error.json").write_text(json.dumps(
        {"error": message, "traceback": traceback.format_exc()}, indent=2))
    return {"error": message}


def _remove_run_directory(output: Path) -> None:
    """Remove the run's folder and the parents left empty (up to the working directory)."""
    shutil.rmtree(output, ignore_errors=True)
    parent, stop = output.parent, Path.cwd().resolve()
    while parent.resolve() != stop and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent
