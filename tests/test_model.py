"""The description: loading, round-trips, hashing, and the texts of the errors bad input gets."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

import neurobridge as nb
from neurobridge.cli import model_path
from neurobridge.errors import InvalidValueError, UnknownNameError, UnknownParameterError

ISSUE_EXAMPLE = """
dt: 0.1
duration: 1000.0
seed: 42
populations:
  exc:
    size: 3200
    model: lif
    receptor: current_exp
    params: {C_m: 250.0, tau_m: 20.0, E_L: -49.0, V_th: -50.0, V_reset: -60.0, t_ref: 5.0,
             tau_syn_ex: 5.0, tau_syn_in: 10.0, I_e: {linspace: [0.0, 500.0]}}
    initial: {V_m: {uniform: [-60.0, -50.0]}}
  inh:
    size: 800
    model: lif
projections:
  - {source: exc, target: inh, connector: {fixed_probability: 0.02}, weight: 20.25, delay: 0.1,
     synapse: static}
  - {source: inh, target: exc, connector: {fixed_indegree: 16}, weight: -112.5, delay: 0.1}
stimuli:
  - {target: exc, kind: step, times: [200.0, 700.0], amplitudes: [7.0, 0.0]}
recordings:
  - {population: exc, variables: [spikes, V_m], neurons: [0, 1, 2], interval: 0.1}
"""


def example() -> dict:
    return yaml.safe_load(ISSUE_EXAMPLE)


def test_issue_example_loads_with_nest_defaults() -> None:
    net = nb.Network.from_dict(example())
    inh = net.populations["inh"]
    assert inh.receptor == "current_exp"
    assert inh.parameters()["tau_m"] == 10.0 and inh.parameters()["C_m"] == 250.0  # iaf_psc_exp's
    assert net.projections[1].connector.params == {"n": 16}
    assert net.n_steps == 10000


def test_round_trip_and_stable_hash(tmp_path) -> None:
    net = nb.Network.from_dict(example())
    again = nb.Network.from_dict(net.to_dict())
    assert again == net
    assert again.content_hash() == net.content_hash()
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(net.to_dict()))
    assert nb.load(path).content_hash() == net.content_hash()
    path = tmp_path / "net.json"
    path.write_text(json.dumps(net.to_dict()))
    assert nb.load(path) == net
    changed = example()
    changed["populations"]["exc"]["params"]["tau_m"] = 21.0
    assert nb.Network.from_dict(changed).content_hash() != net.content_hash()


def test_bare_string_connector_and_default_recording() -> None:
    data = example()
    data["projections"][0]["connector"] = "all_to_all"
    data["recordings"] = [{"population": "exc"}]
    net = nb.Network.from_dict(data)
    assert net.projections[0].connector.rule == "all_to_all"
    assert net.recordings[0].variables == ("spikes",) and net.recordings[0].neurons is None


def test_shipped_cuba_loads() -> None:
    net = nb.load(model_path("cuba"))
    assert net.populations["exc"].size == 3200 and len(net.projections) == 4


def broken(path: str, value) -> dict:
    """The example with one field replaced (``path`` is dotted; list items by index)."""
    data = copy.deepcopy(example())
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


ERRORS = [
    ("populations.exc.model", "lifx", UnknownNameError,
     'Unknown model "lifx" in populations.exc.model. Did you mean "lif"? Allowed: adex, izhikevich, lif, '
     "poisson, regular, spike_times."),
    ("populations.exc.params.tau_mm", 10.0, UnknownParameterError,
     'Unknown parameter "tau_mm" in populations.exc.params (model lif×current_exp). Did you mean "tau_m"?'),
    ("populations.exc.receptor", "current_expo", UnknownNameError,
     'Unknown receptor "current_expo" in populations.exc.receptor. Did you mean "current_exp"?'),
    ("projections.0.connector", {"fixed_probabilty": 0.1}, UnknownNameError,
     'Unknown connector "fixed_probabilty" in projections[0].connector. Did you mean "fixed_probability"?'),
    ("recordings.0.variables", ["spikes", "g_ex"], UnknownNameError,
     'Unknown variable "g_ex" in recordings[0].variables (model lif×current_exp).'),
    ("populations.exc.params.tau_m", -20.0, InvalidValueError,
     "populations.exc.params.tau_m must be > 0, got -20.0."),
    ("populations.exc.params.tau_syn_ex", 0.0, InvalidValueError,
     "populations.exc.params.tau_syn_ex must be > 0, got 0.0."),
    ("populations.exc.size", 0, InvalidValueError, "populations.exc.size must be a positive integer, got 0."),
    ("dt", 0.0, InvalidValueError, "dt must be > 0, got 0.0."),
    ("dt", -0.1, InvalidValueError, "dt must be > 0, got -0.1."),
    ("duration", 1000.05, InvalidValueError, "duration (1000.05 ms) must be a multiple of dt (0.1 ms)."),
    ("projections.0.delay", 0.05, InvalidValueError,
     "projections[0].delay must be at least dt (0.1 ms), got 0.05."),
    ("projections.1.target", "exx", UnknownNameError,
     'Unknown population "exx" in projections[1].target. Did you mean "exc"? Allowed: exc, inh.'),
    ("stimuli.0.kind", "stepp", UnknownNameError,
     'Unknown stimulus kind "stepp" in stimuli[0].kind. Did you mean "step"?'),
    ("recordings.0.population", "in", UnknownNameError,
     'Unknown population "in" in recordings[0].population. Did you mean "inh"?'),
]


@pytest.mark.parametrize(("path", "value", "error", "text"), ERRORS, ids=[e[0] + "=" + str(e[1]) for e in ERRORS])
def test_bad_input_is_named(path, value, error, text) -> None:
    with pytest.raises(error) as raised:
        nb.Network.from_dict(broken(path, value))
    assert str(raised.value).startswith(text)
    assert isinstance(raised.value, nb.NeurobridgeError)


def test_errors_subclass_the_builtins() -> None:
    assert issubclass(UnknownParameterError, KeyError)
    assert issubclass(InvalidValueError, ValueError)
    assert issubclass(nb.UnsupportedModelError, NotImplementedError)


def test_distribution_typos_and_shapes() -> None:
    with pytest.raises(UnknownNameError, match='Unknown distribution "normall".*Did you mean "normal"'):
        nb.Network.from_dict(broken("populations.exc.initial.V_m", {"normall": {"mean": 0, "std": 1}}))
    with pytest.raises(InvalidValueError, match=r"uniform takes \[low, high\]"):
        nb.Network.from_dict(broken("populations.exc.initial.V_m", {"uniform": [1.0]}))
    with pytest.raises(InvalidValueError, match="a per-neuron list needs 3200 values, got 2"):
        nb.realize(nb.Network.from_dict(broken("populations.exc.params.E_L", [-65.0, -64.0])))


def test_drawn_delay_below_dt_is_refused_at_realization() -> None:
    data = broken("projections.0.delay", {"normal": {"mean": 0.5, "std": 0.5}})
    with pytest.raises(InvalidValueError, match=r"projections\[0\].delay must be at least dt"):
        nb.Network.from_dict(data)
    data = broken("projections.0.delay", {"normal": {"mean": 0.5, "std": 0.5}, "min": 0.1})
    assert nb.realize(nb.Network.from_dict(data)).projections[0].delays.min() >= 0.1


def test_conductance_weights_of_both_signs_are_refused() -> None:
    data = example()
    data["populations"]["inh"]["receptor"] = "conductance_exp"
    data["projections"][0]["weight"] = {"normal": {"mean": 0.0, "std": 1.0}}
    with pytest.raises(InvalidValueError, match=r"must all have one sign"):
        nb.Network.from_dict(data)


def test_spike_time_zero_is_refused() -> None:
    data = {"populations": {"s": {"size": 1, "model": "spike_times", "params": {"times": [0.0, 1.0]}}}}
    with pytest.raises(InvalidValueError, match="spike times must be > 0 ms"):
        nb.Network.from_dict(data)
