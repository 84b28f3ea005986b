"""The Brian2 backend: generated equations, three code-generation targets, NEST's time stamps.

Brian2 is imported inside the methods only, so the class loads (and its
capabilities print) without Brian2 installed. Every run builds its own
objects in an explicit :class:`brian2.Network` on its own clock, sets the
device and the code-generation target for its duration and restores them
afterwards: no magic network, no global state left behind.

``native: true`` items are drawn by Brian2 where it has a counterpart with
NEST's semantics (see :mod:`.translate`: ``NativePoisson``, ``PoissonInputPlan``,
``NoisePlan``) and warn (:class:`NativeFallbackWarning`) where it has none.

``cpp_standalone`` compiles once per *structure* (equations, sizes,
connectivity, delays, input trains, recordings; see
:meth:`~.translate.Plan.structure_hash`). Parameters, initial values,
weights and current traces are passed to the compiled binary through
Brian2's ``run_args``, so a sweep over values reuses the binary.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurobridge import progress
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
from neurobridge.catalog import Interval
from neurobridge.errors import diverged
from neurobridge.lowering import LoweredNetwork, NativeSupport
from neurobridge.results import RunOutput

from . import translate
from .recording import StateRecorder, monitors, read_spikes, read_states
from .translate import SCALE, GroupPlan, Plan, SynapsePlan

TARGETS = ("numpy", "cython", "cpp_standalone")


@dataclass
class Built:
    """The Brian2 objects of one network and what sets their values."""

    network: Any
    groups: dict[str, Any]
    synapses: dict[str, Any]
    stimuli: dict[str, Any]
    spike_monitors: dict[str, Any]
    recorders: list[StateRecorder]
    natives: dict[str, Any]
    constants: dict[str, dict[str, Any]]  # per group: parameters in its namespace (runtime targets)
    device: Any = None
    directory: str | None = None
    finalizer: Any = field(default=None, repr=False)


class Brian2Backend(Backend):
    """Every model × receptor pair, as equations generated from parts; numpy, cython, cpp_standalone."""

    name = "brian2"
    requires = "brian2"
    capabilities = Capabilities(
        pairs=ALL_PAIRS, sources=ALL_SOURCES, synapses=ALL_SYNAPSES, stimuli=ALL_STIMULI,
        connectors=ALL_CONNECTORS,
        options={
            "target": Option("numpy", str, "code generation target", TARGETS),
            "build_directory": Option(None, str, "cpp_standalone: where the project is written and compiled "
                                      "(default: a temporary folder, deleted when the build is dropped)",
                                      nullable=True),
            "adex_substeps": Option(16, int, "AdEx groups run on a clock this many times finer than dt, a spike "
                                    "found and reset within the step (1: one RK4 step and one threshold per dt)",
                                    Interval(1, 256)),
            "methods": Option(None, dict, "integrator per membrane, e.g. {adex: rk4}", nullable=True,
                              keys={"lif": ("exact", "euler", "rk2", "rk4"), "lif_conductance": ("euler", "rk2", "rk4"),
                                    "adex": ("euler", "rk2", "rk4"), "izhikevich": ("euler", "rk2", "rk4")}),
        },
        bytes_per_synapse=150.0, bytes_per_neuron=3000.0,
        # a source neuron's spikes of one step come from different generator layers, each with its own x and u
        coincident_plastic_spikes=False,
        native=NativeSupport(sources=frozenset({"poisson"}), rules=frozenset({"fixed_probability"}),
                             stimuli=frozenset({"noise"}), poisson_input=True),
        notes=(
            "Spike times are NEST's: Brian2 stamps a spike at the start of its step, the adapter "
            "adds dt on reading back; no offset remains.",
            "Synaptic arrivals, current onsets and refractory clamps land on the reference's steps "
            "(see neurobridge.backends.brian2.translate).",
            "Integration: exact for lif × current receptors; rk4 (one step per dt, as the reference's "
            "default substeps=1) for conductance LIF and AdEx, spike detection once per step; "
            "Izhikevich: NEST's forward Euler with exactly decaying synapses. Override with "
            "methods={'adex': ..., 'izhikevich': ..., 'lif': ..., 'lif_conductance': ...}.",
            "cpp_standalone compiles once per structure; values reach the binary through run_args.",
            "tsodyks_markram from a source neuron spiking twice in one step is refused by the core (its spikes "
            "come from generator layers, each with its own x and u; NEST takes them one after the other).",
            "native: true: fixed_probability projections use connect(p=...); Poisson sources are "
            "groups firing on rand() < rate*dt in NEST's window (rate, start and stop reach a standalone "
            "binary through run_args); a fixed_indegree or one_to_one projection from an unrecorded "
            "native Poisson source is a Poisson count per neuron and step (its rate is compiled in); "
            "noise with scalar parameters is NEST's noise_generator, each neuron drawing "
            "mean + std*randn() every noise dt (a run_regularly operation; Brian2's xi would be white "
            "noise, a different process). Other native items use the realized arrays, with a "
            "NativeFallbackWarning naming each.",
        ),
    )
    #: Compiled standalone builds by structure hash (most recent last), reused by later runs.
    standalone_builds: ClassVar[OrderedDict[str, Built]] = OrderedDict()
    max_standalone_builds: ClassVar[int] = 4

    @classmethod
    def simulator_version(cls) -> str:
        import brian2

        return f"brian2 {brian2.__version__}"

    def run(self, lowered: LoweredNetwork, **options: Any) -> RunOutput:
        target = options["target"]
        started = time.perf_counter()
        plan = translate.plan(lowered, options.get("methods"), options["adex_substeps"])
        planned = time.perf_counter() - started
        if target == "cpp_standalone":
            output = _run_standalone(lowered, plan, options)
        else:
            output = _run_runtime(lowered, plan, target)
        output.meta["plan_seconds"] = planned
        return output

    @classmethod
    def clear_standalone_builds(cls) -> None:
        """Forget every compiled standalone build (and delete temporary build folders)."""
        while cls.standalone_builds:
            _, built = cls.standalone_builds.popitem()
            if built.finalizer is not None:
                built.finalizer()


# -- runtime targets ---------------------------------------------------------------------------------

def _run_runtime(lowered: LoweredNetwork, plan: Plan, target: str) -> RunOutput:
    import brian2 as b2

    with _device(b2, "runtime", target):
        started = time.perf_counter()
        b2.seed(lowered.network.seed)  # native draws (connect(p=...), sources, inputs, noise) follow the seed
        built = build(lowered, plan, b2, inline=True)
        for obj, attribute, value in assignments(plan, built, b2):
            setattr(obj, attribute, value)
        built_at = time.perf_counter()
        built.network.run(lowered.duration * b2.ms, namespace={}, **_report(b2, lowered))
        finished = time.perf_counter()
        loop = float(b2.get_device()._last_run_time)
    meta = {"target": target, "compile_seconds": finished - built_at - loop}
    return _output(lowered, plan, built, built_at - started, loop, meta)


@contextmanager
def _device(b2: Any, device: Any, target: str, **kwargs: Any) -> Iterator[None]:
    """Set Brian2's device and code-generation target for a run, and restore both after it."""
    previous = b2.prefs.codegen.target
    from brian2.devices.device import reset_device

    b2.set_device(device, **kwargs)
    b2.prefs.codegen.target = target if target in ("numpy", "cython") else previous
    try:
        yield
    finally:
        b2.prefs.codegen.target = previous
        reset_device()


# -- cpp_standalone ----------------------------------------------------------------------------------

def _run_standalone(lowered: LoweredNetwork, plan: Plan, options: dict[str, Any]) -> RunOutput:
    import brian2 as b2

    # The seed is compiled into the binary: with native draws it is part of the structure.
    seed = lowered.network.seed if plan.uses_brian2_rng else None
    key = plan.structure_hash((options.get("build_directory"), seed))
    builds = Brian2Backend.standalone_builds
    started = time.perf_counter()
    compiled = key not in builds
    if compiled:
        built, compile_seconds = _compile(lowered, plan, key, options.get("build_directory"), b2)
        builds[key] = built
        while len(builds) > Brian2Backend.max_standalone_builds:
            _, old = builds.popitem(last=False)
            if old.finalizer is not None:
                old.finalizer()
    else:
        built, compile_seconds = builds[key], 0.0
        builds.move_to_end(key)
    built_at = time.perf_counter()
    run_args = {getattr(obj, attribute): value for obj, attribute, value in assignments(plan, built, b2)}
    run_args.update({built.stimuli[s.name]: s.values * b2.pA
                     for g in plan.groups.values() for s in g.stimuli})
    run_args.update({built.stimuli[d.name]: _drive_values(d, g, b2) for g in plan.groups.values() for d in g.drives})
    with _device(b2, built.device, "cpp_standalone", build_on_run=False):
        built.device.run(directory=built.directory, with_output=False, run_args=run_args)
    finished = time.perf_counter()
    meta = {"target": "cpp_standalone", "structure_hash": key, "compiled": compiled,
            "compile_seconds": compile_seconds, "build_directory": built.directory}
    return _output(lowered, plan, built, built_at - started - compile_seconds, finished - built_at, meta)


def _report(b2: Any, lowered: LoweredNetwork) -> dict[str, Any]:
    """Brian2's own run reporting, handed to :mod:`neurobridge.progress` when a person watches the run."""
    reporter = progress.reporter()
    if reporter is None:
        return {}

    def report(elapsed: Any, completed: float, start: Any, duration: Any) -> None:
        reporter.at(completed * lowered.duration)

    return {"report": report, "report_period": 1 * b2.second}


def _compile(lowered: LoweredNetwork, plan: Plan, key: str, base: str | None,
             b2: Any) -> tuple[Built, float]:
    """Build the objects on a fresh standalone device and compile them (values come at run time)."""
    from brian2.devices.cpp_standalone.device import CPPStandaloneDevice

    device = CPPStandaloneDevice()
    if base is None:
        directory = tempfile.mkdtemp(prefix=f"neurobridge-brian2-{key}-")
    else:
        directory = str(Path(base) / key)
    with _device(b2, device, "cpp_standalone", build_on_run=False):
        b2.seed(lowered.network.seed)
        built = build(lowered, plan, b2)
        built.network.run(lowered.duration * b2.ms, namespace={})
        started = time.perf_counter()
        device.build(directory=directory, compile=True, run=False, with_output=False)
        compile_seconds = time.perf_counter() - started
    built.device, built.directory = device, directory
    if base is None:
        built.finalizer = weakref.finalize(built, shutil.rmtree, directory, True)
    return built, compile_seconds


def _output(lowered: LoweredNetwork, plan: Plan, built: Built, build_seconds: float, run_seconds: float,
            meta: dict[str, Any]) -> RunOutput:
    started = time.perf_counter()
    _check_state(lowered, plan, built)
    spikes = read_spikes(lowered, plan, built.spike_monitors)
    states = read_states(built.recorders, lowered.n_steps, lowered.dt)
    meta["readback_seconds"] = time.perf_counter() - started
    return RunOutput(spikes, states, build_seconds, run_seconds, meta)


def _check_state(lowered: LoweredNetwork, plan: Plan, built: Built) -> None:
    """NEST's AdEx stability check and, for every group, a finite state at the end of the run."""
    for name, group in plan.groups.items():
        obj = built.groups[name]
        for population, offset in group.offsets.items():
            size = lowered.size(population)
            if group.membrane == "adex":
                at = np.asarray(obj.unstable_at_[:])[offset:offset + size]
                if np.any(at >= 0):
                    neuron = int(np.argmin(np.where(at >= 0, at, np.inf)))
                    v = float(np.asarray(obj.unstable_v_[:])[offset + neuron] * 1e3)
                    stamp = at[neuron] * 1e3 + (0.0 if group.fine > 1 else lowered.dt)
                    raise diverged(population, "V_m", neuron, v, f"at {stamp:g} ms",
                                   "brian2", "NEST's aeif stability check: V_m < -1000 mV or |w| > 1e6 pA")
            for variable in translate.STATE_VARIABLES:
                brian_name, unit = translate.STATE_VARIABLES[variable]
                if brian_name not in obj.variables:
                    continue
                values = np.asarray(getattr(obj, brian_name + "_")[:])[offset:offset + size]
                bad = ~np.isfinite(values)
                if bad.any():
                    neuron = int(np.flatnonzero(bad)[0])
                    raise diverged(population, variable, neuron, float(values[neuron]), "at the end of the run",
                                   "brian2")


# -- building the objects ----------------------------------------------------------------------------

def build(lowered: LoweredNetwork, plan: Plan, b2: Any, inline: bool = False) -> Built:
    """Every Brian2 object of the network, structure only (values: :func:`assignments`).

    ``inline`` (runtime targets) puts the parameters uniform over a group into namespaces as
    constants, as a hand-written script would; a standalone build keeps them variables for run_args.
    """
    clock = b2.Clock(dt=lowered.dt * b2.ms, name="neurobridge_clock")
    stimuli = {s.name: b2.TimedArray(s.values * b2.pA, dt=s.every * lowered.dt * b2.ms, name=s.name)
               for g in plan.groups.values() for s in g.stimuli}
    stimuli.update({d.name: b2.TimedArray(_drive_values(d, g, b2), dt=lowered.dt * b2.ms, name=d.name)
                    for g in plan.groups.values() for d in g.drives})
    constants = {name: _constants(g, b2) if inline else {} for name, g in plan.groups.items()}
    groups = {name: _neuron_group(g, clock, stimuli, constants[name], b2) for name, g in plan.groups.items()}
    relays = {name: _relay(g, groups[name], clock, b2) for name, g in plan.groups.items() if g.fine > 1}
    senders = {**groups, **relays}
    natives = {n.name: b2.NeuronGroup(n.n, n.EQUATIONS, threshold=n.THRESHOLD, clock=clock, name=n.name)
               for n in plan.natives if n.simulated}
    senders.update(natives)
    inputs = [_poisson_input(pin, g, groups[name], b2) for name, g in plan.groups.items() for pin in g.inputs]
    if plan.sources is not None:
        s = plan.sources
        senders["sources"] = b2.SpikeGeneratorGroup(s.n * s.layers, s.indices, s.times * b2.ms, clock=clock,
                                                    name="sources")
    synapses = {s.name: _synapses(s, senders, groups, plan, clock, constants[s.target], b2)
                for s in plan.synapses}
    spike_monitors, recorders = monitors(lowered, plan, groups, natives, clock, b2, relays)
    objects = [*groups.values(), *senders.values(), *inputs, *synapses.values(), *spike_monitors.values(),
               *(r.monitor for r in recorders)]
    return Built(b2.Network(*objects), groups, synapses, stimuli, spike_monitors, recorders, natives,
                 constants)


def _constants(group: GroupPlan, b2: Any) -> dict[str, Any]:
    """The group's uniform parameters as Brian2 quantities, by name."""
    return {name: _quantity(group.params[name][0], translate.to_nest_unit(name, group.membrane), b2)
            for name in translate.parameter_names(group.membrane, group.receptor, group.fine) if name in group.shared}


def _neuron_group(group: GroupPlan, clock: Any, stimuli: dict[str, Any], constants: dict[str, Any],
                  b2: Any) -> Any:
    part = translate.MEMBRANES[translate.membrane_key(group.membrane, group.receptor)]
    model = translate.equations(group.membrane, group.receptor, group.method, group.shared, group.stimuli,
                                group.noises, group.inputs, frozenset(constants), group.fine, group.drives)
    arrays = [s.name for s in group.stimuli] + [d.name for d in group.drives]
    namespace = {**constants, **{name: stimuli[name] for name in arrays}}
    if group.membrane == "adex":
        namespace.update(never=0 * b2.second, stability_V_min=-1000 * b2.mV, stability_w_max=1e6 * b2.pA)
    reset, refractory, own_clock = part.reset, "t_refractory" if part.refractory else False, clock
    if group.fine > 1:  # see translate.FINE
        namespace.update(dt_step=clock.dt, half_fine=0.5 / group.fine, fine_steps=group.fine)
        reset, refractory = reset + translate.FINE_RESET, translate.FINE_REFRACTORY
        own_clock = b2.Clock(dt=clock.dt / group.fine, name=f"{group.name}_fine_clock")
    neurons = b2.NeuronGroup(group.n, model, threshold=part.threshold, reset=reset, refractory=refractory,
                             method=group.method, clock=own_clock, name=group.name, namespace=namespace)
    if group.fine > 1:
        first, last = translate.fine_arrivals(group.receptor)
        if first is not None:
            neurons.run_regularly(first, when="start", order=-2, name=f"{group.name}_arrivals")
        if last is not None:
            neurons.run_regularly(last, when="before_thresholds", name=f"{group.name}_delta_arrivals")
        neurons.run_regularly("spiked_in_step = 0", dt=clock.dt, when="start", order=0, name=f"{group.name}_flags")
    for drive in group.drives:  # see translate.DrivePlan
        neurons.run_regularly(translate.drive_code(group.membrane, group.receptor, drive), when=drive.when,
                              name=f"{drive.name}_arrivals")
    for noise in group.noises:  # NEST's noise_generator: see translate.NoisePlan
        neurons.run_regularly(noise.code, dt=noise.tick * clock.dt, when="end", name=f"{noise.name}_draws")
    if group.membrane == "adex":
        # after every step of the network's clock, as the reference checks: at its end, or, for a fine group,
        # at the start of the next (after the last fine step), where the time is already the step's stamp
        neurons.run_regularly(translate.ADEX_STABILITY, dt=clock.dt, when="start" if group.fine > 1 else "end",
                              order=-3, name=f"{group.name}_stability")
    return neurons


def _relay(group: GroupPlan, neurons: Any, clock: Any, b2: Any) -> Any:
    """On the network's clock, a spike at ``(s + 1) dt`` for every neuron of a fine group that spiked in step
    ``s`` (NEST's stamp), before anything of step ``s + 1`` runs (see translate.FINE)."""
    relay = b2.NeuronGroup(group.n, "flag : 1 (linked)", threshold="flag > 0.5", reset="", clock=clock,
                           name=f"{group.name}_relay")
    relay.flag = b2.linked_var(neurons, "spiked_in_step")
    relay.thresholder["spike"].when = "start"
    relay.thresholder["spike"].order = -1
    return relay


def _poisson_input(plan: translate.PoissonInputPlan, group: GroupPlan, neurons: Any, b2: Any) -> Any:
    """A Poisson count per neuron and step, ``poisson(n rate dt)``, as NEST's ``poisson_generator`` sends it
    (Brian2's ``PoissonInput`` draws a binomial ``(n, rate dt)``: at most ``n`` per step, and refused
    when ``rate dt > 1``)."""
    variable, weight = translate.poisson_input(group.membrane, group.receptor, plan, group.fine)
    code = f"{variable} += ({weight}) * poisson({plan.n * plan.rate!r} * Hz * dt)"  # dt: the group's own
    first, last = plan.reached  # the target populations: a block of the group, drawn alone
    drawn = neurons if (first, last) == (0, len(neurons)) else neurons[first:last]  # a subgroup's: add it
    return drawn.run_regularly(code, when=plan.when, name=plan.name)


def _synapses(plan: SynapsePlan, senders: dict[str, Any], groups: dict[str, Any], network: Plan,
              clock: Any, constants: dict[str, Any], b2: Any) -> Any:
    target = network.groups[plan.target]
    unit = translate.DIMENSION[translate.WEIGHT_UNITS[target.receptor]]
    code = translate.on_pre(target.membrane, target.receptor, plan.channel, frozenset(constants), target.fine)
    if plan.tsodyks is not None:
        model = translate.TSODYKS_MODEL.format(unit=unit)
        code = translate.TSODYKS_MARKRAM.format(target=code.replace("weight", "weight*x_stp*u_stp"))
    else:
        model = f"weight : {unit} (constant{', shared' if plan.shared_weight else ''})"
    # current_delta jumps V before the threshold: its pathway reads the previous step's spikes. A fine
    # group's relay spikes at the end of the step (translate.FINE): one step fewer to wait.
    early = plan.channel == "delta" and target.fine == 1
    relayed = plan.source in network.groups and network.groups[plan.source].fine > 1
    uniform = plan.uniform_delay
    delay = None if uniform is None else (uniform - (early or relayed)) * network.dt * b2.ms
    synapses = b2.Synapses(senders[plan.source], groups[plan.target], model, on_pre=code, delay=delay,
                           clock=clock, name=plan.name, namespace=dict(constants))
    if early:
        synapses.pre.when = "after_groups"
    if plan.probability is not None:
        (i0, i1), (j0, j1) = plan.i, plan.j
        condition = f"i >= {i0} and i < {i1} and j >= {j0} and j < {j1}"
        if not plan.autapses:
            condition += f" and i - {i0} != j - {j0}"
        synapses.connect(condition=condition, p=plan.probability)
    else:
        synapses.connect(i=plan.i, j=plan.j)
    if uniform is None:
        synapses.delay = (plan.delays - (early or relayed)) * network.dt * b2.ms
    return synapses


def assignments(plan: Plan, built: Built, b2: Any) -> list[tuple[Any, str, Any]]:
    """Every value of the network, as ``(object, attribute, quantity)``: set directly or as run_args."""
    out: list[tuple[Any, str, Any]] = []
    for name, group in plan.groups.items():
        obj = built.groups[name]
        shared = group.shared
        for parameter in translate.parameter_names(group.membrane, group.receptor, group.fine):
            if parameter in built.constants[name]:
                continue
            values = group.params[parameter]
            unit = translate.to_nest_unit(parameter, group.membrane)
            value = values[0] if parameter in shared else values
            out.append((obj, parameter, _quantity(value, unit, b2)))
        for variable, values in group.initial.items():
            unit = next(u for n, u in translate.STATE_VARIABLES.values() if n == variable)
            out.append((obj, variable, _quantity(values, unit, b2)))
        if group.membrane == "adex":
            out += [(obj, "unstable_at", np.full(group.n, -1.0) * b2.second),
                    (obj, "unstable_v", np.zeros(group.n) * b2.volt)]
        for stimulus in group.stimuli:
            out.append((obj, f"{stimulus.name}_on", stimulus.on))
            if stimulus.values.ndim == 2:
                out.append((obj, f"{stimulus.name}_column", stimulus.column))
        for drive in group.drives:
            out.append((obj, f"{drive.name}_column", drive.column))
        for noise in group.noises:
            out += [(obj, f"{noise.name}_on", noise.on), (obj, noise.name, np.zeros(group.n) * b2.amp),
                    (obj, f"{noise.name}_mean", _quantity(noise.mean, "pA", b2)),
                    (obj, f"{noise.name}_std", _quantity(noise.std, "pA", b2)),
                    *((obj, f"{noise.name}_{k}", getattr(noise, k)) for k in ("first", "end", "every"))]
        for pin in group.inputs:
            first, _ = pin.reached
            weight = pin.weight[first] if pin.shared_weight else pin.weight
            out += [(obj, f"{pin.name}_weight", _quantity(weight, translate.WEIGHT_UNITS[group.receptor], b2)),
                    (obj, f"{pin.name}_first", pin.first), (obj, f"{pin.name}_end", pin.end)]
    for native in plan.natives:
        if native.simulated:
            obj = built.natives[native.name]
            out += [(obj, "rate", native.rate * b2.Hz), (obj, "first", native.first), (obj, "end", native.end)]
    for synapse in plan.synapses:
        out += _synapse_values(synapse, plan, built.synapses[synapse.name], b2)
    return out


def _synapse_values(plan: SynapsePlan, network: Plan, obj: Any, b2: Any) -> list[tuple[Any, str, Any]]:
    unit = translate.WEIGHT_UNITS[network.groups[plan.target].receptor]
    weights = plan.weights[0] if plan.shared_weight else plan.weights
    out = [(obj, "weight", _quantity(weights, unit, b2))]
    if plan.tsodyks is not None:
        p = plan.tsodyks
        n = plan.i.size
        tau_fac = float(p["tau_fac"])
        out += [(obj, "x_stp", np.full(n, float(p.get("x", 1.0)))),
                (obj, "u_stp", np.full(n, float(p.get("u", p["U"])))),
                (obj, "last_spike", np.full(n, -1.0) * b2.second),
                (obj, "U", np.full(n, float(p["U"]))),
                (obj, "tau_rec", np.full(n, float(p["tau_rec"])) * b2.ms),
                (obj, "tau_fac_safe", np.full(n, tau_fac if tau_fac > 1e-10 else 1.0) * b2.ms),
                (obj, "has_fac", np.full(n, float(tau_fac > 1e-10)))]
    return out


def _drive_values(drive: translate.DrivePlan, group: GroupPlan, b2: Any) -> Any:
    return _quantity(drive.values, translate.WEIGHT_UNITS[group.receptor], b2)


def _quantity(values: Any, unit: str, b2: Any) -> Any:
    """Plain NEST-unit values as a Brian2 quantity (Brian2 checks the dimension where it is used)."""
    base = {"volt": b2.volt, "second": b2.second, "amp": b2.amp, "siemens": b2.siemens, "farad": b2.farad,
            "hertz": b2.hertz, "amp/second": b2.amp / b2.second, "siemens/second": b2.siemens / b2.second,
            "ohm": b2.ohm, "ohm*second": b2.ohm * b2.second, "1": 1.0}[translate.DIMENSION[unit]]
    scaled = np.multiply(values, SCALE[unit], dtype=float)  # one pass: a drive's table can be ~1 GB
    # every base is a coherent SI unit (value 1.0), so wrapping the array is the product, without a copy
    return scaled if isinstance(base, float) else b2.Quantity(scaled, dim=base.dim, copy=False)
