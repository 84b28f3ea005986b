"""Named parameters and expressions over them: values, the hash, files, and the texts of the errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import neurobridge as nb
from neurobridge.errors import InvalidValueError, UnknownNameError

BRUNEL = """\
name: brunel
parameters: {N_E: 40, N_I: 10, epsilon: 0.1, J: 0.1, g: 5, eta: 2, D: 1.5, tau_m: 20.0, theta: 20.0,
             C_E: epsilon * N_E, nu_thr: 1000 * theta / (J * C_E * tau_m)}
dt: 0.1
duration: 50.0
populations:
  exc: {size: N_E, model: lif, receptor: current_delta, params: {tau_m: tau_m, E_L: 0.0, V_th: theta, V_reset: 10.0}}
  inh: {size: N_I, model: lif, receptor: current_delta, params: {tau_m: tau_m, E_L: 0.0, V_th: theta, V_reset: 10.0}}
  noise: {size: N_E, model: poisson, params: {rate: eta * nu_thr * C_E}}
projections:
  - {source: exc, target: exc, connector: {fixed_indegree: round(C_E)}, weight: J, delay: D}
  - {source: inh, target: exc, connector: {fixed_indegree: N_I // 10}, weight: -g * J, delay: D}
  - {source: noise, target: exc, connector: one_to_one, weight: J, delay: D}
"""


def small(weight: Any, **parameters: Any) -> dict[str, Any]:
    return {"parameters": {"g": 5, "J": 0.1, **parameters}, "populations": {"exc": {"size": 2}},
            "projections": [{"source": "exc", "target": "exc", "connector": "all_to_all", "weight": weight}]}


def test_a_brunel_file_is_evaluated_as_written_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "brunel.yaml"
    path.write_text(BRUNEL)
    network = nb.load(path)
    # C_E = 0.1 * 40 = 4; nu_thr = 1000 * 20 / (0.1 * 4 * 20) = 2500 Hz; the noise rate eta * nu_thr * C_E
    assert network.parameters["C_E"] == pytest.approx(4.0)
    assert network.populations["exc"].size == 40 and network.populations["inh"].size == 10
    assert network.populations["noise"].params["rate"] == pytest.approx(2 * 2500.0 * 4)
    assert network.projections[0].connector.params["n"] == 4
    assert network.projections[1].connector.params["n"] == 1  # 10 // 10, an integer
    assert network.projections[1].weight == pytest.approx(-0.5)
    assert network.populations["exc"].params["V_th"] == 20.0


def test_floor_and_ceil_give_integers_a_connector_takes() -> None:
    # the microcircuit's neurons per population: int(N_full * scale), 20683 * 0.1 = 2068.3 -> 2068
    data = small("J", N=20683, scale=0.1)
    data["populations"]["exc"]["size"] = "floor(N * scale)"
    data["projections"][0]["connector"] = {"fixed_indegree": "ceil(N * scale / 1000)"}
    network = nb.Network.from_dict(data)
    assert network.populations["exc"].size == 2068
    assert network.projections[0].connector.params["n"] == 3  # ceil(2.0683)
    data["populations"]["exc"]["size"] = "floor(1e308 * 10)"
    with pytest.raises(InvalidValueError) as error:
        nb.Network.from_dict(data)
    assert str(error.value) == ("populations.exc.size: 'floor(1e308 * 10)' cannot be evaluated (cannot convert "
                                "float infinity to integer).")


def test_the_evaluated_network_round_trips_and_hashes_its_parameters() -> None:
    network = nb.Network.from_dict(small("-g * J"))
    assert nb.Network.from_dict(network.to_dict()) == network
    assert network.to_dict()["parameters"] == {"g": 5, "J": 0.1}
    other = nb.Network.from_dict(small("-g * J", g=6))
    assert other.projections[0].weight == pytest.approx(-0.6)
    assert other.content_hash() != network.content_hash()
    # a network without parameters hashes as before parameters existed
    plain = small(-0.5)
    del plain["parameters"]
    assert "parameters" not in nb.Network.from_dict(plain).to_dict()


def test_flags_and_names_are_not_expressions() -> None:
    data = small("J")
    data["projections"][0]["native"] = "false"
    with pytest.raises(InvalidValueError) as error:
        nb.Network.from_dict(data)
    assert str(error.value) == "projections[0].native must be true or false, got 'false'."


ALLOWED = ("numbers, parameter names, + - * / // % **, parentheses and sqrt, exp, log, log10, sin, cos, abs, "
           "min, max, round, floor, ceil")
ERRORS = [
    (small("-gg * J"), UnknownNameError,
     "Unknown name \"gg\" in projections[0].weight ('-gg * J'). Did you mean \"g\"? Allowed: J, g."),
    (small("-g * (J"), InvalidValueError,
     f"projections[0].weight: '-g * (J' is not an arithmetic expression ('(' was never closed); allowed: {ALLOWED}."),
    (small('__import__("os").system("ls")'), InvalidValueError,
     "projections[0].weight: '__import__(\"os\").system(\"ls\")' uses \"__import__('os').system('ls')\", which an "
     f"expression may not; allowed: {ALLOWED}."),
    (small("g.real"), InvalidValueError,
     f"projections[0].weight: 'g.real' uses 'g.real', which an expression may not; allowed: {ALLOWED}."),
    (small("sqrtt(g)"), UnknownNameError,
     "Unknown function \"sqrtt\" in projections[0].weight ('sqrtt(g)'). Did you mean \"sqrt\"? Allowed: abs, ceil, "
     "cos, exp, floor, log, log10, max, min, round, sin, sqrt."),
    (small("g / (J - 0.1)"), InvalidValueError,
     "projections[0].weight: 'g / (J - 0.1)' cannot be evaluated (float division by zero)."),
    (small("10 ** 10 ** 10"), InvalidValueError,
     "projections[0].weight: '10 ** 10 ** 10' raises to the power 1e+10; at most 1000."),
    (small("J", h="k * 2", k=1), UnknownNameError,
     "Unknown name \"k\" in parameters.h, which may use only the parameters above it ('k * 2'). Allowed: J, g."),
    (small("J", h=True), InvalidValueError, "parameters.h must be a finite number or an expression, got True."),
    (small("J", sqrt=2), InvalidValueError,
     "parameters.sqrt: 'sqrt' is not a parameter name (a letter or _, then letters, digits or _; not one of the "
     "functions sqrt, exp, log, log10, sin, cos, abs, min, max, round, floor, ceil)."),
    ({**small("J"), "parameters": [1]}, InvalidValueError,
     "parameters must be a mapping of names to numbers or expressions, got [1]."),
    # without parameters: a word where a number belongs is a value error, an expression says what it lacks
    ({k: v for k, v in small("zero").items() if k != "parameters"}, InvalidValueError,
     "projections[0].weight must be a number, got 'zero'."),
    ({k: v for k, v in small("-g * J").items() if k != "parameters"}, InvalidValueError,
     "projections[0].weight: '-g * J' uses the name 'g', but the description defines no parameters (a top-level "
     "`parameters:` mapping)."),
]


@pytest.mark.parametrize(("data", "kind", "message"), ERRORS)
def test_bad_expressions_are_refused_naming_the_field(data: dict[str, Any], kind: type, message: str) -> None:
    with pytest.raises(kind) as error:
        nb.Network.from_dict(copy.deepcopy(data))
    assert str(error.value) == message


def test_an_evaluated_value_is_validated_like_a_written_one() -> None:
    data = small("J")
    data["populations"]["exc"]["size"] = "g * 1.5"
    with pytest.raises(InvalidValueError) as error:
        nb.Network.from_dict(data)
    assert str(error.value) == "populations.exc.size must be a positive integer, got 7.5."
    data = small("J")
    data["populations"]["exc"]["params"] = {"tau_m": "-g"}
    with pytest.raises(InvalidValueError) as error:
        nb.Network.from_dict(data)
    assert str(error.value) == "populations.exc.params.tau_m must be > 0, got -5."
