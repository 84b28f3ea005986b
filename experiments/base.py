"""The protocol's defaults: one network from the config, rates and ISI CVs as metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from neurobridge import Network, Result, analysis

if TYPE_CHECKING:
    from . import Setup


def networks(setup: Setup) -> dict[str, Network]:
    """One variant: the config's ``model``, named after it."""
    network = Network.from_dict(setup.model)
    return {network.name: network}


def measure(results: Mapping[str, Result], setup: Setup) -> dict[str, float]:
    """Per variant and neuron population: mean rate (Hz) and mean ISI CV.

    Keys read ``<variant>.<population>.rate_hz`` (the variant is left out when there is only one).
    """
    metrics: dict[str, float] = {}
    for variant, result in results.items():
        prefix = "" if len(results) == 1 else f"{variant}."
        for population in analysis.neuron_populations(result):
            rates = analysis.firing_rates(result, population)
            cvs = analysis.isi_cvs(analysis.spike_trains(result, population))
            metrics[f"{prefix}{population}.rate_hz"] = float(rates.mean())
            metrics[f"{prefix}{population}.cv_isi"] = float(np.mean(cvs)) if cvs.size else float("nan")
    return metrics


def prediction(setup: Setup) -> dict[str, dict[str, dict[str, float]]]:
    """What theory predicts, per variant and population: ``{variant: {population: {"rate_hz": ...}}}``.

    The summary's ``theory_<metric>`` columns, drawn as the theory line of the cross-sweep figures. The
    protocol's default predicts nothing.
    """
    return {}
