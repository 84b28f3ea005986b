"""Experiments: what to run, what to measure and what to plot, one module per family.

The protocol
------------
An experiment is a config in ``conf/experiment/NAME.yaml`` (``# @package _global_``)
that picks a model, sets ``experiment.module`` (default: its own name) and may set
``experiment.params`` (free-form, read only by the module), ``experiment.plots``
and the comparison (``defaults: [override /compare: deterministic]``, tolerances under
``compare.metrics``). The module ``neurobridge.experiments.<module>`` (or any dotted
path) may define three functions; each one it leaves out falls back to
:mod:`neurobridge.experiments.base`:

``networks(setup) -> dict[str, Network]``
    The named network variants one job runs (regular and Poisson input, a pair of
    parameter values, ...). Default: one variant, the config's ``model``.
``measure(results, setup) -> dict[str, float]``
    Flat, JSON-ready numbers written to ``metrics.json``. Default: per variant and
    population, the mean rate (Hz) and the mean ISI CV.
``plot_<name>(results, setup) -> Figure``
    One figure per name in ``experiment.plots``, saved as ``<name>.png``; a name the
    module does not define is looked up in :mod:`neurobridge.experiments.plots`
    (``raster``, ``rate_histogram``, ``traces``, ``population_rate``).

``results`` maps variant names to :class:`neurobridge.Result`. No simulator code
lives here: a job runs every variant on the backend chosen in the config, and
the comparison across backends is :mod:`neurobridge.compare`'s job.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from neurobridge.errors import UnknownNameError, did_you_mean

from . import base, plots


@dataclass(frozen=True)
class Setup:
    """What an experiment's functions receive: its name, the base model and its own parameters.

    Attributes
    ----------
    name
        The experiment's name (``experiment.name``).
    model
        The config's network description (``model``) as plain data.
    params
        ``experiment.params`` as plain data.
    """

    name: str
    model: Mapping[str, Any]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    """An experiment module with the protocol's fallbacks filled in."""

    name: str
    module: ModuleType

    def function(self, name: str) -> Callable[..., Any]:
        """The module's function ``name``, else the one in :mod:`.base`."""
        return getattr(self.module, name, None) or getattr(base, name)

    def plot_function(self, name: str) -> Callable[..., Any]:
        """``plot_<name>`` from the module, else from :mod:`.plots`; unknown names are refused."""
        found = getattr(self.module, f"plot_{name}", None) or getattr(plots, f"plot_{name}", None)
        if found is None:
            known = sorted({n[5:] for n in (*dir(self.module), *dir(plots)) if n.startswith("plot_")})
            raise UnknownNameError(f'Unknown plot "{name}" in experiment.plots of {self.name}.'
                                   f"{did_you_mean(name, known)} Allowed: {', '.join(known)}.")
        return found


def load_experiment(module: str) -> Experiment:
    """Import ``neurobridge.experiments.<module>`` (or a dotted path with a dot in it)."""
    path = module if "." in module else f"{__name__}.{module}"
    try:
        return Experiment(module, importlib.import_module(path))
    except ModuleNotFoundError as error:
        if error.name != path:
            raise
        raise UnknownNameError(f'Unknown experiment module "{module}" (experiment.module): no module {path}.'
                               f"{did_you_mean(module, available_modules())}") from None


def available_modules() -> list[str]:
    """Experiment modules shipped in this package."""
    import pkgutil

    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in ("base", "plots"))


__all__ = ["Setup", "Experiment", "load_experiment", "available_modules"]
