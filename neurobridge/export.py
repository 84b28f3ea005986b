"""A :class:`~neurobridge.results.Result` as Neo objects, for Elephant and the rest of the Neo world.

``pip install 'neurobridge[neo]'`` (Neo and Elephant). :func:`to_neo` gives one
``neo.Block`` with one ``Segment``: a ``SpikeTrain`` per neuron of every population whose
spikes were recorded (silent neurons included, as empty trains), and an ``AnalogSignal`` per
population and recorded variable (one channel per recorded neuron, NEST's units: mV, pA, nS).

Time: a run covers ``(0, duration]`` and spikes are stamped at the end of their step, so a
spike may carry the stamp ``duration`` itself. Every train starts at 0 ms and stops at the first
float past ``duration`` (``numpy.nextafter``): the last stamp lies inside ``[t_start, t_stop)``,
Elephant's binning keeps it, and a rate ``n / (t_stop - t_start)`` equals neurobridge's
``n / duration`` to the last digit.

Normalisation: Elephant's ``van_rossum_distance`` is neurobridge's times √2 (Elephant takes
D² = (2/τ) ∫ (f - g)² dt, neurobridge (1/τ) ∫ (f - g)² dt, so one spike more reads 1 in
Elephant and 0.71 in neurobridge). Rates (Hz) and ISI CVs (population standard deviation over
mean, ``scipy.stats.variation``) are the same in both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import analysis, catalog
from .errors import UnsupportedModelError

if TYPE_CHECKING:
    import neo

    from .results import Result


def _modules() -> tuple[Any, Any]:
    try:
        import neo
        import quantities
    except ImportError:
        raise UnsupportedModelError("Result.to_neo needs Neo: pip install 'neurobridge[neo]'.") from None
    return neo, quantities


def t_stop_ms(result: Result) -> float:
    """The end of every train: the first float past the run's duration (the last stamp lies before it)."""
    return float(np.nextafter(float(result.meta["duration_ms"]), np.inf))


def to_neo(result: Result) -> neo.Block:
    """The result as a ``neo.Block`` of one ``Segment``: spike trains per neuron, signals per variable.

    Each ``SpikeTrain`` is annotated with its ``population``, ``neuron`` and ``backend``; each
    ``AnalogSignal`` (named ``<population>.<variable>``) has the neurons as ``array_annotations``.
    """
    neo, pq = _modules()
    meta = result.meta
    block = neo.Block(name=str(meta.get("name", "network")), backend=str(meta.get("backend")),
                      simulator_version=str(meta.get("simulator_version")), model_hash=str(meta.get("model_hash")))
    segment = neo.Segment(name=str(meta.get("variant", meta.get("name", "network"))))
    block.segments.append(segment)
    stop = t_stop_ms(result)
    recorded = meta.get("spike_populations")
    for population in analysis.neuron_populations(result):
        if recorded is not None and population not in recorded:
            continue
        for neuron, times in enumerate(analysis.spike_trains(result, population)):
            segment.spiketrains.append(neo.SpikeTrain(
                np.asarray(times, dtype=float), units="ms", t_start=0.0 * pq.ms, t_stop=stop * pq.ms,
                name=f"{population}[{neuron}]", population=population, neuron=neuron, backend=meta.get("backend")))
    for (population, variable), rows in result.states.groupby(["population", "variable"], sort=False):
        segment.analogsignals.append(_signal(neo, pq, str(population), str(variable), rows))
    return block


def _signal(neo: Any, pq: Any, population: str, variable: str, rows: Any) -> neo.AnalogSignal:
    table = rows.pivot(index="time_ms", columns="neuron", values="value").sort_index()
    times = table.index.to_numpy(dtype=float)
    period = float(np.median(np.diff(times))) if times.size > 1 else 1.0
    unit = catalog.UNITS.get(variable, "dimensionless") or "dimensionless"
    return neo.AnalogSignal(table.to_numpy(dtype=float), units=unit, t_start=times[0] * pq.ms,
                            sampling_period=period * pq.ms, name=f"{population}.{variable}",
                            population=population, variable=variable,
                            array_annotations={"neuron": table.columns.to_numpy(dtype=np.int64)})


__all__ = ["to_neo", "t_stop_ms"]
