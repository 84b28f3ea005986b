"""What can be described: the model, receptor, connector, synapse and stimulus tables.

Everything here is data. Parameter names and defaults are NEST 3.10's, so a
NEST user reads them at sight; units are NEST's (ms, mV, pA, nS, pF, Hz).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

INF = math.inf

MEMBRANES = ("lif", "adex", "izhikevich")
SOURCES = ("poisson", "spike_times", "regular")
MODELS = MEMBRANES + SOURCES
RECEPTORS = ("current_delta", "current_exp", "current_alpha", "conductance_exp", "conductance_alpha")
CURRENT_RECEPTORS = ("current_delta", "current_exp", "current_alpha")
CONDUCTANCE_RECEPTORS = ("conductance_exp", "conductance_alpha")

#: Unit of a synaptic weight onto each receptor (NEST's convention).
WEIGHT_UNIT = MappingProxyType({
    "current_delta": "mV", "current_exp": "pA", "current_alpha": "pA",
    "conductance_exp": "nS", "conductance_alpha": "nS",
})

_LIF = {"C_m": 250.0, "tau_m": 10.0, "E_L": -70.0, "V_th": -55.0, "V_reset": -70.0,
        "t_ref": 2.0, "I_e": 0.0}
_LIF_COND = {"C_m": 250.0, "g_L": 16.6667, "E_L": -70.0, "V_th": -55.0, "V_reset": -60.0,
             "t_ref": 2.0, "I_e": 0.0}
_ADEX = {"C_m": 281.0, "g_L": 30.0, "E_L": -70.6, "V_th": -50.4, "V_reset": -60.0,
         "t_ref": 0.0, "Delta_T": 2.0, "V_peak": 0.0, "a": 4.0, "b": 80.5, "tau_w": 144.0,
         "I_e": 0.0}
_IZHIKEVICH = {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0, "V_th": 30.0, "I_e": 0.0}

_SYN_PSC = {"tau_syn_ex": 2.0, "tau_syn_in": 2.0}       # iaf_psc_exp / iaf_psc_alpha
_SYN_FAST = {"tau_syn_ex": 0.2, "tau_syn_in": 2.0}      # iaf_cond_*, aeif_*
_REVERSAL = {"E_ex": 0.0, "E_in": -85.0}


def _receptor_defaults(membrane: str, receptor: str) -> dict[str, float]:
    if receptor == "current_delta":
        return {}
    fast = membrane == "adex" or receptor in CONDUCTANCE_RECEPTORS
    syn = dict(_SYN_FAST if fast else _SYN_PSC)
    if receptor in CONDUCTANCE_RECEPTORS:
        syn.update(_REVERSAL)
    return syn


def _membrane_defaults(membrane: str, receptor: str) -> dict[str, float]:
    if membrane == "lif":
        return dict(_LIF_COND if receptor in CONDUCTANCE_RECEPTORS else _LIF)
    return dict(_ADEX if membrane == "adex" else _IZHIKEVICH)


def parameter_defaults(membrane: str, receptor: str) -> Mapping[str, float]:
    """NEST's defaults for the neuron that is ``membrane × receptor``."""
    return MappingProxyType({**_membrane_defaults(membrane, receptor),
                             **_receptor_defaults(membrane, receptor)})


def state_variables(membrane: str, receptor: str) -> tuple[str, ...]:
    """Recordable state variables, NEST's names (``V_m``, ``I_syn_ex``, ``g_ex``, ``w``, ``U_m``)."""
    names = ["V_m"]
    if receptor in ("current_exp", "current_alpha"):
        names += ["I_syn_ex", "I_syn_in"]
    elif receptor in CONDUCTANCE_RECEPTORS:
        names += ["g_ex", "g_in"]
    if membrane == "adex":
        names.append("w")
    elif membrane == "izhikevich":
        names.append("U_m")
    return tuple(names)


def initial_defaults(membrane: str, params: Mapping[str, object]) -> dict[str, object]:
    """Initial values where the description gives none: rest (``E_L``), ``w`` 0, Izhikevich's -65 mV."""
    if membrane == "izhikevich":
        return {"V_m": -65.0}  # U_m defaults to b * V_m, computed at realization
    values: dict[str, object] = {"V_m": params.get("E_L")}
    if membrane == "adex":
        values["w"] = 0.0
    return values


#: Spike-source parameters and their defaults (``None``: required).
SOURCE_PARAMETERS: Mapping[str, Mapping[str, object]] = MappingProxyType({
    "poisson": {"rate": None, "start": 0.0, "stop": INF},
    "spike_times": {"times": None},
    "regular": {"rate": None, "interval": None, "start": None, "stop": INF},
})

#: Connector rules and their parameters (``None``: required).
CONNECTORS: Mapping[str, Mapping[str, object]] = MappingProxyType({
    "one_to_one": {},
    "all_to_all": {},
    "fixed_probability": {"p": None},
    "fixed_indegree": {"n": None},
    "fixed_outdegree": {"n": None},
    "fixed_total_number": {"n": None},
    "ring": {"p": 1.0, "radius": None},
    "from_list": {"sources": None, "targets": None},
})
#: The parameter a connector given as a bare number stands for (``{fixed_probability: 0.02}``).
CONNECTOR_SHORTHAND = MappingProxyType({
    "fixed_probability": "p", "fixed_indegree": "n", "fixed_outdegree": "n",
    "fixed_total_number": "n", "ring": "radius",
})

#: Synapse models and their parameters, NEST ``tsodyks2_synapse`` defaults.
SYNAPSES: Mapping[str, Mapping[str, float | None]] = MappingProxyType({
    "static": {},
    "tsodyks_markram": {"U": 0.5, "tau_rec": 800.0, "tau_fac": 0.0, "u": None, "x": 1.0},
})

#: Current stimuli (pA) and their parameters (``None``: required).
STIMULI: Mapping[str, Mapping[str, object]] = MappingProxyType({
    "dc": {"amplitude": None, "start": 0.0, "stop": INF},
    "step": {"times": None, "amplitudes": None},
    "noise": {"mean": 0.0, "std": None, "dt": 1.0, "start": 0.0, "stop": INF},
    "random_step": {"amplitude": None, "interval": None, "times": None, "start": 0.0,
                    "stop": INF, "independent": False},
    "ramp": {"start": 0.0, "stop": None, "amplitude_start": 0.0, "amplitude_stop": None},
    "sinusoidal": {"amplitude": None, "frequency": None, "phase": 0.0, "offset": 0.0,
                   "start": 0.0, "stop": INF},
})

#: Distributions a parameter, weight, delay or initial value may be drawn from.
DISTRIBUTIONS = ("normal", "uniform", "gamma", "lognormal", "linspace")
DISTRIBUTION_OPTIONS = ("min", "max", "factor")

#: Parameters that are time constants or durations and must be positive.
POSITIVE = frozenset({"C_m", "tau_m", "g_L", "tau_syn_ex", "tau_syn_in", "tau_w", "tau_rec"})
NON_NEGATIVE = frozenset({"t_ref", "rate", "Delta_T", "tau_fac"})
