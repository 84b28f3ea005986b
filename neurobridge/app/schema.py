"""Structured-config schemas: a misspelled key fails with Hydra's own message.

The schemas live in Hydra's ConfigStore apart from the selectable options:
``neurobridge_schema`` types the whole config (``model``, ``experiment``,
``compare``), and ``schema/backend/<name>`` types one backend's ``options``, built
from the adapter's ``Capabilities.options`` so a new option or a third-party
adapter needs no change here. ``conf/backend/<name>.yaml`` extends its schema
with ``defaults: [/schema/backend/<name>@_here_, _self_]``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from ..backend import Option
from ..compare import CompareSettings
from ..registry import capabilities


@dataclass
class PopulationSchema:
    """``model.populations.<name>``: see :class:`neurobridge.model.Population`."""

    size: Any = MISSING  # an integer, or an expression over model.parameters
    model: str = "lif"
    receptor: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    initial: dict[str, Any] = field(default_factory=dict)
    native: bool = False


@dataclass
class ProjectionSchema:
    """``model.projections[i]``: see :class:`neurobridge.model.Projection`."""

    source: str = MISSING
    target: str = MISSING
    connector: Any = MISSING
    weight: Any = 1.0
    delay: Any = 1.0
    synapse: Any = "static"
    native: bool = False


@dataclass
class RecordingSchema:
    """``model.recordings[i]``: see :class:`neurobridge.model.Recording`."""

    population: str = MISSING
    variables: list[str] = field(default_factory=lambda: ["spikes"])
    neurons: list[int] | None = None
    interval: float | None = None


@dataclass
class ModelSchema:
    """``model``: the network description (:class:`neurobridge.Network`), NEST's units."""

    name: str = "network"
    #: Named numbers the values may use in expressions (``weight: -g * J``); swept as ``parameters.g=4,5``.
    parameters: dict[str, Any] = field(default_factory=dict)
    dt: float = 0.1
    duration: Any = 1000.0  # ms, or an expression over parameters
    seed: int = 0
    populations: dict[str, PopulationSchema] = field(default_factory=dict)
    projections: list[ProjectionSchema] = field(default_factory=list)
    stimuli: list[dict[str, Any]] = field(default_factory=list)  # keys depend on the kind
    recordings: list[RecordingSchema] = field(default_factory=list)


@dataclass
class ExperimentSchema:
    """``experiment``: which module builds, measures and plots (see :mod:`neurobridge.experiments`)."""

    name: str = MISSING
    module: str | None = None  # default: the name
    description: str = ""
    plots: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class BackendSchema:
    """``backend``: the backend's name, native mode and its options (typed per backend)."""

    name: str = MISSING
    native: bool = False  # every population, projection and stimulus uses the simulator's own generators
    options: Any = field(default_factory=dict)


@dataclass
class NeurobridgeConfig:
    """The whole config; ``hydra`` is Hydra's."""

    model: ModelSchema = MISSING
    backend: Any = MISSING
    experiment: ExperimentSchema = MISSING
    compare: CompareSettings = field(default_factory=CompareSettings)
    progress: bool = True
    #: Refuse a job whose memory estimate exceeds this (null: the memory available on the machine).
    memory_limit_gb: Optional[float] = None  # noqa: UP045 (OmegaConf reads Optional)
    #: Replace what the output folder holds (a run never writes into a non-empty folder otherwise).
    overwrite: bool = False
    #: A multirun into the folder of an interrupted sweep runs only the jobs without a complete result.
    resume: bool = False


def options_schema(backend: str, options: Mapping[str, Option]) -> type:
    """A dataclass whose fields are the backend's options, typed as the adapter declares them
    (ranges and choices are checked by :func:`~neurobridge.registry.check_options`)."""
    fields = [(key, _annotation(option), field(default=option.default)) for key, option in options.items()]
    return dataclasses.make_dataclass(f"{backend.capitalize()}Options", fields)


def _annotation(option: Option) -> Any:
    if option.kind is dict:
        return Any
    return Optional[option.kind] if option.nullable else option.kind  # noqa: UP045 (OmegaConf reads Optional)


def backend_schema(backend: str, options: Mapping[str, Option]) -> type:
    """``BackendSchema`` with ``name`` fixed to ``backend`` and typed ``options``."""
    options_type = options_schema(backend, options)
    return dataclasses.make_dataclass(
        f"{backend.capitalize()}BackendSchema",
        [("name", str, field(default=backend)), ("options", options_type, field(default_factory=options_type))],
        bases=(BackendSchema,))


def register_configs() -> None:
    """Store the schemas in Hydra's ConfigStore (idempotent)."""
    store = ConfigStore.instance()
    store.store(name="neurobridge_schema", node=NeurobridgeConfig)
    for name, caps in capabilities().items():
        store.store(group="schema/backend", name=name, node=backend_schema(name, caps.options))


__all__ = ["NeurobridgeConfig", "ModelSchema", "PopulationSchema", "ProjectionSchema", "RecordingSchema",
           "ExperimentSchema", "BackendSchema", "register_configs"]
