"""AdEx on every backend against NEST's own high-precision reference: the LSODAR solution NEST ships in its
test suite (``test_aeif_data_lsodar.dat``), judged by NEST's own metric and tolerances.

NEST's test drives one ``aeif_*`` neuron with a constant current for 100 ms at dt 0.01 ms and requires the
mean relative error of ``V_m`` (samples below ``(V_th + V_peak) / 2``, away from the spike upswing) under
5e-4 and of ``w`` under 1e-4.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import neurobridge as nb

#: NEST's test_aeif_lsodar.py: the neuron, its initial state and the tolerances.
PARAMS = {"V_reset": -58.0, "V_peak": 0.0, "V_th": -50.0, "I_e": 420.0, "g_L": 11.0, "tau_w": 300.0,
          "E_L": -70.0, "Delta_T": 2.0, "a": 3.0, "b": 0.0, "C_m": 200.0}
INITIAL = {"V_m": -70.0, "w": 5.0}
TOLERANCES = {"V_m": 5e-4, "w": 1e-4}


def lsodar_reference() -> np.ndarray:
    """``(t, V_m, w)`` rows of the LSODAR solution, from the installed NEST's test suite."""
    spec = importlib.util.find_spec("nest")
    if spec is None or spec.origin is None:
        pytest.skip("NEST is not installed: its LSODAR reference ships with it")
    path = Path(spec.origin).parent / "share/nest/testsuite/pytests/neurons/test_aeif_data_lsodar.dat"
    if not path.is_file():
        pytest.skip(f"this NEST has no {path.name}")
    return np.loadtxt(path)


def relative_errors(result: nb.Result, reference: np.ndarray) -> dict[str, float]:
    """NEST's metric: mean |x - x_ref| / |x_ref| over the samples, V_m only below (V_th + V_peak) / 2."""
    errors = {}
    for column, variable in ((1, "V_m"), (2, "w")):
        trace = result.trace("n", variable)
        times = trace.index.to_numpy()
        inside = times <= reference[:, 0].max()
        expected = np.interp(times[inside], reference[:, 0], reference[:, column])
        mine = trace.to_numpy()[inside]
        nonzero = ~np.isclose(expected, 0.0)
        relative = np.abs(expected - mine)[nonzero] / np.abs(expected[nonzero])
        if variable == "V_m":
            relative = relative[~(mine[nonzero] > (PARAMS["V_th"] + PARAMS["V_peak"]) / 2)]
        errors[variable] = float(relative.mean())
    return errors


@pytest.mark.parametrize(("backend", "options"), [
    ("numpy", {}),
    pytest.param("nest", {}, marks=pytest.mark.requires_nest),
    pytest.param("brian2", {"target": "cython"}, marks=[pytest.mark.requires_brian2, pytest.mark.slow]),
    pytest.param("neuron", {}, marks=pytest.mark.requires_neuron),
])
@pytest.mark.parametrize("receptor", ["current_exp", "conductance_exp"])
def test_adex_is_within_nests_lsodar_tolerance(backend: str, options: dict, receptor: str) -> None:
    reference = lsodar_reference()
    network = {"dt": 0.01, "duration": 100.0, "populations": {
        "n": {"size": 1, "model": "adex", "receptor": receptor, "params": PARAMS, "initial": INITIAL}},
        "recordings": [{"population": "n", "variables": ["spikes", "V_m", "w"]}]}
    result = nb.simulate(network, backend=backend, **options)
    assert len(result.spikes) >= 4  # the current drives it through several spikes, where the errors arise
    errors = relative_errors(result, reference)
    assert errors["V_m"] < TOLERANCES["V_m"], errors
    assert errors["w"] < TOLERANCES["w"], errors


@pytest.mark.requires_brian2
def test_brian2_with_one_step_per_dt_misses_the_tolerance() -> None:
    """What the fine clock fixes: one RK4 step and one threshold per dt (adex_substeps 1) is outside it."""
    reference = lsodar_reference()
    network = {"dt": 0.01, "duration": 100.0, "populations": {
        "n": {"size": 1, "model": "adex", "receptor": "current_exp", "params": PARAMS, "initial": INITIAL}},
        "recordings": [{"population": "n", "variables": ["V_m", "w"]}]}
    errors = relative_errors(nb.simulate(network, backend="brian2", adex_substeps=1), reference)
    assert errors["V_m"] > TOLERANCES["V_m"] and errors["w"] > TOLERANCES["w"], errors
