"""What can be described: every membrane, receptor, source, stimulus, synapse and connector, as a spec.

Everything here is data. A spec holds the names, units, defaults and allowed
ranges of its quantities and the constraints between them; they are NEST
3.10's (its models' ``set_status`` checks), so a NEST user reads them at sight,
and they are checked once, by the core, for every backend. Specs live in
registries: looking up a name that is not registered raises the standard
"unknown name" error, so a missing entry is an error, never a fallthrough.

Units are NEST's (ms, mV, pA, nS, pF, Hz); :data:`UNITS` is the one table of
them, read by the Brian2 adapter, the report and the plots.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Generic, TypeVar

from .errors import unknown

INF = math.inf


# -- quantities and their ranges -----------------------------------------------------------------

@dataclass(frozen=True)
class Interval:
    """The values a quantity may take: ``low .. high``, each end open or closed."""

    low: float = -INF
    high: float = INF
    low_closed: bool = True
    high_closed: bool = True

    def contains(self, low: float, high: float) -> bool:
        """Whether every value in ``[low, high]`` (a value's support) is allowed."""
        above = low >= self.low if self.low_closed else low > self.low
        below = high <= self.high if self.high_closed else high < self.high
        return above and below

    def describe(self) -> str:
        """``> 0``, ``>= 0``, ``in [0, 1]``, ...: what the error messages say is allowed."""
        if self.high == INF and self.low == -INF:
            return "a finite number"
        if self.high == INF:
            return f"{'>=' if self.low_closed else '>'} {self.low:g}"
        if self.low == -INF:
            return f"{'<=' if self.high_closed else '<'} {self.high:g}"
        return f"in {'[' if self.low_closed else '('}{self.low:g}, {self.high:g}{']' if self.high_closed else ')'}"


ANY = Interval()
POSITIVE = Interval(0.0, INF, low_closed=False)
NON_NEGATIVE = Interval(0.0)
NON_POSITIVE = Interval(-INF, 0.0)
FRACTION = Interval(0.0, 1.0)

#: The largest magnitude any physical value may have, in NEST's units. None is physical, and
#: several (a 1e12 nS conductance) make NEST's adaptive integrators shrink their step for ever.
MAX_MAGNITUDE = 1e9
#: The largest synaptic weight (pA, nS or mV): a 1 uA current or a 1 mS conductance.
MAX_WEIGHT = 1e6


@dataclass(frozen=True)
class Quantity:
    """A parameter or state variable: NEST's name, its unit, its default and what it may be."""

    name: str
    unit: str
    default: float | None = None
    allowed: Interval = ANY
    doc: str = ""


@dataclass(frozen=True)
class Relation:
    """A constraint every neuron's parameters must meet: ``left < right`` or ``left <= right``."""

    left: str
    operator: str  # "<" or "<="
    right: str
    #: NEST's wording of the check, quoted in the error.
    nest: str

    def describe(self) -> str:
        return f"{self.left} {self.operator} {self.right}"


Quantities = tuple[Quantity, ...]


def _table(*quantities: Quantity) -> Quantities:
    return tuple(quantities)


# -- membranes ------------------------------------------------------------------------------------

_C_m = Quantity("C_m", "pF", 250.0, POSITIVE, "membrane capacitance")
_t_ref = Quantity("t_ref", "ms", 2.0, NON_NEGATIVE, "refractory period")
_I_e = Quantity("I_e", "pA", 0.0, ANY, "constant input current")
_E_L = Quantity("E_L", "mV", -70.0, ANY, "resting potential")
_V_th = Quantity("V_th", "mV", -55.0, ANY, "spike threshold")


@dataclass(frozen=True)
class MembraneSpec:
    """A membrane's dynamics: its parameters (which may depend on the receptor kind), states, rules."""

    name: str
    #: Parameters with current (and delta) receptors, NEST's defaults.
    current: Quantities
    #: Parameters with conductance receptors (NEST's ``iaf_cond_*`` differ from ``iaf_psc_*``).
    conductance: Quantities
    #: State variables besides the receptor's; ``default`` is the initial value (``None``: a rule).
    states: Quantities
    relations: tuple[Relation, ...] = ()
    #: NEST's models of this membrane default to a 0.2 ms excitatory synapse (``aeif_*``).
    fast_synapses: bool = False
    doc: str = ""

    def parameters(self, receptor: ReceptorSpec) -> Quantities:
        return self.conductance if receptor.kind == "conductance" else self.current


_LIF_RELATIONS = (Relation("V_reset", "<", "V_th", "Reset potential must be smaller than threshold."),)

LIF = MembraneSpec(
    "lif",
    current=_table(_C_m, Quantity("tau_m", "ms", 10.0, POSITIVE, "membrane time constant"), _E_L, _V_th,
                   Quantity("V_reset", "mV", -70.0), _t_ref, _I_e),
    conductance=_table(_C_m, Quantity("g_L", "nS", 16.6667, POSITIVE, "leak conductance"), _E_L, _V_th,
                       Quantity("V_reset", "mV", -60.0), _t_ref, _I_e),
    states=_table(Quantity("V_m", "mV", None, doc="membrane potential; starts at E_L")),
    relations=_LIF_RELATIONS,
    doc="leaky integrate-and-fire (NEST iaf_psc_* / iaf_cond_*)",
)

_ADEX_PARAMETERS = _table(
    Quantity("C_m", "pF", 281.0, POSITIVE), Quantity("g_L", "nS", 30.0, POSITIVE),
    Quantity("E_L", "mV", -70.6), Quantity("V_th", "mV", -50.4), Quantity("V_reset", "mV", -60.0),
    Quantity("t_ref", "ms", 0.0, NON_NEGATIVE), Quantity("Delta_T", "mV", 2.0, NON_NEGATIVE),
    Quantity("V_peak", "mV", 0.0), Quantity("a", "nS", 4.0), Quantity("b", "pA", 80.5),
    Quantity("tau_w", "ms", 144.0, POSITIVE), _I_e)

#: ``(V_peak - V_th) / Delta_T`` at or above this overflows NEST's exponential (its own limit).
ADEX_MAX_EXP_ARGUMENT = math.log(1.7976931348623157e308 / 1e20)

ADEX = MembraneSpec(
    "adex", current=_ADEX_PARAMETERS, conductance=_ADEX_PARAMETERS,
    states=_table(Quantity("V_m", "mV", None, doc="membrane potential; starts at E_L"),
                  Quantity("w", "pA", 0.0, doc="adaptation current")),
    relations=(Relation("V_th", "<=", "V_peak", "V_peak >= V_th required."),
               Relation("V_reset", "<", "V_peak", "Ensure that V_reset < V_peak.")),
    fast_synapses=True,
    doc="adaptive exponential integrate-and-fire (NEST aeif_*)",
)

_IZHIKEVICH_PARAMETERS = _table(
    Quantity("a", "1/ms", 0.02, doc="time scale of the recovery variable"),
    Quantity("b", "1", 0.2, doc="sensitivity of the recovery variable"),
    Quantity("c", "mV", -65.0, doc="reset value of V_m"), Quantity("d", "mV", 8.0, doc="increment of U_m"),
    Quantity("V_th", "mV", 30.0, doc="spike peak"), _I_e)

IZHIKEVICH = MembraneSpec(
    "izhikevich", current=_IZHIKEVICH_PARAMETERS, conductance=_IZHIKEVICH_PARAMETERS,
    states=_table(Quantity("V_m", "mV", -65.0, doc="membrane potential"),
                  Quantity("U_m", "mV", None, doc="recovery variable; starts at b * V_m")),
    doc="Izhikevich (2003) (NEST izhikevich, forward Euler)",
)


# -- receptors ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceptorSpec:
    """A postsynaptic receptor: what a weight means, its time constants and its state."""

    name: str
    kind: str  # "delta", "current" or "conductance"
    shape: str  # "delta", "exp" or "alpha"
    weight_unit: str
    states: Quantities = ()
    doc: str = ""

    def parameters(self, membrane: MembraneSpec) -> Quantities:
        """Time constants (NEST's defaults for the pair) and, for conductances, reversal potentials."""
        if self.kind == "delta":
            return ()
        fast = membrane.fast_synapses or self.kind == "conductance"
        taus = (Quantity("tau_syn_ex", "ms", 0.2 if fast else 2.0, POSITIVE),
                Quantity("tau_syn_in", "ms", 2.0, POSITIVE))
        if self.kind == "conductance":
            return taus + (Quantity("E_ex", "mV", 0.0), Quantity("E_in", "mV", -85.0))
        return taus


_CURRENTS = _table(Quantity("I_syn_ex", "pA", 0.0, NON_NEGATIVE, "excitatory synaptic current"),
                   Quantity("I_syn_in", "pA", 0.0, NON_POSITIVE, "inhibitory synaptic current"))
_CONDUCTANCES = _table(Quantity("g_ex", "nS", 0.0, NON_NEGATIVE, "excitatory conductance"),
                       Quantity("g_in", "nS", 0.0, NON_NEGATIVE, "inhibitory conductance"))

CURRENT_DELTA = ReceptorSpec("current_delta", "delta", "delta", "mV", doc="a spike moves V_m by its weight")
CURRENT_EXP = ReceptorSpec("current_exp", "current", "exp", "pA", _CURRENTS)
CURRENT_ALPHA = ReceptorSpec("current_alpha", "current", "alpha", "pA", _CURRENTS)
CONDUCTANCE_EXP = ReceptorSpec("conductance_exp", "conductance", "exp", "nS", _CONDUCTANCES)
CONDUCTANCE_ALPHA = ReceptorSpec("conductance_alpha", "conductance", "alpha", "nS", _CONDUCTANCES)


# -- sources, stimuli, synapses, connectors -------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """A field of a source, stimulus or connector.

    ``kind``: ``value`` (a value spec: scalar, per-item list or distribution), ``number``,
    ``time`` (ms, on the grid; ``inf`` allowed where ``infinite``), ``times`` (a strictly increasing
    list of times on the grid), ``spike_times`` (sorted, > 0, one list or one per neuron),
    ``numbers`` (a list of numbers), ``count`` (a non-negative integer), ``indices`` (a list of
    them), ``flag`` (a YAML boolean).
    """

    name: str
    kind: str
    default: object = None
    required: bool = False
    allowed: Interval = ANY
    unit: str = ""
    infinite: bool = False
    #: Must lie on the time grid (a multiple of dt), as NEST's devices require.
    on_grid: bool = False


@dataclass(frozen=True)
class ElementSpec:
    """A source, stimulus, synapse or connector and its fields."""

    name: str
    fields: tuple[Field, ...]
    doc: str = ""
    #: The field a bare value stands for (``{fixed_probability: 0.02}``).
    shorthand: str | None = None
    #: Groups of fields of which exactly one must be given.
    one_of: tuple[tuple[str, ...], ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _start(default: float = 0.0) -> Field:
    return Field("start", "time", default, allowed=NON_NEGATIVE, unit="ms", on_grid=True)


def _stop(required: bool = False) -> Field:
    return Field("stop", "time", None if required else INF, required=required, allowed=NON_NEGATIVE, unit="ms",
                 infinite=not required, on_grid=True)


SOURCE_SPECS = (
    ElementSpec("poisson", (Field("rate", "value", required=True, allowed=NON_NEGATIVE, unit="Hz"), _start(), _stop()),
                "independent Poisson trains, active in (start, stop]"),
    ElementSpec("spike_times", (Field("times", "spike_times", required=True, unit="ms"),
                                Field("allow_offgrid_times", "flag", False)),
                "given spike times (one list for all, or a list per neuron); off the grid only with "
                "allow_offgrid_times, which moves them to the end of their step as NEST does"),
    ElementSpec("regular", (Field("rate", "value", allowed=NON_NEGATIVE, unit="Hz"),
                            Field("interval", "value", allowed=POSITIVE, unit="ms"),
                            Field("start", "time", None, allowed=POSITIVE, unit="ms"),
                            Field("stop", "time", INF, allowed=NON_NEGATIVE, unit="ms", infinite=True)),
                "spikes every interval (or 1000/rate ms) from start (default dt), each rounded to the grid",
                one_of=(("rate", "interval"),)),
)

STIMULUS_SPECS = (
    ElementSpec("dc", (Field("amplitude", "value", required=True, unit="pA"), _start(), _stop())),
    ElementSpec("step", (Field("times", "times", required=True, unit="ms"),
                         Field("amplitudes", "numbers", required=True, unit="pA"))),
    ElementSpec("noise", (Field("mean", "value", 0.0, unit="pA"),
                          Field("std", "number", required=True, allowed=NON_NEGATIVE, unit="pA"),
                          Field("dt", "time", 1.0, allowed=POSITIVE, unit="ms", on_grid=True), _start(), _stop())),
    ElementSpec("random_step", (Field("amplitude", "value", required=True, unit="pA"),
                                Field("interval", "time", allowed=POSITIVE, unit="ms", on_grid=True),
                                Field("times", "times", unit="ms"), _start(), _stop(),
                                Field("independent", "flag", False)),
                one_of=(("interval", "times"),)),
    ElementSpec("ramp", (_start(), _stop(required=True), Field("amplitude_start", "number", 0.0, unit="pA"),
                         Field("amplitude_stop", "number", required=True, unit="pA"))),
    ElementSpec("sinusoidal", (Field("amplitude", "number", required=True, unit="pA"),
                               Field("frequency", "number", required=True, allowed=NON_NEGATIVE, unit="Hz"),
                               Field("phase", "number", 0.0, unit="deg"), Field("offset", "number", 0.0, unit="pA"),
                               _start(), _stop())),
)

SYNAPSE_SPECS = (
    ElementSpec("static", ()),
    ElementSpec("tsodyks_markram", (
        Field("U", "number", 0.5, allowed=FRACTION),
        Field("tau_rec", "number", 800.0, allowed=POSITIVE, unit="ms"),
        Field("tau_fac", "number", 0.0, allowed=NON_NEGATIVE, unit="ms"),
        Field("u", "number", None, allowed=FRACTION),
        Field("x", "number", 1.0, allowed=FRACTION)),
        "NEST tsodyks2_synapse: depression (tau_rec) and facilitation (tau_fac); u starts at U unless given"),
)

_N = Field("n", "count", required=True)
CONNECTOR_SPECS = (
    ElementSpec("one_to_one", ()),
    ElementSpec("all_to_all", ()),
    ElementSpec("fixed_probability", (Field("p", "number", required=True, allowed=FRACTION),), shorthand="p"),
    ElementSpec("fixed_indegree", (_N,), shorthand="n"),
    ElementSpec("fixed_outdegree", (_N,), shorthand="n"),
    ElementSpec("fixed_total_number", (_N,), shorthand="n"),
    ElementSpec("ring", (Field("p", "number", 1.0, allowed=FRACTION),
                         Field("radius", "number", required=True, allowed=NON_NEGATIVE, unit="rad")),
                shorthand="radius"),
    ElementSpec("from_list", (Field("sources", "indices", required=True), Field("targets", "indices", required=True))),
)
#: Options every connector takes besides its own fields (NEST's ``conn_spec`` flags).
CONNECTOR_OPTIONS = (Field("allow_autapses", "flag", True), Field("allow_multapses", "flag", True))


# -- distributions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DistributionSpec:
    """A distribution a value may be drawn from: its fields and what each may be."""

    name: str
    fields: tuple[Quantity, ...]
    #: The support before ``factor`` and clipping, from the fields (low, high).
    random: bool = True


DISTRIBUTION_SPECS = (
    DistributionSpec("normal", (Quantity("mean", ""), Quantity("std", "", allowed=NON_NEGATIVE))),
    DistributionSpec("uniform", (Quantity("low", ""), Quantity("high", ""))),
    DistributionSpec("gamma", (Quantity("shape", "", allowed=POSITIVE), Quantity("scale", "", allowed=POSITIVE))),
    DistributionSpec("lognormal", (Quantity("mean", ""), Quantity("sigma", "", allowed=NON_NEGATIVE))),
    DistributionSpec("linspace", (Quantity("first", ""), Quantity("last", "")), random=False),
    # NEST's ``nest.math.redraw(nest.random.normal(mean, std), min=low, max=high)``: a normal draw, redrawn
    # while outside [low, high] (both included); ``low`` may be -inf and ``high`` inf.
    DistributionSpec("truncated_normal", (Quantity("mean", ""), Quantity("std", "", allowed=NON_NEGATIVE),
                                          Quantity("low", ""), Quantity("high", ""))),
)
DISTRIBUTION_OPTIONS = ("min", "max", "factor")


# -- registries -------------------------------------------------------------------------------------

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """Specs by name; a name that is not registered raises the standard "unknown" error."""

    def __init__(self, kind: str, specs: tuple[T, ...]) -> None:
        self.kind = kind
        self._specs: dict[str, T] = {spec.name: spec for spec in specs}  # type: ignore[attr-defined]

    def __getitem__(self, name: str) -> T:
        if name not in self._specs:
            raise unknown(self.kind, name, f"the {self.kind}s neurobridge knows", self._specs)
        return self._specs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def lookup(self, name: object, where: str) -> T:
        """The spec of ``name`` or the standard error naming ``where`` and the allowed names."""
        if not isinstance(name, str) or name not in self._specs:
            raise unknown(self.kind, name, where, self._specs)
        return self._specs[name]


MEMBRANE_SPECS: Registry[MembraneSpec] = Registry("model", (LIF, ADEX, IZHIKEVICH))
RECEPTOR_SPECS: Registry[ReceptorSpec] = Registry(
    "receptor", (CURRENT_DELTA, CURRENT_EXP, CURRENT_ALPHA, CONDUCTANCE_EXP, CONDUCTANCE_ALPHA))
SOURCES_REGISTRY: Registry[ElementSpec] = Registry("source", SOURCE_SPECS)
STIMULUS_REGISTRY: Registry[ElementSpec] = Registry("stimulus kind", STIMULUS_SPECS)
SYNAPSE_REGISTRY: Registry[ElementSpec] = Registry("synapse", SYNAPSE_SPECS)
CONNECTOR_REGISTRY: Registry[ElementSpec] = Registry("connector", CONNECTOR_SPECS)
DISTRIBUTION_REGISTRY: Registry[DistributionSpec] = Registry("distribution", DISTRIBUTION_SPECS)


# -- names the rest of the code uses -----------------------------------------------------------------

MEMBRANES = tuple(MEMBRANE_SPECS)
SOURCES = tuple(SOURCES_REGISTRY)
MODELS = MEMBRANES + SOURCES
RECEPTORS = tuple(RECEPTOR_SPECS)
CURRENT_RECEPTORS = tuple(name for name, r in RECEPTOR_SPECS.items() if r.kind != "conductance")
CONDUCTANCE_RECEPTORS = tuple(name for name, r in RECEPTOR_SPECS.items() if r.kind == "conductance")
STIMULI = tuple(STIMULUS_REGISTRY)
SYNAPSES = tuple(SYNAPSE_REGISTRY)
CONNECTORS = tuple(CONNECTOR_REGISTRY)
DISTRIBUTIONS = tuple(DISTRIBUTION_REGISTRY)

#: Unit of a synaptic weight onto each receptor (NEST's convention).
WEIGHT_UNIT = MappingProxyType({name: r.weight_unit for name, r in RECEPTOR_SPECS.items()})


def pair_quantities(membrane: str, receptor: str) -> Quantities:
    """Every parameter of ``membrane × receptor``: the membrane's, then the receptor's."""
    m, r = MEMBRANE_SPECS[membrane], RECEPTOR_SPECS[receptor]
    return m.parameters(r) + r.parameters(m)


def parameter_defaults(membrane: str, receptor: str) -> Mapping[str, float]:
    """NEST's defaults for the neuron that is ``membrane × receptor``."""
    return MappingProxyType({q.name: q.default for q in pair_quantities(membrane, receptor)
                             if q.default is not None})


def state_quantities(membrane: str, receptor: str) -> Quantities:
    """Recordable state variables: ``V_m``, the receptor's (``I_syn_ex``, ``g_ex``, ...), ``w`` / ``U_m``."""
    m, r = MEMBRANE_SPECS[membrane], RECEPTOR_SPECS[receptor]
    return m.states[:1] + r.states + m.states[1:]


def state_variables(membrane: str, receptor: str) -> tuple[str, ...]:
    """Recordable state variables, NEST's names (``V_m``, ``I_syn_ex``, ``g_ex``, ``w``, ``U_m``)."""
    return tuple(q.name for q in state_quantities(membrane, receptor))


def initial_defaults(membrane: str, params: Mapping[str, object]) -> dict[str, object]:
    """Initial values where the description gives none: ``V_m`` at ``E_L`` (LIF, AdEx), NEST's fixed
    defaults otherwise; ``U_m = b * V_m`` (Izhikevich) is computed at realization."""
    values: dict[str, object] = {}
    for quantity in MEMBRANE_SPECS[membrane].states:
        if quantity.default is not None:
            values[quantity.name] = quantity.default
        elif quantity.name == "V_m":
            values["V_m"] = params.get("E_L")
    return values


def _units() -> Mapping[str, str]:
    units: dict[str, str] = {}
    for m in MEMBRANE_SPECS.values():
        for r in RECEPTOR_SPECS.values():
            for q in (*pair_quantities(m.name, r.name), *state_quantities(m.name, r.name)):
                if units.setdefault(q.name, q.unit) != q.unit and q.name not in ("a", "b"):
                    raise AssertionError(f"{q.name} has two units: {units[q.name]} and {q.unit}")
    return MappingProxyType(units)


#: The unit of every parameter and state variable by NEST's name (``a``, ``b``: AdEx's nS and pA;
#: Izhikevich's ``a`` is 1/ms and ``b`` dimensionless, see :func:`unit`).
UNITS = _units()


def unit(name: str, membrane: str | None = None) -> str:
    """The unit of a parameter or state variable (of ``membrane`` where the name is ambiguous)."""
    if membrane is not None:
        m = MEMBRANE_SPECS[membrane]
        for q in (*m.current, *m.conductance, *m.states):
            if q.name == name:
                return q.unit
    return UNITS[name]


__all__ = ["Interval", "Quantity", "Relation", "MembraneSpec", "ReceptorSpec", "ElementSpec", "Field",
           "DistributionSpec", "Registry", "MEMBRANE_SPECS", "RECEPTOR_SPECS", "SOURCES_REGISTRY",
           "STIMULUS_REGISTRY", "SYNAPSE_REGISTRY", "CONNECTOR_REGISTRY", "DISTRIBUTION_REGISTRY",
           "parameter_defaults", "state_variables", "initial_defaults", "UNITS", "unit"]
