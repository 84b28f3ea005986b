"""Small networks the conformance suite drives every backend with: plain data, realized identically on every
backend (moved here from ``tests/networks.py`` so a third-party adapter's tests can use them)."""

from __future__ import annotations

from typing import Any

import numpy as np

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


def single_on(membrane: str, receptor: str) -> dict[str, Any]:
    """:func:`single_neuron`'s drive on any membrane (NEST's defaults for AdEx and Izhikevich, the weights and
    step scaled to them), every state variable recorded."""
    from .. import catalog

    data = single_neuron(receptor)
    neuron = data["populations"]["neuron"]
    if membrane != "lif":
        neuron["model"] = membrane
        neuron["params"] = {k: v for k, v in neuron["params"].items() if k.startswith(("tau_syn", "E_ex", "E_in"))}
        if membrane == "adex":
            data["stimuli"][0]["amplitudes"] = [800.0, 0.0]
        if membrane == "izhikevich":
            neuron["params"]["I_e"] = 0.0
            data["stimuli"][0]["amplitudes"] = [12.0, 0.0]
            for projection in data["projections"]:
                projection["weight"] = projection["weight"] / 20.0
    data["recordings"][0]["variables"] = ["spikes", *catalog.state_variables(membrane, receptor)]
    return data
