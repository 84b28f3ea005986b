"""Small networks shared by the tests: plain data, realized identically on every backend.

The conformance suite's own (``LIF``, ``single_neuron``, ``feedforward``, ``cuba``, ...) live in
:mod:`neurobridge.testing.networks` and are re-exported here."""

from __future__ import annotations

from typing import Any

from neurobridge import Network
from neurobridge.testing.networks import LIF, SYNAPTIC, WEIGHTS, cuba, feedforward, single_neuron

__all__ = ["LIF", "SYNAPTIC", "WEIGHTS", "cuba", "feedforward", "single_neuron", "build",
           "izhikevich_single", "izhikevich_feedforward", "izhikevich_recurrent", "IZHIKEVICH_WEIGHTS"]


def build(data: dict[str, Any]) -> Network:
    return Network.from_dict(data)


#: Izhikevich weights per receptor (pA, nS) that give visible PSPs without driving the neuron to every step.
IZHIKEVICH_WEIGHTS = {"current_exp": (12.0, -10.0), "current_alpha": (8.0, -7.0),
                      "conductance_exp": (0.4, -0.5), "conductance_alpha": (0.15, -0.3)}


def _izhikevich_states(receptor: str) -> list[str]:
    from neurobridge import catalog

    return ["spikes", *catalog.state_variables("izhikevich", receptor)]


def izhikevich_single(receptor: str, dt: float = 0.1, duration: float = 1000.0) -> dict[str, Any]:
    """:func:`single_neuron` with an Izhikevich neuron: the same spike trains, a 6 pA step (100–600 ms),
    every state variable recorded."""
    data = single_neuron(receptor, duration=duration, dt=dt)
    w_ex, w_in = IZHIKEVICH_WEIGHTS[receptor]
    data["name"] = f"izhikevich_single_{receptor}"
    data["populations"]["neuron"] = {"size": 1, "model": "izhikevich", "receptor": receptor,
                                     "params": dict(SYNAPTIC[receptor])}
    data["projections"][0]["weight"], data["projections"][1]["weight"] = w_ex, w_in
    data["stimuli"][0]["amplitudes"] = [6.0, 0.0]
    data["recordings"] = [{"population": "neuron", "variables": _izhikevich_states(receptor)}]
    return data


def izhikevich_feedforward(receptor: str, n: int = 100, duration: float = 1000.0) -> dict[str, Any]:
    """100 Izhikevich neurons driven by 50 Poisson sources, excitatory and inhibitory projections with
    random weights and delays, a 3 pA bias; every state of the first 10 neurons recorded."""
    w_ex, w_in = IZHIKEVICH_WEIGHTS[receptor]
    delay = {"uniform": [0.1, 3.0]}
    return {
        "name": f"izhikevich_feedforward_{receptor}", "dt": 0.1, "duration": duration, "seed": 3,
        "populations": {
            "inputs": {"size": 50, "model": "poisson", "params": {"rate": 20.0}},
            "layer": {"size": n, "model": "izhikevich", "receptor": receptor,
                      "params": {**SYNAPTIC[receptor], "I_e": 3.0}, "initial": {"V_m": {"uniform": [-70.0, -60.0]}}},
        },
        "projections": [
            {"source": "inputs", "target": "layer", "connector": {"fixed_indegree": 15}, "delay": delay,
             "weight": {"normal": {"mean": 0.5 * w_ex, "std": 0.3 * w_ex}, "min": 0.0}},
            {"source": "inputs", "target": "layer", "connector": {"fixed_indegree": 5}, "delay": delay,
             "weight": {"normal": {"mean": 0.5 * w_in, "std": -0.3 * w_in}, "max": 0.0}}],
        "recordings": [{"population": "layer", "variables": _izhikevich_states(receptor), "neurons": list(range(10))}],
    }


def izhikevich_recurrent(receptor: str, dt: float = 0.5, duration: float = 500.0) -> dict[str, Any]:
    """160 regular-spiking and 40 fast-spiking Izhikevich neurons, randomly coupled (delays from dt),
    driven by 40 Poisson sources."""
    w_ex, w_in = IZHIKEVICH_WEIGHTS[receptor]

    def population(size: int, a: float, d: float) -> dict[str, Any]:
        return {"size": size, "model": "izhikevich", "receptor": receptor,
                "params": {**SYNAPTIC[receptor], "a": a, "d": d}, "initial": {"V_m": {"uniform": [-70.0, -60.0]}}}

    def project(source: str, target: str, p: float, weight: Any, delay: Any) -> dict[str, Any]:
        return {"source": source, "target": target, "connector": {"fixed_probability": p}, "weight": weight,
                "delay": delay}

    return {
        "name": f"izhikevich_recurrent_{receptor}", "dt": dt, "duration": duration, "seed": 8,
        "populations": {"drive": {"size": 40, "model": "poisson", "params": {"rate": 10.0}},
                        "exc": population(160, 0.02, 8.0), "inh": population(40, 0.1, 2.0)},
        "projections": [
            project("drive", "exc", 0.2, w_ex, 1.0), project("drive", "inh", 0.2, w_ex, 1.0),
            project("exc", "exc", 0.1, {"uniform": [0.0, 0.5 * w_ex]}, {"uniform": [dt, 2.0]}),
            project("exc", "inh", 0.1, 0.5 * w_ex, 1.0),
            project("inh", "exc", 0.2, w_in, dt), project("inh", "inh", 0.2, w_in, dt)],
        "recordings": [{"population": "exc", "variables": ["spikes"]}, {"population": "inh", "variables": ["spikes"]},
                       {"population": "exc", "variables": ["V_m", "U_m"], "neurons": [0, 1, 2]}],
    }
