"""The adapter interface: build a realized network, run it, hand back the output.

An adapter declares what it supports as data (:class:`Capabilities`) and
implements :meth:`Backend.run`. Validation against the capabilities, option
checking, realization and the result tables are the core's work, done once
for every backend in :func:`neurobridge.simulate`.
"""

from __future__ import annotations

import importlib.util
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import catalog
from .catalog import Interval
from .errors import InvalidValueError, unknown
from .lowering import LoweredNetwork, NativeSupport
from .model import Network
from .results import RunOutput

#: Every membrane × receptor pair, every source, synapse, stimulus and connector: what a backend
#: that supports everything declares (nothing is declared by default).
ALL_PAIRS = frozenset((m, r) for m in catalog.MEMBRANES for r in catalog.RECEPTORS)
ALL_SOURCES = frozenset(catalog.SOURCES)
ALL_SYNAPSES = frozenset(catalog.SYNAPSES)
ALL_STIMULI = frozenset(catalog.STIMULI)
ALL_CONNECTORS = frozenset(catalog.CONNECTORS)


@dataclass(frozen=True)
class Option:
    """A backend option (a keyword of ``simulate``, ``backend.options.<name>`` in the config).

    ``kind`` is ``int``, ``float``, ``bool``, ``str`` or ``dict``; ``allowed`` an interval (numbers)
    or the allowed strings; ``nullable`` lets the option be ``None``. For a ``dict``, ``keys`` maps
    each allowed key to its allowed string values.
    """

    default: Any
    kind: type
    doc: str = ""
    allowed: Interval | tuple[str, ...] | None = None
    nullable: bool = False
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def check(self, value: Any, where: str) -> Any:
        """``value`` when the option may take it; else an error naming ``where`` and what is allowed."""
        if value is None and self.nullable:
            return None
        if self.kind is dict:
            return self._check_mapping(value, where)
        if not _is_kind(value, self.kind):
            raise InvalidValueError(f"{where} must be {_KIND_NAMES[self.kind]}, got {value!r}.")
        if isinstance(self.allowed, Interval) and not (math.isfinite(value) and self.allowed.contains(value, value)):
            raise InvalidValueError(f"{where} must be {_KIND_NAMES[self.kind]} {self.allowed.describe()}, "
                                    f"got {value!r}.")
        if isinstance(self.allowed, tuple) and value not in self.allowed:
            raise InvalidValueError(f'{where}: "{value}" is not one of {", ".join(self.allowed)}.')
        return value

    def _check_mapping(self, value: Any, where: str) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise InvalidValueError(f"{where} must be a mapping, got {value!r}.")
        for key, item in value.items():
            if key not in self.keys:
                raise unknown("key", key, where, self.keys)
            if item not in self.keys[key]:
                raise InvalidValueError(f'{where}.{key}: "{item}" is not one of {", ".join(self.keys[key])}.')
        return dict(value)


_KIND_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string", dict: "a mapping"}


def _is_kind(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)


@dataclass(frozen=True)
class Capabilities:
    """What a backend can express; printed by ``neurobridge backends``. Nothing is declared by
    default: an adapter lists every pair, source, synapse, stimulus and connector it supports."""

    pairs: frozenset[tuple[str, str]] = frozenset()
    sources: frozenset[str] = frozenset()
    synapses: frozenset[str] = frozenset()
    stimuli: frozenset[str] = frozenset()
    connectors: frozenset[str] = frozenset()
    #: Backend options (keyword arguments of ``simulate``): the one place their defaults live.
    options: Mapping[str, Option] = field(default_factory=dict)
    #: Free-text notes on how the backend differs (scheduling offsets, integrators).
    notes: tuple[str, ...] = ()
    #: Bytes the backend needs per synapse while it builds, beyond the realized arrays (an estimate
    #: for the memory check before anything is allocated).
    bytes_per_synapse: float = 100.0
    #: Bytes per neuron beyond the realized parameters and state.
    bytes_per_neuron: float = 1000.0
    #: What it draws itself under ``native: true`` (nothing by default: every item runs realized).
    native: NativeSupport = NativeSupport()
    #: The most synapses of one model a thread holds (``None``: no limit); a ``threads`` option multiplies it.
    synapses_per_thread: int | None = None
    #: A source neuron's spikes of one step reach a plastic synapse one after the other, as NEST sends them
    #: (``False``: the core refuses a realized network that has them, before the simulator is touched).
    coincident_plastic_spikes: bool = True

    def defaults(self) -> dict[str, Any]:
        """Every option at its default."""
        return {name: option.default for name, option in self.options.items()}


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
    def unsupported_reason(cls, kind: str, item: Any) -> str | None:
        """Why ``item`` (of the capability ``kind``: ``"pairs"``, ...) is missing here when another
        machine could have it (a build tool not installed), or ``None``; validation's refusal says it."""
        return None

    @abstractmethod
    def run(self, lowered: LoweredNetwork, **options: Any) -> RunOutput:
        """Build ``lowered`` in the simulator, run it for its duration and read the records back.

        ``lowered`` states everything the run must do to agree with the reference (see
        :mod:`neurobridge.lowering`); ``options`` are checked and complete.
        """
