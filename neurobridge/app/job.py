"""One job of the Hydra app, prepared from the composed config and checked before anything runs.

:func:`prepare` is the single place that turns a config into work: the
experiment module, its validated networks, the backend (installed, supporting
every network, options known) and the comparison settings. The CLI calls it
for every job of a sweep before Hydra creates a folder; the task calls it again
inside the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf

from ..compare import CompareSettings
from ..errors import UnknownNameError
from ..experiments import Experiment, Setup, load_experiment
from ..model import Network
from ..registry import check_run


@dataclass
class Job:
    """What one job runs: the experiment's variants on one backend, with its options."""

    experiment: Experiment
    setup: Setup
    networks: dict[str, Network]
    backend: str
    options: dict[str, Any]
    plots: list[str]
    compare: CompareSettings
    progress: bool = True
    memory_limit_gb: float | None = None


def plain(config: DictConfig) -> dict[str, Any]:
    """The config as plain data, ``hydra`` left out, every value resolved and present."""
    data = OmegaConf.to_container(config, resolve=True, throw_on_missing=True)
    assert isinstance(data, dict)
    data.pop("hydra", None)
    return {str(key): value for key, value in data.items()}


def without_none(data: Any) -> Any:
    """Drop ``None`` entries of mappings (unset optional schema fields) at every depth."""
    if isinstance(data, Mapping):
        return {k: without_none(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [without_none(v) for v in data]
    return data


def native(network: Network) -> Network:
    """The network with every population, projection and stimulus in the simulator's native mode."""
    data = network.to_dict()
    for part in (*data["populations"].values(), *data["projections"], *data["stimuli"]):
        part["native"] = True
    return Network.from_dict(data)


def prepare(config: DictConfig) -> Job:
    """Check the whole job: experiment, networks, backend support and options, plots, comparison."""
    data = plain(config)
    spec, backend_spec = data["experiment"], data["backend"]
    experiment = load_experiment(spec.get("module") or spec["name"])
    setup = Setup(spec["name"], without_none(data["model"]), spec.get("params") or {})
    networks = _networks(experiment, setup)
    if backend_spec.get("native"):
        networks = {name: native(network) for name, network in networks.items()}
    backend = backend_spec["name"]
    memory_limit_gb = data.get("memory_limit_gb")
    for network in networks.values():
        options = check_run(network, backend, dict(backend_spec.get("options") or {}), memory_limit_gb)
    for name in spec.get("plots") or []:
        experiment.plot_function(name)
    compare = CompareSettings.from_mapping(data["compare"])
    return Job(experiment, setup, networks, backend, options, list(spec.get("plots") or []), compare,
               bool(data.get("progress", True)), memory_limit_gb)


def _networks(experiment: Experiment, setup: Setup) -> dict[str, Network]:
    networks = experiment.function("networks")(setup)
    if not networks:
        raise UnknownNameError(f"Experiment {setup.name} defines no network variant.")
    return dict(networks)


__all__ = ["Job", "prepare", "plain", "without_none"]
