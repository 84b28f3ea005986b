"""Small networks shared by the tests: plain data, realized identically on every backend."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurobridge import Network

#: One LIF neuron's parameters (NEST names and units), firing a few times under the test drive.
LIF = {"C_m": 250.0, "tau_m": 10.0, "E_L": -70.0, "V_th": -55.0, "V_reset": -70.0, "t_ref": 2.0,
       "I_e": 0.0}
SYNAPTIC = {"current_delta": {}, "current_exp": {"tau_syn_ex": 2.0, "tau_syn_in": 5.0},
            "current_alpha": {"tau_syn_ex": 2.0, "tau_syn_in": 5.0},
            "conductance_exp": {"tau_syn_ex": 2.0, "tau_syn_in": 5.0, "E_ex": 0.0, "E_in": -85.0},
            "conductance_alpha": {"tau_syn_ex": 2.0, "tau_syn_in": 5.0, "E_ex": 0.0, "E_in": -85.0}}
#: Weights per receptor that give clearly visible PSPs (mV for delta, pA for currents, nS for conductances).
WEIGHTS = {"current_delta": (2.0, -2.0), "current_exp": (400.0, -300.0), "current_alpha": (300.0, -250.0),
           "conductance_exp": (8.0, 6.0), "conductance_alpha": (6.0, 5.0)}


def _times(rng: np.random.Generator, rate_hz: float, duration: float, dt: float) -> list[float]:
    count = rng.poisson(rate_hz * duration / 1000.0)
    steps = np.unique(rng.integers(1, int(duration / dt), count))
    return [round(float(s) * dt, 10) for s in steps]


def single_neuron(receptor: str = "current_exp", duration: float = 1000.0, dt: float = 0.1) -> dict[str, Any]:
    """One LIF neuron: a DC step (100–600 ms) plus explicit excitatory and inhibitory spike trains."""
    rng = np.random.default_rng(7)
    w_ex, w_in = WEIGHTS[receptor]
    if receptor.startswith("conductance"):
        w_in = -abs(w_in)
    return {
        "name": f"single_{receptor}", "dt": dt, "duration": duration, "seed": 1,
        "populations": {
            "neuron": {"size": 1, "model": "lif", "receptor": receptor,
                       "params": {**LIF, **SYNAPTIC[receptor]} if receptor.startswith("current")
                       else {**{k: v for k, v in LIF.items() if k != "tau_m"}, "g_L": 25.0,
                             **SYNAPTIC[receptor]}},
            "exc_input": {"size": 1, "model": "spike_times", "params": {"times": _times(rng, 80.0, duration, dt)}},
            "inh_input": {"size": 1, "model": "spike_times", "params": {"times": _times(rng, 40.0, duration, dt)}},
        },
        "projections": [
            {"source": "exc_input", "target": "neuron", "connector": "one_to_one", "weight": w_ex, "delay": 1.0},
            {"source": "inh_input", "target": "neuron", "connector": "one_to_one", "weight": w_in, "delay": 1.5},
        ],
        "stimuli": [{"target": "neuron", "kind": "step", "times": [100.0, 600.0], "amplitudes": [320.0, 0.0]}],
        "recordings": [{"population": "neuron", "variables": ["spikes", "V_m"]}],
    }


def feedforward(receptor: str = "current_exp", n: int = 100, duration: float = 1000.0) -> dict[str, Any]:
    """100 LIF neurons driven by 50 Poisson sources through random weights and delays, plus a DC bias."""
    w_ex, w_in = WEIGHTS[receptor]
    scale = 0.25
    weight = ({"normal": {"mean": w_ex * scale, "std": abs(w_ex) * scale * 0.3}, "min": 0.0}
              if receptor.startswith("conductance") else
              {"normal": {"mean": w_ex * scale, "std": abs(w_ex) * scale}})
    bias = {"current_delta": 340.0, "current_exp": 300.0, "current_alpha": 300.0,
            "conductance_exp": 300.0, "conductance_alpha": 300.0}[receptor]
    single = single_neuron(receptor)
    return {
        "name": f"feedforward_{receptor}", "dt": 0.1, "duration": duration, "seed": 3,
        "populations": {
            "inputs": {"size": 50, "model": "poisson", "params": {"rate": 20.0}},
            "layer": {"size": n, "model": "lif", "receptor": receptor,
                      "params": {**single["populations"]["neuron"]["params"], "I_e": bias},
                      "initial": {"V_m": {"uniform": [-70.0, -56.0]}}},
        },
        "projections": [{"source": "inputs", "target": "layer", "connector": {"fixed_indegree": 20},
                         "weight": weight, "delay": {"uniform": [0.1, 3.0]}}],
        "recordings": [{"population": "layer", "variables": ["spikes", "V_m"], "neurons": list(range(10))}],
    }


def cuba(size: int = 4000, duration: float = 1000.0) -> dict[str, Any]:
    """CUBA (Brette et al. 2007), the network of ``conf/model/cuba.yaml`` at any size, same in-degree."""
    import yaml

    from neurobridge.cli import model_path

    data = yaml.safe_load(model_path("cuba").read_text())
    n_exc = size * 4 // 5
    data["populations"]["exc"]["size"] = n_exc
    data["populations"]["inh"]["size"] = size - n_exc
    p = 0.02 * 4000 / size
    for projection in data["projections"]:
        projection["connector"] = {"fixed_probability": p}
    data["duration"] = duration
    return data


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
