"""Backends found through the entry-point group ``neurobridge.backends``, and ``simulate``."""

from __future__ import annotations

import time
import warnings
from functools import cache
from importlib.metadata import entry_points
from typing import Any

import numpy as np

from . import progress
from .backend import Backend, Capabilities
from .errors import (
    BackendNotFoundError,
    NativeFallbackWarning,
    UnknownNameError,
    UnsupportedModelError,
    did_you_mean,
    diverged,
    unknown,
)
from .lowering import LoweredNetwork, coincident_plastic_spike, lower, native_decisions
from .model import Network
from .realize import RealizedNetwork, realize
from .resources import check_memory, check_synapses_per_thread
from .results import Result, RunOutput, spikes_frame, states_frame

GROUP = "neurobridge.backends"
REFERENCE = "numpy"


@cache
def _registered() -> dict[str, type[Backend]]:
    """Adapter classes by name. Loading one never imports its simulator (adapters import it lazily)."""
    return {ep.name: ep.load() for ep in entry_points(group=GROUP)}


def backend_names() -> list[str]:
    """Every registered backend, installed simulator or not, reference first."""
    return sorted(_registered(), key=lambda name: (name != REFERENCE, name))


def available_backends() -> list[str]:
    """Backends whose simulator can be imported here."""
    return [name for name in backend_names() if _registered()[name].is_available()]


def get_backend(name: str) -> type[Backend]:
    registered = _registered()
    if name not in registered:
        raise unknown("backend", name, "backend", registered, BackendNotFoundError)
    backend = registered[name]
    if not backend.is_available():
        raise BackendNotFoundError(
            f'Backend "{name}" needs the Python module "{backend.requires}", which is not installed: '
            f"pip install 'neurobridge[{name}]'.")
    return backend


def capabilities() -> dict[str, Capabilities]:
    """The support table of every registered backend, as data."""
    return {name: _registered()[name].capabilities for name in backend_names()}


def supporting(kind: str, item: Any) -> list[str]:
    """Registered backends that support ``item`` (a pair, a synapse, a stimulus kind, ...)."""
    return [name for name, caps in capabilities().items() if item in getattr(caps, kind)]


def check_supported(network: Network, name: str) -> None:
    """Refuse, at validation, a network the backend cannot express, naming backends that can."""
    caps = capabilities()[name]

    def refuse(what: str, kind: str, item: Any, where: str) -> None:
        others = [b for b in supporting(kind, item) if b != name]
        elsewhere = f"supported by: {', '.join(others)}" if others else "no installed backend supports it"
        reason = _registered()[name].unsupported_reason(kind, item)
        if reason:
            raise UnsupportedModelError(f"{where}: {reason} {elsewhere[0].upper()}{elsewhere[1:]}.")
        raise UnsupportedModelError(f"{where}: backend {name} does not support {what} ({elsewhere}).")

    for pop in network.populations.values():
        where = f"populations.{pop.name}"
        if pop.is_source:
            if pop.model not in caps.sources:
                refuse(f"the {pop.model} source", "sources", pop.model, where)
        elif pop.pair not in caps.pairs:
            refuse(f"the model {pop.model}×{pop.receptor}", "pairs", pop.pair, where)
    for i, projection in enumerate(network.projections):
        if projection.synapse.model not in caps.synapses:
            refuse(f"the synapse {projection.synapse.model}", "synapses", projection.synapse.model,
                   f"projections[{i}].synapse")
        if projection.connector.rule not in caps.connectors:
            refuse(f"the connector {projection.connector.rule}", "connectors", projection.connector.rule,
                   f"projections[{i}].connector")
    for i, stimulus in enumerate(network.stimuli):
        if stimulus.kind not in caps.stimuli:
            refuse(f"the stimulus {stimulus.kind}", "stimuli", stimulus.kind, f"stimuli[{i}].kind")
    backend = _registered()[name]
    backend.check(network)
    for decision in native_decisions(network, caps.native, name).values():
        if not decision.native:
            warnings.warn(f"{decision.where}.native: {decision.reason}.", NativeFallbackWarning, stacklevel=3)


def check_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Backend options with defaults filled in, each typed and range-checked (``Capabilities.options``);
    an unknown option names the allowed ones."""
    allowed = capabilities()[name].options
    for key in options:
        if key not in allowed:
            raise unknown(f"option of backend {name}", key, "backend.options", allowed, UnknownNameError)
    return {key: option.check(options[key], f"backend.options.{key}") if key in options else option.default
            for key, option in allowed.items()}


def check_run(network: Network, backend: str, options: dict[str, Any],
              memory_limit_gb: float | None = None) -> dict[str, Any]:
    """Everything checked before a run, for every backend alike: support, options, memory.

    Returns the options with their defaults filled in.
    """
    get_backend(backend)
    check_supported(network, backend)
    options = check_options(backend, options)
    caps = capabilities()[backend]
    check_synapses_per_thread(network, caps.synapses_per_thread, int(options.get("threads", 1)), backend)
    check_memory(network, caps.bytes_per_synapse, caps.bytes_per_neuron, memory_limit_gb, backend, caps.native)
    return options


def check_lowered(lowered: LoweredNetwork, backend: str) -> None:
    """What only the realized network shows, refused before the simulator is touched, for every backend alike
    from its declared capabilities: a source neuron's coincident spikes into a plastic synapse."""
    if capabilities()[backend].coincident_plastic_spikes:
        return
    found = coincident_plastic_spike(lowered)
    if found is None:
        return
    pathway, neuron, count, step = found
    able = [name for name, caps in capabilities().items() if caps.coincident_plastic_spikes]
    use = ", ".join(able[:-1]) + f" or {able[-1]}" if len(able) > 1 else "".join(able)
    raise UnsupportedModelError(
        f"projections[{pathway.projection}]: {pathway.source} neuron {neuron} spikes {count} times in the step "
        f"stamped {step * lowered.dt:g} ms into a {pathway.synapse.model} synapse, which backend {backend} cannot "
        f"take one after the other as NEST does; use {use}, or a rate with at most one spike per step.")


def simulate(network: Network | dict, backend: str = REFERENCE, *, memory_limit_gb: float | None = None,
             report_progress: bool = False, **options: Any) -> Result:
    """Realize ``network`` and run it on ``backend``.

    Parameters
    ----------
    network
        A :class:`Network` or the plain data of one.
    backend
        A registered backend name (``numpy``, ``nest``, ``brian2``).
    memory_limit_gb
        Refuse the run when its memory estimate exceeds this (default: the memory available now).
    report_progress
        Print the simulated time over the total to standard error while a run longer than a few seconds
        goes on, from the backend's own loop (NEST's ``print_time`` and Brian2's run reports where they
        have one; see :mod:`neurobridge.progress`).
    **options
        Backend options (``threads=2`` for NEST, ``target="cython"`` for Brian2).
    """
    if not isinstance(network, Network):
        network = Network.from_dict(network)
    adapter_class = get_backend(backend)
    options = check_run(network, backend, options, memory_limit_gb)
    started = time.perf_counter()
    realized = realize(network)
    realized_at = time.perf_counter()
    lowered = lower(realized, adapter_class.capabilities.native, backend)
    check_lowered(lowered, backend)
    lowered_at = time.perf_counter()
    with progress.reporting(network.duration, report_progress):
        output = adapter_class().run(lowered, **options)
    ran_at = time.perf_counter()
    result = _result(realized, backend, adapter_class, output, lowered_at - started, options)
    result.meta["seconds"] = seconds_accounted(output, realized_at - started, lowered_at - realized_at,
                                               ran_at - lowered_at, time.perf_counter() - ran_at)
    return result


#: The stages of a run in ``meta["seconds"]``, in order; they add up to ``total``.
STAGES = ("realize", "lower", "plan", "build", "compile", "run", "read_back", "other", "tables")


def seconds_accounted(output: RunOutput, realize: float, lower: float, adapter: float,
                      tables: float) -> dict[str, float]:
    """Every second of a run by stage (:data:`STAGES`, then ``total``).

    The core times ``realize``, ``lower`` and ``tables`` (the result's frames and metadata); the adapter
    reports ``build`` and ``run`` and, in its ``meta``, ``plan_seconds``, ``compile_seconds`` and
    ``readback_seconds``; ``other`` is what the adapter's call took beyond those (nothing it spends
    goes unreported).
    """
    meta = output.meta
    parts = {"realize": realize, "lower": lower, "plan": float(meta.get("plan_seconds", 0.0)),
             "build": output.build_seconds, "compile": float(meta.get("compile_seconds", 0.0)),
             "run": output.run_seconds, "read_back": float(meta.get("readback_seconds", 0.0))}
    reported = sum(parts[k] for k in ("plan", "build", "compile", "run", "read_back"))
    parts["other"] = adapter - reported
    parts["tables"] = tables
    parts["total"] = realize + lower + adapter + tables
    return parts


def check_finite(output: RunOutput, backend: str) -> None:
    """Refuse recorded states that are not finite: never a silent NaN in a result."""
    for trace in output.states:
        bad = ~np.isfinite(trace.values)
        if bad.any():
            row, column = (int(i[0]) for i in np.nonzero(bad))
            raise diverged(trace.population, trace.variable, int(trace.neurons[column]),
                           float(trace.values[row, column]), f"at {trace.times[row]:g} ms", backend)


def _result(realized: RealizedNetwork, backend: str, adapter_class: type[Backend], output: RunOutput,
            realize_seconds: float, options: dict[str, Any]) -> Result:
    check_finite(output, backend)
    network = realized.network
    meta = {
        "backend": backend,
        "simulator_version": adapter_class.simulator_version(),
        "dt_ms": network.dt,
        "duration_ms": network.duration,
        "seed": network.seed,
        "model_hash": network.content_hash(),
        "name": network.name,
        "n_neurons": realized.n_neurons,
        "n_synapses": realized.n_synapses,
        "population_sizes": {name: p.size for name, p in realized.populations.items()},
        "spike_populations": network.spike_populations(),
        "realize_seconds": realize_seconds,
        "build_seconds": output.build_seconds,
        "run_seconds": output.run_seconds,
        "options": options,
        "network": network.to_dict(),
        **output.meta,
    }
    return Result(spikes_frame(output.spikes), states_frame(output.states), meta)


__all__ = ["simulate", "seconds_accounted", "STAGES",
           "check_run", "get_backend", "available_backends", "backend_names", "capabilities",
           "check_supported", "did_you_mean"]
