"""The conformance suite on NEST 3.10, plus what only the NEST adapter has to show.

Truth comes from the suite's (closed forms, solve_ivp, NEST-measured numbers) and the
NumPy reference (exact on the linear models and Izhikevich, within an integrator's error
on conductance LIF and AdEx), and from NEST's own model list, defaults and recordables
(the translation tables).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from neurobridge.backends.nest import translate
from neurobridge.backends.nest.translate import MODEL_NAMES

import neurobridge as nb
from neurobridge import catalog
from neurobridge.errors import UnknownNameError, UnsupportedModelError
from neurobridge.lowering import lower
from neurobridge.registry import check_supported
from neurobridge.testing import Agreement, BackendConformance

from .. import networks

pytestmark = pytest.mark.requires_nest



class TestNest(BackendConformance):
    """Measured against the reference (``single_on`` drive): GSL's adaptive RKF45 against RK4 per dt,
    conductance LIF within 4.2e-8 mV; AdEx spikes within one step, V_m within 0.158 mV farther than
    1 ms from every spike (the exponential upswing amplifies the integrators' difference)."""

    backend = "nest"
    agreement = {"lif": Agreement(0.0, 1e-9), "lif_conductance": Agreement(0.0, 1e-6),
                 "adex": Agreement(0.1, 0.2, window_ms=1.0), "izhikevich": Agreement(0.0, 1e-9)}


def _nest():
    from neurobridge.backends.nest.adapter import _import_nest

    return _import_nest(verbose=False)


def _run(data: dict[str, Any], backend: str = "nest", **options: Any) -> nb.Result:
    return nb.simulate(nb.Network.from_dict(data), backend=backend, **options)


# -- capabilities and translations ---------------------------------------------------------------

def test_every_declared_pair_is_a_nest_model_of_its_receptor_kind() -> None:
    """NEST says which model each declared pair runs on: it exists, records the pair's states, and its
    receptor is the pair's (a conductance model records g_ex, a current one I_syn_ex, a delta neither)."""
    from neurobridge.backends.nest import NestBackend, nestml
    from neurobridge.backends.nest.translate import MODELS

    nest = _nest()
    if not nestml.toolchain_problem():  # the NESTML-built models: a fresh kernel takes the module
        nest.ResetKernel()
        nestml.install(nest)
    available = set(nest.node_models)
    for pair in NestBackend.capabilities.pairs:
        model = MODELS[pair]
        assert model.name in available, model.name
        recordables = set(nest.GetDefaults(model.name)["recordables"])
        assert {t.nest for t in model.states} <= recordables, model.name
        kind = catalog.RECEPTOR_SPECS[pair[1]].kind
        assert ("g_ex" in recordables) == (kind == "conductance"), model.name
        assert ("I_syn_ex" in recordables) == (kind == "current"), model.name
    assert NestBackend.capabilities.synapses == {"static", "tsodyks_markram"}
    assert NestBackend.capabilities.defaults() == {"threads": 1, "print_time": False, "verbose": False,
                                                   "grid_device": True}


def test_adapter_imports_without_nest() -> None:
    """The capability table is the same whether NEST can be imported or not (it is data)."""
    from neurobridge.backends.nest import NestBackend

    code = ("import sys; sys.modules['nest'] = None\n"
            "from neurobridge.backends.nest import NestBackend\n"
            "assert 'nest' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
            "print(sorted(NestBackend.capabilities.pairs))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(sorted(NestBackend.capabilities.pairs))


@pytest.mark.parametrize("pair", sorted(MODEL_NAMES))
def test_translation_names_exist_in_nest(pair: tuple[str, str]) -> None:
    """Every parameter and state the translation names is NEST's (the values are the suite's questions)."""
    from neurobridge.backends.nest.translate import MODELS

    model = MODELS[pair]
    defaults = _nest().GetDefaults(model.name)
    for translation in model.parameters:
        assert translation.nest in defaults, f"{model.name} has no parameter {translation.nest}"
    assert {t.nest for t in model.states} <= set(defaults["recordables"])
    for key in model.settings:
        assert key in defaults


@pytest.mark.parametrize("pair", sorted(MODEL_NAMES))
def test_catalog_defaults_are_nests_defaults(pair: tuple[str, str]) -> None:
    """The catalog claims NEST's defaults; NEST, asked through the translation, agrees."""
    from neurobridge.backends.nest.translate import MODELS

    model = MODELS[pair]
    defaults = _nest().GetDefaults(model.name)
    ours = catalog.parameter_defaults(*pair)
    for translation in model.parameters:
        expected = translation.reverse(np.asarray(defaults[translation.nest]))
        assert ours[translation.neutral] == pytest.approx(float(expected)), translation.neutral


def test_synapse_parameter_names_exist_in_nest() -> None:
    from neurobridge.backends.nest.translate import SYNAPSES

    defaults = _nest().GetDefaults(SYNAPSES["tsodyks_markram"].name)
    for translation in SYNAPSES["tsodyks_markram"].parameters:
        assert translation.nest in defaults


def test_unknown_option_names_the_allowed_ones() -> None:
    with pytest.raises(UnknownNameError) as error:
        _run(networks.single_neuron(duration=10.0), thread=2)
    assert str(error.value) == ('Unknown option of backend nest "thread" in backend.options. '
                                'Did you mean "threads"? Allowed: grid_device, print_time, threads, verbose.')


# -- the run -------------------------------------------------------------------------------------

def test_meta_names_nest_and_threads() -> None:
    result = _run(networks.single_neuron(duration=50.0), threads=2)
    assert result.meta["simulator_version"] == f"NEST {_nest().__version__}"
    assert result.meta["threads"] == 2
    assert result.meta["options"] == {"threads": 2, "print_time": False, "verbose": False, "grid_device": True}


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

def test_tsodyks_from_a_source_spike_at_dt_is_the_references() -> None:
    """A source's spike in the first step reaches a plastic synapse on NEST (a spike_train_injector sends it as
    a neuron does; parrots relaying a spike_generator once refused it) with the reference's effect."""
    data = {"dt": 0.1, "duration": 20.0, "populations": {
        "input": {"size": 1, "model": "spike_times", "params": {"times": [0.1, 2.0, 5.0]}},
        "cell": {"size": 1, "model": "lif", "receptor": "current_exp"}},
        "projections": [{"source": "input", "target": "cell", "connector": "one_to_one", "weight": 500.0,
                         "synapse": "tsodyks_markram"}],
        "recordings": [{"population": "cell", "variables": ["V_m"]}]}
    network = nb.Network.from_dict(data)
    check_supported(network, "nest")
    nest_v = nb.simulate(network, backend="nest").trace("cell", "V_m").to_numpy()
    numpy_v = nb.simulate(network, backend="numpy").trace("cell", "V_m").to_numpy()
    assert np.ptp(numpy_v) > 1.0  # the three spikes move V_m
    np.testing.assert_allclose(nest_v, numpy_v, rtol=0, atol=1e-9)


def _trains_into(delay: float, rate: float, synapse: str = "static") -> dict[str, Any]:
    return {"dt": 0.1, "duration": 100.0, "seed": 3, "populations": {
        "input": {"size": 50, "model": "poisson", "params": {"rate": rate}},
        "cell": {"size": 20, "model": "lif", "receptor": "current_exp", "params": {"V_th": -65.0}}},
        "projections": [{"source": "input", "target": "cell", "connector": {"fixed_indegree": 10}, "weight": 150.0,
                         "delay": delay, "synapse": synapse},
                        {"source": "cell", "target": "cell", "connector": {"fixed_indegree": 3}, "weight": -20.0,
                         "delay": delay}],
        "recordings": [{"population": "cell"}]}


@pytest.mark.parametrize(("delay", "rate", "synapse", "model"), [
    (1.5, 20000.0, "static", "spike_generator"),  # Brunel's input: long delays, 2 spikes per event
    (0.1, 1000.0, "static", "spike_train_injector"),  # the microcircuit's: a 0.1 ms delay, ~1 spike per event
    (1.5, 1000.0, "static", "spike_generator"),
    (1.5, 1000.0, "tsodyks_markram", "spike_train_injector"),  # a device cannot feed a plastic synapse
])
def test_given_trains_take_the_cheaper_node_and_the_same_spikes_either_way(
        delay: float, rate: float, synapse: str, model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    network = nb.Network.from_dict(_trains_into(delay, rate, synapse))
    assert translate.spike_source_model(lower(nb.realize(network)), "input") == model
    chosen = nb.simulate(network, backend="nest").spikes
    assert len(chosen) >= 20
    pd.testing.assert_frame_equal(chosen, nb.simulate(network, backend="numpy").spikes)
    if synapse == "static":  # the other node: the same spikes
        other = "spike_generator" if model == "spike_train_injector" else "spike_train_injector"
        monkeypatch.setattr(translate, "spike_source_model", lambda lowered, name: other)
        pd.testing.assert_frame_equal(nb.simulate(network, backend="nest").spikes, chosen)


def _dense_drive(rate: float = 20000.0, duration: float = 200.0) -> dict[str, Any]:
    """Brunel's input in small: an own dense Poisson train per neuron (a grid of counts), one onto E in
    order, one through a list onto a shuffled subset of I, weights drawn per synapse; E and I recurrent."""
    rng = np.random.default_rng(0)
    listed = rng.permutation(60)[:40]
    neuron = {"model": "lif", "receptor": "current_delta", "params": {
        "C_m": 1.0, "tau_m": 20.0, "t_ref": 2.0, "E_L": 0.0, "V_reset": 10.0, "V_th": 20.0}}
    return {"dt": 0.1, "duration": duration, "seed": 7, "populations": {
        "ext": {"size": 60, "model": "poisson", "params": {"rate": rate}},
        "E": {"size": 60, **neuron}, "I": {"size": 40, **neuron}},
        "projections": [
            {"source": "ext", "target": "E", "connector": "one_to_one", "weight": 0.1, "delay": 1.5},
            {"source": "ext", "target": "I", "connector": {"from_list": {
                "sources": listed.tolist(), "targets": rng.permutation(40).tolist()}},
             "weight": {"uniform": [0.05, 0.15]}, "delay": 1.5},
            {"source": "E", "target": "I", "connector": {"fixed_indegree": 6}, "weight": 0.1, "delay": 1.5},
            {"source": "I", "target": "E", "connector": {"fixed_indegree": 4}, "weight": -0.5, "delay": 1.0}],
        "recordings": [{"population": p} for p in ("ext", "E", "I")]}


@pytest.mark.parametrize(("threads", "rate"), [(1, 20000.0), (2, 20000.0), (1, 1500.0)])
def test_a_dense_drive_is_one_count_grid_generator_per_pathway_with_the_references_spikes(
        threads: int, rate: float) -> None:
    """20 kHz: held as a grid; 1.5 kHz (one cell in seven, the microcircuit's background): held as events,
    sent as a grid (translate.DENSIFY_FACTOR)."""
    data = _dense_drive(rate)
    if rate < 2000:
        data["projections"][2]["weight"] = data["projections"][0]["weight"] = 1.5  # as much drive
    lowered = lower(nb.realize(nb.Network.from_dict(data)))
    assert (lowered.sources["ext"].spikes.grid is None) == (rate < 2000)
    assert translate.grid_drives(lowered) == {"ext"}
    device = _run(data, threads=threads)
    assert device.meta["drive_nodes"] == "count_grid_generator" and "drive_fallback" not in device.meta
    nest = _nest()
    devices = nest.GetNodes({"model": "count_grid_generator"})
    assert len(devices) == 2  # one per pathway, no spike node
    grid, first = translate.drive_grid(lowered.sources["ext"].spikes)
    assert sorted(devices.get("columns")) == [40, 60] and set(devices.get("rows")) == {grid.shape[0]}
    assert int(grid.sum()) == lowered.sources["ext"].spikes.n_spikes
    assert set(devices.get("bytes_per_cell")) == {1}  # byte counts are held a byte a cell
    assert not any(len(nest.GetNodes({"model": m})) for m in ("spike_generator", "spike_train_injector"))
    reference = _run(data, "numpy")
    assert (reference.spikes.population == "E").sum() > 200 and (reference.spikes.population == "I").sum() > 100
    pd.testing.assert_frame_equal(device.spikes, reference.spikes)
    generators = _run(data, threads=threads, grid_device=False)
    assert generators.meta["drive_nodes"] == "spike_generator"
    assert generators.meta["drive_fallback"] == "grid_device: false"
    pd.testing.assert_frame_equal(generators.spikes, reference.spikes)


def test_counts_beyond_a_byte_reach_nest_whole() -> None:
    """300 spikes per step and neuron: the grid holds uint16 counts (two-byte code points on the way)."""
    data = _dense_drive(rate=3_000_000.0, duration=20.0)
    data["projections"] = [{"source": "ext", "target": "E", "connector": "one_to_one", "weight": 0.002,
                            "delay": 0.5}]
    network = nb.Network.from_dict(data)
    grid = lower(nb.realize(network)).sources["ext"].spikes.grid
    assert grid is not None and grid.dtype.itemsize == 2 and grid.max() > 300
    device, reference = _run(data), _run(data, "numpy")
    assert device.meta["drive_nodes"] == "count_grid_generator"
    assert _nest().GetNodes({"model": "count_grid_generator"}).get("bytes_per_cell") == 2
    assert (reference.spikes.population == "E").sum() > 50
    pd.testing.assert_frame_equal(device.spikes, reference.spikes)


def test_without_a_compiler_a_dense_drive_takes_spike_generators_and_says_why(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from neurobridge.backends.nest import count_grid

    monkeypatch.setattr(count_grid, "problem", lambda: "no C++ compiler (apt-get install g++)")
    data = _dense_drive(duration=50.0)
    result = _run(data)
    assert result.meta["drive_nodes"] == "spike_generator"
    assert result.meta["drive_fallback"] == "no C++ compiler (apt-get install g++)"
    pd.testing.assert_frame_equal(result.spikes, _run(data, "numpy").spikes)


def test_a_device_nest_cannot_load_falls_back_and_says_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from neurobridge.backends.nest import count_grid

    from neurobridge import buildcache

    monkeypatch.setattr(count_grid, "ensure_module", lambda: buildcache.Built(tmp_path, False, 0.0))
    data = _dense_drive(duration=50.0)
    result = _run(data)
    assert result.meta["drive_nodes"] == "spike_generator"
    assert result.meta["drive_fallback"] == (
        f"Module '{tmp_path / 'lib' / count_grid.MODULE_NAME}' could not be opened.")
    pd.testing.assert_frame_equal(result.spikes, _run(data, "numpy").spikes)


def test_a_sparse_or_plastic_source_is_no_grid_drive() -> None:
    sparse = lower(nb.realize(nb.Network.from_dict(_dense_drive(rate=300.0, duration=50.0))))
    assert sparse.sources["ext"].spikes.n_events > 0 and translate.grid_drives(sparse) == set()
    shared = lower(nb.realize(nb.Network.from_dict(_trains_into(1.5, 20000.0))))  # fixed in-degree: no drive
    assert shared.sources["input"].spikes.grid is not None and translate.grid_drives(shared) == set()
    data = _dense_drive(duration=20.0)
    data["projections"][0]["synapse"] = "tsodyks_markram"
    plastic = lower(nb.realize(nb.Network.from_dict(data)))
    assert plastic.sources["ext"].spikes.grid is not None and translate.grid_drives(plastic) == set()


@pytest.mark.parametrize(("status", "message"), [
    ({"targets": [1, 2], "counts": "abc"}, "counts must hold whole rows of one cell per target."),
    ({"targets": [1, 1], "counts": "ab"}, "targets must be distinct node ids (>= 1)."),
    ({"targets": [1], "first_step": -1, "counts": "a"}, "first_step must be a step >= 0."),
])
def test_count_grid_generator_refuses_a_grid_it_cannot_read(status: dict[str, Any], message: str) -> None:
    from neurobridge.backends.nest import count_grid

    nest = _nest()
    nest.ResetKernel()
    count_grid.install(nest)
    nest.Create("iaf_psc_delta", 2)
    device = nest.Create(count_grid.MODEL)
    with pytest.raises(nest.NESTErrors.BadProperty, match=re.escape(message)):
        device.set(status)


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


def test_native_truncated_normal_is_nest_redraw_with_the_truncated_law() -> None:
    """``truncated_normal`` under ``native: true`` is ``nest.math.redraw`` of a normal: every weight and delay
    inside its bounds, and the means those of the truncated law (scipy's truncnorm, the outside truth;
    20,000 draws: the standard error of the weight mean is 0.011, of the delay mean 0.005)."""
    from scipy.stats import truncnorm

    data = {"dt": 0.1, "duration": 1.0, "seed": 3, "populations": {
        "a": {"size": 200, "model": "lif"}, "b": {"size": 200, "model": "lif"}},
        "projections": [{"source": "a", "target": "b", "connector": {"fixed_total_number": 20000}, "native": True,
                         "weight": {"truncated_normal": {"mean": 1.0, "std": 2.0, "low": 0.0, "high": math.inf}},
                         "delay": {"truncated_normal": {"mean": 1.5, "std": 0.75, "low": 0.1, "high": 2.5}}}]}
    _run(data)
    nest = _nest()
    cells = np.array(nest.GetNodes({"model": "iaf_psc_exp"}).tolist())  # a, then b; not the recorders
    connections = nest.GetConnections(nest.NodeCollection(cells[:200].tolist()),
                                      nest.NodeCollection(cells[200:].tolist())).get(["weight", "delay"])
    weights, delays = np.array(connections["weight"]), np.array(connections["delay"])
    assert cells.size == 400 and weights.size == 20000
    assert weights.min() >= 0.0 and 0.1 <= delays.min() and delays.max() <= 2.5
    assert abs(weights.mean() - truncnorm.mean(-0.5, np.inf, loc=1.0, scale=2.0)) < 0.05
    assert abs(delays.mean() - truncnorm.mean(-1.4 / 0.75, 1.0 / 0.75, loc=1.5, scale=0.75)) < 0.03


def test_more_synapses_than_the_threads_hold_is_refused_before_nest_is_touched() -> None:
    """NEST 3 holds 2^27 - 2 connections per virtual process and synapse model; beyond that its kernel
    stops the build midway (the full microcircuit on 2 threads, after 3 minutes and 10.9 GB)."""
    data = {"dt": 0.1, "duration": 1.0, "populations": {
        "a": {"size": 20000, "model": "lif"}, "b": {"size": 20000, "model": "lif"}},
        "projections": [{"source": "a", "target": "b", "connector": {"fixed_total_number": 150_000_000},
                         "native": True, "weight": 1.0, "delay": 1.0},
                        {"source": "b", "target": "a", "connector": {"fixed_indegree": 6000}, "native": True,
                         "weight": 1.0, "delay": 1.0}]}
    with pytest.raises(nb.NeurobridgeError) as error:
        nb.simulate(data, "nest", threads=2)
    assert str(error.value) == (
        "backend.options.threads: 2: nest holds at most 134,217,726 synapses of one model per thread, and "
        "the network has about 270,000,000 static synapses; use threads >= 3.")
    assert _nest().GetKernelStatus("network_size") < 40000  # nothing of this network was created


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
