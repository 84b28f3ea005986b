"""The conformance suite on NEST 3.10, plus what only the NEST adapter has to show.

Truth comes from the NumPy reference (exact on the linear models, within an
integrator's error on AdEx), from NEST's own defaults and recordables (the
translation tables), and from measured NEST facts (tsodyks2 PSC jumps).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neurobridge as nb
from neurobridge import catalog
from neurobridge.errors import UnknownNameError, UnsupportedModelError
from neurobridge.registry import check_supported

from .. import networks
from .suite import BackendSuite

pytestmark = pytest.mark.requires_nest

EXPECTED_PAIRS = {
    ("lif", "current_delta"): "iaf_psc_delta", ("lif", "current_exp"): "iaf_psc_exp",
    ("lif", "current_alpha"): "iaf_psc_alpha", ("lif", "conductance_exp"): "iaf_cond_exp",
    ("lif", "conductance_alpha"): "iaf_cond_alpha", ("adex", "current_delta"): "aeif_psc_delta",
    ("adex", "current_exp"): "aeif_psc_exp", ("adex", "current_alpha"): "aeif_psc_alpha",
    ("adex", "conductance_exp"): "aeif_cond_exp", ("adex", "conductance_alpha"): "aeif_cond_alpha",
    ("izhikevich", "current_delta"): "izhikevich",
}
#: AdEx: samples closer than this to a spike of either backend are not compared (ms). On the
#: upswing the exponential term amplifies the integrators' difference, and a spike one dt apart
#: puts one trace at V_peak while the other is reset.
ADEX_WINDOW_MS = 1.0
ADEX_VM_TOLERANCE_MV = 0.1


class TestNest(BackendSuite):
    backend = "nest"


def _nest():
    from neurobridge.backends.nest.adapter import _import_nest

    return _import_nest(verbose=False)


def _run(data: dict[str, Any], backend: str = "nest", **options: Any) -> nb.Result:
    return nb.simulate(nb.Network.from_dict(data), backend=backend, **options)


# -- capabilities and translations ---------------------------------------------------------------

def test_capability_pairs_are_exactly_nests_models() -> None:
    """NEST's own models, and the NESTML-built ones (tests/backends/test_nestml.py) when their toolchain is here."""
    from neurobridge.backends.nest import NestBackend, nestml
    from neurobridge.backends.nest.translate import MODELS

    generated = frozenset() if nestml.toolchain_problem() else frozenset(nestml.MODEL_NAMES)
    assert NestBackend.capabilities.pairs == frozenset(EXPECTED_PAIRS) | generated
    assert {pair: model.name for pair, model in MODELS.items()} == {**EXPECTED_PAIRS, **nestml.MODEL_NAMES}
    assert NestBackend.capabilities.synapses == {"static", "tsodyks_markram"}
    assert NestBackend.capabilities.defaults() == {"threads": 1, "print_time": False, "verbose": False}


def test_adapter_imports_without_nest() -> None:
    from neurobridge.backends.nest import nestml

    code = ("import sys; sys.modules['nest'] = None\n"
            "from neurobridge.backends.nest import NestBackend\n"
            "assert 'nest' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
            "print(len(NestBackend.capabilities.pairs))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ("11" if nestml.toolchain_problem() else "15")


@pytest.mark.parametrize("pair", sorted(EXPECTED_PAIRS))
def test_translation_round_trips_and_names_exist_in_nest(pair: tuple[str, str]) -> None:
    from neurobridge.backends.nest.translate import MODELS

    model = MODELS[pair]
    defaults = _nest().GetDefaults(model.name)
    values = np.array([-70.0, 0.0, 2.5])
    for translation in (*model.parameters, *model.states):
        np.testing.assert_array_equal(translation.reverse(translation.forward(values)), values)
        np.testing.assert_array_equal(translation.forward(translation.reverse(values)), values)
    for translation in model.parameters:
        assert translation.nest in defaults, f"{model.name} has no parameter {translation.nest}"
    assert {t.nest for t in model.states} <= set(defaults["recordables"])
    for key, value in model.settings.items():
        assert defaults[key] == value or key in defaults


@pytest.mark.parametrize("pair", sorted(EXPECTED_PAIRS))
def test_catalog_defaults_are_nests_defaults(pair: tuple[str, str]) -> None:
    """The catalog claims NEST's defaults; NEST, asked through the translation, agrees."""
    from neurobridge.backends.nest.translate import MODELS

    model = MODELS[pair]
    defaults = _nest().GetDefaults(model.name)
    ours = catalog.parameter_defaults(*pair)
    for translation in model.parameters:
        expected = translation.reverse(np.asarray(defaults[translation.nest]))
        assert ours[translation.neutral] == pytest.approx(float(expected)), translation.neutral


def test_synapse_translation_round_trips() -> None:
    from neurobridge.backends.nest.translate import SYNAPSES

    defaults = _nest().GetDefaults(SYNAPSES["tsodyks_markram"].name)
    for translation in SYNAPSES["tsodyks_markram"].parameters:
        assert translation.nest in defaults
        assert translation.reverse(translation.forward(0.3)) == 0.3


def test_unknown_option_names_the_allowed_ones() -> None:
    with pytest.raises(UnknownNameError) as error:
        _run(networks.single_neuron(duration=10.0), thread=2)
    assert str(error.value) == ('Unknown option of backend nest "thread" in backend.options. '
                                'Did you mean "threads"? Allowed: print_time, threads, verbose.')


# -- the run -------------------------------------------------------------------------------------

def test_meta_names_nest_and_threads() -> None:
    result = _run(networks.single_neuron(duration=50.0), threads=2)
    assert result.meta["simulator_version"] == f"NEST {_nest().__version__}"
    assert result.meta["threads"] == 2
    assert result.meta["options"] == {"threads": 2, "print_time": False, "verbose": False}


def test_time_grid_matches_reference_including_the_last_sample() -> None:
    data = networks.single_neuron(duration=100.0)
    data["recordings"].append({"population": "neuron", "variables": ["I_syn_ex"], "interval": 0.5})
    mine, ref = _run(data), _run(data, "numpy")
    for variable in ("V_m", "I_syn_ex"):
        np.testing.assert_array_equal(mine.trace("neuron", variable).index, ref.trace("neuron", variable).index)
    assert mine.trace("neuron", "V_m").index[-1] == pytest.approx(100.0)
    assert mine.trace("neuron", "I_syn_ex").index[:2].tolist() == [0.5, 1.0]


def test_two_networks_in_one_process_give_each_alone_results() -> None:
    first, second = networks.feedforward("current_exp", duration=300.0), _native_network(seed=5)
    alone_first = _run(first)
    alone_second = _run(second)
    again_second = _run(second)
    again_first = _run(first)
    for a, b in ((alone_first, again_first), (alone_second, again_second)):
        pd.testing.assert_frame_equal(a.spikes, b.spikes)
        pd.testing.assert_frame_equal(a.states, b.states)
    assert len(alone_second.spikes) > 100


def test_threads_do_not_change_a_realized_network() -> None:
    data = networks.feedforward("current_alpha", duration=300.0)
    one, two = _run(data, threads=1), _run(data, threads=2)
    pd.testing.assert_frame_equal(one.spikes, two.spikes)
    np.testing.assert_allclose(one.states.value, two.states.value, atol=1e-9)


def test_nest_is_silent_unless_verbose(capfd: pytest.CaptureFixture[str]) -> None:
    _run(networks.single_neuron(duration=20.0))
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_print_time_reports_progress(capfd: pytest.CaptureFixture[str]) -> None:
    _run(networks.single_neuron(duration=20.0), print_time=True)
    out, err = capfd.readouterr()
    assert "[ 100% ] Model time: 21.0 ms" in out + err  # 20 ms and the min delay that flushes it


# -- currents, synapses, models ------------------------------------------------------------------

def test_per_neuron_current_traces_agree_with_reference() -> None:
    """Noise (one trace per neuron) on a subset and a shared DC on others: identical V_m."""
    data = {"dt": 0.1, "duration": 200.0, "seed": 4, "populations": {
        "cells": {"size": 6, "model": "lif", "receptor": "current_exp", "params": networks.LIF,
                  "initial": {"V_m": {"uniform": [-70.0, -60.0]}}}},
        "stimuli": [{"target": "cells", "kind": "noise", "mean": 350.0, "std": 200.0, "dt": 0.5,
                     "neurons": [4, 0, 2]},
                    {"target": "cells", "kind": "dc", "amplitude": 380.0, "start": 20.0, "stop": 150.0,
                     "neurons": [1, 3, 4]}],
        "recordings": [{"population": "cells", "variables": ["spikes", "V_m"]}]}
    mine, ref = _run(data), _run(data, "numpy")
    assert len(ref.spikes) > 5
    pd.testing.assert_frame_equal(mine.spikes, ref.spikes, check_exact=False, atol=1e-9)
    np.testing.assert_allclose(mine.states.value, ref.states.value, atol=1e-9)


def test_tsodyks_markram_psc_jumps_match_nest_and_reference() -> None:
    """Weight 100, U 0.45, tau_rec 750, tau_fac 50, 5 spikes 50 ms apart (measured in NEST 3.10)."""
    times = [10.0, 60.0, 110.0, 160.0, 210.0]
    data = {"dt": 0.1, "duration": 250.0, "populations": {
        "input": {"size": 1, "model": "spike_times", "params": {"times": times}},
        "cell": {"size": 1, "model": "lif", "receptor": "current_exp",
                 "params": {**networks.LIF, "V_th": 1000.0, "tau_syn_ex": 2.0}}},
        "projections": [{"source": "input", "target": "cell", "connector": "one_to_one", "weight": 100.0,
                         "delay": 1.0, "synapse": {"tsodyks_markram": {"U": 0.45, "tau_rec": 750.0,
                                                                       "tau_fac": 50.0}}}],
        "recordings": [{"population": "cell", "variables": ["I_syn_ex", "V_m"]}]}
    mine, ref = _run(data), _run(data, "numpy")
    current = mine.trace("cell", "I_syn_ex")
    steps = np.round(current.index.to_numpy() / 0.1).astype(int)
    value = dict(zip(steps, current.to_numpy()))
    arrivals = [int(round((t + 1.0) / 0.1)) for t in times]  # a jump shows in the sample at t + delay
    jumps = [value[s] - value[s - 1] * np.exp(-0.1 / 2.0) for s in arrivals]
    np.testing.assert_allclose(jumps, [45.0, 31.328, 17.517, 10.899, 8.097], atol=2e-3)
    np.testing.assert_allclose(mine.states.value, ref.states.value, atol=1e-9)


def test_tsodyks_from_a_source_spike_at_dt_is_refused() -> None:
    data = {"dt": 0.1, "duration": 20.0, "populations": {
        "input": {"size": 1, "model": "spike_times", "params": {"times": [0.1, 5.0]}},
        "cell": {"size": 1, "model": "lif", "receptor": "current_exp"}},
        "projections": [{"source": "input", "target": "cell", "connector": "one_to_one", "weight": 10.0,
                         "synapse": "tsodyks_markram"}]}
    with pytest.raises(UnsupportedModelError) as error:  # at validation: NEST is not touched
        check_supported(nb.Network.from_dict(data), "nest")
    assert str(error.value) == (
        "projections[0]: input spikes at 0.1 ms (= dt), which cannot reach a tsodyks_markram synapse in "
        "NEST (spikes reach it only through a relay parrot, which would need a generator spike at 0 ms). "
        "Start the train at 2 dt (0.2 ms) or later.")


def _adex(receptor: str, amplitude: float, with_inputs: bool) -> dict[str, Any]:
    data = {"dt": 0.1, "duration": 1000.0, "populations": {
        "neuron": {"size": 1, "model": "adex", "receptor": receptor}},
        "stimuli": [{"target": "neuron", "kind": "step", "times": [100.0, 700.0],
                     "amplitudes": [amplitude, 0.0]}],
        "recordings": [{"population": "neuron", "variables": ["spikes", *catalog.state_variables("adex", receptor)]}]}
    if with_inputs:
        single = networks.single_neuron()
        w = {"current_exp": 300.0, "conductance_exp": 5.0}[receptor]
        data["populations"].update(exc_input=single["populations"]["exc_input"],
                                   inh_input=single["populations"]["inh_input"])
        data["projections"] = [
            {"source": "exc_input", "target": "neuron", "connector": "one_to_one", "weight": w, "delay": 1.0},
            {"source": "inh_input", "target": "neuron", "connector": "one_to_one", "weight": -w, "delay": 1.5}]
    return data


@pytest.mark.parametrize("with_inputs", [False, True], ids=["step", "step+spikes"])
@pytest.mark.parametrize("receptor", ["current_exp", "conductance_exp"])
def test_adex_agrees_with_reference_away_from_spikes(receptor: str, with_inputs: bool) -> None:
    data = _adex(receptor, 1000.0 if not with_inputs else 800.0, with_inputs)
    mine, ref = _run(data), _run(data, "numpy")
    spikes, spikes_ref = mine.spike_times("neuron", 0), ref.spike_times("neuron", 0)
    assert spikes.size == spikes_ref.size > 8
    assert np.max(np.abs(spikes - spikes_ref)) <= 0.1 + 1e-9
    v, v_ref = mine.trace("neuron", "V_m"), ref.trace("neuron", "V_m")
    t = v.index.to_numpy()
    near = np.any(np.abs(t[:, None] - np.r_[spikes, spikes_ref][None, :]) <= ADEX_WINDOW_MS + 1e-9, axis=1)
    assert near.mean() < 0.1
    assert np.max(np.abs(v.to_numpy() - v_ref.to_numpy())[~near]) <= ADEX_VM_TOLERANCE_MV
    for variable in catalog.state_variables("adex", receptor)[1:3]:  # synaptic state: NEST's sign, mapped
        np.testing.assert_allclose(mine.trace("neuron", variable), ref.trace("neuron", variable), atol=1e-6)


def test_izhikevich_agrees_with_reference() -> None:
    data = {"dt": 0.1, "duration": 500.0, "populations": {
        "neuron": {"size": 3, "model": "izhikevich", "receptor": "current_delta",
                   "params": {"d": [8.0, 2.0, 0.05]}}},
        "stimuli": [{"target": "neuron", "kind": "step", "times": [50.0], "amplitudes": [10.0]}],
        "recordings": [{"population": "neuron", "variables": ["spikes", "V_m", "U_m"]}]}
    mine, ref = _run(data), _run(data, "numpy")
    assert len(ref.spikes) > 10
    pd.testing.assert_frame_equal(mine.spikes, ref.spikes, check_exact=False, atol=1e-9)
    np.testing.assert_allclose(mine.states.value, ref.states.value, atol=1e-6)


# -- native ----------------------------------------------------------------------------------------

def _native_network(seed: int, native: bool = True, duration: float = 500.0) -> dict[str, Any]:
    """A Poisson-driven E/I network with NEST's own rules, generators and distributions."""
    params = {**networks.LIF, "tau_syn_ex": 2.0, "tau_syn_in": 5.0}
    return {"dt": 0.1, "duration": duration, "seed": seed, "populations": {
        "noise": {"size": 200, "model": "poisson", "params": {"rate": 15.0}, "native": native},
        "exc": {"size": 400, "model": "lif", "receptor": "current_exp", "params": params},
        "inh": {"size": 100, "model": "lif", "receptor": "current_exp", "params": params}},
        "projections": [
            {"source": "noise", "target": "exc", "connector": {"fixed_indegree": 60}, "weight": 150.0,
             "delay": 1.0, "native": native},
            {"source": "noise", "target": "inh", "connector": {"fixed_probability": 0.3}, "weight": 150.0,
             "delay": 1.0, "native": native},
            {"source": "exc", "target": "exc", "connector": {"fixed_probability": 0.05, "allow_autapses": False},
             "weight": {"normal": {"mean": 40.0, "std": 10.0}, "min": 0.0},
             "delay": {"uniform": [1.0, 2.0]}, "native": native},
            {"source": "exc", "target": "inh", "connector": {"fixed_total_number": 2000}, "weight": 40.0,
             "delay": 1.0, "native": native},
            {"source": "inh", "target": "exc", "connector": {"fixed_outdegree": 20}, "weight": -160.0,
             "delay": 1.0, "native": native}],
        "stimuli": [{"target": "exc", "kind": "noise", "mean": 150.0, "std": 50.0, "dt": 1.0,
                     "native": native}],
        "recordings": [{"population": p, "variables": ["spikes"]} for p in ("noise", "exc", "inh")]}


def test_native_rules_are_seeded_by_the_network_seed() -> None:
    a, b, other = _run(_native_network(1)), _run(_native_network(1)), _run(_native_network(2))
    pd.testing.assert_frame_equal(a.spikes, b.spikes)
    assert not a.spikes.equals(other.spikes)


def test_native_network_agrees_statistically_with_realized() -> None:
    """Rates within 20 %: the inhibitory population is fluctuation-driven, so the input's own
    sampling error (1500 source spikes, sd 2.6 %) moves its rate by ~10 % (measured, seeds 3 and 4:
    exc 37.8 / 38.7 Hz, inh 18.3 / 16.7 Hz native / realized)."""
    native, realized = _run(_native_network(3)), _run(_native_network(3, native=False))
    rates, expected = native.rates(), realized.rates()
    assert abs(rates["noise"] - 15.0) < 3 * 15.0 * 0.026
    assert np.all(expected[["exc", "inh"]] > 10.0)
    np.testing.assert_allclose(rates[["exc", "inh"]], expected[["exc", "inh"]], rtol=0.2)


def test_native_rules_make_the_connections_the_description_asks_for() -> None:
    """Count NEST's synapses per projection right after a native run (the kernel keeps them)."""
    _run(_native_network(6, duration=10.0))
    nest = _nest()
    parrots = np.array(nest.GetNodes({"model": "parrot_neuron"}).tolist())
    cells = np.array(nest.GetNodes({"model": "iaf_psc_exp"}).tolist())
    exc, inh = cells[:400], cells[400:]
    connections = nest.GetConnections(synapse_model="static_synapse").get(["source", "target"])
    sources, targets = np.array(connections["source"]), np.array(connections["target"])

    def count(pre: np.ndarray, post: np.ndarray) -> int:
        return int(np.sum(np.isin(sources, pre) & np.isin(targets, post)))

    assert count(parrots, exc) == 400 * 60                      # fixed_indegree
    assert abs(count(parrots, inh) - 0.3 * 200 * 100) < 4 * np.sqrt(6000 * 0.7)  # pairwise_bernoulli
    assert abs(count(exc, exc) - 0.05 * 400 * 399) < 4 * np.sqrt(7980 * 0.95)
    assert not np.any((sources == targets) & np.isin(sources, exc))  # allow_autapses: false
    assert count(exc, inh) == 2000                               # fixed_total_number
    assert count(inh, exc) == 100 * 20                           # fixed_outdegree
    weights = np.array(nest.GetConnections(nest.NodeCollection(exc.tolist()),
                                           nest.NodeCollection(exc.tolist())).get("weight"))
    assert weights.min() >= 0.0 and abs(weights.mean() - 40.0) < 1.0  # normal(40, 10), min 0


def test_native_poisson_source_rate_and_cv() -> None:
    data = {"dt": 0.1, "duration": 5000.0, "seed": 11, "populations": {
        "noise": {"size": 200, "model": "poisson", "params": {"rate": 20.0}, "native": True}},
        "recordings": [{"population": "noise", "variables": ["spikes"]}]}
    spikes = _run(data).spikes
    expected = 200 * 20.0 * 5.0
    assert abs(len(spikes) - expected) < 3 * np.sqrt(expected)
    isis = np.concatenate([np.diff(g.time_ms.to_numpy()) for _, g in spikes.groupby("neuron")])
    assert 0.95 < isis.std() / isis.mean() < 1.05
    assert spikes.neuron.nunique() == 200


def test_initial_synaptic_current_nest_cannot_set_is_refused() -> None:
    data = {"duration": 10.0, "populations": {"cells": {
        "size": 2, "model": "lif", "receptor": "current_exp", "initial": {"I_syn_ex": 5.0}}}}
    with pytest.raises(UnsupportedModelError) as error:  # at validation: NEST is not touched
        check_supported(nb.Network.from_dict(data), "nest")
    assert str(error.value) == ("populations.cells.initial.I_syn_ex: NEST's iaf_psc_exp starts I_syn_ex at 0 "
                                "and cannot set it; got 5.0.")


def test_initial_values_reach_nest_for_every_settable_state() -> None:
    """Initial V_m, w and synaptic state set per neuron: the first sample moves from them as the reference."""
    data = {"dt": 0.1, "duration": 5.0, "populations": {"cells": {
        "size": 3, "model": "adex", "receptor": "current_exp",
        "initial": {"V_m": [-70.0, -60.0, -55.0], "w": [0.0, 20.0, 50.0], "I_syn_in": [0.0, -30.0, -60.0]}}},
        "recordings": [{"population": "cells", "variables": ["V_m", "w", "I_syn_in"]}]}
    mine, ref = _run(data), _run(data, "numpy")
    np.testing.assert_allclose(mine.states.value, ref.states.value, atol=1e-6)
    assert mine.trace("cells", "I_syn_in", 2).iloc[0] == pytest.approx(-60.0 * np.exp(-0.1 / 2.0))


def test_native_items_nest_cannot_express_warn_and_run_realized() -> None:
    """A ring rule, per-neuron noise means and a regular source have no NEST-native form: each warns
    with its field, and the run is the realized network's, spike for spike."""
    data = {"dt": 0.1, "duration": 100.0, "seed": 4,
            "populations": {"clock": {"size": 5, "model": "regular", "params": {"rate": 100.0}, "native": True},
                            "ring": {"size": 20, "model": "lif", "receptor": "current_exp",
                                     "params": {**networks.LIF, "I_e": 300.0}}},
            "projections": [{"source": "ring", "target": "ring", "connector": {"ring": {"radius": 0.5}},
                             "weight": 30.0, "delay": 1.0, "native": True},
                            {"source": "clock", "target": "ring", "connector": "all_to_all", "weight": 20.0,
                             "delay": 1.0}],
            "stimuli": [{"target": "ring", "kind": "noise", "mean": {"linspace": [50.0, 150.0]}, "std": 40.0,
                         "dt": 1.0, "native": True}],
            "recordings": [{"population": "ring", "variables": ["spikes"]}]}
    with pytest.warns(nb.NativeFallbackWarning) as caught:
        result = _run(data)
    assert sorted(str(w.message).split(":")[0] for w in caught) == [
        "populations.clock.native", "projections[0].native", "stimuli[0].native"]
    assert "a native noise takes one value per parameter" in " ".join(str(w.message) for w in caught)
    reference = nb.simulate(nb.Network.from_dict(data), backend="numpy")
    assert len(reference.spikes) > 20
    pd.testing.assert_frame_equal(result.spikes, reference.spikes)
