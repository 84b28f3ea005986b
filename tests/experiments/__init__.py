"""Tests of the experiment modules: each exercise's stated behaviour, measured on the reference backend."""

from __future__ import annotations

from collections.abc import Mapping

from neurobridge import Result, simulate
from neurobridge.app.job import Job, prepare
from neurobridge.app.launch import compose_config


def job(*overrides: str) -> Job:
    """The prepared job of ``neurobridge run`` with these overrides (nothing is run)."""
    return prepare(compose_config(list(overrides)))


def run(*overrides: str, backend: str = "numpy") -> tuple[Job, dict[str, Result]]:
    """Every variant of the job, simulated directly (no run folder)."""
    prepared = job(*overrides, f"backend={backend}")
    return prepared, {name: simulate(network, backend=backend) for name, network in prepared.networks.items()}


def measure(prepared: Job, results: Mapping[str, Result]) -> dict[str, float]:
    """The experiment's own metrics."""
    return prepared.experiment.function("measure")(results, prepared.setup)
