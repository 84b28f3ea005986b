"""The NEST 3.10 backend: the realized network built in NEST, run, and read back on the reference grid.

NEST is imported lazily (inside methods), so the class and its capability
table load without NEST installed. Every run starts with
``nest.ResetKernel()``: the adapter owns NEST's global state, so two networks
run in one process give the same results as each run alone.
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from neurobridge import catalog, progress
from neurobridge.backend import Backend, Capabilities, Option
from neurobridge.catalog import Interval
from neurobridge.errors import SimulationDivergedError
from neurobridge.lowering import LoweredNetwork
from neurobridge.model import Network
from neurobridge.results import RunOutput

from . import nestml
from .recording import attach, read_spikes, read_states
from .translate import MODEL_NAMES, MODELS, NATIVE_SUPPORT, build, check_network, install_models

#: What building the NESTML pairs lacks here (found on PATH and in the include folders; nothing is built).
_NESTML_MISSING = nestml.toolchain_problem()


class NestBackend(Backend):
    """NEST 3.10 through PyNEST: the same realized network, NEST's own models and update order."""

    name = "nest"
    requires = "nest"
    capabilities = Capabilities(
        pairs=frozenset(MODEL_NAMES) | frozenset(() if _NESTML_MISSING else nestml.MODEL_NAMES),
        sources=frozenset(catalog.SOURCES),
        synapses=frozenset(catalog.SYNAPSES),
        stimuli=frozenset(catalog.STIMULI),
        connectors=frozenset(catalog.CONNECTORS),
        options={
            "threads": Option(1, int, "NEST's local_num_threads", Interval(1, 512)),
            "print_time": Option(False, bool, "NEST's own progress line"),
            "verbose": Option(False, bool, "NEST's messages (verbosity INFO) and PyNEST's banner"),
        },
        bytes_per_synapse=120.0, bytes_per_neuron=2000.0,
        # NEST 3's connection index: 2^27 - 2 connections per virtual process and synapse model (the full
        # microcircuit's 299 M static synapses stop a 2-thread build midway with a KernelException)
        synapses_per_thread=134_217_726,
        native=NATIVE_SUPPORT,
        notes=(
            "iaf_psc_*: exact integration, agrees with the reference to rounding.",
            "aeif_*: GSL RKF45 (gsl_error_tol 1e-6); izhikevich: forward Euler (consistent_integration).",
            "spike sources: one spike_train_injector per neuron (any synapse model, tsodyks_markram too).",
            "native: NEST's connection rules, poisson_generator (through parrots, one dt later), "
            "noise/dc/ac generators; statistical agreement only. What NEST cannot express (other "
            "rules or distributions, per-neuron generator parameters) runs on the realized arrays, "
            "with a NativeFallbackWarning naming the field.",
            "izhikevich × current_exp/current_alpha/conductance_exp/conductance_alpha: NESTML-generated "
            "(forward Euler, exact synapses), built on the first validation that needs them, then cached; "
            + (_NESTML_MISSING or "build tools present") + ".",
        ),
    )

    @classmethod
    def simulator_version(cls) -> str:
        return f"NEST {_import_nest(verbose=False).__version__}"

    @classmethod
    def check(cls, network: Network) -> None:
        check_network(network)

    @classmethod
    def unsupported_reason(cls, kind: str, item: Any) -> str | None:
        return nestml.unsupported_reason(item) if kind == "pairs" else None

    def run(self, lowered: LoweredNetwork, **options: Any) -> RunOutput:
        """Reset NEST, build ``lowered``, simulate its duration and read the records back.

        Parameters
        ----------
        lowered
            The network as every backend builds it (:mod:`neurobridge.lowering`).
        **options
            ``threads`` (NEST's ``local_num_threads``), ``print_time``, ``verbose``.
        """
        verbose = bool(options.get("verbose", False))
        nest = _import_nest(verbose)
        with _quiet(verbose):
            started = time.perf_counter()
            reset(nest, lowered, options)
            built = build(nest, lowered)
            recorders = attach(nest, lowered, built)
            built_at = time.perf_counter()
            extra = simulate(nest, lowered)
            finished = time.perf_counter()
            spikes, states = read_spikes(recorders, lowered), read_states(recorders, lowered)
            read_back = time.perf_counter() - finished
        meta = {"threads": int(nest.local_num_threads), "nest_min_delay_ms": float(nest.min_delay),
                "nest_extra_simulated_ms": extra, "readback_seconds": read_back}
        return RunOutput(spikes, states, built_at - started, finished - built_at, meta)


def reset(nest: Any, lowered: LoweredNetwork, options: dict[str, Any]) -> None:
    """A fresh kernel: resolution, threads, RNG seed (from the network's seed) and progress output."""
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.INFO if options.get("verbose") else nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({
        "resolution": lowered.dt,
        "local_num_threads": int(options.get("threads", 1)),
        "rng_seed": lowered.network.seed + 1,  # validation keeps seeds <= 2**32 - 2
        # NEST's own progress line: asked for, or a person watches the run (neurobridge.progress)
        "print_time": bool(options.get("print_time", False)) or progress.reporter() is not None,
    })
    install_models(nest, lowered.network)  # ResetKernel forgets installed modules


def simulate(nest: ModuleType, lowered: LoweredNetwork) -> float:
    """Simulate the duration plus one minimum delay, so the samples stamped ``duration`` are delivered.

    NEST hands a slice's multimeter samples over in the next slice; simulating
    past the end cannot change anything before it (every effect has a delay),
    and the readers drop what comes after. Returns the extra time (ms).
    """
    extra = float(nest.min_delay)
    try:
        nest.Simulate(lowered.duration + extra)
    except nest.NESTErrors.NumericalInstability as error:
        raise _instability(lowered, str(error)) from None
    return extra


def _instability(lowered: LoweredNetwork, message: str) -> SimulationDivergedError:
    """NEST's ``NumericalInstability`` (its aeif_* stability check) as the core's error."""
    model = next((m.name for m in MODELS.values() if m.name in message), "a model")
    names = [member for g in lowered.groups.values() if MODELS[(g.membrane, g.receptor)].name == model
             for member in g.members]
    where = f"populations.{names[0]}" if len(names) == 1 else "network"
    return SimulationDivergedError(
        f"{where}: the dynamics diverged on nest: NEST's {model} found a numerical instability (V_m < -1000 mV "
        f"or |w| > 1e6 pA). Smaller inputs, weights or dt keep the state finite.")


def _import_nest(verbose: bool) -> ModuleType:
    """Import PyNEST, without its banner unless ``verbose``."""
    if verbose:
        import nest
        return nest
    with _environment("PYNEST_QUIET", "1"):
        import nest
    return nest


@contextlib.contextmanager
def _environment(key: str, value: str) -> Iterator[None]:
    previous = os.environ.get(key)
    os.environ[key] = value
    try:
        yield
    finally:
        if previous is None:
            del os.environ[key]
        else:
            os.environ[key] = previous


@contextlib.contextmanager
def _quiet(verbose: bool) -> Iterator[None]:
    """Silence PyNEST's Python warnings unless ``verbose`` (its kernel messages follow ``verbosity``)."""
    with warnings.catch_warnings():
        if not verbose:
            warnings.filterwarnings("ignore", module=r"nest(\.|$)")
        yield
