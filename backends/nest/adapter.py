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

from neurobridge import buildcache, catalog, progress
from neurobridge.backend import Backend, Capabilities, Option
from neurobridge.catalog import Interval
from neurobridge.errors import SimulationDivergedError
from neurobridge.lowering import LoweredNetwork
from neurobridge.model import Network
from neurobridge.results import RunOutput

from . import count_grid, nestml
from .recording import attach, read_spikes, read_states
from .translate import (
    MODEL_NAMES,
    MODELS,
    NATIVE_SUPPORT,
    build,
    check_network,
    grid_drives,
    install_models,
    spike_source_model,
)

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
            "grid_device": Option(True, bool, "a dense realized drive through one compiled count_grid_generator "
                                              "per pathway (False: a spike_generator per train; same spikes)"),
        },
        bytes_per_synapse=120.0, bytes_per_neuron=2000.0,
        # NEST 3's connection index: 2^27 - 2 connections per virtual process and synapse model (the full
        # microcircuit's 299 M static synapses stop a 2-thread build midway with a KernelException)
        synapses_per_thread=134_217_726,
        native=NATIVE_SUPPORT,
        notes=(
            "iaf_psc_*: exact integration, agrees with the reference to rounding.",
            "aeif_*: GSL RKF45 (gsl_error_tol 1e-6); izhikevich: forward Euler (consistent_integration).",
            "spike sources: one spike_generator or spike_train_injector per neuron; a Poisson drive with a "
            "spike in one step of twelve or more (every pathway static, one delay, each sender and target "
            "once) through one count_grid_generator "
            "per pathway, a device compiled against the wheel's headers once per machine (seconds), the "
            "same spikes; " + (count_grid.problem() or "compiler and headers present") + ".",
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
            drives, drive_meta = install_device(nest, lowered, bool(options.get("grid_device", True)))
            built = build(nest, lowered, drives)
            recorders = attach(nest, lowered, built)
            built_at = time.perf_counter()
            extra = simulate(nest, lowered)
            finished = time.perf_counter()
            spikes, states = read_spikes(recorders, lowered), read_states(recorders, lowered)
            read_back = time.perf_counter() - finished
        meta = {"threads": int(nest.local_num_threads), "nest_min_delay_ms": float(nest.min_delay),
                "nest_extra_simulated_ms": extra, "readback_seconds": read_back, **drive_meta}
        compile_seconds = float(drive_meta.get("compile_seconds", 0.0))
        return RunOutput(spikes, states, built_at - started - compile_seconds, finished - built_at, meta)


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


def install_device(nest: Any, lowered: LoweredNetwork, wanted: bool) -> tuple[frozenset[str], dict[str, Any]]:
    """The dense drives sent by ``count_grid_generator`` (the device loaded into the fresh kernel), and what
    the run's ``meta`` says of them: ``drive_nodes`` (``count_grid_generator``, else the generator per train),
    ``drive_fallback`` (why not the device) and ``compile_seconds`` (its build, when it happened now)."""
    drives = grid_drives(lowered)
    if not drives:
        return frozenset(), {}
    reason = count_grid.problem() if wanted else "grid_device: false"
    if reason is None:
        try:
            return frozenset(drives), {"drive_nodes": count_grid.MODEL, "compile_seconds": count_grid.install(nest)}
        except (buildcache.BuildError, nest.NESTErrors.KernelException) as error:  # built, yet NEST cannot load it
            reason = str(error).splitlines()[0]
    nodes = sorted({spike_source_model(lowered, name) for name in drives})
    return frozenset(), {"drive_nodes": ", ".join(nodes), "drive_fallback": reason}


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
