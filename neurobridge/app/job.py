"""One job of the Hydra app, prepared from the composed config and checked before anything runs.

:func:`prepare` is the single place that turns a config into work: the
experiment module, its validated networks, the backend (installed, supporting
every network, options known) and the comparison settings. The CLI calls it
for every job of a sweep before Hydra creates a folder; the task calls it again
inside the job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from ..compare import CompareSettings
from ..errors import UnknownNameError
from ..experiments import Experiment, Setup, load_experiment
from ..manifests import CONTROL_KEYS
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
    #: The job's content key (:func:`job_key`): what its results depend on.
    key: str = ""


def plain(config: DictConfig) -> dict[str, Any]:
    """The config as plain data, ``hydra`` left out (not resolved), every other value resolved and present."""
    data = {}
    for key in config:
        if key == "hydra":
            continue
        value = config[key]
        if isinstance(value, (DictConfig, ListConfig)):
            value = OmegaConf.to_container(value, resolve=True, throw_on_missing=True)
        data[str(key)] = value
    return data


def job_key(data: Mapping[str, Any], networks: Mapping[str, Network]) -> str:
    """A job's content key: a hash of its plain config (run controls left out) and its networks' hashes.

    Two jobs with the same key compute the same results; a resumed sweep skips a job whose
    folder holds a complete result of its key.
    """
    content = {"config": {k: v for k, v in data.items() if k not in CONTROL_KEYS},
               "networks": {name: network.content_hash() for name, network in networks.items()}}
    text = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


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
               bool(data.get("progress", True)), memory_limit_gb, job_key(data, networks))


def _networks(experiment: Experiment, setup: Setup) -> dict[str, Network]:
    networks = experiment.function("networks")(setup)
    if not networks:
        raise UnknownNameError(f"Experiment {setup.name} defines no network variant.")
    return dict(networks)


__all__ = ["Job", "prepare", "plain", "without_none", "job_key"]
