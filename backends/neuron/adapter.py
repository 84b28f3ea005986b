"""The NEURON 9 backend: the realized network as neurobridge point processes, NEURON's fixed step.

NEURON is imported lazily (inside methods), so the class and its capability
table load without NEURON installed. The mechanisms (``mechanisms/*.mod``)
are compiled by ``nrnivmodl`` once into the build cache, keyed by their
content, NEURON's version and the machine, and loaded once per process.

Every run creates its own NEURON objects (one host section, one point
process per neuron, one spike source per realized source neuron, NetCons,
played and recorded Vectors), sets the globals it needs (``dt``, fixed step,
first order), and restores the globals and drops every object afterwards:
two runs in one process give the results of each run alone.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurobridge import buildcache, progress
from neurobridge.backend import (
    ALL_CONNECTORS,
    ALL_PAIRS,
    ALL_SOURCES,
    ALL_STIMULI,
    ALL_SYNAPSES,
    Backend,
    Capabilities,
    Option,
)
from neurobridge.catalog import Interval, state_variables
from neurobridge.errors import diverged
from neurobridge.lowering import LoweredNetwork
from neurobridge.results import RunOutput

from . import translate
from .recording import attach, read_spikes, read_states
from .translate import Plan

MECHANISM_FOLDER = Path(__file__).resolve().parent / "mechanisms"


class NeuronBackend(Backend):
    """NEURON 9 through its Python interface; the reference's update in NMODL, NEURON's events."""

    name = "neuron"
    requires = "neuron"
    capabilities = Capabilities(
        pairs=ALL_PAIRS, sources=ALL_SOURCES, synapses=ALL_SYNAPSES, stimuli=ALL_STIMULI,
        connectors=ALL_CONNECTORS,
        options={
            "substeps": Option(1, int, "RK4 substeps per dt for AdEx and conductance LIF (the reference's)",
                               Interval(1, 1000)),
            "spike_substeps": Option(64, int, "the most substeps an AdEx neuron takes in a spike's upswing "
                                     "(the reference's)", Interval(1, 4096)),
        },
        # Measured (RSS around 300k NetCons and 20k NbLif, NEURON 9.0.2): 537 bytes per NetCon (the C++
        # object, its weight vector of 11, the Python wrapper, its list entry), 920 per point process
        # (plus its spike-recording NetCon).
        bytes_per_synapse=550.0, bytes_per_neuron=1500.0,
        native=translate.NATIVE_SUPPORT,
        notes=(
            "Every pair is a neurobridge NMODL point process that applies the reference's update once "
            "per fixed step (BREAKPOINT SOLVE): exact propagators for lif × current receptors, the "
            "reference's RK4 (substeps, AdEx's refined spike steps) for conductance LIF and AdEx, "
            "NEST's forward Euler for Izhikevich. Same spikes as the reference; states to rounding.",
            "Spikes travel as NEURON events (net_event → NetCon → NET_RECEIVE) with NetCon delay "
            "(D - 1) dt for a delay of D steps: the event is buffered until the update of the step "
            "in which the reference adds it. tsodyks_markram: NEST's tsodyks2, state per NetCon, spikes of one "
            "step one after the other.",
            "Currents: the realized traces, summed per neuron, Vector.play into I_stim one dt after "
            "each change. NEURON's units (µF/cm², nA, µS, area) never appear: the point processes "
            "take NEST's.",
            "native: true Poisson sources are NetStims (noise 1, Random123 streams from the seed); "
            "NEURON has no connection rules and no generators for these point processes: other "
            "native items run on the realized arrays, with a NativeFallbackWarning naming each.",
        ),
    )
    #: The compiled mechanism library this process loaded (NEURON cannot unload one).
    loaded: ClassVar[dict[str, Path]] = {}

    @classmethod
    def simulator_version(cls) -> str:
        import neuron

        return f"NEURON {neuron.__version__}"

    def run(self, lowered: LoweredNetwork, **options: Any) -> RunOutput:
        """Build ``lowered`` in NEURON, run its duration on the fixed step, read the records back.

        Parameters
        ----------
        lowered
            The network as every backend builds it (:mod:`neurobridge.lowering`).
        **options
            ``substeps`` and ``spike_substeps``: the reference's integration options (conductance
            LIF and AdEx), so that a run matches a reference run with the same options.
        """
        h = _neuron()
        library = load_mechanisms(h)
        started, started_cpu = time.perf_counter(), time.process_time()
        plan = translate.plan(lowered, options)
        with session(h, lowered.dt) as objects:
            built = build(h, plan, lowered.dt, objects)
            recorders = attach(h, plan, built.recordable, lowered.dt)
            objects.append(recorders)
            built_at, built_cpu = time.perf_counter(), time.process_time()
            simulate(h, built, lowered.duration)
            finished, finished_cpu = time.perf_counter(), time.process_time()
            check_state(lowered, built)
            spikes, states = read_spikes(recorders, lowered), read_states(recorders, lowered.dt)
            read_back = time.perf_counter() - finished
            n_netcons = built.n_netcons
            del built, recorders  # the session drops the last references, then clears the event queue
        meta = {"neuron_mechanisms": str(library), "neuron_netcons": n_netcons, "readback_seconds": read_back,
                "build_cpu_seconds": built_cpu - started_cpu, "run_cpu_seconds": finished_cpu - built_cpu}
        return RunOutput(spikes, states, built_at - started, finished - built_at, meta)


def check_state(lowered: LoweredNetwork, built: Built) -> None:
    """NEST's AdEx stability check, as the reference applies it, and a finite state at the end.

    NbAdex notes the first step at which V_m < -1000 mV or |w| > 1e6 pA; the reference stops at the
    first such step of a pair's group (its populations in order), naming the first neuron with a bad
    V_m, else the first with a bad w: the same error, word for word.
    """
    for group in lowered.groups.values():
        if group.membrane != "adex":
            continue
        cells = [(name, index, cell) for name in group.members for index, cell in enumerate(built.cells[name])]
        steps = np.array([cell.unstable_step for _, _, cell in cells])
        if np.any(steps >= 0):
            first = steps[steps >= 0].min()
            at = [item for item, step in zip(cells, steps) if step == first]
            bad_v = [item for item in at if item[2].unstable_v < -1e3]
            name, index, cell = (bad_v or at)[0]
            variable, value = ("V_m", cell.unstable_v) if bad_v else ("w", cell.unstable_w)
            raise diverged(name, variable, index, float(value), f"at {(first + 1) * lowered.dt:g} ms", "neuron",
                           "NEST's aeif stability check: V_m < -1000 mV or |w| > 1e6 pA")
    for name, cells in built.cells.items():
        group, _ = lowered.locate(name)
        mechanism = translate.mechanism_for(group.membrane, group.receptor)
        for variable in state_variables(group.membrane, group.receptor):
            attribute = mechanism.states[variable][0]
            values = np.array([getattr(cell, attribute) for cell in cells])
            bad = ~np.isfinite(values)
            if bad.any():
                index = int(np.flatnonzero(bad)[0])
                raise diverged(name, variable, index, float(values[index]), "at the end of the run", "neuron")


# -- mechanisms --------------------------------------------------------------------------------------

def mechanism_files() -> list[Path]:
    """The NMODL sources (``.mod``) and the files they include (``.inc``), sorted."""
    return sorted(p for p in MECHANISM_FOLDER.iterdir() if p.suffix in (".mod", ".inc"))


def mechanism_key(version: str) -> str:
    """The cache key: every source's name and content, NEURON's version, the machine."""
    parts: list[str | bytes] = [version, platform.machine(), sys.platform]
    for path in mechanism_files():
        parts += [path.name, path.read_bytes()]
    return buildcache.content_key(*parts)


def _nrnivmodl(folder: Path) -> None:
    """Compile the mechanisms in ``folder`` (the venv's ``bin`` first on PATH: nrnivmodl needs it)."""
    for path in mechanism_files():
        shutil.copy2(path, folder / path.name)
    bin_folder = str(Path(sys.executable).parent)
    executable = shutil.which("nrnivmodl", path=bin_folder) or shutil.which("nrnivmodl")
    if executable is None:
        raise buildcache.BuildStageError("nrnivmodl", f"nrnivmodl is neither in {bin_folder} nor on PATH")
    environment = {**os.environ, "PATH": bin_folder + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([executable, *[p.name for p in folder.glob("*.mod")]], cwd=folder,
                          env=environment, capture_output=True, text=True)
    if done.returncode != 0 or not list(folder.glob("*/libnrnmech.so")):
        raise buildcache.BuildStageError("nrnivmodl", done.stdout + done.stderr)


def load_mechanisms(h: Any) -> Path:
    """The compiled library of the mechanisms (built into the cache once), loaded into NEURON once."""
    import neuron

    key = mechanism_key(neuron.__version__)
    if key in NeuronBackend.loaded:
        return NeuronBackend.loaded[key]
    if NeuronBackend.loaded or hasattr(h, "NbLif"):
        raise buildcache.BuildError(
            "NEURON mechanisms: another build of the neurobridge mechanisms is already loaded in this "
            "process, and NEURON cannot unload one; start a new Python process.")
    built = buildcache.build("nmodl", key, _nrnivmodl, "NEURON mechanisms of neurobridge")
    library = next(built.path.glob("*/libnrnmech.so"))
    h.nrn_load_dll(str(library))
    NeuronBackend.loaded[key] = library
    return library


# -- NEURON's globals --------------------------------------------------------------------------------

def _neuron() -> Any:
    from neuron import h

    return h


@contextlib.contextmanager
def session(h: Any, dt: float) -> Iterator[list[Any]]:
    """NEURON's globals set for one run (fixed step ``dt``, first order) and restored after it.

    Yields the list that holds every object of the run. At the end the list is emptied, so NEURON
    frees the objects, and then the event queue is cleared (``finitialize`` with none of them left):
    spikes still on their way past the end must not outlive their NetCons.
    """
    cvode = h.CVode()
    saved = {"dt": h.dt, "secondorder": h.secondorder, "t": h.t}
    active = cvode.active()
    objects: list[Any] = []
    try:
        cvode.active(0)
        h.secondorder = 0
        h.dt = dt
        yield objects
    finally:
        objects.clear()
        h.finitialize()  # clears the events still queued for the objects just dropped
        cvode.active(active)
        for name, value in saved.items():
            setattr(h, name, value)


# -- building ------------------------------------------------------------------------------------

@dataclass
class Built:
    """The objects of one run: cells by population, what plays into them, what starts natives."""

    host: Any
    cells: dict[str, list[Any]] = field(default_factory=dict)
    senders: dict[str, list[Any]] = field(default_factory=dict)
    netcons: list[Any] = field(default_factory=list)
    plays: list[Any] = field(default_factory=list)
    stops: list[tuple[Any, float]] = field(default_factory=list)  # (NetCon into a NetStim, stop time)
    trains: set[str] = field(default_factory=set)  # sources replaying realized trains
    n_netcons: int = 0

    @property
    def recordable(self) -> dict[str, list[Any]]:
        """Neurons and native sources (realized sources report their realized trains)."""
        return {**self.cells, **{k: v for k, v in self.senders.items() if k not in self.trains}}


def build(h: Any, plan: Plan, dt: float, objects: list[Any]) -> Built:
    """Create every point process, source, NetCon and played current of ``plan``."""
    host = h.Section(name="neurobridge_host")
    built = Built(host)
    objects.append(built)
    for name, parameters in plan.populations.items():
        built.cells[name] = _cells(h, host, plan.mechanisms[name], parameters)
    for name, trains in plan.trains.items():
        built.senders[name] = _sources(h, trains, built.plays)
        built.trains.add(name)
    for native in plan.natives:
        built.senders[native.name] = _native_poisson(h, native, built)
    for connections in plan.connections:
        _connect(h, connections, built)
    for stimulus in plan.stimuli:
        _play(h, stimulus, built.cells[stimulus.population], dt, built.plays)
    built.n_netcons = sum(c.sources.size for c in plan.connections)
    return built


def _cells(h: Any, host: Any, mechanism: str, parameters: dict[str, np.ndarray]) -> list[Any]:
    """One point process per neuron on the host section, every parameter set.

    A parameter the same for every neuron and equal to the mechanism's default (read from the first
    instance) is left alone, as a hand-written script would.
    """
    make = getattr(h, mechanism)
    location = host(0.5)
    n = next(iter(parameters.values())).size
    cells = [make(location) for _ in range(n)]
    for name, values in parameters.items():
        if np.all(values == values[0]):
            value = float(values[0])
            if getattr(cells[0], name) == value:
                continue
            for cell in cells:
                setattr(cell, name, value)
        else:
            for cell, value in zip(cells, values.tolist()):
                setattr(cell, name, value)
    return cells


def _sources(h: Any, trains: list[np.ndarray], plays: list[Any]) -> list[Any]:
    """One NbSpikeSource per realized source neuron, replaying its stamps."""
    sources = []
    for train in trains:
        source = h.NbSpikeSource()
        times = h.Vector(train)
        source.play(times)
        plays.append(times)
        sources.append(source)
    return sources


def _native_poisson(h: Any, native: translate.NativePoisson, built: Built) -> list[Any]:
    """NetStims with Poisson intervals, each its own Random123 stream; switched off at ``stop``."""
    stims = []
    for index, rate in enumerate(native.rate.tolist()):
        stim = h.NetStim()
        stim.interval = 1000.0 / rate if rate > 0 else 1e12
        stim.number = 1e12 if rate > 0 else 0
        stim.start = native.start
        stim.noise = 1
        stim.noiseFromRandom123(native.seed, index, 0)
        stims.append(stim)
        if np.isfinite(native.stop):
            stop = h.NetCon(None, stim)
            stop.weight[0] = -1.0
            built.stops.append((stop, native.stop))
    return stims


def _connect(h: Any, connections: translate.Connections, built: Built) -> None:
    """One NetCon per synapse, weight and delay in its constructor; a tsodyks2 synapse's entries after.

    A weight or delay shared by the whole projection is passed as one float (no list of them).
    """
    senders = built.cells.get(connections.source) or built.senders[connections.source]
    targets = built.cells[connections.target]
    pairs = zip(connections.sources.tolist(), connections.targets.tolist())
    netcon = h.NetCon
    weight, delay = _uniform(connections.weights), connections.uniform_delay
    if weight is not None and delay is not None:
        made = [netcon(senders[i], targets[j], 0.0, delay, weight) for i, j in pairs]
    elif delay is not None:
        made = [netcon(senders[i], targets[j], 0.0, delay, w)
                for (i, j), w in zip(pairs, connections.weights.tolist())]
    else:
        made = [netcon(senders[i], targets[j], 0.0, d, w) for (i, j), w, d in
                zip(pairs, connections.weights.tolist(), connections.netcon_delays.tolist())]
    if connections.synapse is not None:
        for nc, row in zip(made, connections.synapse.tolist()):
            vector = nc.weight
            for k, value in enumerate(row, start=1):
                vector[k] = value
    built.netcons.extend(made)


def _uniform(values: np.ndarray) -> float | None:
    return float(values[0]) if values.size and np.all(values == values[0]) else None


def _play(h: Any, stimulus: translate.StimulusPlan, cells: list[Any], dt: float, plays: list[Any]) -> None:
    """Each neuron's summed current into its ``I_stim``, one value per change, at ``(c + 1) dt``."""
    times = h.Vector(stimulus.play_times(dt))
    plays.append(times)
    for column, neuron in enumerate(stimulus.neurons.tolist()):
        values = h.Vector(np.ascontiguousarray(stimulus.values[:, column]))
        values.play(cells[neuron]._ref_I_stim, times)
        plays.append(values)


def simulate(h: Any, built: Built, duration: float) -> None:
    """Initialize (the mechanisms' INITIAL blocks) and advance ``duration / dt`` fixed steps.

    ``ParallelContext.psolve`` steps in C (a Python loop of ``fadvance`` costs ~15 % more on CUBA);
    with one process and no gids it is NEURON's plain fixed step.
    """
    h.finitialize()
    for netcon, stop in built.stops:
        netcon.event(stop)
    context = h.ParallelContext()
    context.set_maxstep(10)
    report = progress.reporter()
    if report is None:
        context.psolve(duration)
        return
    # watched (neurobridge.progress): the same steps, in pieces of a whole number of steps
    steps, done = int(round(duration / h.dt)), 0
    piece = max(1, steps // 20)
    while done < steps:
        done = min(steps, done + piece)
        context.psolve(duration if done == steps else done * h.dt)
        report.at(done * h.dt)
