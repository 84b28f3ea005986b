"""The adapter interface: build a realized network, run it, hand back the output.

An adapter declares what it supports as data (:class:`Capabilities`) and
implements :meth:`Backend.run`. Validation against the capabilities, option
checking, realization and the result tables are the core's work, done once
for every backend in :func:`neurobridge.simulate`.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import catalog
from .model import Network
from .realize import RealizedNetwork
from .results import RunOutput

ALL_PAIRS = frozenset((m, r) for m in catalog.MEMBRANES for r in catalog.RECEPTORS)


@dataclass(frozen=True)
class Capabilities:
    """What a backend can express; printed by ``neurobridge backends``."""

    pairs: frozenset[tuple[str, str]] = ALL_PAIRS
    sources: frozenset[str] = frozenset(catalog.SOURCES)
    synapses: frozenset[str] = frozenset(catalog.SYNAPSES)
    stimuli: frozenset[str] = frozenset(catalog.STIMULI)
    connectors: frozenset[str] = frozenset(catalog.CONNECTORS)
    #: Backend options (keyword arguments of ``simulate``) and their defaults.
    options: Mapping[str, Any] = field(default_factory=dict)
    #: Free-text notes on how the backend differs (scheduling offsets, integrators).
    notes: tuple[str, ...] = ()


class Backend(ABC):
    """An adapter between the neutral description and one simulator."""

    name: ClassVar[str]
    #: The module whose presence makes the backend usable (``"nest"``, ``"brian2"``).
    requires: ClassVar[str | None] = None
    capabilities: ClassVar[Capabilities] = Capabilities()

    @classmethod
    def is_available(cls) -> bool:
        return cls.requires is None or importlib.util.find_spec(cls.requires) is not None

    @classmethod
    def simulator_version(cls) -> str:
        """The simulator's version string (imports the simulator)."""
        return "n/a"

    @classmethod
    def check(cls, network: Network) -> None:
        """Refuse, at validation, what the capability table cannot say (default: nothing to refuse).

        Raise an :class:`~neurobridge.errors.UnsupportedModelError` that names the field.
        """
        return None

    @classmethod
    def native_fallbacks(cls, network: Network) -> list[tuple[str, str]]:
        """``(field, message)`` for every ``native: true`` item this backend builds from the realized
        arrays instead of its simulator's own draws (default: none). Validation warns once per item."""
        return []

    @abstractmethod
    def run(self, realized: RealizedNetwork, **options: Any) -> RunOutput:
        """Build ``realized`` in the simulator, run it for its duration and read the records back."""
