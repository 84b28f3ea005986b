"""Translate a lowered network into a Brian2 build plan: equations from parts, names and units as data.

Nothing here imports Brian2. A :class:`Plan` holds plain strings (equations,
``on_pre`` code) and plain arrays in NEST's units; :mod:`.adapter` attaches
Brian2's units when it builds the objects, so Brian2's dimension checks
verify every entry of the tables below.

Equations are assembled from two parts, as the neutral description pairs
them: a membrane (:data:`MEMBRANES`) whose current balance names
``I_syn``, and a receptor (:data:`RECEPTORS`) that defines ``I_syn`` and the
``on_pre`` statements of its excitatory and inhibitory channels.

The lowered network (:mod:`neurobridge.lowering`) states when every event
happens; Brian2's schedule (its default order: groups, thresholds, synapses,
resets) is chosen to land each on that step:

* a spike found in step ``s`` is read back stamped ``(s + 1) dt`` (NEST's
  end-of-step stamp, Brian2 reports the step's start);
* a synapse of delay ``D`` steps runs its ``on_pre`` in step ``s + D``, after
  that step's state update: the input moves ``V`` from step ``s + D + 1``;
  ``current_delta`` jumps ``V`` before the threshold of step ``s + D``
  (NEST's ``iaf_psc_delta``), so its pathway runs in ``after_groups`` with
  a delay of ``D - 1`` steps (reading the previous step's spikes);
* a realized source is a ``SpikeGeneratorGroup`` emitting in each spike's lowered
  emission step (several in one step: one copy of the index space per extra spike);
  one held as a grid of counts whose every pathway is a drive (one sender per target,
  one delay) is a ``TimedArray`` of arrivals instead, added in the slot of the synapses
  it replaces (:class:`DrivePlan`);
* a current acts from the step after its change step (``I_stim`` is a
  ``constant over dt`` subexpression reading its ``TimedArray`` at ``t - dt``);
* refractoriness: Brian2 clamps while ``timestep(t - lastspike) <
  timestep(refractory)``, counted from the spike step, so
  ``refractory = (refractory_steps + 1) dt`` clamps the lowered group's
  ``refractory_steps``.

``native: true`` items that Brian2 draws itself keep NEST's windows and
steps, so only the random numbers differ from a NEST ``native`` run:

* a Poisson population is a group firing on ``rand() < rate*dt`` in the
  steps whose stamps fall in ``(start, stop]`` (:class:`NativePoisson`);
* a fixed in-degree projection from an unrecorded one is a ``PoissonInput``
  (one binomial count per neuron and step, independent across targets, as
  NEST's ``poisson_generator`` gives each target its own train), with the
  source's window shifted by the delay (:class:`PoissonInputPlan`);
* a noise stimulus is NEST's ``noise_generator``: each neuron draws
  ``mean + std*randn()`` every noise ``dt`` from ``start`` and holds it
  (:class:`NoisePlan`). Brian2's ``xi`` would be white noise integrated by
  a stochastic method, a different process with a different ``V_m``
  variance, and it rules out the exact integrators.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from neurobridge import catalog
from neurobridge.lowering import CurrentSchedule, LoweredNetwork, PairGroup, Pathway, poisson_input_trains, sign_rule
from neurobridge.propagators import lif_propagators
from neurobridge.realize import is_shared, take_columns

# -- names and units -------------------------------------------------------------------------------

#: Brian2 base unit of a NEST unit, for the declarations in equation strings.
DIMENSION = MappingProxyType({"mV": "volt", "ms": "second", "pA": "amp", "nS": "siemens",
                              "pF": "farad", "1": "1", "1/ms": "hertz", "pA/ms": "amp/second",
                              "nS/ms": "siemens/second", "Hz": "hertz", "mV/pA": "ohm",
                              "mV*ms/pA": "ohm*second"})
#: SI value of one NEST unit (what ``values * brian2.<unit>`` multiplies by).
SCALE = MappingProxyType({"mV": 1e-3, "ms": 1e-3, "pA": 1e-12, "nS": 1e-9, "pF": 1e-12, "1": 1.0,
                          "1/ms": 1e3, "pA/ms": 1e-9, "nS/ms": 1e-6, "Hz": 1.0, "mV/pA": 1e9,
                          "mV*ms/pA": 1e6})

#: Derived parameters the adapter computes (Brian2 name -> unit).
DERIVED_UNITS = MappingProxyType({"t_refractory": "ms", "refractory_steps": "1", "V_detect": "mV", "has_exp": "1",
                                  "Delta_T_safe": "mV", "P22": "1", "P20": "mV/pA",
                                  "P31_ex": "mV*ms/pA", "P31_in": "mV*ms/pA", "P32_ex": "mV/pA",
                                  "P32_in": "mV/pA", "P21_ex": "mV/pA", "P21_in": "mV/pA"})

#: NEST state variable -> (Brian2 name, NEST unit from the catalog); membranes and receptors share it.
STATE_VARIABLES: Mapping[str, tuple[str, str]] = MappingProxyType({
    nest: (brian2, catalog.UNITS[nest]) for nest, brian2 in (
        ("V_m", "v"), ("U_m", "u"), ("w", "w"), ("I_syn_ex", "I_ex"), ("I_syn_in", "I_in"),
        ("g_ex", "g_ex"), ("g_in", "g_in"))})
#: Unit of a synaptic weight onto each receptor: NEST's (mV for delta, pA, nS).
WEIGHT_UNITS = catalog.WEIGHT_UNIT

#: Integration method per membrane and receptor kind; the ``methods`` option overrides these.
#: ``lif_exp`` and ``lif_alpha`` are exact too: NEST's propagators (``expm`` of the joint system,
#: computed numerically), written as a one-step map that ``euler`` applies. Brian2's symbolic
#: ``exact`` solution of the exp system divides by ``tau_m - tau_syn`` (NaN when they are equal)
#: and takes ~20 s for the 5-variable alpha system.
DEFAULT_METHODS = MappingProxyType({"lif": "exact", "lif_exp": "euler", "lif_alpha": "euler",
                                    "lif_conductance": "rk4", "adex": "rk4", "izhikevich": "euler"})
_FIXED_METHODS = frozenset({"lif_exp", "lif_alpha"})


def method_for(membrane: str, receptor: str, overrides: Mapping[str, str] | None) -> str:
    """The integrator of a pair: ``exact`` for linear LIF, NEST-like otherwise, or the override."""
    key = membrane_key(membrane, receptor)
    if key in _FIXED_METHODS:
        return DEFAULT_METHODS[key]
    return dict(overrides or {}).get(key, DEFAULT_METHODS[key])


def to_nest_unit(name: str, membrane: str) -> str:
    """The NEST unit of a parameter, state variable or derived parameter of ``membrane`` (the catalog's
    one unit table for everything but the derived parameters)."""
    if name in STATE_VARIABLES:
        return STATE_VARIABLES[name][1]
    if name in DERIVED_UNITS:
        return DERIVED_UNITS[name]
    return catalog.unit(name, membrane)


# -- equation parts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class MembranePart:
    """The membrane's equations (naming ``I_syn`` and ``I_stim``), spike rule and clamp."""

    equations: str
    threshold: str
    reset: str
    refractory: bool
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class ReceptorPart:
    """A receptor's equations (defining ``I_syn``) and its channels' ``on_pre`` statements."""

    equations: str
    on_pre: Mapping[str, str]
    parameters: tuple[str, ...]


MEMBRANES: Mapping[str, MembranePart] = MappingProxyType({
    "lif": MembranePart(
        "dv/dt = (E_L - v)/tau_m + (I_syn + I_e + I_stim)/C_m : volt (unless refractory)",
        "v >= V_th", "v = V_reset", True, ("C_m", "tau_m", "E_L", "V_th", "V_reset", "I_e")),
    "lif_exp": MembranePart(
        "dv/dt = ((P22 - 1)*(v - E_L) + P21_ex*I_ex + P21_in*I_in + P20*(I_e + I_stim))/dt"
        " : volt (unless refractory)",
        "v >= V_th", "v = V_reset", True,
        ("C_m", "E_L", "V_th", "V_reset", "I_e", "P22", "P20", "P21_ex", "P21_in")),
    "lif_alpha": MembranePart(
        "dv/dt = ((P22 - 1)*(v - E_L) + P31_ex*x_ex + P32_ex*I_ex + P31_in*x_in + P32_in*I_in"
        " + P20*(I_e + I_stim))/dt : volt (unless refractory)",
        "v >= V_th", "v = V_reset", True,
        ("C_m", "E_L", "V_th", "V_reset", "I_e", "P22", "P20", "P31_ex", "P31_in", "P32_ex", "P32_in")),
    "lif_conductance": MembranePart(
        "dv/dt = (g_L*(E_L - v) + I_syn + I_e + I_stim)/C_m : volt (unless refractory)",
        "v >= V_th", "v = V_reset", True, ("C_m", "g_L", "E_L", "V_th", "V_reset", "I_e")),
    "adex": MembranePart(
        "dv/dt = (g_L*(E_L - v_b) + has_exp*g_L*Delta_T_safe*exp((v_b - V_th)/Delta_T_safe)"
        " + I_syn - w + I_e + I_stim)/C_m : volt (unless refractory)\n"
        "dw/dt = (a*(v_b - E_L) - w)/tau_w : amp\n"
        "v_b = v - (v - V_peak)*int(v > V_peak) : volt",
        "v >= V_detect", "v = V_reset\nw += b", True,
        ("C_m", "g_L", "E_L", "V_th", "V_reset", "I_e", "V_peak", "a", "b", "tau_w", "has_exp",
         "Delta_T_safe", "V_detect")),
    "izhikevich": MembranePart(
        "dv/dt = (0.04/mV*v**2 + 5*v + 140*mV - u + (I_syn + I_e + I_stim)*(mV/pA))/ms : volt\n"
        "du/dt = a*(b*v - u) : volt",
        "v >= V_th", "v = c\nu += d", False, ("a", "b", "c", "d", "V_th", "I_e")),
})

_E = repr(math.e)


def _receptor(receptor: str, exact_map: bool) -> ReceptorPart:
    """The receptor's part; ``exact_map`` writes the decay so that one Euler step is exact.

    Under ``euler`` (Izhikevich, as NEST integrates it), ``ds/dt = (P - 1) s / dt`` with
    ``P = exp(-dt/tau)`` makes the Euler update ``s <- P s``: the synaptic state decays
    exactly, as in the reference, while the membrane sees its value at the step's start.
    """
    if receptor == "current_delta":
        return ReceptorPart("I_syn = 0*amp : amp", {"delta": "v_post += weight{guard}"}, ())
    conductance = receptor.startswith("conductance")
    state, unit = ("g", "siemens") if conductance else ("I", "amp")
    lines = []
    for channel in ("ex", "in"):
        s, x, tau = f"{state}_{channel}", f"x_{channel}", f"tau_syn_{channel}"
        decay = f"exp(-dt/{tau})"
        if receptor.endswith("alpha"):
            if exact_map:
                lines.append(f"d{s}/dt = (({s} + {x}*dt)*{decay} - {s})/dt : {unit}")
                lines.append(f"d{x}/dt = ({decay} - 1)*{x}/dt : {unit}/second")
            else:
                lines.append(f"d{s}/dt = {x} - {s}/{tau} : {unit}")
                lines.append(f"d{x}/dt = -{x}/{tau} : {unit}/second")
        else:
            rate = f"({decay} - 1)*{s}/dt" if exact_map else f"-{s}/{tau}"
            lines.append(f"d{s}/dt = {rate} : {unit}")
    if conductance:
        lines.append("I_syn = g_ex*(E_ex - v) + g_in*(E_in - v) : amp")
    else:
        lines.append("I_syn = I_ex + I_in : amp")
    target = "x" if receptor.endswith("alpha") else state
    factor = {ch: f"*{_E}/tau_syn_{ch}_post" if receptor.endswith("alpha") else "" for ch in ("ex", "in")}
    on_pre = {ch: f"{target}_{ch}_post += weight{factor[ch]}" for ch in ("ex", "in")}
    parameters = ("tau_syn_ex", "tau_syn_in") + (("E_ex", "E_in") if conductance else ())
    return ReceptorPart("\n".join(lines), on_pre, parameters)


def membrane_key(membrane: str, receptor: str) -> str:
    """The membrane part of a pair: LIF has one per receptor family."""
    if membrane != "lif":
        return membrane
    return {"conductance_exp": "lif_conductance", "conductance_alpha": "lif_conductance",
            "current_exp": "lif_exp", "current_alpha": "lif_alpha"}.get(receptor, "lif")


def equations(membrane: str, receptor: str, method: str, shared: frozenset[str],
              stimuli: Sequence[StimulusPlan], noises: Sequence[NoisePlan] = (),
              inputs: Sequence[PoissonInputPlan] = (), constants: frozenset[str] = frozenset(),
              fine: int = 1, drives: Sequence[DrivePlan] = ()) -> str:
    """The full equation string of a pair, parameters declared shared where uniform.

    ``constants`` are left undeclared: the group's namespace holds them (runtime targets, where
    nothing is passed as run_args, and Brian2 then has fewer variables to analyse and look up).
    ``fine > 1``: the group runs on a clock ``fine`` times finer (see :data:`FINE`).
    """
    part = MEMBRANES[membrane_key(membrane, receptor)]
    syn = _receptor(receptor, exact_map=method == "euler")
    lines = [part.equations, syn.equations]
    step = "dt_step" if fine > 1 else "dt"
    terms = [s.term(step) for s in stimuli] + [f"{n.name}_on*{n.name}" for n in noises]
    if terms:
        lines.append(f"I_stim = {' + '.join(terms)} : amp (constant over dt)")
        lines += [f"{s.name}_on : 1 (constant)" for s in stimuli]
        lines += [f"{s.name}_column : integer (constant)" for s in stimuli if s.values.ndim == 2]
    else:
        lines.append("I_stim = 0*amp : amp")
    for noise in noises:
        lines += [f"{noise.name} : amp", f"{noise.name}_on : 1 (constant)",
                  *(f"{noise.name}_{p} : amp (constant, shared)" for p in ("mean", "std")),
                  *(f"{noise.name}_{p} : integer (constant, shared)" for p in ("first", "end", "every"))]
    for pin in inputs:
        unit = DIMENSION[WEIGHT_UNITS[receptor]]
        lines += [f"{pin.name}_weight : {unit} (constant{', shared' if pin.shared_weight else ''})",
                  *(f"{pin.name}_{p} : integer (constant, shared)" for p in ("first", "end"))]
    lines += [f"{drive.name}_column : integer (constant)" for drive in drives]
    if membrane == "adex":
        lines += ["unstable_at : second", "unstable_v : volt"]
    if fine > 1:
        lines += fine_variables(receptor)
    for name in parameter_names(membrane, receptor, fine):
        if name in constants:
            continue
        flag = " (constant, shared)" if name in shared else " (constant)"
        lines.append(f"{name} : {DIMENSION[to_nest_unit(name, membrane)]}{flag}")
    return "\n".join(lines)


#: NEST's aeif_* stability check (``NumericalInstability``), run after every step: the first time
#: ``V_m < -1000 mV`` or ``|w| > 1e6 pA`` is kept in ``unstable_at`` (negative: never), V then in ``unstable_v``.
ADEX_STABILITY = ("unstable_now = int(unstable_at < never and (v < stability_V_min or abs(w) > stability_w_max))\n"
                  "unstable_at = unstable_at + (t - unstable_at)*unstable_now\n"
                  "unstable_v = unstable_v + (v - unstable_v)*unstable_now")


#: AdEx on a fine clock: a group with ``fine = k > 1`` runs its state update, threshold and reset ``k``
#: times per step of the network's clock (RK4 per fine step), so a spike is found, and the neuron reset,
#: within the step, as the reference does in its substeps. What crosses the clocks keeps the reference's
#: steps: spikes arriving in step ``s`` wait in a buffer and enter the synaptic state at the start of step
#: ``s + 1`` (a ``delta`` arrival: onto ``V_m`` just before the last fine threshold of step ``s``, dropped
#: while refractory); a fine spike in step ``s`` sets ``spiked_in_step``, which a relay group on the
#: network's clock turns into a spike at ``(s + 1) dt`` (NEST's stamp); a neuron spiking in step ``s``
#: stays refractory until the end of step ``s + refractory_steps`` (not at all when that is 0).
FINE = "fine"
FINE_REFRACTORY = "t < free_at"
FINE_RESET = ("\nspiked_in_step = 1\nfree_at = t + int(refractory_steps > 0)*"
              "((floor(t/dt_step + half_fine) + 1 + refractory_steps)*dt_step - t)")


def fine_variables(receptor: str) -> list[str]:
    """The buffers and flags of a fine group."""
    unit = DIMENSION[WEIGHT_UNITS[receptor]]
    channels = ("delta",) if receptor == "current_delta" else ("ex", "in")
    return ["spiked_in_step : 1", "free_at : second", *(f"in_{c} : {unit}" for c in channels)]


def fine_arrivals(receptor: str) -> tuple[str | None, str | None]:
    """Code that moves a fine group's buffers into its state: at the first fine step of a step
    (``when='start'``), and, for ``delta``, at its last, before the threshold."""
    if receptor == "current_delta":
        return None, ("last_fine = int(t_in_timesteps % fine_steps == fine_steps - 1)\n"
                      "v += in_delta*last_fine*int(not_refractory)\nin_delta -= in_delta*last_fine")
    state = "g" if receptor.startswith("conductance") else "I"
    alpha = receptor.endswith("alpha")
    lines = ["first_fine = int(t_in_timesteps % fine_steps == 0)"]
    for c in ("ex", "in"):
        target = f"x_{c}" if alpha else f"{state}_{c}"
        factor = f"*{_E}/tau_syn_{c}" if alpha else ""
        lines += [f"{target} += in_{c}*first_fine{factor}", f"in_{c} -= in_{c}*first_fine"]
    return "\n".join(lines), None


def parameter_names(membrane: str, receptor: str, fine: int = 1) -> tuple[str, ...]:
    """The parameters a pair's equations use (NEST names, plus the derived ones)."""
    part = MEMBRANES[membrane_key(membrane, receptor)]
    names = part.parameters + _receptor(receptor, exact_map=False).parameters
    if not part.refractory:
        return names
    return names + (("refractory_steps",) if fine > 1 else ("t_refractory",))


def on_pre(membrane: str, receptor: str, channel: str, constants: frozenset[str] = frozenset(),
           fine: int = 1) -> str:
    """The statement a spike runs on its target (``delta``: the jump, dropped while refractory).

    A target parameter among ``constants`` is read from the synapses' namespace, not ``<name>_post``.
    Onto a fine group the spike waits in the channel's buffer (see :data:`FINE`).
    """
    if fine > 1:
        return f"in_{channel}_post += weight"
    code = _receptor(receptor, exact_map=False).on_pre[channel]
    guard = "*int(not_refractory_post)" if MEMBRANES[membrane_key(membrane, receptor)].refractory else ""
    for name in constants:
        code = code.replace(f"{name}_post", name)
    return code.replace("{guard}", guard)


#: ``on_pre`` of a NEST ``tsodyks2_synapse``; ``{target}`` is the receptor's statement.
#: The first spike of a synapse (``last_spike < 0``) uses ``x`` and ``u`` as initialised.
TSODYKS_MARKRAM = """
fresh = int(last_spike < 0*ms)
x_stp = fresh*x_stp + (1 - fresh)*(1 + (x_stp - x_stp*u_stp - 1)*exp(-(t - last_spike)/tau_rec))
u_stp = fresh*u_stp + (1 - fresh)*(U + u_stp*(1 - U)*has_fac*exp(-(t - last_spike)/tau_fac_safe))
last_spike = t
{target}
"""
TSODYKS_MODEL = """weight : {unit} (constant)
x_stp : 1
u_stp : 1
last_spike : second
U : 1 (constant)
tau_rec : second (constant)
tau_fac_safe : second (constant)
has_fac : 1 (constant)
"""


# -- the plan ---------------------------------------------------------------------------------------

@dataclass
class StimulusPlan:
    """One current trace as a TimedArray ``name`` sampled every ``every`` steps."""

    name: str
    values: np.ndarray  # (n_grid,) or (n_grid, n_columns), pA
    every: int
    on: np.ndarray  # per neuron of the group: 1 where the trace reaches it
    column: np.ndarray  # per neuron: its column in a 2-d trace

    def term(self, step: str = "dt") -> str:
        """``I_stim``'s term: the trace read one step (``step``, the network's dt) back."""
        column = f", {self.name}_column" if self.values.ndim == 2 else ""
        return f"{self.name}_on*{self.name}(t - {step}{column})"


@dataclass
class NoisePlan:
    """A ``native: true`` noise stimulus as NEST's ``noise_generator``, drawn by Brian2.

    Each neuron it reaches draws its own ``mean + std * N(0, 1)`` in the steps ``first + k * every``
    before ``end``, holds it in between and gets nothing outside ``[first, end)``. A draw in step
    ``s`` (a ``run_regularly`` operation in the ``end`` slot) acts from step ``s + 1``, as the
    generator's current reaches a NEST neuron one ``dt`` after it is sent.
    """

    name: str
    mean: float  # pA
    std: float  # pA
    every: int  # steps between draws
    first: int  # first step with a draw
    end: int  # first step without current
    on: np.ndarray  # per neuron of the group

    @property
    def tick(self) -> int:
        """Steps between the operation's runs: it must see every draw and the switch-off."""
        return math.gcd(self.first, self.every, self.end)

    @property
    def code(self) -> str:
        n = self.name
        return (f"{n}_active = int(t_in_timesteps >= {n}_first and t_in_timesteps < {n}_end)\n"
                f"{n}_draw = {n}_active*int((t_in_timesteps - {n}_first) % {n}_every == 0)\n"
                f"{n} = {n}_draw*({n}_mean + {n}_std*randn()) + ({n}_active - {n}_draw)*{n}")


@dataclass
class PoissonInputPlan:
    """A ``native: true`` fixed in-degree projection from a native Poisson source, as ``PoissonInput``.

    Every neuron of the target population receives ``n`` independent Poisson trains of ``rate``
    (Brian2 draws their sum each step); the source population itself is not simulated. The events
    of step ``s`` reach the target as a synapse delivers the spikes of step ``s - delay``:
    ``first``/``end`` are the source's active steps shifted by the delay.
    """

    name: str
    target: str  # group
    channel: str
    n: int
    rate: float  # Hz
    weight: np.ndarray  # per neuron of the group (0 outside the target population), NEST units
    first: int
    end: int
    when: str  # the scheduling slot of the pathway it replaces

    @property
    def reached(self) -> tuple[int, int]:
        """The group's neurons ``[first, last)`` from the first to the last one it reaches."""
        where = np.flatnonzero(self.weight)
        return (int(where[0]), int(where[-1]) + 1) if where.size else (0, self.weight.size)

    @property
    def shared_weight(self) -> bool:
        """One weight for every neuron it reaches, which the reached range holds without gaps: declared
        shared (a per-neuron weight costs the numpy target a gather per step)."""
        first, last = self.reached
        return bool(np.all(self.weight[first:last] == self.weight[first]))


@dataclass
class DrivePlan:
    """Realized trains held as a grid (:meth:`~neurobridge.realize.SpikeEvents.from_grid`) reaching one
    neuron each through static synapses of one delay, as a ``TimedArray`` the group reads each step.

    Row ``m`` of ``values`` is what arrives in step ``m`` (the counts emitted ``delay`` steps before,
    times the weight), so a ``run_regularly`` operation in the slot of the synapses it replaces adds
    ``name(t, name_column)`` to the channel: no generator, no per-spike queue. Column ``columns - 1``
    is zero, for the neurons it does not reach.
    """

    name: str
    channel: str
    when: str  # the scheduling slot of the pathway it replaces
    values: np.ndarray  # (n_steps + 1, columns), the channel's unit (NEST's)
    column: np.ndarray  # per neuron of the group


@dataclass
class GroupPlan:
    """The neuron populations of one model × receptor pair, as one NeuronGroup."""

    name: str
    membrane: str
    receptor: str
    n: int
    offsets: dict[str, int]
    params: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]  # Brian2 names
    method: str
    stimuli: list[StimulusPlan] = field(default_factory=list)
    noises: list[NoisePlan] = field(default_factory=list)
    inputs: list[PoissonInputPlan] = field(default_factory=list)
    drives: list[DrivePlan] = field(default_factory=list)
    #: Fine steps per step of the network's clock (AdEx, see :data:`FINE`; 1: the network's clock).
    fine: int = 1

    @cached_property
    def shared(self) -> frozenset[str]:
        return frozenset(k for k, v in self.params.items() if v.size and np.all(v == v[0]))


@dataclass
class SourcePlan:
    """Every non-native spike source in one SpikeGeneratorGroup.

    A source neuron that emits ``k`` spikes in one step (a realized Poisson
    train may) uses ``k`` copies ("layers") of the index space, each with
    the source's synapses, so every spike is delivered.
    """

    n: int  # sources per layer
    layers: int
    offsets: dict[str, int]
    indices: np.ndarray
    times: np.ndarray  # ms, the emission step's start (stamp - dt)


@dataclass
class NativePoisson:
    """A ``native: true`` Poisson population: Brian2 draws its spikes (``rand() < rate dt`` each step).

    It emits in the steps ``[first, end)``, whose spikes NEST stamps inside ``(start, stop]``. A
    population whose every projection became a :class:`PoissonInputPlan` and whose spikes are not
    recorded is not simulated (``simulated`` false).
    """

    name: str
    n: int
    rate: np.ndarray  # Hz
    first: int
    end: int
    simulated: bool = True

    THRESHOLD: ClassVar[str] = "rand() < rate*dt and t_in_timesteps >= first and t_in_timesteps < end"
    EQUATIONS: ClassVar[str] = "rate : hertz (constant)\nfirst : integer (constant, shared)\n" \
                               "end : integer (constant, shared)"


@dataclass
class SynapsePlan:
    """One Synapses object: one source group, one target group, one receptor channel."""

    name: str
    source: str  # a GroupPlan name, "sources", or a native Poisson name
    target: str
    channel: str  # "ex", "in" or "delta"
    i: np.ndarray
    j: np.ndarray
    weights: np.ndarray  # NEST units, the value added to the channel
    delays: np.ndarray  # in steps
    tsodyks: dict[str, float] | None = None
    probability: float | None = None  # native connect(p=...)
    autapses: bool = True  # native: whether i == j may connect (a projection onto its own source)

    @property
    def shared_weight(self) -> bool:
        """One weight for every synapse: declared shared (one value to look up and to pass as run_args)."""
        return self.tsodyks is None and bool(self.weights.size) and bool(np.all(self.weights == self.weights[0]))

    @property
    def uniform_delay(self) -> int | None:
        return int(self.delays[0]) if self.delays.size and np.all(self.delays == self.delays[0]) else None


@dataclass
class Plan:
    groups: dict[str, GroupPlan]
    sources: SourcePlan | None
    natives: list[NativePoisson]
    synapses: list[SynapsePlan]
    dt: float
    n_steps: int

    @property
    def uses_brian2_rng(self) -> bool:
        """Whether Brian2 draws anything itself (native sources, inputs, noise or connect(p=...))."""
        return (any(n.simulated for n in self.natives) or any(s.probability is not None for s in self.synapses)
                or any(g.noises or g.inputs for g in self.groups.values()))

    def structure_hash(self, extra: Any = ()) -> str:
        """A hash of everything compiled into a standalone binary, and of no value set by run_args.

        A ``PoissonInput``'s rate is compiled in (Brian2 fixes its binomial at construction).
        """
        digest = hashlib.sha256(repr((self.dt, self.n_steps, extra)).encode())
        for g in self.groups.values():
            digest.update(repr((g.name, g.membrane, g.receptor, g.n, g.method, g.fine, sorted(g.shared),
                                [(s.name, s.values.shape, s.every) for s in g.stimuli],
                                [(n.name, n.tick) for n in g.noises],
                                [(p.name, p.channel, p.n, p.rate, p.when, p.shared_weight)
                                 for p in g.inputs],
                                [(d.name, d.channel, d.when, d.values.shape) for d in g.drives])).encode())
        if self.sources is not None:
            s = self.sources
            digest.update(repr((s.n, s.layers)).encode())
            digest.update(s.indices.tobytes() + s.times.tobytes())
        for native in self.natives:
            digest.update(repr((native.name, native.n, native.simulated)).encode())
        for syn in self.synapses:
            digest.update(repr((syn.name, syn.source, syn.target, syn.channel, syn.tsodyks is not None,
                                syn.probability, syn.autapses, syn.uniform_delay,
                                syn.shared_weight)).encode())
            digest.update(syn.i.tobytes() + syn.j.tobytes() + syn.delays.tobytes())
        return digest.hexdigest()[:16]


def plan(lowered: LoweredNetwork, methods: Mapping[str, str] | None = None, adex_substeps: int = 1) -> Plan:
    """Pair groups as NeuronGroups, realized sources in one generator, pathways by (sender, group, channel).

    ``adex_substeps > 1`` runs AdEx groups on a clock that many times finer (see :data:`FINE`).
    """
    groups = {name: _group(pair, lowered.dt, methods, adex_substeps if pair.membrane == "adex" else 1)
              for name, pair in lowered.groups.items()}
    locate = {m.population: (g.name, m.offset) for g in lowered.groups.values() for m in g.members.values()}
    inputs = {p.projection for p in lowered.pathways if p.native is not None and p.native.how == "poisson_input"}
    drives = _drive_sources(lowered, groups)
    sources = _sources(lowered, drives)
    if sources is not None:
        locate.update({name: ("sources", offset) for name, offset in sources.offsets.items()})
    natives = _natives(lowered, inputs)
    locate.update({n.name: (n.name, 0) for n in natives})
    synapses = _synapses(lowered, groups, locate, sources, inputs, drives)
    for current in lowered.currents:
        group = groups[current.group]
        if current.native is not None and current.native.native:
            group.noises.append(_noise(current, group.n, lowered))
        else:
            group.stimuli.append(_stimulus(current, group.n))
    return Plan(groups, sources, natives, synapses, lowered.dt, lowered.n_steps)


def _group(pair: PairGroup, dt: float, methods: Mapping[str, str] | None, fine: int) -> GroupPlan:
    params = {**pair.params, **_derived(pair, dt)}
    if fine > 1:
        params["refractory_steps"] = pair.refractory_steps.astype(float)
    initial = {STATE_VARIABLES[k][0]: v for k, v in pair.initial.items()}
    offsets = {m.population: m.offset for m in pair.members.values()}
    return GroupPlan(pair.name, pair.membrane, pair.receptor, pair.n, offsets, params, initial,
                     method_for(pair.membrane, pair.receptor, methods), fine=fine)


def _derived(pair: PairGroup, dt: float) -> dict[str, np.ndarray]:
    """Parameters Brian2 needs beyond NEST's: the refractory span, AdEx's spike detection, propagators."""
    membrane, receptor, params = pair.membrane, pair.receptor, pair.params
    linear = membrane == "lif" and receptor in ("current_exp", "current_alpha")
    derived = _lif_propagators(receptor, params, dt) if linear else {}
    if membrane != "izhikevich":
        # Brian2 clamps while timestep(t - lastspike) < timestep(refractory), counted from the spike step.
        derived["t_refractory"] = (pair.refractory_steps + 1.0) * dt
    if membrane == "adex":
        has_exp = params["Delta_T"] > 0
        derived["has_exp"] = has_exp.astype(float)
        derived["Delta_T_safe"] = np.where(has_exp, params["Delta_T"], 1.0)
        derived["V_detect"] = np.where(has_exp, params["V_peak"], params["V_th"])
    return derived


def _lif_propagators(receptor: str, params: Mapping[str, np.ndarray], dt: float) -> dict[str, np.ndarray]:
    """NEST ``iaf_psc_exp`` / ``iaf_psc_alpha`` propagators, from the core's exact ones.

    Rows and columns are the core's state ``(y, I_ex, I_in, dI_ex, dI_in)``; ``P21``/``P32`` carry a
    current into ``V``, ``P31`` its derivative (alpha).
    """
    tau_m, C_m = params["tau_m"], params["C_m"]
    P = lif_propagators(receptor, params, dt)
    out = {"P22": np.exp(-dt / tau_m), "P20": -tau_m / C_m * np.expm1(-dt / tau_m)}
    for index, channel in enumerate(("ex", "in")):
        if receptor == "current_alpha":
            out[f"P31_{channel}"], out[f"P32_{channel}"] = P[:, 0, 3 + index], P[:, 0, 1 + index]
        else:
            out[f"P21_{channel}"] = P[:, 0, 1 + index]
    return out


def _drive_sources(lowered: LoweredNetwork, groups: Mapping[str, GroupPlan]) -> set[str]:
    """Realized sources held as a grid whose every pathway is a drive onto a group on the network's clock:
    they become :class:`DrivePlan` arrays, not generator spikes."""
    out = set()
    for name, schedule in lowered.sources.items():
        pathways = [p for p in lowered.pathways if p.source == name]
        if schedule.spikes.grid is not None and pathways and all(
                p.is_drive and groups[p.group].fine == 1 for p in pathways):
            out.add(name)
    return out


def _sources(lowered: LoweredNetwork, drives: set[str]) -> SourcePlan | None:
    """Every realized source but the ``drives`` in one generator group; a neuron's spikes in one step
    spread over layers."""
    offsets, start, indices, steps = {}, 0, [], []
    for name, schedule in lowered.sources.items():
        if name in drives:
            continue
        offsets[name] = start
        indices.append(schedule.neurons + start)
        steps.append(schedule.steps)
        start += schedule.size
    if not offsets:
        return None
    index, step = np.concatenate(indices), np.concatenate(steps)
    layer = _layers(index, step)
    return SourcePlan(start, int(layer.max(initial=0)) + 1, offsets, index + layer * start, step * lowered.dt)


def _natives(lowered: LoweredNetwork, inputs: set[int]) -> list[NativePoisson]:
    """Native Poisson sources; one whose every pathway is a PoissonInput and that nobody records is not simulated."""
    plans = []
    for name, native in lowered.natives.items():
        simulated = name in lowered.spike_populations or any(
            p.source == name and p.projection not in inputs for p in lowered.pathways)
        plans.append(NativePoisson(name, native.size, native.params["rate"], native.first, native.end, simulated))
    return plans


def _layers(index: np.ndarray, step: np.ndarray) -> np.ndarray:
    """For each spike, how many earlier spikes of the same neuron share its step (0 for most)."""
    if not index.size:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((index, step))
    key = step[order] * (index.max() + 1) + index[order]
    first = np.r_[True, key[1:] != key[:-1]]
    run_start = np.maximum.accumulate(np.where(first, np.arange(key.size), 0))
    layer = np.empty_like(index)
    layer[order] = np.arange(key.size) - run_start
    return layer


def _synapses(lowered: LoweredNetwork, groups: Mapping[str, GroupPlan], locate: Mapping[str, tuple[str, int]],
              sources: SourcePlan | None, inputs: set[int], drives: set[str]) -> list[SynapsePlan]:
    static: dict[tuple[str, str, str, float | None], list[tuple[np.ndarray, ...]]] = {}
    plans: list[SynapsePlan] = []
    driving: dict[str, list[Pathway]] = {}
    for pathway in lowered.pathways:
        group = groups[pathway.group]
        target_offset = group.offsets[pathway.target]
        if pathway.projection in inputs:
            group.inputs.append(_poisson_input(pathway, group, target_offset, lowered))
            continue
        if pathway.source in drives:
            driving.setdefault(group.name, []).append(pathway)
            continue
        source, source_offset = locate[pathway.source]
        if pathway.drawn_by_simulator:
            plans.append(_native(pathway, group, source, source_offset, target_offset, lowered))
            continue
        i, j = pathway.pre + source_offset, pathway.post + target_offset
        columns = _replicate(source, sources, i, j, pathway.delay_steps, pathway.values)
        if pathway.synapse.model == "tsodyks_markram":
            i, j, steps, values = columns
            plans.append(SynapsePlan(f"stp{pathway.projection}_{pathway.channel}", source, group.name, pathway.channel,
                                     i, j, values, steps, tsodyks=dict(pathway.synapse.params)))
        else:
            # One object per weight where a pathway has one: Brian2's numpy target delivers a shared weight
            # about twice as fast as a per-synapse one (Brunel NE 2000: 1.5 s against 2.6 s for 1 s).
            static.setdefault((source, group.name, pathway.channel, pathway.shared_weight), []).append(columns)
    named: dict[tuple[str, str, str], int] = {}
    for (source, target, channel, _), parts in static.items():
        i, j, steps, values = (np.concatenate(c) for c in zip(*parts))
        count = named[source, target, channel] = named.get((source, target, channel), 0) + 1
        name = f"{source}_to_{target}_{channel}" + (f"_{count}" if count > 1 else "")
        plans.append(SynapsePlan(name, source, target, channel, i, j, values, steps))
    for group in groups.values():
        group.inputs = _merged_inputs(group.inputs)
        group.drives = _drives(driving.get(group.name, []), group, lowered)
    return plans


def _drives(pathways: list[Pathway], group: GroupPlan, lowered: LoweredNetwork) -> list[DrivePlan]:
    """The group's drive pathways as arrays, those of one channel and slot that reach disjoint neurons in one.

    A drive of delay ``D`` steps adds in step ``m`` the counts emitted in step ``m - D``, times each
    synapse's value (the product the reference adds, ``value * count``), in the slot where the pathway
    it replaces delivers them: ``after_groups`` for ``delta`` (that pathway waits ``D - 1`` steps from
    the step after the emission, when it reads the spikes), ``synapses`` otherwise.
    """
    parts: dict[tuple[str, str], list[list[tuple[Pathway, np.ndarray]]]] = {}
    for pathway in pathways:
        early = pathway.acts_in_arrival_step
        neurons = group.offsets[pathway.target] + pathway.post
        slots = parts.setdefault((pathway.channel, "after_groups" if early else "synapses"), [])
        for slot in slots:  # the first array none of whose neurons this pathway reaches
            if not any(np.intersect1d(neurons, group.offsets[p.target] + p.post).size for p, _ in slot):
                slot.append((pathway, neurons))
                break
        else:
            slots.append([(pathway, neurons)])
    plans = []
    rows = lowered.n_steps + 1
    for (channel, when), slots in parts.items():
        for slot in slots:
            name = f"drive{slot[0][0].projection}_{channel}"
            columns = sum(neurons.size for _, neurons in slot) + 1
            values = np.zeros((rows, columns))
            column = np.full(group.n, columns - 1, dtype=np.int64)
            start = 0
            for pathway, neurons in slot:
                spikes = lowered.sources[pathway.source].spikes
                assert spikes.grid is not None
                first = spikes.first + int(pathway.uniform_delay or 0)
                take = max(min(spikes.grid.shape[0], rows - first), 0)
                counts = take_columns(spikes.grid[:take], pathway.pre)
                weights = np.broadcast_to(pathway.values, pathway.pre.shape)
                weight = float(weights[0]) if is_shared(weights) else weights  # a scalar: the same products
                np.multiply(counts, weight, out=values[first:first + take, start:start + neurons.size])
                column[neurons] = np.arange(start, start + neurons.size)
                start += neurons.size
            plans.append(DrivePlan(name, channel, when, values, column))
    return plans


def drive_code(membrane: str, receptor: str, plan: DrivePlan) -> str:
    """The statement that adds a drive's row of the step to its channel, as the channel's ``on_pre`` adds a weight."""
    variable, expression = on_pre(membrane, receptor, plan.channel).split(" += ")
    expression = expression.replace("_post", "").replace("weight", f"{plan.name}(t, {plan.name}_column)")
    return f"{variable.removesuffix('_post')} += {expression}"


def _merged_inputs(inputs: list[PoissonInputPlan]) -> list[PoissonInputPlan]:
    """Poisson inputs that differ only in whom they reach, on disjoint neurons, as one: one draw per step
    over the group instead of one per target population (a code object per step costs the numpy target
    about as much as drawing 2,000 counts). Each neuron still gets its own count of the same law."""
    merged: dict[tuple[Any, ...], PoissonInputPlan] = {}
    out: list[PoissonInputPlan] = []
    for plan in inputs:
        key = (plan.channel, plan.n, plan.rate, plan.first, plan.end, plan.when)
        into = merged.get(key)
        if into is not None and not np.any((into.weight != 0) & (plan.weight != 0)):
            into.weight = into.weight + plan.weight
            continue
        plan = dataclasses.replace(plan, weight=plan.weight.copy())
        merged[key] = plan
        out.append(plan)
    return out


def _replicate(source: str, sources: SourcePlan | None, i: np.ndarray, j: np.ndarray, steps: np.ndarray,
               weights: np.ndarray) -> tuple[np.ndarray, ...]:
    """Give each generator layer the synapses of its source neurons."""
    if source != "sources" or sources is None or sources.layers == 1:
        return i, j, steps, weights
    k = sources.layers
    return (np.concatenate([i + layer * sources.n for layer in range(k)]), np.tile(j, k),
            np.tile(steps, k), np.tile(weights, k))


def _native(pathway: Pathway, group: GroupPlan, source: str, source_offset: int, target_offset: int,
            lowered: LoweredNetwork) -> SynapsePlan:
    """A native fixed_probability pathway: Brian2 draws the connections; weight and delay are scalars."""
    spec = pathway.spec
    _, value = sign_rule(group.receptor, np.array([float(spec.weight)]))[pathway.channel]
    i = np.array([source_offset, source_offset + lowered.size(pathway.source)], dtype=np.int64)  # index ranges
    j = np.array([target_offset, target_offset + lowered.size(pathway.target)], dtype=np.int64)
    steps = np.array([lowered.native_delay_steps(pathway)])
    return SynapsePlan(f"native{pathway.projection}_{pathway.channel}", source, group.name, pathway.channel, i, j,
                       value, steps, probability=float(spec.connector.params["p"]),
                       autapses=spec.source != spec.target or spec.connector.allow_autapses)


def _poisson_input(pathway: Pathway, group: GroupPlan, offset: int, lowered: LoweredNetwork) -> PoissonInputPlan:
    """A native fixed in-degree pathway from a native Poisson source, as one ``PoissonInput``."""
    spec, source = pathway.spec, lowered.natives[pathway.source]
    _, value = sign_rule(group.receptor, np.array([float(spec.weight)]))[pathway.channel]
    weight = np.zeros(group.n)
    weight[offset:offset + lowered.size(pathway.target)] = value[0]
    # delta: the step before, as the pathway it replaces (see the module docstring); a fine group's buffer
    # takes the arrivals of the step itself. Its window counts fine steps.
    early = pathway.acts_in_arrival_step and group.fine == 1
    delay = lowered.native_delay_steps(pathway) - early
    limit = np.iinfo(np.int32).max // group.fine
    first, end = source.first + delay, min(source.end, limit - delay) + delay
    return PoissonInputPlan(f"input{pathway.projection}", group.name, pathway.channel, poisson_input_trains(spec),
                            float(source.params["rate"][0]), weight, first * group.fine, end * group.fine,
                            "after_groups" if early else "synapses")


def poisson_input(membrane: str, receptor: str, plan: PoissonInputPlan, fine: int = 1) -> tuple[str, str]:
    """The ``PoissonInput`` variable and weight expression that do what the channel's ``on_pre`` does."""
    variable, expression = on_pre(membrane, receptor, plan.channel, fine=fine).split(" += ")
    window = f"int(t_in_timesteps >= {plan.name}_first and t_in_timesteps < {plan.name}_end)"
    expression = expression.replace("_post", "").replace("weight", f"{plan.name}_weight*{window}")
    return variable.removesuffix("_post"), expression


def _noise(current: CurrentSchedule, n: int, lowered: LoweredNetwork) -> NoisePlan:
    """A native noise stimulus as NEST's noise_generator, drawn by Brian2 (see :class:`NoisePlan`)."""
    p, dt = current.params, lowered.dt
    on = np.zeros(n)
    on[current.group_neurons] = 1.0
    first = int(round(p["start"] / dt))
    end = min(int(round(p["stop"] / dt)) if math.isfinite(p["stop"]) else lowered.n_steps, lowered.n_steps)
    return NoisePlan(f"noise{current.index}", float(p["mean"]), float(p["std"]), max(int(round(p["dt"] / dt)), 1),
                     first, end, on)


def _stimulus(current: CurrentSchedule, n: int) -> StimulusPlan:
    """A current on the coarsest grid holding every change: one row per grid point."""
    steps = current.change_steps
    every = int(np.gcd.reduce(steps)) if steps.size else 1
    n_grid = int(steps.max() // every) + 1 if steps.size else 1
    row = np.searchsorted(steps // every, np.arange(n_grid), side="right") - 1
    shape = (n_grid,) if current.shared else (n_grid, current.neurons.size)
    values = np.zeros(shape)
    values[row >= 0] = current.amplitudes[row[row >= 0]]
    on, column = np.zeros(n), np.zeros(n, dtype=np.int64)
    on[current.group_neurons] = 1.0
    column[current.group_neurons] = np.arange(current.neurons.size)
    return StimulusPlan(f"stimulus{current.index}", values, every, on, column)
